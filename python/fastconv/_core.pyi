# Type stub of the private C++ extension (cpp/bindings/).

from typing import Any

import numpy as np

__version__: str
element_dtypes: list[tuple[str, int]]

class ConvPlan:
    """A planned convolution or correlation (fastconv/convolve.hpp); made
    only by plan_filter and plan_separable."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def starts(self) -> tuple[int, ...]: ...
    @property
    def swapped(self) -> bool: ...

def plan_filter(
    flip: bool,
    in1_shape: tuple[int, ...],
    in2_shape: tuple[int, ...],
    mode: str,
    boundary: str,
    axes: list[int],
    stride: list[int],
    dilation: list[int],
    anchor_rule: str,
    anchor: list[int],
    threads: int,
) -> ConvPlan: ...
def execute(
    plan: ConvPlan, in1: np.ndarray, in2: np.ndarray, out: np.ndarray, fillvalue: np.ndarray
) -> None: ...
def plain(
    in1: object,
    in2: object,
    flip: bool,
    mode: object,
    centre_high: bool,
    two_d: bool,
    max_taps: int,
) -> np.ndarray | None: ...
def plan_separable(
    in_shape: tuple[int, ...],
    col_length: int,
    row_length: int,
    mode: str,
    boundary: str,
    stride: list[int],
    anchor_rule: str,
    anchor: list[int],
    threads: int,
) -> ConvPlan: ...
def convolve_separable(
    plan: ConvPlan,
    in1: np.ndarray,
    col: np.ndarray,
    row: np.ndarray,
    out: np.ndarray,
    fillvalue: np.ndarray,
) -> None: ...

class ConvTransposePlan:
    """A planned transposed convolution (fastconv/transpose.hpp); made only
    by plan_conv_transpose."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...

def plan_conv_transpose(
    in_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    axes: list[int],
    stride: list[int],
    padding: list[int],
    output_padding: list[int],
    dilation: list[int],
    threads: int,
) -> ConvTransposePlan: ...
def conv_transpose(
    plan: ConvTransposePlan, in1: np.ndarray, in2: np.ndarray, out: np.ndarray
) -> None: ...

class MaxPoolPlan:
    """A planned max-pooling (fastconv/pool.hpp); made only by plan_max_pool
    or plan_adaptive_max_pool."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...

def plan_max_pool(
    in_shape: tuple[int, ...],
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
    ceil_mode: bool,
    threads: int,
) -> MaxPoolPlan: ...
def plan_adaptive_max_pool(
    in_shape: tuple[int, ...], output_size: list[int], threads: int
) -> MaxPoolPlan: ...
def max_pool(
    plan: MaxPoolPlan, input: np.ndarray, out: np.ndarray, indices: np.ndarray | None
) -> None: ...
def max_unpool_shape(
    in_shape: list[int],
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    output_size: list[int],
) -> list[int]: ...
def max_unpool(
    input: np.ndarray, indices: np.ndarray, out: np.ndarray, pooled_axes: int, threads: int
) -> None: ...

class AvgPoolPlan:
    """A planned average pooling (fastconv/pool.hpp); made only by
    plan_avg_pool or plan_adaptive_avg_pool."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...

def plan_avg_pool(
    in_shape: tuple[int, ...],
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int,
    threads: int,
) -> AvgPoolPlan: ...
def plan_adaptive_avg_pool(
    in_shape: tuple[int, ...], output_size: list[int], threads: int
) -> AvgPoolPlan: ...
def avg_pool(plan: AvgPoolPlan, input: np.ndarray, out: np.ndarray) -> None: ...

