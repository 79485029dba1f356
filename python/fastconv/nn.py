"""CNN-style layers with torch.nn.functional's semantics, on NumPy arrays.

Convolution layers (`conv1d`, `conv2d`, `conv3d`), transposed convolution
layers (`conv_transpose1d`, `conv_transpose2d`, `conv_transpose3d`),
max-pooling with recorded indices and max-unpooling (`max_pool1d/2d/3d`,
`max_unpool1d/2d/3d`), adaptive max-pooling (`adaptive_max_pool1d/2d/3d`), average pooling
(`avg_pool1d/2d/3d`) and adaptive average pooling
(`adaptive_avg_pool1d/2d/3d`), for batched (N, C, L) / (N, C, H, W) /
(N, C, D, H, W) and unbatched (C, L) / (C, H, W) / (C, D, H, W) arrays,
computed by the C++ core with the GIL released.
The layer objects `Conv1d`, `Conv2d`, `ConvTranspose1d` and
`ConvTranspose2d` hold a layer's weights (checked, copied and packed once)
and compute bitwise what the functional layers compute; they pickle,
may be called from several threads and read torch modules (`from_torch`).

>>> import numpy as np
>>> from fastconv import nn
>>> x = np.array([[[1.0, 5.0, 2.0, 4.0, 3.0, 0.0]]])
>>> values, indices = nn.max_pool1d(x, 2, return_indices=True)
>>> values, indices
(array([[[5., 4., 3.]]]), array([[[1, 3, 4]]]))
>>> nn.max_unpool1d(values, indices, 2)
array([[[0., 5., 0., 4., 3., 0.]]])
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Sequence
from typing import Any, Literal, TypeVar, Union, overload

import numpy as np
import numpy.typing as npt

from . import _args, _core
from ._typing import Array, ArrayLike, IntOrTuple, Threads

IndexArray = npt.NDArray[np.int64]

__all__ = [
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "Conv3d",
    "ConvTranspose3d",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "fold_batch_norm",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_unpool1d",
    "max_unpool2d",
    "max_unpool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
]

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
ConvAlgorithm = Literal["auto", "direct", "winograd"]
LayerPadding = Union[IntOrTuple, Literal["valid", "same"]]
ActivationSpec = Union[None, str, tuple]
# Sizes past this overflow the core's 64-bit arithmetic: refused up front.
_MAX_SIZE = 2**62


def conv1d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: LayerPadding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    *,
    padding_mode: PaddingMode = "zeros",
    algorithm: ConvAlgorithm = "auto",
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """1-D convolution layer (cross-correlation) over (N, C, L) or (C, L).

    As ``torch.nn.functional.conv1d`` (and ``torch.nn.Conv1d`` for
    `padding_mode`)::

        out[n, o, i] = bias[o] + sum_c sum_q x~[n, g*C/groups + c, i*stride + q*dilation - pad]
                                             * weight[o, c, q]

    with ``g = o // (Cout/groups)`` and ``x~`` the input padded by
    `padding_mode`. Complex weights are not conjugated. Output length
    ``(L + 2*padding - dilation*(k-1) - 1) // stride + 1``.

    Parameters
    ----------
    input : array_like
        Shape (N, C, L), or (C, L) for one unbatched input (the result is
        then unbatched too). Any memory layout.
    weight : array_like
        Shape (Cout, C/groups, k).
    bias : array_like, optional
        Shape (Cout,).
    stride, dilation : int or tuple of one int
        At least 1.
    padding : int, tuple of one int, "valid" or "same"
        Zeros (or `padding_mode`) added at both ends. "valid" is 0; "same"
        keeps the length: ``dilation*(k-1)`` in all, the odd element at
        the end (torch's rule); it needs stride 1.
    groups : int
        Input and output channels are split into `groups` independent
        groups (groups == C: depthwise).
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        As torch.nn.Conv1d: reflect (d c b | a b c d) needs padding smaller
        than the input, circular at most its size.
    algorithm : {"auto", "direct", "winograd"}
        How the sums are computed. "direct": each output's taps summed in
        one fixed order, accurate per element. "winograd": Winograd's
        minimal filtering (F(4x4, 3x3), or F(2x2, 3x3) on maps under 8
        outputs a side), fewer multiplications, accurate normwise (the
        bound in docs/conventions.md); 2-D 3x3 layers with stride and
        dilation 1, float32 or float64, only. "auto" (the default):
        Winograd for such layers with 8 or more channels per group in and
        out, else direct. Inf and NaN give the direct result either way.
    out : ndarray, optional
        Of the result's exact shape and dtype, not overlapping the inputs;
        returned. C-contiguous, or any dense layout: a channels-last view
        (``np.empty((N, H, W, C)).transpose(0, 3, 1, 2)``) keeps a network's
        activations channels-last.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`); the result
        is bitwise the same for any number.
    activation : str or tuple, optional
        A fused activation applied to every output, with torch's formula:
        "relu", "relu6", "sigmoid", "hardsigmoid", "hardswish", "silu",
        "leaky_relu" (slope 0.01), ``("leaky_relu", slope)``,
        ``("clamp", min, max)`` or ``("prelu", slope)`` (one float, or an
        array of one slope per output channel). Bitwise the unfused
        activation in the result's dtype, except sigmoid and silu (within a
        few ulp, docs/conventions.md). float32 and float64 only.
    residual : array_like, optional
        Of the result's shape: added to the output (after the bias, before
        the activation), in the compute dtype.

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(input, weight, bias)``: float32, float64,
        complex64 and complex128 computed natively, integers exactly in
        int64 (wrapping), float16 in float32.

    Raises
    ------
    ValueError
        An input or weight of the wrong ndim, channels that do not match
        `weight` and `groups`, a `stride` or `dilation` below 1, a negative
        or too large `padding`, "same" padding with a stride, an unknown
        `padding_mode`, `algorithm` or `activation`, an `out` or `residual`
        of another shape: the message names the argument.
    TypeError
        A dtype the layer does not compute in (or an activation on integers),
        or non-integer options.

    Notes
    -----
    Accuracy: computed directly, every output is within ``2 * taps * eps * sum(|x| * |k|)``
    of the exact sum over its window (``eps`` the dtype's machine epsilon), for every
    stride, dilation, padding mode and memory layout. Fused activations give the unfused
    sequence's bits (a NumPy pass with torch's formula), but sigmoid and silu, within 4 ulp.
    The result is bitwise the same for any thread count, memory layout and batch.
    docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    >>> nn.conv1d(x, np.array([[[1.0, 0.0, -1.0]]]), padding=1)
    array([[[-2., -2., -2.,  3.]]])
    """
    return _conv(
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        algorithm,
        out,
        threads,
        1,
        "conv1d",
        activation,
        residual,
    )


def conv2d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: LayerPadding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    *,
    padding_mode: PaddingMode = "zeros",
    algorithm: ConvAlgorithm = "auto",
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """2-D convolution layer (cross-correlation) over (N, C, H, W) or (C, H, W).

    As ``torch.nn.functional.conv2d`` (and ``torch.nn.Conv2d`` for
    `padding_mode`); every parameter of `conv1d` applies, with stride,
    padding and dilation an int or a tuple (rows, columns), and weight of
    shape (Cout, C/groups, kh, kw). Channels-last arrays (an NHWC array
    transposed to NCHW) and other layouts are read as they are.

    3x3 layers with stride and dilation 1 and 8 or more channels per
    group in and out take Winograd's algorithm under ``algorithm="auto"``
    (the default): accurate normwise, not per element;
    ``algorithm="direct"`` keeps per-element accuracy (see `conv1d`).

    Parameters
    ----------
    input : array_like
        Shape (N, C, H, W), or (C, H, W) for one unbatched input.
    weight : array_like
        Shape (Cout, C/groups, kh, kw).
    bias : array_like, optional
        Shape (Cout,).
    stride, padding, dilation : int, tuple of two ints (or "valid", "same" for padding)
        Per axis (rows, columns), with `conv1d`'s rules.
    groups, padding_mode, algorithm, out, threads, activation, residual
        As in `conv1d`.

    Returns
    -------
    ndarray
        Shape (N, Cout, H_out, W_out) (unbatched: no N), dtype
        ``numpy.result_type(input, weight, bias)``, computed as in `conv1d`.

    Raises
    ------
    ValueError, TypeError
        For the arguments `conv1d` refuses.

    Notes
    -----
    Accuracy: computed directly, every output is within ``2 * taps * eps * sum(|x| * |k|)``
    of the exact sum over its window (``eps`` the dtype's machine epsilon), for every
    stride, dilation, padding mode and memory layout. With ``algorithm='winograd'`` (and
    'auto' on 3x3 stride-1 layers of 8 or more channels) the error is normwise, ``||err||_2
    <= 64 * u * || |W| * |X| ||_2`` for F(4x4, 3x3) (16 for F(2x2, 3x3)), and Inf or NaN
    give the direct result. Fused activations give the unfused sequence's bits (a NumPy pass
    with torch's formula), but sigmoid and silu, within 4 ulp. The result is bitwise the
    same for any thread count, memory layout and batch. docs/guarantees.md lists each
    promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> nn.conv2d(x, np.ones((2, 1, 3, 3)), bias=np.array([0.0, 100.0]))
    array([[[[ 45.,  54.],
             [ 81.,  90.]],
    <BLANKLINE>
            [[145., 154.],
             [181., 190.]]]])
    """
    return _conv(
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        algorithm,
        out,
        threads,
        2,
        "conv2d",
        activation,
        residual,
    )


def conv3d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: LayerPadding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    *,
    padding_mode: PaddingMode = "zeros",
    algorithm: ConvAlgorithm = "auto",
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """3-D convolution layer (cross-correlation) over (N, C, D, H, W) or (C, D, H, W).

    As ``torch.nn.functional.conv3d`` (and ``torch.nn.Conv3d`` for
    `padding_mode`); every parameter of `conv1d` applies, with stride,
    padding and dilation an int or a tuple (depth, rows, columns), and
    weight of shape (Cout, C/groups, kd, kh, kw). Computed as one 2-D
    layer run per output depth slice over the kd input slices it reads
    (stacked as channels), so `algorithm` acts on the rows and columns as
    in `conv2d`: "auto" takes Winograd for 3x3 rows and columns with
    stride and dilation 1 there and enough channels. The result is
    bitwise the same for any thread count, layout and batch.

    Parameters
    ----------
    input : array_like
        Shape (N, C, D, H, W), or (C, D, H, W) for one unbatched input.
    weight : array_like
        Shape (Cout, C/groups, kd, kh, kw).
    bias : array_like, optional
        Shape (Cout,).
    stride, padding, dilation : int, tuple of three ints (or "valid", "same" for padding)
        Per axis (depth, rows, columns), with `conv1d`'s rules.
    groups, padding_mode, algorithm, out, threads, activation, residual
        As in `conv1d`.

    Returns
    -------
    ndarray
        Shape (N, Cout, D_out, H_out, W_out) (unbatched: no N), dtype
        ``numpy.result_type(input, weight, bias)``.

    Raises
    ------
    ValueError, TypeError
        For the arguments `conv1d` refuses.

    Notes
    -----
    Accuracy: as `conv1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(27.0).reshape(1, 1, 3, 3, 3)
    >>> nn.conv3d(x, np.ones((1, 1, 2, 2, 2)))[0, 0]
    array([[[ 52.,  60.],
            [ 76.,  84.]],
    <BLANKLINE>
           [[124., 132.],
            [148., 156.]]])
    """
    return _conv(
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        algorithm,
        out,
        threads,
        3,
        "conv3d",
        activation,
        residual,
    )


def conv_transpose1d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
    *,
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """1-D transposed convolution layer ("deconvolution") over (N, C, L) or (C, L).

    As ``torch.nn.functional.conv_transpose1d``: every input sample adds
    its weights, scaled, to the output, ``stride`` apart::

        out[n, g*Cout/groups + o, i*stride + q*dilation - padding] +=
            input[n, g*C/groups + c, i] * weight[g*C/groups + c, o, q]

    plus ``bias[o]``; complex weights are not conjugated. Output length
    ``(L - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1``.
    It is the adjoint of `conv1d` with the same stride, padding, dilation
    and groups. Computed as a gather per output phase (a small correlation
    per residue of the output position modulo `stride`): no zero
    insertion, no atomics.

    Parameters
    ----------
    input : array_like
        Shape (N, C, L), or (C, L) for one unbatched input.
    weight : array_like
        Shape (C, Cout/groups, k) -- the layout of ``torch.nn.ConvTranspose1d``.
    bias : array_like, optional
        Shape (Cout,).
    stride, dilation : int or tuple of one int
        At least 1.
    padding : int or tuple of one int
        Removed from both ends of the output (``dilation*(k-1) - padding``
        zeros on the input side, in the zero-insertion picture).
    output_padding : int or tuple of one int
        Added at the end of the output; smaller than `stride` or
        `dilation`. It picks one of the input sizes that `conv1d` with
        this stride maps to the same length (``output_size=`` of the torch
        module's forward).
    groups : int
        Input and output channels split into independent groups.
    out : ndarray, optional
        Of the result's exact shape and dtype, not overlapping the inputs;
        returned. C-contiguous, or any dense layout: a channels-last view
        (``np.empty((N, H, W, C)).transpose(0, 3, 1, 2)``) keeps a network's
        activations channels-last.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`); the result
        is bitwise the same for any number.
    activation, residual : optional
        As `conv1d`: the fused activation of ``out + residual``.

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(input, weight, bias)``, computed as in
        `conv1d`.

    Raises
    ------
    ValueError
        An input or weight of the wrong ndim, channels that do not match
        `weight` and `groups`, a `stride` or `dilation` below 1, a negative
        `padding`, an `output_padding` not smaller than `stride` or
        `dilation`, a padding that leaves no output, an unknown `activation`,
        an `out` or `residual` of another shape: the message names the
        argument.
    TypeError
        A dtype the layer does not compute in, or non-integer options.

    Notes
    -----
    Accuracy: the scatter definition (torch's), every output within ``2 * taps * eps *
    sum(|x| * |w|)`` over the terms it receives; Inf and NaN weights meet no padding. Fused
    activations as in the convolution layers. The result is bitwise the same for any thread
    count. docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.conv_transpose1d(np.array([[[1.0, 2.0]]]), np.array([[[1.0, 10.0, 100.0]]]), stride=2)
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    return _conv_transpose(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        out,
        threads,
        1,
        "conv_transpose1d",
        activation,
        residual,
    )


def conv_transpose2d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
    *,
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """2-D transposed convolution layer over (N, C, H, W) or (C, H, W).

    As ``torch.nn.functional.conv_transpose2d``; every parameter of
    `conv_transpose1d` applies, an int or a tuple (rows, columns), with
    weight of shape (C, Cout/groups, kh, kw). The adjoint of `conv2d`
    with the same arguments; used to upsample (stride 2 with a 4x4
    kernel and padding 1 doubles the size exactly).

    Parameters
    ----------
    input : array_like
        Shape (N, C, H, W), or (C, H, W) for one unbatched input.
    weight : array_like
        Shape (C, Cout/groups, kh, kw).
    bias : array_like, optional
        Shape (Cout,).
    stride, padding, output_padding, dilation : int or tuple of two ints
        Per axis (rows, columns), with `conv_transpose1d`'s rules.
    groups, out, threads, activation, residual
        As in `conv_transpose1d`.

    Returns
    -------
    ndarray
        Shape (N, Cout, H_out, W_out) (unbatched: no N), dtype
        ``numpy.result_type(input, weight, bias)``.

    Raises
    ------
    ValueError, TypeError
        For the arguments `conv_transpose1d` refuses.

    Notes
    -----
    Accuracy: as `conv_transpose1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> nn.conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """
    return _conv_transpose(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        out,
        threads,
        2,
        "conv_transpose2d",
        activation,
        residual,
    )


def conv_transpose3d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    groups: int = 1,
    dilation: IntOrTuple = 1,
    *,
    out: Array | None = None,
    threads: Threads = None,
    activation: ActivationSpec = None,
    residual: ArrayLike | None = None,
) -> Array:
    """3-D transposed convolution layer over (N, C, D, H, W) or (C, D, H, W).

    As ``torch.nn.functional.conv_transpose3d``; every parameter of
    `conv_transpose1d` applies, an int or a tuple (depth, rows, columns),
    with weight of shape (C, Cout/groups, kd, kh, kw). The adjoint of
    `conv3d` with the same arguments (the decoders of 3-D U-Net and
    V-Net: stride 2 with a 2x2x2 kernel doubles every size). Computed as
    one 2-D transposed layer run per output depth slice over the input
    slices that reach it; bitwise the same for any thread count.

    Parameters
    ----------
    input : array_like
        Shape (N, C, D, H, W), or (C, D, H, W) for one unbatched input.
    weight : array_like
        Shape (C, Cout/groups, kd, kh, kw).
    bias : array_like, optional
        Shape (Cout,).
    stride, padding, output_padding, dilation : int or tuple of three ints
        Per axis (depth, rows, columns), with `conv_transpose1d`'s rules.
    groups, out, threads, activation, residual
        As in `conv_transpose1d`.

    Returns
    -------
    ndarray
        Shape (N, Cout, D_out, H_out, W_out) (unbatched: no N), dtype
        ``numpy.result_type(input, weight, bias)``.

    Raises
    ------
    ValueError, TypeError
        For the arguments `conv_transpose1d` refuses.

    Notes
    -----
    Accuracy: as `conv_transpose1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.array([[[[[1.0]], [[2.0]]]]])  # (1, 1, 2, 1, 1)
    >>> nn.conv_transpose3d(x, np.ones((1, 1, 2, 1, 1)), stride=2).ravel()
    array([1., 1., 2., 2.])
    """
    return _conv_transpose(
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        out,
        threads,
        3,
        "conv_transpose3d",
        activation,
        residual,
    )


def _sizes(value, name, naxes, minimum):
    values = _args.per_axis(value, name, naxes, minimum=minimum)
    if max(values) > _MAX_SIZE:
        raise ValueError(f"{name}: too large, got {value!r}")
    return values


def _numbers(a, argname, name):
    if a.dtype.kind == "O":
        raise TypeError(f"{argname}: {name} needs numbers, got dtype object")
    return a


def _weight_arrays(weight, bias, naxes, name, weight_layout):
    """The layer's weight and bias as arrays, their dtypes and the weight's
    rank checked (the functional layers and the layer objects)."""
    w = _numbers(_args.as_input(weight, "weight"), "weight", name)
    b = None if bias is None else _numbers(_args.as_input(bias, "bias"), "bias", name)
    if w.ndim != naxes + 2:
        kernel = ("k", "kh, kw", "kd, kh, kw")[naxes - 1]
        raise ValueError(f"weight: {name} expects shape ({weight_layout}, {kernel}), got {w.shape}")
    return w, b


def _layer_arrays(input, weight, bias, naxes, name, weight_layout):
    """The layer's arrays (input batched), whether the input was batched,
    and the result dtype."""
    x = _numbers(_args.as_input(input, "input"), "input", name)
    spatial = (
        "(N, C, L) or (C, L)",
        "(N, C, H, W) or (C, H, W)",
        "(N, C, D, H, W) or (C, D, H, W)",
    )[naxes - 1]
    if x.ndim not in (naxes + 1, naxes + 2):
        raise ValueError(f"input: {name} expects shape {spatial}, got {x.shape}")
    w, b = _weight_arrays(weight, bias, naxes, name, weight_layout)
    batched = x.ndim == naxes + 2
    return (
        (x if batched else x[None]),
        w,
        b,
        batched,
        np.result_type(*(a for a in (x, w, b) if a is not None)),
    )


# The activations named alone, and their parameters (the core's): leaky_relu
# alone has torch's default slope.
_ACTIVATION_NAMES = {
    "relu": [],
    "relu6": [],
    "sigmoid": [],
    "hardsigmoid": [],
    "hardswish": [],
    "silu": [],
    "leaky_relu": [0.01],
}


def _real(value, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"activation: {what} must be a real number, got {value!r}")
    if isinstance(value, np.number) and value.dtype.kind not in "iuf":
        raise TypeError(f"activation: {what} must be a real number, got {value!r}")
    return float(value)


def _activation(activation, out_channels):
    """The activation as the core takes it: (name, parameters). ValueError
    or TypeError naming `activation` for anything else."""
    if activation is None:
        return "none", []
    if isinstance(activation, str):
        if activation not in _ACTIVATION_NAMES:
            raise ValueError(
                f"activation: expected one of {', '.join(map(repr, _ACTIVATION_NAMES))}, or a "
                f"tuple ('leaky_relu', slope), ('clamp', min, max), ('prelu', slope), got "
                f"{activation!r}"
            )
        return activation, _ACTIVATION_NAMES[activation]
    if not isinstance(activation, tuple) or not activation or not isinstance(activation[0], str):
        raise TypeError(f"activation: expected None, a name or a tuple, got {activation!r}")
    name, params = activation[0], activation[1:]
    wanted = {"leaky_relu": 1, "clamp": 2, "prelu": 1}.get(name)
    if wanted is None:
        raise ValueError(
            f"activation: tuples are ('leaky_relu', slope), ('clamp', min, max) or "
            f"('prelu', slope), got {activation!r}"
        )
    if len(params) != wanted:
        raise ValueError(f"activation: {name} takes {wanted} parameter(s), got {activation!r}")
    if name == "clamp":
        lo, hi = _real(params[0], "clamp's min"), _real(params[1], "clamp's max")
        if not lo <= hi:
            raise ValueError(f"activation: clamp needs min <= max, got {activation!r}")
        return name, [lo, hi]
    if name == "leaky_relu" or np.ndim(params[0]) == 0:
        return name, [_real(params[0], f"{name}'s slope")]
    slopes = np.asarray(params[0])
    if slopes.dtype.kind not in "iuf" or slopes.ndim != 1 or len(slopes) != out_channels:
        raise ValueError(
            f"activation: prelu's slopes must be a float or real numbers of shape "
            f"({out_channels},), got {slopes.dtype} of shape {slopes.shape}"
        )
    return name, slopes.astype(np.float64).tolist()


def _epilogue_dtype(cdtype, activation, residual):
    """Refuse a fused epilogue where the core has none: it computes in
    float32 and float64 only."""
    if cdtype not in (np.float32, np.float64):
        if activation is not None:
            raise TypeError(f"activation: needs float32 or float64 data, got {cdtype}")
        if residual is not None:
            raise TypeError(f"residual: needs float32 or float64 data, got {cdtype}")


def _check_conv_bias(w, b):
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"bias: expected shape ({w.shape[0]},), got {b.shape}")


def _groups(groups):
    if isinstance(groups, (tuple, list)):
        raise TypeError(f"groups: expected an int, got {groups!r}")
    return _sizes(groups, "groups", 1, 1)[0]


def _run_layer(run, shape, x, batched, result_dtype, out, inputs, residual=None):
    """Allocate (or check `out` against the result and the `inputs`), then
    `run(x, compute_dtype, target, residual)` with x and the residual (or
    None) in the compute dtype; the result as the caller gets it."""
    cdtype = _args.compute_dtype(result_dtype)
    result_shape = shape if batched else shape[1:]
    if residual is not None:
        residual = _numbers(_args.as_input(residual, "residual"), "residual", "the layer")
        if residual.dtype.kind not in "biuf":
            raise TypeError(f"residual: needs real numbers, got dtype {residual.dtype}")
        if residual.shape != tuple(result_shape):
            raise ValueError(
                f"residual: expected the result's shape {tuple(result_shape)}, got {residual.shape}"
            )
        residual = _args.to_compute(residual, cdtype)
        residual = residual if batched else residual[None]
    if out is not None:
        _args.check_out(
            out, result_shape, result_dtype, [a for a in inputs if a is not None], any_order=True
        )
    target = _args.compute_target(out, result_shape, result_dtype, cdtype)
    run(_args.to_compute(x, cdtype), cdtype, target if batched else target[None], residual)
    return _args.finish(target, result_dtype, out)


def _in_compute(w, b, cdtype):
    return _args.to_compute(w, cdtype), None if b is None else _args.to_compute(b, cdtype)


def _conv_options(stride, padding, dilation, groups, padding_mode, algorithm, naxes):
    """conv's options as the core takes them: (strides, dilations, pads,
    same, groups, padding_mode, algorithm); pads is empty for "same"."""
    groups = _groups(groups)
    strides = _sizes(stride, "stride", naxes, 1)
    dilations = _sizes(dilation, "dilation", naxes, 1)
    same = isinstance(padding, str) and padding == "same"
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"padding: expected an int, a tuple of ints, 'valid' or 'same', got {padding!r}"
            )
        pads = [] if same else [0] * naxes
    else:
        pads = _sizes(padding, "padding", naxes, 0)
    # (the names are the core's: parse_padding_mode, parse_conv_algorithm)
    if not isinstance(padding_mode, str):
        raise TypeError(f"padding_mode: expected a string, got {padding_mode!r}")
    if not isinstance(algorithm, str):
        raise TypeError(f"algorithm: expected a string, got {algorithm!r}")
    return strides, dilations, pads, same, groups, padding_mode, algorithm


# The plans of earlier one-call conv1d/conv2d calls with plain arguments
# (float32 or float64 NumPy arrays of one dtype; ints, strings and tuples
# of ints; no out, activation or residual), by their shapes, dtype and
# options: a call with the key of one that passed every check and was
# planned is checked and planned as that one was, so it goes straight to
# the core. (For a tiny layer the checks and the planning cost twice the
# convolution.) Bounded: emptied when full.
_PLANS: dict = {}
_PLANS_MAX = 256
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _plain(value):
    return (
        type(value) is int
        or type(value) is str
        or (type(value) is tuple and all(type(v) is int for v in value))
    )


def _plan_key(input, weight, bias, options, threads, out, activation, residual, naxes):
    """The _PLANS key of a call, or None for a call that is not plain."""
    if out is not None or activation is not None or residual is not None or naxes == 3:
        return None
    if type(input) is not np.ndarray or type(weight) is not np.ndarray:
        return None
    dtype = input.dtype
    if not (dtype is _FLOAT_DTYPES[0] or dtype is _FLOAT_DTYPES[1]) or weight.dtype is not dtype:
        return None
    if bias is not None and (type(bias) is not np.ndarray or bias.dtype is not dtype):
        return None
    if not (threads is None or (type(threads) is int and threads > 0)):
        return None
    if not all(map(_plain, options)):
        return None
    return (naxes, dtype, input.shape, weight.shape, None if bias is None else bias.shape, *options)


def _conv(
    input,
    weight,
    bias,
    stride,
    padding,
    dilation,
    groups,
    padding_mode,
    algorithm,
    out,
    threads,
    naxes,
    name,
    activation=None,
    residual=None,
):
    key = _plan_key(
        input,
        weight,
        bias,
        (stride, padding, dilation, groups, padding_mode, algorithm),
        threads,
        out,
        activation,
        residual,
        naxes,
    )
    planned = _PLANS.get(key) if key is not None else None
    if planned is not None:
        plan, shape = planned
        batched = input.ndim == naxes + 2
        y = np.empty(shape if batched else shape[1:], input.dtype)
        _core.conv_layer(
            plan,
            _args.viewable(input if batched else input[None]),
            _args.viewable(weight),
            None if bias is None else _args.viewable(bias),
            y if batched else y[None],
            0 if threads is None else threads,
            "none",
            [],
            None,
        )
        return y
    x, w, b, batched, result_dtype = _layer_arrays(
        input, weight, bias, naxes, name, "Cout, C/groups"
    )
    _check_conv_bias(w, b)
    epilogue = _activation(activation, w.shape[0])
    _epilogue_dtype(_args.compute_dtype(result_dtype), activation, residual)
    options = _conv_options(stride, padding, dilation, groups, padding_mode, algorithm, naxes)
    strides, dilations, pads, same, groups, padding_mode, algorithm = options
    nthreads = _args.threads_arg(threads)
    if naxes == 3:  # (the core's 3-D layer plans its 2-D runs itself)
        shape = _core.conv3d_output_shape(
            x.shape, w.shape, strides, dilations, pads, same, groups, padding_mode
        )

        def run(xc, cdtype, y, r):
            _core.conv3d(
                xc, *_in_compute(w, b, cdtype), y, strides, dilations, pads, same, groups,
                padding_mode, algorithm, nthreads, *epilogue, r,
            )  # fmt: skip

    else:
        plan = _core.plan_conv_layer(
            x.shape, w.shape, strides, dilations, pads, [], same, groups, padding_mode, algorithm
        )
        shape = plan.shape

        def run(xc, cdtype, y, r):
            _core.conv_layer(plan, xc, *_in_compute(w, b, cdtype), y, nthreads, *epilogue, r)

    result = _run_layer(
        run,
        shape,
        x,
        batched,
        result_dtype,
        out,
        (x, w, b),
        residual,
    )
    if key is not None:
        if len(_PLANS) >= _PLANS_MAX:
            _PLANS.clear()
        _PLANS[key] = (plan, shape)
    return result


def _transpose_options(stride, padding, output_padding, groups, dilation, naxes):
    """conv_transpose's options as the core takes them: (strides,
    dilations, pads, output pads, groups)."""
    return (
        _sizes(stride, "stride", naxes, 1),
        _sizes(dilation, "dilation", naxes, 1),
        _sizes(padding, "padding", naxes, 0),
        _sizes(output_padding, "output_padding", naxes, 0),
        _groups(groups),
    )


def _conv_transpose(
    input,
    weight,
    bias,
    stride,
    padding,
    output_padding,
    groups,
    dilation,
    out,
    threads,
    naxes,
    name,
    activation=None,
    residual=None,
):
    x, w, b, batched, result_dtype = _layer_arrays(
        input, weight, bias, naxes, name, "C, Cout/groups"
    )
    options = _transpose_options(stride, padding, output_padding, groups, dilation, naxes)
    epilogue = _activation(activation, w.shape[1] * options[-1])
    _epilogue_dtype(_args.compute_dtype(result_dtype), activation, residual)
    nthreads = _args.threads_arg(threads)
    if naxes == 3:
        shape = _core.conv_transpose3d_output_shape(x.shape, w.shape, *options)

        def run(xc, cdtype, y, r):
            _core.conv_transpose3d(
                xc, *_in_compute(w, b, cdtype), y, *options, nthreads, *epilogue, r
            )

    else:
        plan = _core.plan_conv_transpose_layer(x.shape, w.shape, *options)
        shape = plan.shape

        def run(xc, cdtype, y, r):
            _core.conv_transpose_layer(
                plan, xc, *_in_compute(w, b, cdtype), y, nthreads, *epilogue, r
            )

    return _run_layer(
        run,
        shape,
        x,
        batched,
        result_dtype,
        out,
        (x, w, b),
        residual,
    )


def fold_batch_norm(
    weight: ArrayLike,
    bias: ArrayLike | None,
    running_mean: ArrayLike,
    running_var: ArrayLike,
    bn_weight: ArrayLike | None = None,
    bn_bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> tuple[Array, Array]:
    """A convolution's weight and bias with an inference batch norm folded in.

    The layer ``conv(x, weight, bias)`` followed by
    ``torch.nn.functional.batch_norm(..., running_mean, running_var,
    bn_weight, bn_bias, training=False, eps=eps)`` equals, up to rounding,
    the layer of the returned weight and bias: with ``s = bn_weight /
    sqrt(running_var + eps)``, ``weight * s`` (per output channel) and
    ``(bias - running_mean) * s + bn_bias``. Computed in float64, returned
    in the weight's dtype; the folded layer matches the unfused pair to
    float rounding (normwise, a few ulp of the dtype times the sum's
    length), not bitwise.

    Parameters
    ----------
    weight : array_like
        A conv layer's weight, (Cout, C/groups, ...): output channels
        first.
    bias : array_like or None
        Shape (Cout,); None is zero.
    running_mean, running_var : array_like
        Shape (Cout,): the batch norm's statistics.
    bn_weight, bn_bias : array_like, optional
        Shape (Cout,): its affine parameters (None: 1 and 0).
    eps : float
        Added to the variance, as torch's.

    Returns
    -------
    (weight, bias) : tuple of ndarray

    Raises
    ------
    ValueError
        A `weight` of no dimension or not of real numbers, a vector not of
        shape (Cout,), or ``running_var + eps`` not positive.
    TypeError
        A vector not of real numbers, or an `eps` that is not a real number.

    Notes
    -----
    Accuracy: computed in float64 and rounded once to the weight's dtype: ``scale =
    bn_weight / sqrt(running_var + eps)``, ``weight * scale`` and ``(bias - running_mean) *
    scale + bn_bias``. A folded layer's outputs differ from the unfused convolution + batch
    norm by rounding (the folded weights are rounded before the sum).

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> w, b = nn.fold_batch_norm(np.ones((1, 1, 1)), None, [1.0], [4.0], eps=0.0)
    >>> w, b
    (array([[[0.5]]]), array([-0.5]))
    """
    w = _numbers(_args.as_input(weight, "weight"), "weight", "fold_batch_norm")
    if w.ndim < 1 or w.dtype.kind not in "iuf":
        raise ValueError(f"weight: expected real numbers, output channels first, got {w.shape}")
    cout = w.shape[0]

    def channel_vector(a, name, default):
        if a is None:
            return np.full(cout, default, dtype=np.float64)
        a = _numbers(_args.as_input(a, name), name, "fold_batch_norm")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name}: needs real numbers, got dtype {a.dtype}")
        if a.shape != (cout,):
            raise ValueError(f"{name}: expected shape ({cout},), got {a.shape}")
        return a.astype(np.float64)

    mean = channel_vector(running_mean, "running_mean", 0.0)
    var = channel_vector(running_var, "running_var", 1.0)
    gamma = channel_vector(bn_weight, "bn_weight", 1.0)
    beta = channel_vector(bn_bias, "bn_bias", 0.0)
    b = channel_vector(bias, "bias", 0.0)
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"eps: expected a real number, got {eps!r}")
    if not np.all(var + eps > 0):
        raise ValueError("running_var: var + eps must be positive")
    scale = gamma / np.sqrt(var + eps)
    dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    folded_w = w.astype(np.float64) * scale.reshape((cout,) + (1,) * (w.ndim - 1))
    folded_b = (b - mean) * scale + beta
    return folded_w.astype(dtype), folded_b.astype(dtype)


_LayerT = TypeVar("_LayerT", bound="_Layer")


def _rebuild(cls, weight, bias, options):
    """Unpickling a layer object: construct (check, copy, pack) it again."""
    return cls(weight, bias, **options)


def _frozen_copy(a):
    a = np.array(a, order="C")  # (a copy)
    a.setflags(write=False)
    return a


class _Layer:
    """What the four layer objects share: the weights (checked, copied,
    read-only), one core layer per compute dtype made on first use, the
    call, pickling, repr and from_torch. A subclass sets the class
    attributes, the options and `_make_core`."""

    _naxes: int
    _weight_layout: str  # as the functional layer names it in its errors
    _option_names: tuple[str, ...]  # the constructor's (and the torch module's) options
    _own_options: tuple[str, ...] = ()  # the constructor's options torch's modules lack

    def __init__(self, weight, bias):
        w, b = _weight_arrays(weight, bias, self._naxes, type(self).__name__, self._weight_layout)
        # the layer's own copies: the caller may change its arrays afterwards
        self._weight = _frozen_copy(w)
        self._bias = None if b is None else _frozen_copy(b)
        self._cores = {}
        self._lock = threading.Lock()
        self._native = None  # (dtype, core layer) when the weights compute in their own dtype

    def _set_activation(self, activation):
        """Check and keep the fused activation (after the options: prelu's
        slopes are one per output channel)."""
        self._epilogue = _activation(activation, self.out_channels)
        if isinstance(activation, tuple) and np.ndim(activation[-1]) == 1:
            activation = (*activation[:-1], _frozen_copy(activation[-1]))
        self._activation = activation

    @property
    def activation(self) -> ActivationSpec:
        """The fused activation, as given (None: none)."""
        return self._activation

    def _pack(self):
        """Check the weights and options with the core (ValueError naming
        the argument) by packing them for the weights' own compute dtype."""
        dtype = np.result_type(*(a for a in (self._weight, self._bias) if a is not None))
        try:
            cdtype = _args.compute_dtype(dtype)
        except TypeError:
            raise TypeError(f"weight: unsupported dtype {dtype}") from None
        core = self._core_layer(cdtype)
        if cdtype == dtype:
            self._native = (cdtype, core)

    def _core_layer(self, cdtype):
        """The core layer computing in `cdtype`, made once (under the lock:
        several threads may call the layer at once)."""
        core = self._cores.get(cdtype)
        if core is None:
            with self._lock:
                core = self._cores.get(cdtype)
                if core is None:
                    _epilogue_dtype(cdtype, self._activation, None)
                    core = self._make_core(*_in_compute(self._weight, self._bias, cdtype))
                    self._cores[cdtype] = core
        return core

    def _make_core(self, weight, bias):
        raise NotImplementedError

    def __call__(
        self,
        input: ArrayLike,
        *,
        out: Array | None = None,
        threads: Threads = None,
        residual: ArrayLike | None = None,
    ) -> Array:
        """The layer applied to `input`.

        Bitwise the functional layer's result with the same arguments (see
        the class docstring); safe to call from several threads at once.

        Parameters
        ----------
        input : array_like
            Batched (N, C, ...) or unbatched (C, ...), as the functional
            layer takes it.
        out : ndarray, optional
            Of the result's exact shape and dtype; returned. C-contiguous,
            or any dense layout: a channels-last view (with a channels-last
            input, the depthwise and 1x1 layers' own kernels) keeps a
            network's activations channels-last.
        threads : int, optional
            Threads to use (default: `fastconv.get_num_threads()`).
        residual : array_like, optional
            Of the result's shape: added before the layer's activation.

        Returns
        -------
        ndarray
            dtype ``numpy.result_type(input, weight, bias)``.
        """
        native = self._native
        if (
            native is not None
            and out is None
            and residual is None
            and type(input) is np.ndarray
            and input.ndim == self._naxes + 2
            and input.dtype == native[0]
        ):
            # The inference call (a batch in the weights' dtype): what the
            # path below does, its promotions all no-ops, in one core call.
            result = native[1].forward(input, _args.threads_arg(threads))
            if result is not None:
                return result
        x, w, b, batched, result_dtype = _layer_arrays(
            input, self._weight, self._bias, self._naxes, type(self).__name__, self._weight_layout
        )
        nthreads = _args.threads_arg(threads)
        cdtype = _args.compute_dtype(result_dtype)
        _epilogue_dtype(cdtype, self._activation, residual)
        core = self._core_layer(cdtype)
        return _run_layer(
            lambda xc, cdtype, y, r: core.run(xc, y, nthreads, r),
            core.output_shape(list(x.shape)),
            x,
            batched,
            result_dtype,
            out,
            (x, w, b),
            residual,
        )

    @property
    def weight(self) -> Array:
        """The layer's copy of the weights (read-only)."""
        return self._weight

    @property
    def bias(self) -> Array | None:
        """The layer's copy of the bias (read-only), or None."""
        return self._bias

    @property
    def kernel_size(self) -> tuple[int, ...]:
        """The kernel's size per spatial axis (from the weight's shape)."""
        return tuple(self._weight.shape[2:])

    @property
    def stride(self) -> tuple[int, ...]:
        """One int per spatial axis."""
        return self._stride

    @property
    def padding(self) -> tuple[int, ...] | str:
        """One int per axis, or the string given ("same" or "valid")."""
        return self._padding

    @property
    def dilation(self) -> tuple[int, ...]:
        """One int per spatial axis."""
        return self._dilation

    @property
    def groups(self) -> int:
        """The number of independent channel groups."""
        return self._groups

    def __reduce__(self):
        # the original weights and options: unpickling checks and packs again
        options = {name: getattr(self, name) for name in self._option_names + self._own_options}
        options["activation"] = self._activation
        return _rebuild, (type(self), self._weight, self._bias, options)

    def __dask_tokenize__(self):
        # (fastconv.dask names graph keys by it: equal layers, equal tokens)
        arrays = [
            (a.dtype.str, a.shape, a.tobytes()) for a in (self._weight, self._bias) if a is not None
        ]
        options = [getattr(self, n) for n in self._option_names + self._own_options]
        return type(self).__name__, arrays, options, self._epilogue

    def __repr__(self):
        # torch's: the options other than stride only when not the default
        n = self._naxes
        shown = [
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}",
            f"stride={self.stride}",
        ]
        for name, default in (
            ("padding", (0,) * n),
            ("dilation", (1,) * n),
            ("output_padding", (0,) * n),
            ("groups", 1),
            ("padding_mode", "zeros"),
            ("algorithm", "auto"),
        ):
            value = getattr(self, name, default)
            if value != default:
                shown.append(f"{name}={value}")  # (unquoted strings, as torch)
        shown.append(f"bias={self._bias is not None}")
        if self._activation is not None:
            name, params = self._epilogue
            if name == "prelu" and np.ndim(self._activation[1]) == 1:
                shown.append(f"activation=('prelu', <{len(params)} slopes>)")
            else:
                shown.append(f"activation={self._activation!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    @classmethod
    def from_torch(cls: type[_LayerT], module: Any) -> _LayerT:
        """The layer of a torch module of this class's name: its weight,
        bias and options, read without importing torch.

        Parameters
        ----------
        module : torch.nn.Conv1d, Conv2d, ConvTranspose1d or ConvTranspose2d
            The one named as this class (or a subclass of it). Its weight
            and bias are read with ``detach().cpu().numpy()`` and copied.

        Returns
        -------
        layer
            Computes what ``module(torch.from_numpy(x))`` computes, to
            float rounding (torch sums in another order).
        """
        if not any(
            c.__name__ == cls.__name__ and c.__module__.startswith("torch.")
            for c in type(module).__mro__
        ):
            raise TypeError(
                f"module: expected a torch.nn.{cls.__name__}, got {type(module).__name__}"
            )
        if "padding_mode" not in cls._option_names and module.padding_mode != "zeros":
            raise ValueError(
                f"module: {cls.__name__} supports padding_mode 'zeros' only (as "
                f"torch.nn.functional), got {module.padding_mode!r}"
            )
        weight = module.weight.detach().cpu().numpy()
        bias = None if module.bias is None else module.bias.detach().cpu().numpy()
        options = {name: getattr(module, name) for name in cls._option_names}
        return cls(weight, bias, **options)


class _ConvLayer(_Layer):
    _weight_layout = "Cout, C/groups"
    _option_names = ("stride", "padding", "dilation", "groups", "padding_mode")
    _own_options = ("algorithm",)

    def __init__(
        self,
        weight: ArrayLike,
        bias: ArrayLike | None = None,
        stride: IntOrTuple = 1,
        padding: LayerPadding = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        *,
        padding_mode: PaddingMode = "zeros",
        algorithm: ConvAlgorithm = "auto",
        activation: ActivationSpec = None,
    ) -> None:
        super().__init__(weight, bias)
        _check_conv_bias(self._weight, self._bias)
        options = _conv_options(
            stride, padding, dilation, groups, padding_mode, algorithm, self._naxes
        )
        strides, dilations, pads, same, groups, padding_mode, algorithm = options
        self._stride = tuple(strides)
        self._padding = padding if isinstance(padding, str) else tuple(pads)
        self._dilation = tuple(dilations)
        self._groups = groups
        self._padding_mode = padding_mode
        self._algorithm = algorithm
        self._core_options = (strides, dilations, pads, [], same, groups, padding_mode, algorithm)
        self._set_activation(activation)
        self._pack()

    def _make_core(self, weight, bias):
        return _core.ConvLayer(weight, bias, *self._core_options, *self._epilogue)

    @property
    def padding_mode(self) -> str:
        """ "zeros", "reflect", "replicate" or "circular", as `conv2d` takes it."""
        return self._padding_mode

    @property
    def algorithm(self) -> str:
        """ "auto", "direct" or "winograd", as `conv2d` takes it."""
        return self._algorithm

    @property
    def in_channels(self) -> int:
        """The input's channels C."""
        return self._weight.shape[1] * self._groups

    @property
    def out_channels(self) -> int:
        """The output's channels Cout."""
        return self._weight.shape[0]


class _ConvTransposeLayer(_Layer):
    _weight_layout = "C, Cout/groups"
    _option_names = ("stride", "padding", "output_padding", "groups", "dilation")

    def __init__(
        self,
        weight: ArrayLike,
        bias: ArrayLike | None = None,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        dilation: IntOrTuple = 1,
        *,
        activation: ActivationSpec = None,
    ) -> None:
        super().__init__(weight, bias)
        self._core_options = _transpose_options(
            stride, padding, output_padding, groups, dilation, self._naxes
        )
        strides, dilations, pads, output_pads, self._groups = self._core_options
        self._stride = tuple(strides)
        self._padding = tuple(pads)
        self._output_padding = tuple(output_pads)
        self._dilation = tuple(dilations)
        self._set_activation(activation)
        self._pack()

    def _make_core(self, weight, bias):
        return _core.ConvTransposeLayer(weight, bias, *self._core_options, *self._epilogue)

    @property
    def output_padding(self) -> tuple[int, ...]:
        """One int per spatial axis."""
        return self._output_padding

    @property
    def in_channels(self) -> int:
        """The input's channels C."""
        return self._weight.shape[0]

    @property
    def out_channels(self) -> int:
        """The output's channels Cout."""
        return self._weight.shape[1] * self._groups


class Conv1d(_ConvLayer):
    """A 1-D convolution layer object: `conv1d` with its weights packed once.

    ``Conv1d(weight, bias, ...)(x)`` is bitwise ``conv1d(x, weight, bias,
    ...)`` for every input the functional layer takes (any batch size,
    length, layout and dtype: the result dtype is ``numpy.result_type(x,
    weight, bias)``), computed without repacking the weights.

    Parameters
    ----------
    weight : array_like
        Shape (Cout, C/groups, k). Copied: changing the caller's array
        afterwards does not change the layer.
    bias : array_like, optional
        Shape (Cout,); copied too.
    stride, padding, dilation, groups, padding_mode, algorithm
        As `conv1d`; checked here (ValueError or TypeError naming the
        argument).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s (torch's formulas).

    Notes
    -----
    ``layer(input, *, out=None, threads=None, residual=None)`` takes
    `conv1d`'s `input`, `out`, `threads` and `residual` (added before the
    activation). One layer may be called from several threads at once.
    Pickling stores the weights, options and activation; unpickling packs
    again. `from_torch` reads a ``torch.nn.Conv1d`` (no activation).

    A layer object gives bitwise the functional call's result with the same arguments (its
    accuracy: see the functional layer), for any thread count and layout, after pickling
    too. docs/guarantees.md lists each promise with the test that checks it.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv1d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.Conv1d(np.array([[[1.0, 0.0, -1.0]]]), padding=1)
    >>> layer
    Conv1d(1, 1, kernel_size=(3,), stride=(1,), padding=(1,), bias=False)
    >>> layer(np.array([[[1.0, 2.0, 3.0, 4.0]]]))
    array([[[-2., -2., -2.,  3.]]])
    """

    _naxes = 1


class Conv2d(_ConvLayer):
    """A 2-D convolution layer object: `conv2d` with its weights packed once.

    As `Conv1d`, for `conv2d`'s inputs (N, C, H, W) or (C, H, W): weight
    of shape (Cout, C/groups, kh, kw), and stride, padding and dilation
    an int or a tuple (rows, columns). ``Conv2d(weight, bias, ...)(x)`` is
    bitwise ``conv2d(x, weight, bias, ...)``; `from_torch` reads a
    ``torch.nn.Conv2d``.

    Parameters
    ----------
    weight : array_like
        Shape (Cout, C/groups, kh, kw); copied.
    bias : array_like, optional
        Shape (Cout,); copied.
    stride, padding, dilation, groups, padding_mode, algorithm
        As `conv2d`: an int or a tuple (rows, columns).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv2d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Notes
    -----
    Accuracy: as `Conv1d`'s: bitwise the functional `conv2d`'s result.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.Conv2d(np.ones((2, 1, 3, 3)), np.array([0.0, 100.0]))
    >>> layer
    Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), bias=True)
    >>> layer(np.arange(16.0).reshape(1, 4, 4))  # unbatched (C, H, W)
    array([[[ 45.,  54.],
            [ 81.,  90.]],
    <BLANKLINE>
           [[145., 154.],
            [181., 190.]]])
    """

    _naxes = 2


class ConvTranspose1d(_ConvTransposeLayer):
    """A 1-D transposed convolution layer object: `conv_transpose1d` with
    its weights packed once.

    ``ConvTranspose1d(weight, bias, ...)(x)`` is bitwise
    ``conv_transpose1d(x, weight, bias, ...)`` for every input the
    functional layer takes, computed without repacking the weights.

    Parameters
    ----------
    weight : array_like
        Shape (C, Cout/groups, k). Copied: changing the caller's array
        afterwards does not change the layer.
    bias : array_like, optional
        Shape (Cout,); copied too.
    stride, padding, output_padding, groups, dilation
        As `conv_transpose1d`; checked here (ValueError or TypeError
        naming the argument).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s (torch's formulas).

    Notes
    -----
    ``layer(input, *, out=None, threads=None, residual=None)`` as the
    functional layer;
    thread-safe; pickles as its weights and options. `from_torch` reads a
    ``torch.nn.ConvTranspose1d`` (padding_mode "zeros").

    A layer object gives bitwise the functional call's result with the same arguments (its
    accuracy: see the functional layer), for any thread count and layout, after pickling
    too. docs/guarantees.md lists each promise with the test that checks it.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv_transpose1d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.ConvTranspose1d(np.array([[[1.0, 10.0, 100.0]]]), stride=2)
    >>> layer(np.array([[[1.0, 2.0]]]))
    array([[[  1.,  10., 102.,  20., 200.]]])
    """

    _naxes = 1


class ConvTranspose2d(_ConvTransposeLayer):
    """A 2-D transposed convolution layer object: `conv_transpose2d` with
    its weights packed once.

    As `ConvTranspose1d`, for `conv_transpose2d`'s inputs: weight of shape
    (C, Cout/groups, kh, kw), the options an int or a tuple (rows,
    columns). ``ConvTranspose2d(weight, bias, ...)(x)`` is bitwise
    ``conv_transpose2d(x, weight, bias, ...)``; `from_torch` reads a
    ``torch.nn.ConvTranspose2d`` (padding_mode "zeros").

    Parameters
    ----------
    weight : array_like
        Shape (C, Cout/groups, kh, kw); copied.
    bias : array_like, optional
        Shape (Cout,); copied.
    stride, padding, output_padding, groups, dilation
        As `conv_transpose2d`: an int or a tuple (rows, columns).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv_transpose2d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Notes
    -----
    Accuracy: as `ConvTranspose1d`'s: bitwise the functional `conv_transpose2d`'s result.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.ConvTranspose2d(np.ones((1, 1, 2, 2)), stride=2)
    >>> layer
    ConvTranspose2d(1, 1, kernel_size=(2, 2), stride=(2, 2), bias=False)
    >>> layer(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))[0, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.],
           [3., 3., 4., 4.],
           [3., 3., 4., 4.]])
    """

    _naxes = 2


class _VolumeCore:
    """A 3-D layer object's core, in one compute dtype: the weights (in that
    dtype, made once) and the options, run by the functional 3-D layer's
    own core call -- so the layer is that call, bit for bit. (The 3-D core
    reorders the weights for its 2-D runs on every call.)"""

    def __init__(self, output_shape, run):
        self.output_shape = output_shape
        self.run = run

    def forward(self, input, threads):
        return None  # (no one-call fast path: __call__'s general one)


class Conv3d(_ConvLayer):
    """A 3-D convolution layer object: `conv3d` with its weights checked and
    copied once.

    As `Conv2d`, for `conv3d`'s inputs (N, C, D, H, W) or (C, D, H, W):
    weight of shape (Cout, C/groups, kd, kh, kw), and stride, padding and
    dilation an int or a tuple (depth, rows, columns).
    ``Conv3d(weight, bias, ...)(x)`` is bitwise ``conv3d(x, weight, bias,
    ...)``; `from_torch` reads a ``torch.nn.Conv3d``. (The weights are
    reordered for the 2-D runs on each call, as by `conv3d`.)

    Parameters
    ----------
    weight : array_like
        Shape (Cout, C/groups, kd, kh, kw); copied.
    bias : array_like, optional
        Shape (Cout,); copied.
    stride, padding, dilation, groups, padding_mode, algorithm
        As `conv3d`: an int or a tuple (depth, rows, columns).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv3d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Notes
    -----
    Accuracy: as `Conv1d`'s: bitwise the functional `conv3d`'s result.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.Conv3d(np.ones((1, 1, 2, 2, 2)))
    >>> layer
    Conv3d(1, 1, kernel_size=(2, 2, 2), stride=(1, 1, 1), bias=False)
    >>> layer(np.arange(27.0).reshape(1, 1, 3, 3, 3))[0, 0, 0]
    array([[52., 60.],
           [76., 84.]])
    """

    _naxes = 3

    def _make_core(self, weight, bias):
        strides, dilations, pads, _, same, groups, padding_mode, algorithm = self._core_options
        options = (strides, dilations, pads, same, groups, padding_mode)
        epilogue = self._epilogue
        core = _VolumeCore(
            lambda shape: _core.conv3d_output_shape(shape, weight.shape, *options),
            lambda x, y, nthreads, r: _core.conv3d(
                x, weight, bias, y, *options, algorithm, nthreads, *epilogue, r
            ),
        )
        # (checks the options against the weights: an input they fit,
        # longer than any padding)
        probe = [2 * d * (k - 1) + 2 for d, k in zip(dilations, weight.shape[2:])]
        pads = pads or [0] * 3  # (none for "same")
        core.output_shape([1, self.in_channels, *(n + 2 * p for n, p in zip(probe, pads))])
        return core


class ConvTranspose3d(_ConvTransposeLayer):
    """A 3-D transposed convolution layer object: `conv_transpose3d` with its
    weights checked and copied once.

    As `ConvTranspose2d`, for `conv_transpose3d`'s inputs: weight of shape
    (C, Cout/groups, kd, kh, kw), the options an int or a tuple (depth,
    rows, columns). ``ConvTranspose3d(weight, bias, ...)(x)`` is bitwise
    ``conv_transpose3d(x, weight, bias, ...)``; `from_torch` reads a
    ``torch.nn.ConvTranspose3d`` (padding_mode "zeros").

    Parameters
    ----------
    weight : array_like
        Shape (C, Cout/groups, kd, kh, kw); copied.
    bias : array_like, optional
        Shape (Cout,); copied.
    stride, padding, output_padding, groups, dilation
        As `conv_transpose3d`: an int or a tuple (depth, rows, columns).
    activation : str or tuple, optional
        The layer's fused activation, as `conv1d`'s.

    Raises
    ------
    ValueError, TypeError
        For the weights and options `conv_transpose3d` refuses, when the layer is made
        (and for the inputs it refuses, when it is called).

    Notes
    -----
    Accuracy: as `ConvTranspose1d`'s: bitwise the functional `conv_transpose3d`'s result.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> layer = nn.ConvTranspose3d(np.ones((1, 1, 2, 1, 1)), stride=2)
    >>> layer
    ConvTranspose3d(1, 1, kernel_size=(2, 1, 1), stride=(2, 2, 2), bias=False)
    >>> layer(np.array([[[[[1.0]], [[2.0]]]]])).ravel()
    array([1., 1., 2., 2.])
    """

    _naxes = 3

    def _make_core(self, weight, bias):
        options = self._core_options
        epilogue = self._epilogue
        core = _VolumeCore(
            lambda shape: _core.conv_transpose3d_output_shape(shape, weight.shape, *options),
            lambda x, y, nthreads, r: _core.conv_transpose3d(
                x, weight, bias, y, *options, nthreads, *epilogue, r
            ),
        )
        # (checks the options against the weights: an input whose output
        # is not empty whatever the padding)
        core.output_shape([1, self.in_channels] + [2 * p + 1 for p in self._padding])
        if bias is not None and bias.shape != (self.out_channels,):
            raise ValueError(f"bias: expected shape ({self.out_channels},), got {bias.shape}")
        return core


@overload
def max_pool1d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def max_pool1d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...
@overload
def max_pool1d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    dilation: IntOrTuple,
    ceil_mode: bool,
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def max_pool1d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """1-D max-pooling over the last axis of an (N, C, L) or (C, L) array.

    As ``torch.nn.functional.max_pool1d``: output ``o`` is the maximum of
    ``input[..., o*stride - padding + j*dilation]`` over the taps
    ``j < kernel_size`` inside the input (the padding never wins). A NaN
    wins over any number; among equal maxima the first is taken. The
    output length is ``floor((L + 2*padding - dilation*(kernel_size-1) - 1)
    / stride) + 1`` (``ceil`` with `ceil_mode`, where the last window must
    still start inside the input or the left padding).

    Parameters
    ----------
    input : array_like
        Real numbers (floats, integers or bool), shape (N, C, L) or (C, L).
    kernel_size : int or tuple of one int
    stride : int or tuple of one int, optional
        Default: `kernel_size`.
    padding : int or tuple of one int
        At most ``kernel_size // 2``.
    dilation : int or tuple of one int
    ceil_mode : bool
    return_indices : bool
        Also return, as int64, the position of every maximum along L (the
        flat position within each (N, C) plane), for `max_unpool1d`.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`).

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype.

    Raises
    ------
    ValueError
        An input not of shape (N, C, L) or (C, L), a `kernel_size`, `stride`
        or `dilation` below 1, a negative `padding` or one above
        ``kernel_size // 2``, or a window larger than the padded input: the
        message names the argument.
    TypeError
        Complex or non-numeric input, or non-integer options.

    Notes
    -----
    Exact: the values and indices are the definition's and torch's (NaN and tie rules
    included), the same bytes for any thread count. docs/guarantees.md lists each promise
    with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.max_pool1d(np.array([[3, 1, 4, 1, 5, 9, 2]]), 3, stride=2)
    array([[4, 5, 9]])
    """
    return _max_pool(
        input,
        1,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        return_indices,
        threads,
        "max_pool1d",
    )


@overload
def max_pool2d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def max_pool2d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...
@overload
def max_pool2d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    dilation: IntOrTuple,
    ceil_mode: bool,
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def max_pool2d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """2-D max-pooling over the last two axes of an (N, C, H, W) or (C, H, W) array.

    As ``torch.nn.functional.max_pool2d``; every parameter is an int or a
    tuple (rows, columns), with the rules of `max_pool1d` per axis. The
    indices are flat positions ``row * W + column`` within each (N, C)
    plane, as torch records them; the first maximum in row-major order
    wins ties, and a NaN wins over any number.

    Parameters
    ----------
    input : array_like
        Real numbers, shape (N, C, H, W) or (C, H, W).
    kernel_size, stride, padding, dilation : int or tuple of two ints
        Per axis (rows, columns), with `max_pool1d`'s rules.
    ceil_mode, return_indices, threads
        As in `max_pool1d`.

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype; the indices flat positions in each (N, C) plane.

    Raises
    ------
    ValueError, TypeError
        For the arguments `max_pool1d` refuses.

    Notes
    -----
    Accuracy: as `max_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> values, indices = nn.max_pool2d(x, 2, return_indices=True)
    >>> values
    array([[[ 5.,  7.],
            [13., 15.]]])
    >>> indices
    array([[[ 5,  7],
            [13, 15]]])
    """
    return _max_pool(
        input,
        2,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        return_indices,
        threads,
        "max_pool2d",
    )


@overload
def max_pool3d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def max_pool3d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = ...,
    padding: IntOrTuple = ...,
    dilation: IntOrTuple = ...,
    ceil_mode: bool = ...,
    *,
    return_indices: Literal[True],
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...
@overload
def max_pool3d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None,
    padding: IntOrTuple,
    dilation: IntOrTuple,
    ceil_mode: bool,
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def max_pool3d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """3-D max-pooling over the last three axes of an (N, C, D, H, W) or (C, D, H, W) array.

    As ``torch.nn.functional.max_pool3d``; every parameter is an int or a
    tuple (depth, rows, columns), with the rules of `max_pool1d` per axis.
    The indices are flat positions ``(depth * H + row) * W + column``
    within each (N, C) volume, as torch records them; the first maximum in
    row-major order wins ties, and a NaN wins over any number (the last
    NaN, as torch).

    Parameters
    ----------
    input : array_like
        Real numbers, shape (N, C, D, H, W) or (C, D, H, W).
    kernel_size, stride, padding, dilation : int or tuple of three ints
        Per axis (depth, rows, columns), with `max_pool1d`'s rules.
    ceil_mode, return_indices, threads
        As in `max_pool1d`.

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype; the indices flat positions in each (N, C) volume.

    Raises
    ------
    ValueError, TypeError
        For the arguments `max_pool1d` refuses.

    Notes
    -----
    Accuracy: as `max_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> nn.max_pool3d(x, 2, return_indices=True)
    (array([[[[7.]]]]), array([[[[7]]]]))
    """
    return _max_pool(
        input,
        3,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        return_indices,
        threads,
        "max_pool3d",
    )


def max_unpool1d(
    input: ArrayLike,
    indices: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
    *,
    threads: Threads = None,
) -> Array:
    """Inverse of `max_pool1d`: every value put back at its recorded index.

    As ``torch.nn.functional.max_unpool1d``: a zero array of length
    ``(L - 1)*stride - 2*padding + kernel_size`` per (N, C) plane (or
    `output_size`, which must lie strictly within `stride` of that), with
    ``out[..., indices[..., i]] = input[..., i]``. An index outside the
    output raises ValueError; if two values share an index, the later one
    (in order along the input) is kept.

    Parameters
    ----------
    input : array_like
        Shape (N, C, L) or (C, L).
    indices : array_like of int
        Same shape as `input`, as returned by ``max_pool1d(...,
        return_indices=True)``.
    kernel_size, stride, padding : int or tuple of one int
        The pooling's parameters (stride defaults to `kernel_size`).
    output_size : sequence of int, optional
        (L_out,) or the whole output shape.
    threads : int, optional

    Returns
    -------
    ndarray
        `input`'s dtype, shape (N, C, L_out) or (C, L_out).

    Raises
    ------
    ValueError
        `indices` of another shape than `input` or an index outside the
        output, an `output_size` not within `stride` of the default size, or
        the options `max_pool1d` refuses: the message names the argument.
    TypeError
        Non-integer `indices` or options, or a non-numeric input.

    Notes
    -----
    Exact: each value is copied to the position its index names; the same bytes for any
    thread count. docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.max_unpool1d(np.array([[5.0, 4.0]]), np.array([[1, 2]]), 2, output_size=(5,))
    array([[0., 5., 4., 0., 0.]])
    """
    return _max_unpool(
        input, indices, 1, kernel_size, stride, padding, output_size, threads, "max_unpool1d"
    )


def max_unpool2d(
    input: ArrayLike,
    indices: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
    *,
    threads: Threads = None,
) -> Array:
    """Inverse of `max_pool2d`: every value put back at its recorded index.

    As ``torch.nn.functional.max_unpool2d``; the indices are flat
    positions ``row * W_out + column`` in each (N, C) output plane of size
    ``(H - 1)*stride - 2*padding + kernel_size`` per axis (or
    `output_size`: (H_out, W_out) or the whole shape). Zeros elsewhere;
    an index outside the plane raises ValueError.

    Parameters
    ----------
    input, indices : array_like
        Shape (N, C, H, W) or (C, H, W): `max_pool2d`'s values and indices.
    kernel_size, stride, padding : int or tuple of two ints
        The pooling's parameters (stride defaults to `kernel_size`).
    output_size : sequence of int, optional
        (H_out, W_out) or the whole output shape.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`).

    Returns
    -------
    ndarray
        `input`'s dtype, shape (N, C, H_out, W_out) or (C, H_out, W_out).

    Raises
    ------
    ValueError, TypeError
        For the arguments `max_unpool1d` refuses.

    Notes
    -----
    Accuracy: as `max_unpool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> values, indices = nn.max_pool2d(x, 2, return_indices=True)
    >>> nn.max_unpool2d(values, indices, 2)[0, 0]
    array([[ 0.,  0.,  0.,  0.],
           [ 0.,  5.,  0.,  7.],
           [ 0.,  0.,  0.,  0.],
           [ 0., 13.,  0., 15.]])
    """
    return _max_unpool(
        input, indices, 2, kernel_size, stride, padding, output_size, threads, "max_unpool2d"
    )


def max_unpool3d(
    input: ArrayLike,
    indices: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_size: Sequence[int] | None = None,
    *,
    threads: Threads = None,
) -> Array:
    """Inverse of `max_pool3d`: every value put back at its recorded index.

    As ``torch.nn.functional.max_unpool3d``; the indices are flat
    positions ``(depth * H_out + row) * W_out + column`` in each (N, C)
    output volume of size ``(D - 1)*stride - 2*padding + kernel_size`` per
    axis (or `output_size`: (D_out, H_out, W_out) or the whole shape).
    Zeros elsewhere; an index outside the volume raises ValueError.

    Parameters
    ----------
    input, indices : array_like
        Shape (N, C, D, H, W) or (C, D, H, W): `max_pool3d`'s values and
        indices.
    kernel_size, stride, padding : int or tuple of three ints
        The pooling's parameters (stride defaults to `kernel_size`).
    output_size : sequence of int, optional
        (D_out, H_out, W_out) or the whole output shape.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`).

    Returns
    -------
    ndarray
        `input`'s dtype, shape (N, C, D_out, H_out, W_out) or without N.

    Raises
    ------
    ValueError, TypeError
        For the arguments `max_unpool1d` refuses.

    Notes
    -----
    Accuracy: as `max_unpool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> values, indices = nn.max_pool3d(x, 2, return_indices=True)
    >>> nn.max_unpool3d(values, indices, 2)[0, 1]
    array([[0., 0.],
           [0., 7.]])
    """
    return _max_unpool(
        input, indices, 3, kernel_size, stride, padding, output_size, threads, "max_unpool3d"
    )


def _pooled_input(input, naxes, name, argname="input"):
    """The array the core works on, and the dtype to give back."""
    x = _args.as_input(input, argname)
    if x.dtype.kind in "cO":
        raise TypeError(f"{argname}: {name} needs real numbers, got dtype {x.dtype}")
    if x.ndim not in (naxes + 1, naxes + 2):
        axes = {
            1: "(N, C, L) or (C, L)",
            2: "(N, C, H, W) or (C, H, W)",
            3: "(N, C, D, H, W) or (C, D, H, W)",
        }[naxes]
        raise ValueError(f"{argname}: {name} expects an array of shape {axes}, got shape {x.shape}")
    if 0 in x.shape[x.ndim - naxes - 1 :]:
        raise ValueError(
            f"{argname}: {name} needs non-empty dimensions other than the batch "
            f"size, got shape {x.shape}"
        )
    result_dtype = x.dtype
    if x.dtype.kind == "b":
        x = x.view(np.uint8)  # max is logical or; unpooling copies bytes
    elif x.dtype == np.float16:
        x = x.astype(np.float32)  # exact both ways
    elif not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    return _args.viewable(x), result_dtype


def _back(a, result_dtype):
    if a.dtype == result_dtype:
        return a
    if result_dtype.kind == "b":
        return a.view(np.bool_)
    return a.astype(result_dtype)


def _window(kernel_size, stride, padding, naxes):
    """kernel_size, stride (None or empty: the kernel size, as torch) and
    padding, one int per pooled axis."""
    kernel = _sizes(kernel_size, "kernel_size", naxes, 1)
    if stride is None or isinstance(stride, (tuple, list)) and len(stride) == 0:
        strides = kernel
    else:
        strides = _sizes(stride, "stride", naxes, 1)
    return kernel, strides, _sizes(padding, "padding", naxes, 0)


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {value!r}")
    return bool(value)


def _max_pool(
    input, naxes, kernel_size, stride, padding, dilation, ceil_mode, return_indices, threads, name
):
    x, result_dtype = _pooled_input(input, naxes, name)
    kernel, strides, paddings = _window(kernel_size, stride, padding, naxes)
    dilations = _args.per_axis(dilation, "dilation", naxes, minimum=1)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    return_indices = _flag(return_indices, "return_indices")
    nthreads = _args.threads_arg(threads)
    plan = _core.plan_max_pool(x.shape, kernel, strides, paddings, dilations, ceil_mode, nthreads)
    return _run_max_pool(plan, x, result_dtype, return_indices)


def _run_max_pool(plan, x, result_dtype, return_indices):
    """Allocate the values (and indices), run the planned max-pooling."""
    shape = plan.shape
    _args.check_result_size(shape, x.dtype, np.int64 if return_indices else x.dtype)
    values = np.empty(shape, x.dtype)
    indices = np.empty(shape, np.int64) if return_indices else None
    _core.max_pool(plan, x, values, indices)
    values = _back(values, result_dtype)
    return (values, indices) if return_indices else values


def _max_unpool(input, indices, naxes, kernel_size, stride, padding, output_size, threads, name):
    x, result_dtype = _pooled_input(input, naxes, name)
    ix = np.asarray(indices)
    if ix.dtype.kind not in "iu":
        raise TypeError(f"indices: expected integers, got dtype {ix.dtype}")
    if ix.shape != x.shape:
        raise ValueError(f"indices: expected the shape of input {x.shape}, got {ix.shape}")
    if ix.dtype != np.int64:
        if ix.dtype.kind == "u" and ix.size and ix.max() > np.iinfo(np.int64).max:
            raise ValueError(f"indices: index {ix.max()} is outside the output plane")
        ix = ix.astype(np.int64)
    ix = _args.viewable(ix)
    kernel, strides, paddings = _window(kernel_size, stride, padding, naxes)
    if output_size is None:
        size = []
    elif isinstance(output_size, (tuple, list, np.ndarray)) and len(output_size) > 0:
        size = _args.per_axis(tuple(output_size), "output_size", len(output_size), minimum=0)
    else:
        raise TypeError(f"output_size: expected a sequence of ints, got {output_size!r}")
    nthreads = _args.threads_arg(threads)
    shape = tuple(_core.max_unpool_shape(x.shape, kernel, strides, paddings, size))
    _args.check_result_size(shape, x.dtype)
    out = np.empty(shape, x.dtype)
    _core.max_unpool(x, ix, out, naxes, nthreads)
    return _back(out, result_dtype)


def avg_pool1d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """1-D average pooling over the last axis of an (N, C, L) or (C, L) array.

    As ``torch.nn.functional.avg_pool1d``: output ``o`` is the sum of
    ``input[..., o*stride - padding + j]`` over the taps ``j < kernel_size``
    inside the input, divided by the window's length clipped to the padded
    extent ``[-padding, L + padding)`` (`count_include_pad`) or to the
    input (not `count_include_pad`). The output length is ``floor((L +
    2*padding - kernel_size) / stride) + 1`` (``ceil`` with `ceil_mode`,
    where the last window must still start inside the input or the left
    padding).

    Parameters
    ----------
    input : array_like
        Floats (float16 is computed in float32), or int64 (summed with
        wrap-around, the quotient rounded toward zero, as torch); torch's
        other integer types, bool and complex raise TypeError, as torch
        refuses them. Shape (N, C, L) or (C, L).
    kernel_size : int or tuple of one int
    stride : int or tuple of one int, optional
        Default: `kernel_size`.
    padding : int or tuple of one int
        At most ``kernel_size // 2``.
    ceil_mode, count_include_pad : bool
    out : ndarray, optional
        C-contiguous, of the result's shape and dtype.
    threads : int, optional
        Threads to use (default: `fastconv.get_num_threads()`).

    Returns
    -------
    ndarray
        The input's dtype.

    Raises
    ------
    ValueError
        An input not of shape (N, C, L) or (C, L), a `kernel_size` or
        `stride` below 1, a negative `padding` or one above
        ``kernel_size // 2``, a window larger than the padded input, or an
        `out` of another shape or dtype: the message names the argument.
    TypeError
        A dtype torch does not average (integers but int64, bool, complex),
        or non-integer options.

    Notes
    -----
    Accuracy: each window is summed in row-major order and divided once, within ``(window +
    1) * eps * sum(|x|) / divisor`` of the exact mean; bitwise torch's CPU result; int64
    rounds toward zero as torch. The result is bitwise the same for any thread count.
    docs/guarantees.md lists each promise with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.avg_pool1d(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), 3, stride=2, padding=1)
    array([[1., 3., 3.]])
    >>> nn.avg_pool1d(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), 3, 2, 1, count_include_pad=False)
    array([[1.5, 3. , 4.5]])
    """
    return _avg_pool(
        input,
        1,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        None,
        out,
        threads,
        "avg_pool1d",
    )


def avg_pool2d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """2-D average pooling over the last two axes of an (N, C, H, W) or (C, H, W) array.

    As ``torch.nn.functional.avg_pool2d``; every window parameter is an int
    or a tuple (rows, columns), with the rules of `avg_pool1d` per axis.
    Each output is the sum of its window's taps inside the input, in
    row-major order, divided by `divisor_override` if given (a nonzero
    int), else by the window's area clipped to the padded extent
    (`count_include_pad`) or to the input.

    Parameters
    ----------
    input : array_like
        Floats or int64, shape (N, C, H, W) or (C, H, W).
    kernel_size, stride, padding : int or tuple of two ints
        Per axis (rows, columns), with `avg_pool1d`'s rules.
    ceil_mode, count_include_pad, out, threads
        As in `avg_pool1d`.
    divisor_override : int, optional
        Divide every window's sum by this nonzero int instead.

    Returns
    -------
    ndarray
        The input's dtype, shape (N, C, H_out, W_out) or (C, H_out, W_out).

    Raises
    ------
    ValueError, TypeError
        For the arguments `avg_pool1d` refuses.

    Notes
    -----
    Accuracy: as `avg_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(16.0).reshape(1, 4, 4)
    >>> nn.avg_pool2d(x, 2)
    array([[[ 2.5,  4.5],
            [10.5, 12.5]]])
    >>> nn.avg_pool2d(x, 2, divisor_override=1)
    array([[[10., 18.],
            [42., 50.]]])
    """
    return _avg_pool(
        input,
        2,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        out,
        threads,
        "avg_pool2d",
    )


def avg_pool3d(
    input: ArrayLike,
    kernel_size: IntOrTuple,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """3-D average pooling over the last three axes of an (N, C, D, H, W) or (C, D, H, W) array.

    As ``torch.nn.functional.avg_pool3d``; every window parameter is an int
    or a tuple (depth, rows, columns), with the rules of `avg_pool1d` per
    axis. Each output is the sum of its window's taps inside the input, in
    row-major order, divided by `divisor_override` if given (a nonzero
    int), else by the window's volume clipped to the padded extent
    (`count_include_pad`) or to the input.

    Parameters
    ----------
    input : array_like
        Floats or int64, shape (N, C, D, H, W) or (C, D, H, W).
    kernel_size, stride, padding : int or tuple of three ints
        Per axis (depth, rows, columns), with `avg_pool1d`'s rules.
    ceil_mode, count_include_pad, out, threads
        As in `avg_pool1d`.
    divisor_override : int, optional
        Divide every window's sum by this nonzero int instead.

    Returns
    -------
    ndarray
        The input's dtype, shape (N, C, D_out, H_out, W_out) or without N.

    Raises
    ------
    ValueError, TypeError
        For the arguments `avg_pool1d` refuses.

    Notes
    -----
    Accuracy: as `avg_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> nn.avg_pool3d(x, 2)
    array([[[[3.5]]]])
    """
    return _avg_pool(
        input,
        3,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        out,
        threads,
        "avg_pool3d",
    )


def adaptive_avg_pool1d(
    input: ArrayLike,
    output_size: IntOrTuple,
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """1-D adaptive average pooling of an (N, C, L) or (C, L) array to `output_size`.

    As ``torch.nn.functional.adaptive_avg_pool1d``: output ``i`` of
    ``output_size`` is the mean of ``input[..., floor(i*L/output_size) :
    ceil((i+1)*L/output_size)]``.

    Parameters
    ----------
    input : array_like
        Floats (float16 is computed in float32); integers, bool and complex
        raise TypeError, as torch refuses them. Shape (N, C, L) or (C, L).
    output_size : int or tuple of one int
        >= 0.
    out : ndarray, optional
    threads : int, optional

    Returns
    -------
    ndarray
        The input's dtype (float16 stays float16), shape (N, C, output_size)
        or (C, output_size).

    Raises
    ------
    ValueError
        An input not of shape (N, C, L) or (C, L) or with an empty channel or
        length, a negative `output_size`, or an `out` of another shape or
        dtype.
    TypeError
        Integer, bool or complex input, or a non-integer `output_size`.

    Notes
    -----
    Accuracy: each window is summed in row-major order and divided once per axis (by its
    depth, height, then width); a global pool (one window holding the whole plane) sums in
    16 interleaved partial sums combined in a fixed tree, so it may differ from torch's in
    the last bits; within ``(window + 1) * eps * sum(|x|) / divisor`` of the exact mean. The
    result is bitwise the same for any thread count. docs/guarantees.md lists each promise
    with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.adaptive_avg_pool1d(np.array([[1.0, 2.0, 3.0, 4.0, 6.0]]), 2)
    array([[2.        , 4.33333333]])
    """
    return _adaptive_avg_pool(input, 1, output_size, out, threads, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """2-D adaptive average pooling of an (N, C, H, W) or (C, H, W) array.

    As ``torch.nn.functional.adaptive_avg_pool2d``: `output_size` is an int
    or a pair (H_out, W_out) whose None entries keep the input's size; the
    windows are those of `adaptive_avg_pool1d` per axis, and the sum of a
    window (in row-major order) is divided by its height, then by its
    width, as torch divides.

    Parameters
    ----------
    input : array_like
        Floats, shape (N, C, H, W) or (C, H, W).
    output_size : int or pair of int or None
        (H_out, W_out); None keeps that axis's size.
    out, threads
        As in `adaptive_avg_pool1d`.

    Returns
    -------
    ndarray
        The input's dtype, shape (N, C, H_out, W_out) or (C, H_out, W_out).

    Raises
    ------
    ValueError, TypeError
        For the arguments `adaptive_avg_pool1d` refuses.

    Notes
    -----
    Accuracy: as `adaptive_avg_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(12.0).reshape(1, 3, 4)
    >>> nn.adaptive_avg_pool2d(x, 1)
    array([[[5.5]]])
    >>> nn.adaptive_avg_pool2d(x, (None, 2))
    array([[[ 0.5,  2.5],
            [ 4.5,  6.5],
            [ 8.5, 10.5]]])
    """
    return _adaptive_avg_pool(input, 2, output_size, out, threads, "adaptive_avg_pool2d")


def adaptive_avg_pool3d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    *,
    out: Array | None = None,
    threads: Threads = None,
) -> Array:
    """3-D adaptive average pooling of an (N, C, D, H, W) or (C, D, H, W) array.

    As ``torch.nn.functional.adaptive_avg_pool3d``: `output_size` is an int
    or a triple (D_out, H_out, W_out) whose None entries keep the input's
    size; the windows are those of `adaptive_avg_pool1d` per axis, and the
    sum of a window (in row-major order) is divided by its depth, then its
    height, then its width, as torch divides.

    Parameters
    ----------
    input : array_like
        Floats, shape (N, C, D, H, W) or (C, D, H, W).
    output_size : int or triple of int or None
        (D_out, H_out, W_out); None keeps that axis's size.
    out, threads
        As in `adaptive_avg_pool1d`.

    Returns
    -------
    ndarray
        The input's dtype, shape (N, C, D_out, H_out, W_out) or without N.

    Raises
    ------
    ValueError, TypeError
        For the arguments `adaptive_avg_pool1d` refuses.

    Notes
    -----
    Accuracy: as `adaptive_avg_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> nn.adaptive_avg_pool3d(x, (1, None, 1))
    array([[[[2.5],
             [4.5]]]])
    """
    return _adaptive_avg_pool(input, 3, output_size, out, threads, "adaptive_avg_pool3d")


@overload
def adaptive_max_pool1d(
    input: ArrayLike,
    output_size: IntOrTuple,
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def adaptive_max_pool1d(
    input: ArrayLike,
    output_size: IntOrTuple,
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def adaptive_max_pool1d(
    input: ArrayLike,
    output_size: IntOrTuple,
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """1-D adaptive max-pooling of an (N, C, L) or (C, L) array to `output_size`.

    As ``torch.nn.functional.adaptive_max_pool1d``: output ``i`` of
    ``output_size`` is the maximum of ``input[..., floor(i*L/output_size) :
    ceil((i+1)*L/output_size)]``, with `max_pool1d`'s rules (a NaN wins,
    the first of equal maxima is taken) and indices.

    Parameters
    ----------
    input : array_like
        Floats (float16 is computed in float32); integers, bool and complex
        raise TypeError, as torch refuses them. Shape (N, C, L) or (C, L).
    output_size : int or tuple of one int
        >= 0.
    return_indices : bool
        Also return, as int64, the position of every maximum along L.
    threads : int, optional

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype (float16 stays float16), shape (N, C, output_size)
        or (C, output_size).

    Raises
    ------
    ValueError
        An input not of shape (N, C, L) or (C, L) or with an empty channel or
        length, or a negative `output_size`.
    TypeError
        Integer, bool or complex input, or a non-integer `output_size`.

    Notes
    -----
    Exact: the values and indices are the definition's and torch's (NaN and tie rules
    included), the same bytes for any thread count. docs/guarantees.md lists each promise
    with the test that checks it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> nn.adaptive_max_pool1d(np.array([[1.0, 5.0, 3.0, 4.0, 6.0]]), 2, return_indices=True)
    (array([[5., 6.]]), array([[1, 4]]))
    """
    return _adaptive_max_pool(input, 1, output_size, return_indices, threads, "adaptive_max_pool1d")


@overload
def adaptive_max_pool2d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def adaptive_max_pool2d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def adaptive_max_pool2d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """2-D adaptive max-pooling of an (N, C, H, W) or (C, H, W) array.

    As ``torch.nn.functional.adaptive_max_pool2d``: `output_size` is an int
    or a pair (H_out, W_out) whose None entries keep the input's size; the
    windows are those of `adaptive_max_pool1d` per axis, the indices flat
    positions ``row * W + column`` as `max_pool2d`'s.

    Parameters
    ----------
    input : array_like
        Floats, shape (N, C, H, W) or (C, H, W).
    output_size : int or pair of int or None
        (H_out, W_out); None keeps that axis's size.
    return_indices, threads
        As in `adaptive_max_pool1d`.

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype, shape (N, C, H_out, W_out) or (C, H_out, W_out).

    Raises
    ------
    ValueError, TypeError
        For the arguments `adaptive_max_pool1d` refuses.

    Notes
    -----
    Accuracy: as `adaptive_max_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(12.0).reshape(1, 3, 4)
    >>> nn.adaptive_max_pool2d(x, (2, None))
    array([[[ 4.,  5.,  6.,  7.],
            [ 8.,  9., 10., 11.]]])
    """
    return _adaptive_max_pool(input, 2, output_size, return_indices, threads, "adaptive_max_pool2d")


@overload
def adaptive_max_pool3d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: Literal[False] = ...,
    *,
    threads: Threads = ...,
) -> Array: ...
@overload
def adaptive_max_pool3d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: Literal[True],
    *,
    threads: Threads = ...,
) -> tuple[Array, IndexArray]: ...


def adaptive_max_pool3d(
    input: ArrayLike,
    output_size: int | Sequence[int | None],
    return_indices: bool = False,
    *,
    threads: Threads = None,
) -> Array | tuple[Array, IndexArray]:
    """3-D adaptive max-pooling of an (N, C, D, H, W) or (C, D, H, W) array.

    As ``torch.nn.functional.adaptive_max_pool3d``: `output_size` is an int
    or a triple (D_out, H_out, W_out) whose None entries keep the input's
    size; the windows are those of `adaptive_max_pool1d` per axis, the
    indices flat positions as `max_pool3d`'s.

    Parameters
    ----------
    input : array_like
        Floats, shape (N, C, D, H, W) or (C, D, H, W).
    output_size : int or triple of int or None
        (D_out, H_out, W_out); None keeps that axis's size.
    return_indices, threads
        As in `adaptive_max_pool1d`.

    Returns
    -------
    ndarray, or (ndarray, ndarray of int64) with `return_indices`
        The input's dtype, shape (N, C, D_out, H_out, W_out) or without N.

    Raises
    ------
    ValueError, TypeError
        For the arguments `adaptive_max_pool1d` refuses.

    Notes
    -----
    Accuracy: as `adaptive_max_pool1d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> from fastconv import nn
    >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
    >>> nn.adaptive_max_pool3d(x, 1, return_indices=True)
    (array([[[[7.]]]]), array([[[[7]]]]))
    """
    return _adaptive_max_pool(input, 3, output_size, return_indices, threads, "adaptive_max_pool3d")


def _averaged_input(input, naxes, name, allow_int64):
    """The array average pooling works on (as `_pooled_input`), the dtype
    to give back, and the caller's array (for `out`'s overlap check).
    torch computes floats, and int64 in avg_pool only; the rest is refused
    (adaptive max-pooling takes these too)."""
    a = _args.as_input(input, "input")
    if a.dtype.kind != "f" and not (allow_int64 and a.dtype.kind == "i" and a.itemsize == 8):
        wanted = "floating point numbers or int64" if allow_int64 else "floating point numbers"
        raise TypeError(f"input: {name} needs {wanted} (as torch), got dtype {a.dtype}")
    x, result_dtype = _pooled_input(a, naxes, name)
    return x, result_dtype, a


def _run_avg_pool(plan, x, a, result_dtype, out):
    """Allocate (or check `out`), run the planned pooling, give the result
    in the caller's dtype."""
    shape = plan.shape
    if out is not None:
        _args.check_out(out, shape, result_dtype, [a])
    _args.check_result_size(shape, x.dtype)
    target = _args.compute_target(out, shape, result_dtype, x.dtype)
    _core.avg_pool(plan, x, target)
    return _args.finish(target, result_dtype, out)


