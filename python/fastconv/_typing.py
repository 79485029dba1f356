"""Type aliases of the public API, for annotations only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Optional, Union

import numpy as np
import numpy.typing as npt

ArrayLike = npt.ArrayLike
# Results: the dtype follows the inputs (scipy's rules), so it is not
# narrowed statically.
Array = npt.NDArray[Any]
Mode = Literal["full", "same", "valid"]
Method = Literal["auto", "direct", "fft"]
Boundary = Literal["fill", "wrap", "circular", "symm", "symmetric", "mirror", "nearest"]
# One value for every axis, or one per axis.
IntOrTuple = Union[int, Sequence[int]]
Axes = Union[None, int, Sequence[int]]
Anchor = Union[None, Literal["matlab"], int, Sequence[int]]
Threads = Optional[int]
Scalar = Union[complex, np.number[Any], np.bool_]