class ConvLayerPlan:
    """A planned CNN layer (fastconv/nn.hpp); made only by plan_conv_layer."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...

class ConvTransposeLayerPlan:
    """A planned transposed CNN layer (fastconv/nn.hpp); made only by
    plan_conv_transpose_layer."""

    def __init__(self, *args: object, **kwargs: object) -> None: ...
    @property
    def shape(self) -> tuple[int, ...]: ...

def plan_conv_layer(
    in_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    padding_end: list[int],
    same_padding: bool,
    groups: int,
    padding_mode: str,
    algorithm: str = "auto",
) -> ConvLayerPlan: ...
def conv_layer(
    plan: ConvLayerPlan,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out: np.ndarray,
    threads: int,
    activation: str = "none",
    params: list[float] = ...,
    residual: np.ndarray | None = None,
) -> None: ...
def plan_conv_transpose_layer(
    in_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    output_padding: list[int],
    groups: int,
) -> ConvTransposeLayerPlan: ...
def conv_transpose_layer(
    plan: ConvTransposeLayerPlan,
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out: np.ndarray,
    threads: int,
    activation: str = "none",
    params: list[float] = ...,
    residual: np.ndarray | None = None,
) -> None: ...
def conv3d_output_shape(
    in_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    same_padding: bool,
    groups: int,
    padding_mode: str,
) -> tuple[int, ...]: ...
def conv3d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out: np.ndarray,
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    same_padding: bool,
    groups: int,
    padding_mode: str,
    algorithm: str,
    threads: int,
    activation: str = "none",
    params: list[float] = ...,
    residual: np.ndarray | None = None,
) -> None: ...
def conv_transpose3d_output_shape(
    in_shape: tuple[int, ...],
    weight_shape: tuple[int, ...],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    output_padding: list[int],
    groups: int,
) -> tuple[int, ...]: ...
def conv_transpose3d(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out: np.ndarray,
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    output_padding: list[int],
    groups: int,
    threads: int,
    activation: str = "none",
    params: list[float] = ...,
    residual: np.ndarray | None = None,
) -> None: ...

class ConvLayer:
    """A convolution layer object (fastconv/nn.hpp): the weights copied,
    checked and packed once; `run` is const and thread-safe."""

    def __init__(
        self,
        weight: np.ndarray,
        bias: np.ndarray | None,
        stride: list[int],
        dilation: list[int],
        padding: list[int],
        padding_end: list[int],
        same_padding: bool,
        groups: int,
        padding_mode: str,
        algorithm: str = "auto",
        activation: str = "none",
        params: list[float] = ...,
    ) -> None: ...
    @property
    def dtype(self) -> np.dtype[Any]: ...
    def output_shape(self, in_shape: list[int]) -> tuple[int, ...]: ...
    def run(
        self,
        input: np.ndarray,
        out: np.ndarray,
        threads: int,
        residual: np.ndarray | None = None,
    ) -> None: ...
    def forward(self, input: np.ndarray, threads: int = 0) -> np.ndarray | None: ...

class ConvTransposeLayer:
    """A transposed convolution layer object (fastconv/nn.hpp), as ConvLayer."""

    def __init__(
        self,
        weight: np.ndarray,
        bias: np.ndarray | None,
        stride: list[int],
        dilation: list[int],
        padding: list[int],
        output_padding: list[int],
        groups: int,
        activation: str = "none",
        params: list[float] = ...,
    ) -> None: ...
    @property
    def dtype(self) -> np.dtype[Any]: ...
    def output_shape(self, in_shape: list[int]) -> tuple[int, ...]: ...
    def run(
        self,
        input: np.ndarray,
        out: np.ndarray,
        threads: int,
        residual: np.ndarray | None = None,
    ) -> None: ...
    def forward(self, input: np.ndarray, threads: int = 0) -> np.ndarray | None: ...

def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def resolve_num_threads(requested: int) -> int: ...
def active_isa() -> str: ...
def available_isas() -> list[str]: ...
def config_string() -> str: ...
def denormal_guard() -> bool: ...
def set_denormal_guard(on: bool) -> None: ...
def openmp_runtime() -> str: ...
def fma_probe(iterations: int, threads: int) -> tuple[float, float]: ...
def rfft(x: np.ndarray) -> np.ndarray: ...
def irfft(spectrum: np.ndarray, n: int) -> np.ndarray: ...
def overlap_save(
    in1: np.ndarray, kernel: np.ndarray, start: int, step: int, out: np.ndarray, threads: int
) -> None: ...
def overlap_save_2d(
    in1: np.ndarray,
    kernel: np.ndarray,
    start: tuple[int, int],
    step: tuple[int, int],
    out: np.ndarray,
    threads: int,
) -> None: ...
def overlap_save_block_size(k: int, outputs: int, two_d: bool, element_size: int) -> int: ...