def _avg_pool(
    input,
    naxes,
    kernel_size,
    stride,
    padding,
    ceil_mode,
    count_include_pad,
    divisor_override,
    out,
    threads,
    name,
):
    x, result_dtype, a = _averaged_input(input, naxes, name, allow_int64=True)
    kernel, strides, paddings = _window(kernel_size, stride, padding, naxes)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    count_include_pad = _flag(count_include_pad, "count_include_pad")
    if divisor_override is None:
        divisor = 0  # the core's "none"
    else:
        if isinstance(divisor_override, (bool, np.bool_)):
            raise TypeError(f"divisor_override: expected an int, got {divisor_override!r}")
        try:
            divisor = operator.index(divisor_override)
        except TypeError:
            raise TypeError(
                f"divisor_override: expected an int, got {divisor_override!r}"
            ) from None
        if divisor == 0:
            raise ValueError("divisor_override: must not be zero")
        if abs(divisor) > _MAX_SIZE:
            raise ValueError(f"divisor_override: too large, got {divisor}")
    nthreads = _args.threads_arg(threads)
    plan = _core.plan_avg_pool(
        x.shape, kernel, strides, paddings, ceil_mode, count_include_pad, divisor, nthreads
    )
    return _run_avg_pool(plan, x, a, result_dtype, out)


