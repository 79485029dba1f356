"""PaddleOCR's pretrained PP-OCRv4 text detector on fastconv layers and NumPy alone.

    python examples/python/text_detect.py                    # skimage's page(), long side 960
    python examples/python/text_detect.py --size 640 --threads 1 --runs 5
    python examples/python/text_detect.py --image text --out docs/text_detect.png
    python examples/python/text_detect.py --channels-last   # activations (N, H, W, C)

The network is a DBNet: a PP-LCNetV3 backbone (MobileNetV3-style:
depthwise 3x3 / 5x5 convolutions, squeeze-excitation blocks, hardswish,
and a learned scale and shift after most layers), an FPN neck (1x1 and 3x3
convolutions, nearest-neighbour upsampling, squeeze-excitation) and a
head of two transposed 2x2 stride-2 convolutions ending in a sigmoid: a
map of the probability that each pixel lies in a line of text.

Nothing here is written for this network by hand. The trained ONNX file
(shipped inside the wheel rapidocr-onnxruntime==1.4.4, fetched once with
`pip download` and cached: see `fetch_model`) is read with the onnx
package and interpreted node by node in the file's (topological) order:

- `load_graph` reads the nodes and the constants (the weights);
- `simplify` rewrites the graph: a BatchNormalization, or a constant
  scale or shift, after a convolution is folded into the convolution's
  weight and bias (`fold_into_convolutions`), and a constant scale or
  shift before unpadded convolutions into theirs
  (`fold_into_next_convolutions`); the decomposed hardswish the exporter
  wrote (Add 3, Clip 0..6, Mul, Div 6) becomes one HardSwish node; an
  activation right after a convolution is attached to it
  (`fuse_activations`);
- `TextDetector` builds one `fastconv.nn.Conv2d` / `ConvTranspose2d` per
  convolution, once, and runs the rest (additions, products, the
  squeeze-excitation averages, the nearest upsampling, the concatenation)
  in NumPy.

With `channels_last` (``--channels-last``), the activations between the
layers are kept channels-last: (N, H, W, C) memory seen as (N, C, H, W)
through ``transpose(0, 3, 1, 2)``, which every fastconv layer reads in
place and writes through ``out=``; the NumPy ops keep the layout too
(the concatenation and the upsampling write channels-last arrays of their
own). The input is converted once at the start; the probability map (one
channel) is the same memory either way.

The activation attached to a convolution runs inside the layer
(``activation=``, fused into its output); a batch norm after a
convolution is folded with ``fastconv.nn.fold_batch_norm`` (`fold_batch_norm`
here lays a transposed convolution's weight out for it).

The input is prepared as the rapidocr package prepares it for this model:
the photo resized so that its long side is `--size`, each side rounded to
a multiple of 32, BGR channel order, ``(x / 255 - 0.5) / 0.5``. The
probability map is thresholded at 0.3 and each connected region becomes a
box, grown by DBNet's unclip rule (the regions are trained to be shrunk
text lines).

Dependencies: numpy, onnx (reads the model file), scikit-image (the
photos and the resizing), scipy (connected regions) and Pillow (draws the
boxes; scikit-image installs it). Optional: onnxruntime (the same model,
to check the probability map and compare times; its profiler for the
per-layer-class table) and openvino (its time, held to float32).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import fastconv
from fastconv import nn

MODEL_WHEEL = "rapidocr-onnxruntime==1.4.4"
MODEL_MEMBER = "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx"
MODEL_SHA256 = "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
# where the model is cached (FASTCONV_MODEL_DIR overrides)
DEFAULT_MODEL_DIR = Path.home() / ".cache" / "fastconv" / "models"
THRESHOLD = 0.3  # DBNet's binarisation threshold on the probability map
UNCLIP_RATIO = 1.6  # how much DBNet grows its (shrunk) text regions back


# ---- the model file ------------------------------------------------------------------------


def fetch_model(model_dir=None):
    """The path of the ONNX file, downloaded once (`pip download --no-deps`
    of the wheel that ships it) into `model_dir` (default:
    $FASTCONV_MODEL_DIR or ~/.cache/fastconv/models) and checked against
    its SHA-256."""
    model_dir = Path(model_dir or os.environ.get("FASTCONV_MODEL_DIR") or DEFAULT_MODEL_DIR)
    path = model_dir / Path(MODEL_MEMBER).name
    if path.exists():
        _check_sha256(path.read_bytes(), path)
        return path
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
            + ["--quiet", "--dest", tmp, MODEL_WHEEL],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(MODEL_MEMBER)
    _check_sha256(data, MODEL_WHEEL)
    model_dir.mkdir(parents=True, exist_ok=True)
    # written under another name first: an interrupted run leaves no half file
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def _check_sha256(data, source):
    digest = hashlib.sha256(data).hexdigest()
    if digest != MODEL_SHA256:
        raise ValueError(f"{source}: SHA-256 {digest}, expected {MODEL_SHA256}")


# ---- the graph -----------------------------------------------------------------------------


@dataclass
class Node:
    """One operation: `op` (an ONNX op type, or HardSwish), the names of its
    inputs and of its output, its ONNX attributes; a convolution also
    carries its weight, bias and the activation attached to it."""

    op: str
    inputs: list[str]
    output: str
    attrs: dict = field(default_factory=dict)
    name: str = ""  # the ONNX node's name (onnxruntime's profiler names nodes by it)
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    activation: str | None = None


CONV_OPS = ("Conv", "ConvTranspose")


def load_graph(path):
    """(nodes, constants, input name, output name) of an ONNX file: the
    non-constant nodes in the file's order, and every constant tensor
    (initializers and Constant nodes) as a NumPy array by name."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    nodes = []
    for n in graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Constant":
            if "value" not in attrs:
                raise ValueError(f"Constant node {n.output[0]!r}: only 'value' is supported")
            constants[n.output[0]] = numpy_helper.to_array(attrs["value"])
            continue
        if len(n.output) != 1:
            raise ValueError(f"{n.op_type} node {n.name!r}: one output expected")
        attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
        nodes.append(Node(n.op_type, list(n.input), n.output[0], attrs, n.name))
    inputs = [i.name for i in graph.input if i.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(f"{path}: one input and one output expected")
    for node in nodes:
        if node.op in CONV_OPS:
            node.weight = constants[node.inputs[1]].astype(np.float32)
            if len(node.inputs) > 2 and node.inputs[2]:
                node.bias = constants[node.inputs[2]].astype(np.float32)
            node.inputs = node.inputs[:1]
    return nodes, constants, inputs[0], graph.output[0].name


def _consumers(nodes, name):
    return [n for n in nodes if name in n.inputs]


def _single_consumer(nodes, name, protected):
    """The one node reading `name`, or None (several readers, or a graph output)."""
    readers = _consumers(nodes, name)
    return readers[0] if len(readers) == 1 and name not in protected else None


def _constant_operand(node, name, constants):
    """The constant other operand of a binary `node` whose other input is `name`."""
    others = [i for i in node.inputs if i != name]
    if len(node.inputs) == 2 and len(others) == 1 and others[0] in constants:
        return constants[others[0]]
    return None


def _per_output_channel(value, channels):
    """A constant as one value per output channel (shape (channels,)), or
    None if it broadcasts over a (1, channels, h, w) output otherwise."""
    value = np.asarray(value, np.float32)
    if value.size == 1:
        return np.full(channels, value.reshape(()), np.float32)
    if value.ndim == 4 and value.shape[:2] == (1, channels) and value.shape[2:] == (1, 1):
        return value.reshape(channels)
    if value.ndim == 3 and value.shape == (channels, 1, 1):
        return value.reshape(channels)
    return None


def _out_channels(conv):
    w = conv.weight
    if conv.op == "Conv":
        return w.shape[0]
    return w.shape[1] * conv.attrs.get("group", 1)


def _scaled_weight(weight, scale, transposed=False, groups=1):
    """A convolution's weight times a per-output-channel `scale`: along axis
    0 of (Cout, C/groups, kh, kw), or within each group along axis 1 of a
    transposed convolution's (C, Cout/groups, kh, kw)."""
    if not transposed:
        return weight * scale[:, None, None, None]
    c, per_group = weight.shape[:2]
    w = weight.reshape(groups, c // groups, per_group, *weight.shape[2:])
    return (w * scale.reshape(groups, 1, per_group, 1, 1)).reshape(weight.shape)


def _scale_output_channels(conv, scale):
    """The convolution node's weight and bias times a per-output-channel `scale`."""
    conv.weight = _scaled_weight(
        conv.weight, scale, conv.op == "ConvTranspose", conv.attrs.get("group", 1)
    )
    if conv.bias is not None:
        conv.bias = conv.bias * scale


def _fold_one(conv, follower, constants):
    """Fold `follower` (BatchNormalization, or a product or sum with a
    per-channel constant) into `conv`'s weight and bias; True if done."""
    channels = _out_channels(conv)
    if follower.op == "BatchNormalization":
        gamma, beta, mean, var = (constants.get(i) for i in follower.inputs[1:5])
        if any(v is None for v in (gamma, beta, mean, var)):
            return False
        conv.weight, conv.bias = fold_batch_norm(
            conv.weight,
            conv.bias,
            mean,
            var,
            gamma,
            beta,
            follower.attrs.get("epsilon", 1e-5),
            transposed=conv.op == "ConvTranspose",
            groups=conv.attrs.get("group", 1),
        )
        return True
    if follower.op not in ("Mul", "Add"):
        return False
    value = _constant_operand(follower, conv.output, constants)
    if value is None:
        return False
    value = _per_output_channel(value, channels)
    if value is None:
        return False
    if follower.op == "Mul":
        _scale_output_channels(conv, value)
    else:
        conv.bias = value if conv.bias is None else conv.bias + value
    return True


def fold_batch_norm(
    weight,
    bias,
    running_mean,
    running_var,
    bn_weight=None,
    bn_bias=None,
    eps=1e-5,
    *,
    transposed=False,
    groups=1,
):
    """(weight, bias) of a convolution followed by inference-mode batch norm,
    ``bn_weight * (conv(x) + bias - running_mean) / sqrt(running_var + eps)
    + bn_bias``, as float32: ``fastconv.nn.fold_batch_norm``, also for a
    transposed convolution's weight (C, Cout/groups, kh, kw), whose output
    channels are laid out as a convolution's for it and back."""
    weight = np.asarray(weight)
    if not transposed:
        w, b = nn.fold_batch_norm(weight, bias, running_mean, running_var, bn_weight, bn_bias, eps)
        return w.astype(np.float32), b.astype(np.float32)
    c, per_group, *kernel = weight.shape
    # (groups, C/groups, Cout/groups, k) <-> (groups, Cout/groups, C/groups, k)
    grouped = weight.reshape(groups, c // groups, per_group, *kernel).swapaxes(1, 2)
    w, b = nn.fold_batch_norm(
        grouped.reshape(groups * per_group, c // groups, *kernel),
        bias,
        running_mean,
        running_var,
        bn_weight,
        bn_bias,
        eps,
    )
    w = w.reshape(groups, per_group, c // groups, *kernel).swapaxes(1, 2).reshape(weight.shape)
    return w.astype(np.float32), b.astype(np.float32)


def fold_into_convolutions(nodes, constants, protected=()):
    """Fold every BatchNormalization, constant scale or constant shift that
    is the only reader of a convolution's output into the convolution."""
    changed = True
    while changed:
        changed = False
        for conv in nodes:
            if conv.op not in CONV_OPS or conv.activation is not None:
                continue
            follower = _single_consumer(nodes, conv.output, protected)
            if follower is not None and _fold_one(conv, follower, constants):
                conv.output = follower.output
                nodes.remove(follower)
                changed = True


def _is_constant(name, constants, value):
    return (
        name in constants
        and np.asarray(constants[name]).size == 1
        and (float(np.asarray(constants[name]).reshape(())) == value)
    )


def recognise_hardswish(nodes, constants, protected=()):
    """Replace the exporter's hardswish, x * clip(x + 3, 0, 6) / 6 written as
    Add, Clip, Mul, Div nodes, by one HardSwish node."""
    for add in list(nodes):
        if add.op != "Add" or len(add.inputs) != 2:
            continue
        x = next((i for i in add.inputs if i not in constants), None)
        three = next((i for i in add.inputs if i != x), None)
        if x is None or three is None or not _is_constant(three, constants, 3.0):
            continue
        clip = _single_consumer(nodes, add.output, protected)
        if clip is None or clip.op != "Clip" or len(clip.inputs) != 3:
            continue
        if not (
            _is_constant(clip.inputs[1], constants, 0.0)
            and _is_constant(clip.inputs[2], constants, 6.0)
        ):
            continue
        mul = _single_consumer(nodes, clip.output, protected)
        if mul is None or mul.op != "Mul" or sorted(mul.inputs) != sorted([x, clip.output]):
            continue
        div = _single_consumer(nodes, mul.output, protected)
        if div is None or div.op != "Div" or div.inputs[0] != mul.output:
            continue
        if not _is_constant(div.inputs[1], constants, 6.0):
            continue
        for n in (clip, mul, div):
            nodes.remove(n)
        add.op, add.inputs, add.output, add.attrs = "HardSwish", [x], div.output, {}


def fuse_activations(nodes, protected=()):
    """Attach an activation that is the only reader of a convolution's
    output to the convolution (`Node.activation`). ONNX's HardSigmoid
    max(0, min(1, alpha*x + beta)) is torch's hardsigmoid of 6*alpha*x when
    beta is 0.5: the factor goes into the weights."""
    for conv in list(nodes):
        if conv.op not in CONV_OPS or conv.activation is not None:
            continue
        act = _single_consumer(nodes, conv.output, protected)
        if act is None:
            continue
        if act.op == "HardSigmoid":
            if act.attrs.get("beta", 0.5) != 0.5:
                continue
            factor = np.float32(6 * act.attrs.get("alpha", 0.2))
            _scale_output_channels(conv, np.full(_out_channels(conv), factor, np.float32))
        name = {"Relu": "relu", "HardSwish": "hardswish", "HardSigmoid": "hardsigmoid"}.get(
            act.op, "sigmoid" if act.op == "Sigmoid" else None
        )
        if name is None:
            continue
        conv.activation = name
        conv.output = act.output
        nodes.remove(act)


def _unpadded_dense(node):
    return (
        node.op == "Conv"
        and node.attrs.get("group", 1) == 1
        and not any(node.attrs.get("pads", ()))
        and node.attrs.get("auto_pad", "NOTSET") in ("NOTSET", "VALID")
    )


def fold_into_next_convolutions(nodes, constants, protected=()):
    """Fold a constant scale or shift whose readers are all unpadded dense
    convolutions into them: conv(a*y + b) is the convolution with weight
    a*w and bias + sum(w*b) (with padding, the zeros added around a*y + b
    would no longer be zeros: those convolutions keep the NumPy op)."""
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if node.op not in ("Mul", "Add") or node.output in protected:
                continue
            y = next((i for i in node.inputs if i not in constants), None)
            readers = _consumers(nodes, node.output)
            if y is None or not readers or not all(_unpadded_dense(r) for r in readers):
                continue
            value = _constant_operand(node, y, constants)
            # (one value per channel of y: the readers' input channels)
            if value is None:
                continue
            per_channel = _per_output_channel(value, readers[0].weight.shape[1])
            if per_channel is None:
                continue
            c = per_channel[None, :, None, None]
            for conv in readers:
                if node.op == "Mul":
                    conv.weight = conv.weight * c
                else:
                    shift = (conv.weight * c).sum(axis=(1, 2, 3), dtype=np.float64)
                    bias = 0 if conv.bias is None else conv.bias
                    conv.bias = (bias + shift).astype(np.float32)
                conv.inputs = [y]
            nodes.remove(node)
            changed = True


def simplify(nodes, constants, output):
    """The rewrites, in order: fold batch norms and constant affines into the
    convolutions before and after them, recognise hardswish, attach
    activations."""
    protected = {output}
    fold_into_convolutions(nodes, constants, protected)
    fold_into_next_convolutions(nodes, constants, protected)
    recognise_hardswish(nodes, constants, protected)
    fuse_activations(nodes, protected)
    return nodes


# ---- running it ----------------------------------------------------------------------------


def _hardswish(y):
    t = np.add(y, 3, dtype=y.dtype)
    np.clip(t, 0, 6, out=t)
    t *= y
    t /= 6
    return t


def _sigmoid(y):
    t = np.negative(y)
    with np.errstate(over="ignore"):  # exp(-y) = inf for y < -88: the sigmoid is 0
        np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


def _symmetric_pads(node):
    pads = list(node.attrs.get("pads", [0, 0, 0, 0]))
    if node.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise ValueError(f"{node.op} {node.output!r}: auto_pad is not supported")
    if len(pads) != 4 or pads[:2] != pads[2:]:
        raise ValueError(f"{node.op} {node.output!r}: asymmetric pads {pads} are not supported")
    return tuple(pads[:2])


def _make_layer(node):
    """The fastconv layer object of a convolution node (weights packed once)."""
    a = node.attrs
    stride = tuple(a.get("strides", (1, 1)))
    dilation = tuple(a.get("dilations", (1, 1)))
    groups = a.get("group", 1)
    if node.weight.ndim != 4:
        raise ValueError(f"{node.op} {node.output!r}: 2-D convolutions only")
    activation = node.activation
    if node.op == "Conv":
        return nn.Conv2d(
            node.weight,
            node.bias,
            stride,
            _symmetric_pads(node),
            dilation,
            groups,
            activation=activation,
        )
    if "output_shape" in a:
        raise ValueError(f"ConvTranspose {node.output!r}: output_shape is not supported")
    return nn.ConvTranspose2d(
        node.weight,
        node.bias,
        stride,
        _symmetric_pads(node),
        tuple(a.get("output_padding", (0, 0))),
        groups,
        dilation,
        activation=activation,
    )


def channels_last_empty(shape, dtype=np.float32):
    """An uninitialised (N, C, H, W) array whose memory is (N, H, W, C)."""
    n, c, h, w = shape
    return np.empty((n, h, w, c), dtype).transpose(0, 3, 1, 2)


def is_channels_last(x):
    """Whether a 4-D array's memory is (N, H, W, C), dense."""
    return x.ndim == 4 and x.transpose(0, 2, 3, 1).flags.c_contiguous


def conv_output_shape(node, x_shape):
    """The output shape of a convolution node for an input of `x_shape`
    (ONNX's rules; the pads symmetric, as `_make_layer` requires)."""
    a = node.attrs
    pads = _symmetric_pads(node)
    strides = a.get("strides", (1, 1))
    dilations = a.get("dilations", (1, 1))
    reach = [d * (k - 1) for d, k in zip(dilations, node.weight.shape[2:])]
    if node.op == "Conv":
        channels = node.weight.shape[0]
        sizes = [
            (n + 2 * p - r - 1) // s + 1 for n, p, r, s in zip(x_shape[2:], pads, reach, strides)
        ]
    else:
        channels = node.weight.shape[1] * a.get("group", 1)
        extra = a.get("output_padding", (0, 0))
        sizes = [
            (n - 1) * s - 2 * p + r + e + 1
            for n, p, r, s, e in zip(x_shape[2:], pads, reach, strides, extra)
        ]
    return (x_shape[0], channels, *sizes)


def _resize_nearest(node, x, constants):
    """ONNX Resize, nearest, by whole factors on H and W: each pixel repeated."""
    a = node.attrs
    if a.get("mode") != "nearest" or a.get("coordinate_transformation_mode") != "asymmetric":
        raise ValueError(f"Resize {node.output!r}: only nearest, asymmetric is supported")
    scales = constants.get(node.inputs[2]) if len(node.inputs) > 2 else None
    if scales is None or scales.size != 4:
        raise ValueError(f"Resize {node.output!r}: constant scales expected")
    n, c, fh, fw = (float(s) for s in scales)
    if (n, c) != (1, 1) or fh != int(fh) or fw != int(fw) or fh < 1 or fw < 1:
        raise ValueError(f"Resize {node.output!r}: whole upsampling factors on H, W only")
    fh, fw = int(fh), int(fw)
    N, C, H, W = x.shape
    if is_channels_last(x):  # (the result channels-last too)
        y = channels_last_empty((N, C, H * fh, W * fw), x.dtype)
        nhwc = x.transpose(0, 2, 3, 1)
        y.transpose(0, 2, 3, 1).reshape(N, H, fh, W, fw, C)[...] = nhwc[:, :, None, :, None, :]
        return y
    big = np.broadcast_to(x[:, :, :, None, :, None], (N, C, H, fh, W, fw))
    return big.reshape(N, C, H * fh, W * fw)


def _concat(node, args):
    """ONNX Concat; along the channels of channels-last arrays, a
    channels-last result (np.concatenate would return a C-ordered one)."""
    axis = node.attrs["axis"]
    if axis in (1, -3) and all(is_channels_last(a) for a in args):
        shape = list(args[0].shape)
        shape[1] = sum(a.shape[1] for a in args)
        return np.concatenate(args, axis=1, out=channels_last_empty(shape, args[0].dtype))
    return np.concatenate(args, axis=axis)


# The elementwise binary ops, written into an input that is not read again
# where one fits (a fresh array per op costs as much as the op itself)
BINARY_OPS = {"Add": np.add, "Mul": np.multiply, "Div": np.divide, "Sub": np.subtract}


def _binary(ufunc, args, spares):
    shape = np.broadcast_shapes(np.shape(args[0]), np.shape(args[1]))
    dtype = np.result_type(*args)
    out = next((a for a in spares if a.shape == shape and a.dtype == dtype), None)
    return ufunc(args[0], args[1], out=out)


# The other NumPy ops: (node, input values, constants) -> output
NUMPY_OPS = {
    "Relu": lambda node, args, c: np.maximum(args[0], 0),
    "Sigmoid": lambda node, args, c: _sigmoid(args[0]),
    "HardSwish": lambda node, args, c: _hardswish(args[0]),
    "HardSigmoid": lambda node, args, c: np.clip(
        args[0] * np.float32(node.attrs.get("alpha", 0.2))
        + np.float32(node.attrs.get("beta", 0.5)),
        0,
        1,
    ),
    "Clip": lambda node, args, c: np.clip(
        args[0], *(a if a is not None else None for a in (args[1:] + [None, None])[:2])
    ),
    "GlobalAveragePool": lambda node, args, c: args[0].mean(axis=(2, 3), keepdims=True),
    "Concat": lambda node, args, c: _concat(node, args),
    "Resize": lambda node, args, c: _resize_nearest(node, args[0], c),
    "BatchNormalization": lambda node, args, c: _batch_norm(node, args),
}


def _batch_norm(node, args):
    x, gamma, beta, mean, var = args
    scale = gamma / np.sqrt(var + np.float32(node.attrs.get("epsilon", 1e-5)))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) * scale.reshape(shape) + beta.reshape(shape)


def conv_class(x_shape, weight_shape, transposed=False, groups=1, stride=1):
    """The layer class of a convolution, for the time tables: transposed,
    stem (3 input channels), depthwise by size and stride, squeeze-excitation
    1x1 (on a 1x1 image), 1x1, or dense k x k."""
    cin, h, w = x_shape[1], x_shape[2], x_shape[3]
    kh, kw = weight_shape[2], weight_shape[3]
    if transposed:
        return f"transposed {kh}x{kw} stride {stride}"
    if cin <= 4:
        return f"stem {kh}x{kw} stride {stride}"
    if groups > 1 and groups == cin and weight_shape[1] == 1:
        return f"depthwise {kh}x{kw} stride {stride}"
    if (kh, kw) == (1, 1):
        return "SE 1x1 on 1x1" if (h, w) == (1, 1) else "1x1"
    return f"{kh}x{kw} dense stride {stride}"


# everything but the convolutions: NumPy ops in ours, the runtime's other kernels in theirs
OTHER_OPS = "other ops (non-conv)"


class TextDetector:
    """The ONNX graph, simplified, with a fastconv layer object per
    convolution: ``detector(x)`` maps a (1, 3, H, W) float32 image (H, W
    multiples of 32) to the (1, 1, H, W) text probability map. With
    `channels_last`, the activations between the layers are channels-last
    views (the input converted once)."""

    def __init__(self, path, channels_last=False):
        self.channels_last = channels_last
        self.nodes, self.constants, self.input, self.output = load_graph(path)
        simplify(self.nodes, self.constants, self.output)
        for node in self.nodes:
            if node.op not in CONV_OPS and node.op not in NUMPY_OPS and node.op not in BINARY_OPS:
                raise ValueError(f"unsupported ONNX op {node.op!r} (node {node.output!r})")
        self.layers = {n.output: _make_layer(n) for n in self.nodes if n.op in CONV_OPS}
        # after which node each value is read for the last time (freed there)
        self._last_use = {}
        for i, node in enumerate(self.nodes):
            for name in node.inputs:
                self._last_use[name] = i

    def __call__(self, x, times=None):
        """The probability map for `x`; with a dict `times`, adds each
        layer class's seconds to it (convolutions, with the activations
        fused into them, by `conv_class`, and every other op under
        OTHER_OPS)."""
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[:2] != (1, 3) or x.dtype != np.float32:
            raise ValueError(f"x: expected a (1, 3, H, W) float32 array, got {x.dtype} {x.shape}")
        if x.shape[2] % 32 or x.shape[3] % 32:
            raise ValueError(f"x: H and W must be multiples of 32, got {x.shape[2:]}")
        clock = time.perf_counter
        t_in = clock()
        if self.channels_last:
            x_in = channels_last_empty(x.shape)
            x_in[...] = x
            x = x_in
        values = {self.input: x}
        if times is not None:
            times[OTHER_OPS] = times.get(OTHER_OPS, 0.0) + (clock() - t_in)
        for i, node in enumerate(self.nodes):
            args = [values[n] if n in values else self.constants.get(n) for n in node.inputs]
            t0 = clock()
            if node.op in CONV_OPS:
                layer = self.layers[node.output]
                # (a 1x1 image, a squeeze-excitation's, has one layout)
                if self.channels_last and args[0].shape[2:] != (1, 1):
                    out = channels_last_empty(conv_output_shape(node, args[0].shape))
                    y = layer(args[0], out=out)
                else:
                    y = layer(args[0])
                if times is not None:
                    key = conv_class(
                        args[0].shape,
                        node.weight.shape,
                        node.op == "ConvTranspose",
                        node.attrs.get("group", 1),
                        node.attrs.get("strides", (1, 1))[0],
                    )
                    times[key] = times.get(key, 0.0) + (clock() - t0)
            else:
                if node.op in BINARY_OPS:
                    spares = [
                        values[n]
                        for n in node.inputs
                        if self._last_use[n] == i and n in values and n != self.input
                    ]
                    y = _binary(BINARY_OPS[node.op], args, spares)
                else:
                    y = NUMPY_OPS[node.op](node, args, self.constants)
                if times is not None:
                    times[OTHER_OPS] = times.get(OTHER_OPS, 0.0) + (clock() - t0)
            values[node.output] = y
            for name in node.inputs:
                if self._last_use.get(name) == i and name != self.input:
                    values.pop(name, None)
        return np.ascontiguousarray(values[self.output])


# ---- the photo in, the boxes out ----------------------------------------------------------


def load_photo(name="page"):
    """A scikit-image sample (by name: page, text, ...) or an image file, as
    an (H, W, 3) uint8 RGB array."""
    from skimage import data, io

    if os.path.exists(name):
        photo = io.imread(name)
    elif name in data.__all__:
        photo = getattr(data, name)()
    else:
        raise ValueError(f"image: {name!r} is neither a file nor a skimage.data sample")
    photo = np.asarray(photo)
    if photo.ndim == 2:
        photo = np.stack([photo] * 3, axis=-1)
    if photo.ndim != 3 or photo.shape[2] not in (3, 4):
        raise ValueError(f"image: expected a grey, RGB or RGBA picture, got shape {photo.shape}")
    if photo.dtype != np.uint8:
        raise ValueError(f"image: expected 8-bit pixels, got {photo.dtype}")
    return photo[..., :3]


def network_size(height, width, size):
    """(H, W) the photo is resized to: long side `size`, each side rounded
    to a multiple of 32 (at least 32), as rapidocr rounds."""
    if size < 32:
        raise ValueError(f"size: at least 32, got {size}")
    ratio = size / max(height, width)
    return tuple(max(32, int(round(int(s * ratio) / 32)) * 32) for s in (height, width))


def preprocess(photo, size):
    """The network's input for an (H, W, 3) uint8 RGB photo: (1, 3, h, w)
    float32, BGR, (x / 255 - 0.5) / 0.5, resized bilinearly to
    `network_size`."""
    from skimage import transform

    h, w = network_size(photo.shape[0], photo.shape[1], size)
    shrink = h < photo.shape[0] or w < photo.shape[1]
    resized = transform.resize(photo, (h, w), order=1, anti_aliasing=shrink, preserve_range=True)
    x = (resized[..., ::-1].astype(np.float32) / 255 - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def find_boxes(prob, threshold=THRESHOLD, min_side=3):
    """Boxes (top, left, bottom, right), in probability-map pixels, of the
    connected regions of `prob > threshold` at least `min_side` pixels
    each way, grown by DBNet's unclip distance (area * 1.6 / perimeter)."""
    from scipy import ndimage

    labels, _ = ndimage.label(prob > threshold)
    boxes = []
    for region in ndimage.find_objects(labels):
        top, bottom = region[0].start, region[0].stop
        left, right = region[1].start, region[1].stop
        h, w = bottom - top, right - left
        if min(h, w) < min_side:
            continue
        grow = h * w * UNCLIP_RATIO / (2 * (h + w))
        boxes.append(
            (
                max(0, top - grow),
                max(0, left - grow),
                min(prob.shape[0], bottom + grow),
                min(prob.shape[1], right + grow),
            )
        )
    return boxes


def save_picture(path, x, prob, boxes):
    """The network's input with the boxes drawn in red, above the
    probability map, as a small palette PNG (Pillow)."""
    from PIL import Image, ImageDraw

    photo = ((x[0].transpose(1, 2, 0)[..., ::-1] * 0.5 + 0.5) * 255).clip(0, 255)
    top = Image.fromarray(photo.astype(np.uint8))
    draw = ImageDraw.Draw(top)
    for top_, left, bottom_, right in boxes:
        draw.rectangle((left, top_, right, bottom_), outline=(230, 20, 20), width=2)
    bottom = Image.fromarray((prob * 255).astype(np.uint8)).convert("RGB")
    both = Image.new("RGB", (top.width, top.height + bottom.height))
    both.paste(top, (0, 0))
    both.paste(bottom, (0, top.height))
    both.quantize(colors=32).save(path, optimize=True)
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


# ---- the runtimes, for comparison ---------------------------------------------------------


def iou(a, b, threshold=THRESHOLD):
    """Intersection over union of two probability maps thresholded."""
    a, b = a > threshold, b > threshold
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


def onnxruntime_session(path, threads, profile_prefix=None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def openvino_model(path, shape, threads):
    """OpenVINO's compiled model for a fixed input shape, held to float32."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    model.reshape({model.inputs[0].get_any_name(): list(shape)})
    return core.compile_model(
        model,
        "CPU",
        {"INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads},
    )


def onnxruntime_class_times(path, x, threads, runs, weight_shapes):
    """Median seconds per layer class of onnxruntime's own kernels, from its
    profiler over `runs` runs (after one warm-up), classified by the
    convolution's input and weight shapes as `conv_class` does (where the
    profiler omits the weight, `weight_shapes` gives it by node name)."""
    with tempfile.TemporaryDirectory() as tmp:
        session = onnxruntime_session(path, threads, os.path.join(tmp, "ort"))
        name = session.get_inputs()[0].name
        for _ in range(runs + 1):
            session.run(None, {name: x})
        with open(session.end_profiling()) as f:
            events = json.load(f)
    per_run = _runs_from_events(events, weight_shapes)[1:]  # (the first: the warm-up)
    keys = {k for r in per_run for k in r}
    return {k: statistics.median(r.get(k, 0.0) for r in per_run) for k in keys}


def _runs_from_events(events, weight_shapes):
    """Per session run, {layer class: seconds} from the profiler's events
    (node events carry the timestamp of their run: each model_run event
    spans its nodes)."""
    spans = sorted(
        (e["ts"], e["ts"] + e["dur"])
        for e in events
        if e.get("cat") == "Session" and e.get("name") == "model_run"
    )
    runs = [{} for _ in spans]
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        for i, (start, end) in enumerate(spans):
            if start <= e["ts"] <= end:
                node = e["name"].removesuffix("_kernel_time")
                key = _ort_class(e["args"], weight_shapes.get(node))
                runs[i][key] = runs[i].get(key, 0.0) + e["dur"] * 1e-6
                break
    return runs


def _ort_class(args, weight_shape=None):
    """A profiled onnxruntime kernel's layer class (its convolutions,
    whatever it fused into them, by their input and weight shapes)."""
    op = args.get("op_name", "")
    shapes = [next(iter(s.values())) for s in args.get("input_type_shape", [])]
    if op not in ("Conv", "FusedConv", "NhwcFusedConv", "ConvTranspose"):
        return OTHER_OPS
    x, w = shapes[0], shapes[1] if len(shapes) > 1 else weight_shape
    if w is None:
        raise ValueError(f"onnxruntime's profile: no weight shape for a {op} node")
    transposed = op == "ConvTranspose"
    groups = 1 if transposed else x[1] // w[1]
    out = next(iter(args["output_type_shape"][0].values()))
    stride = out[2] // x[2] if transposed else max(1, round(x[2] / out[2]))
    return conv_class(x, w, transposed, groups, stride)


def median_seconds(fn, runs):
    """Median seconds of `fn()` over `runs` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def fastconv_class_times(detector, x, runs):
    """Median seconds per layer class of fastconv's run over `runs` runs."""
    detector(x)
    samples = []
    for _ in range(runs):
        times = {}
        detector(x, times)
        samples.append(times)
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _conv_total(class_times):
    return sum(v for k, v in class_times.items() if k != OTHER_OPS)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=960, help="long side of the network's input")
    ap.add_argument("--threads", type=int, default=None, help="default: fastconv's default")
    ap.add_argument("--runs", type=int, default=5, help="timed runs (medians)")
    ap.add_argument("--image", default="page", help="a skimage.data name or an image file")
    ap.add_argument("--out", default=None, help="write the picture here (PNG)")
    ap.add_argument("--model-dir", default=None, help="model cache (default: ~/.cache/...)")
    ap.add_argument(
        "--channels-last",
        action="store_true",
        help="keep the activations channels-last (N, H, W, C) between the layers",
    )
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs: at least 1")
    if args.threads is not None and args.threads < 1:
        ap.error("--threads: at least 1")

    threads = args.threads or fastconv.get_num_threads()
    fastconv.set_num_threads(threads)
    path = fetch_model(args.model_dir)
    detector = TextDetector(path, channels_last=args.channels_last)
    photo = load_photo(args.image)
    x = preprocess(photo, args.size)
    prob = detector(x)[0, 0]
    boxes = find_boxes(prob)
    convs = sum(n.op in CONV_OPS for n in detector.nodes)
    layout = "channels-last" if args.channels_last else "NCHW"
    print(
        f"{path.name}: {convs} convolutions, {len(detector.nodes) - convs} NumPy ops after "
        f"folding; input {x.shape}, {threads} thread(s), fastconv {fastconv.__version__} "
        f"({fastconv.active_isa()}); activations {layout}\n"
        f"{len(boxes)} text regions above {THRESHOLD}"
    )
    if args.out:
        save_picture(args.out, x, prob, boxes)

    ours = fastconv_class_times(detector, x, args.runs)
    total = {"fastconv": median_seconds(lambda: detector(x), args.runs)}
    conv_total = {"fastconv": _conv_total(ours)}
    theirs = None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime is not installed: no comparison")
    else:
        session = onnxruntime_session(path, threads)
        name = session.get_inputs()[0].name
        reference = session.run(None, {name: x})[0][0, 0]
        print(
            f"onnxruntime: max |difference| of the probability maps "
            f"{np.abs(prob - reference).max():.2e}, IoU at {THRESHOLD} {iou(prob, reference):.4f}"
        )
        total["onnxruntime"] = median_seconds(lambda: session.run(None, {name: x}), args.runs)
        weight_shapes = {n.name: n.weight.shape for n in detector.nodes if n.op in CONV_OPS}
        theirs = onnxruntime_class_times(path, x, threads, args.runs, weight_shapes)
        conv_total["onnxruntime"] = _conv_total(theirs)
    try:
        import openvino  # noqa: F401
    except ImportError:
        pass
    else:
        compiled = openvino_model(path, x.shape, threads)
        total["OpenVINO f32"] = median_seconds(lambda: compiled(x), args.runs)

    print(f"\nmedian of {args.runs} runs, {threads} thread(s), ms")
    print(f"  {'':14s} {'network':>9s} {'convolutions':>13s}")
    for k, v in total.items():
        c = conv_total.get(k)
        print(f"  {k:14s} {v * 1e3:9.1f} {'' if c is None else f'{c * 1e3:13.1f}'}")
    if theirs is not None:
        print("\nper layer class (ms; onnxruntime from its profiler, fused ops included)")
        print(f"  {'class':28s} {'fastconv':>9s} {'onnxrt':>9s} {'onnxrt/fc':>9s}")
        keys = sorted(set(ours) | set(theirs), key=lambda k: (k == OTHER_OPS, k))
        for k in keys:
            a, b = ours.get(k), theirs.get(k)
            ratio = f"{b / a:8.2f}x" if a and b else ""
            a = "" if a is None else f"{a * 1e3:9.2f}"
            b = "" if b is None else f"{b * 1e3:9.2f}"
            print(f"  {k:28s} {a:>9s} {b:>9s} {ratio:>9s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
