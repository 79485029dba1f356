"""A typed use of fastconv's public API; CI runs ``mypy --strict`` on it
(and runs it), so the annotations stay complete and correct.

    python examples/python/typed_usage.py
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

import fastconv
from fastconv import nn


def blur(image: npt.NDArray[np.float64], size: int = 5) -> npt.NDArray[np.float64]:
    """Box blur, edges extended by the nearest sample."""
    kernel = np.full((size, size), 1.0 / size**2)
    result: npt.NDArray[np.float64] = fastconv.convolve2d(
        image, kernel, "same", boundary="nearest", threads=1
    )
    return result


def main() -> None:
    rng = np.random.default_rng(0)
    image = rng.standard_normal((64, 64))
    signal = rng.standard_normal(1000)
    taps = np.hanning(31)

    smooth = blur(image)
    same = fastconv.convolve(signal, taps, "same", method="auto", stride=1)
    lagged = fastconv.correlate(signal, taps, "valid", axes=0)
    edges = fastconv.correlate2d(image, np.array([[1.0, 0.0, -1.0]]), "same", anchor="matlab")
    by_fft = fastconv.fftconvolve(image, np.ones((9, 9)), "same")
    blocks = fastconv.oaconvolve(signal, taps, mode="full")
    separable = fastconv.convolve_separable(image, taps[:5], taps[:5], "same", boundary="symm")
    up = fastconv.conv_transpose(image, np.ones((2, 2)), stride=2)
    method: str = fastconv.choose_conv_method(signal, taps)
    faster, times = fastconv.choose_conv_method(signal, taps, measure=True)
    pooled, indices = nn.max_pool2d(image[None], 2, return_indices=True)
    restored = nn.max_unpool2d(pooled, indices, 2, output_size=(64, 64))
    plain = nn.max_pool1d(signal[None], 4, stride=2)
    values_1d, indices_1d = nn.max_pool1d(signal[None], 2, return_indices=True)
    restored_1d = nn.max_unpool1d(values_1d, indices_1d, 2)

    fastconv.set_num_threads(fastconv.get_num_threads())
    isa: str = fastconv.active_isa()
    assert isa in fastconv.available_isas()
    assert faster in times and method in ("direct", "fft")
    assert indices.dtype == np.int64
    for array in (
        smooth,
        same,
        lagged,
        edges,
        by_fft,
        blocks,
        separable,
        up,
        restored,
        plain,
        restored_1d,
    ):
        assert np.all(np.isfinite(array))
    print(f"typed usage ok on {isa}: {smooth.shape} {up.shape} {restored.shape}")


if __name__ == "__main__":
    main()