def _adaptive_size(output_size, x, naxes):
    """An adaptive pooling's output_size, one int per pooled axis (a None
    entry of a 2-D or 3-D pooling keeps the input's size, as torch)."""
    if naxes >= 2 and isinstance(output_size, (tuple, list)):
        if len(output_size) != naxes:
            names = "(H, W)" if naxes == 2 else "(D, H, W)"
            raise ValueError(
                f"output_size: expected an int or {naxes} values {names}, got {output_size!r}"
            )
        output_size = [n if v is None else v for v, n in zip(output_size, x.shape[-naxes:])]
    return _sizes(output_size, "output_size", naxes, 0)


def _adaptive_avg_pool(input, naxes, output_size, out, threads, name):
    x, result_dtype, a = _averaged_input(input, naxes, name, allow_int64=False)
    size = _adaptive_size(output_size, x, naxes)
    nthreads = _args.threads_arg(threads)
    plan = _core.plan_adaptive_avg_pool(x.shape, size, nthreads)
    return _run_avg_pool(plan, x, a, result_dtype, out)


def _adaptive_max_pool(input, naxes, output_size, return_indices, threads, name):
    x, result_dtype, _ = _averaged_input(input, naxes, name, allow_int64=False)
    size = _adaptive_size(output_size, x, naxes)
    return_indices = _flag(return_indices, "return_indices")
    nthreads = _args.threads_arg(threads)
    plan = _core.plan_adaptive_max_pool(x.shape, size, nthreads)
    return _run_max_pool(plan, x, result_dtype, return_indices)
