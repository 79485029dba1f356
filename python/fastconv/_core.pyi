# Type stub of the private C++ extension (cpp/bindings/).

import numpy as np

__version__: str

def output_shape(
    in_shape: list[int],
    kernel_shape: list[int],
    mode: str,
    axes: list[int],
    stride: list[int],
    dilation: list[int],
) -> list[int]: ...
def convolve(
    in1: np.ndarray,
    in2: np.ndarray,
    out: np.ndarray,
    fillvalue: np.ndarray,
    mode: str,
    boundary: str,
    axes: list[int],
    stride: list[int],
    dilation: list[int],
    anchor_rule: str,
    anchor: list[int],
    threads: int,
) -> None: ...
def correlate(
    in1: np.ndarray,
    in2: np.ndarray,
    out: np.ndarray,
    fillvalue: np.ndarray,
    mode: str,
    boundary: str,
    axes: list[int],
    stride: list[int],
    dilation: list[int],
    anchor_rule: str,
    anchor: list[int],
    threads: int,
) -> None: ...
def plain(
    in1: np.ndarray, in2: np.ndarray, flip: bool, mode: str, centre_high: bool
) -> np.ndarray | None: ...
def separable_output_shape(
    in_shape: list[int], col_length: int, row_length: int, mode: str, stride: list[int]
) -> list[int]: ...
def convolve_separable(
    in1: np.ndarray,
    col: np.ndarray,
    row: np.ndarray,
    out: np.ndarray,
    fillvalue: np.ndarray,
    mode: str,
    boundary: str,
    stride: list[int],
    anchor_rule: str,
    anchor: list[int],
    threads: int,
) -> None: ...
def conv_transpose_shape(
    in_shape: list[int],
    kernel_shape: list[int],
    axes: list[int],
    stride: list[int],
    padding: list[int],
    output_padding: list[int],
    dilation: list[int],
) -> list[int]: ...
def conv_transpose(
    in1: np.ndarray,
    in2: np.ndarray,
    out: np.ndarray,
    axes: list[int],
    stride: list[int],
    padding: list[int],
    output_padding: list[int],
    dilation: list[int],
    threads: int,
) -> None: ...
def max_pool_shape(
    in_shape: list[int],
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
    ceil_mode: bool,
) -> list[int]: ...
def max_pool(
    input: np.ndarray,
    out: np.ndarray,
    indices: np.ndarray | None,
    kernel_size: list[int],
    stride: list[int],
    padding: list[int],
    dilation: list[int],
    ceil_mode: bool,
    threads: int,
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
def conv_output_shape(
    in_shape: list[int],
    weight_shape: list[int],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    padding_end: list[int],
    same_padding: bool,
    groups: int,
    padding_mode: str,
) -> list[int]: ...
def conv_layer(
    input: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    out: np.ndarray,
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    padding_end: list[int],
    same_padding: bool,
    groups: int,
    padding_mode: str,
    threads: int,
) -> None: ...
def conv_transpose_output_shape(
    in_shape: list[int],
    weight_shape: list[int],
    stride: list[int],
    dilation: list[int],
    padding: list[int],
    output_padding: list[int],
    groups: int,
) -> list[int]: ...
def conv_transpose_layer(
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
) -> None: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
def resolve_num_threads(requested: int) -> int: ...
def active_isa() -> str: ...
def available_isas() -> list[str]: ...
def config_string() -> str: ...
def openmp_runtime() -> str: ...
def fma_probe(iterations: int, threads: int) -> tuple[float, float]: ...
