"""A small fully convolutional segmentation network on NumPy and fastconv alone.

    python examples/python/segment.py                       # astronaut, 512x512
    python examples/python/segment.py --size 256 --threads 1 --image camera
    python examples/python/segment.py --png docs/segmentation.png
    python examples/python/segment.py --no-torch            # fastconv only

One encoder, two decoders (the two styles of upsampling in the
segmentation literature), on a photograph shipped inside scikit-image's
wheel (nothing is downloaded):

- encoder: five blocks of conv2d 3x3 (padding 1) + ReLU, each followed by
  a 2x2 max_pool2d that records its indices: 3 -> 16 -> 32 -> 64 -> 64 ->
  64 channels, down to 1/32 of the input size;
- decoder A (FCN): 1x1 "score" convolutions to 21 classes (as FCN on
  PASCAL VOC) at 1/32, 1/16, 1/8 and 1/2; the 1/32 scores go up by
  conv_transpose2d x2, x2 (adding the 1/16 and 1/8 scores: FCN's skip
  connections), x4 (adding the 1/2 scores) and x2 back to the input size;
  plus FCN-32s's single layer ConvTranspose2d(21, 21, 64, stride=32) on the
  1/32 scores, cropped as FCN crops it, added to the result;
- decoder B (SegNet / DeconvNet): max_unpool2d with the indices recorded
  by each pooling, each followed by conv2d 3x3 + ReLU to fill in the zeros,
  back to the input size, then a 1x1 convolution to 21 classes.

The weights come from a fixed seed: He-scaled convolutions and bilinear
upsampling kernels, as FCN initialises its deconvolution layers. Nothing is
trained, so the argmax class maps are textures that follow the image's
edges, not objects; the point is that every layer runs on NumPy arrays and
agrees with the same network built from torch.nn modules (when torch is
installed), and how long each layer takes in both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

import fastconv
from fastconv import nn

CLASSES = 21
# encoder channels after each conv block (the input has 3)
ENCODER = (16, 32, 64, 64, 64)
# decoder B: (input channels, output channels) of the conv after each unpooling,
# from 1/16 up to full size; each output must match the next unpooling's channels
DECODER_B = ((64, 64), (64, 64), (64, 32), (32, 16), (16, 16))


def bilinear_kernel(channels, k):
    """The weight of ConvTranspose2d(channels, channels, k, stride=k // 2)
    that upsamples each channel bilinearly (FCN's initialisation): a k x k
    tent, 1 at its centre and falling linearly to 0 a stride beyond it, on
    the diagonal weight[c, c]; zero between different channels."""
    factor = (k + 1) // 2
    centre = factor - 1 if k % 2 == 1 else factor - 0.5
    t = 1 - np.abs(np.arange(k) - centre) / factor
    tent = np.outer(t, t).astype(np.float32)
    weight = np.zeros((channels, channels, k, k), np.float32)
    weight[np.arange(channels), np.arange(channels)] = tent
    return weight


def build_weights(seed=0):
    """Every layer's parameters, a dict of float32 NumPy arrays."""
    rng = np.random.default_rng(seed)

    def conv(cout, cin, k, zero_mean=False):
        std = np.sqrt(2.0 / (cin * k * k))  # He: keeps the ReLU activations' scale
        w = rng.standard_normal((cout, cin, k, k)) * std
        if zero_mean:  # a class scores contrasts between features, not their (positive) level
            w -= w.mean(axis=(1, 2, 3), keepdims=True)
        w = w.astype(np.float32)
        b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
        return w, b

    weights = {}
    cin = 3
    for level, cout in enumerate(ENCODER, 1):
        weights[f"conv{level}.w"], weights[f"conv{level}.b"] = conv(cout, cin, 3)
        cin = cout
    for level in (5, 4, 3, 1):  # the score layers read pool5, pool4, pool3, pool1
        weights[f"score{level}.w"], weights[f"score{level}.b"] = conv(
            CLASSES, ENCODER[level - 1], 1, zero_mean=True
        )
    weights["up2a.w"] = bilinear_kernel(CLASSES, 4)
    weights["up2b.w"] = bilinear_kernel(CLASSES, 4)
    weights["up4.w"] = bilinear_kernel(CLASSES, 8)
    weights["up2c.w"] = bilinear_kernel(CLASSES, 4)
    weights["up32.w"] = bilinear_kernel(CLASSES, 64)
    for level, (ci, co) in zip((4, 3, 2, 1, 0), DECODER_B):
        weights[f"dec{level}.w"], weights[f"dec{level}.b"] = conv(co, ci, 3)
    weights["scoreB.w"], weights["scoreB.b"] = conv(CLASSES, DECODER_B[-1][1], 1, zero_mean=True)
    return weights


# ---- the network, once, as a list of steps both frameworks run --------------------------
# (name, op, inputs, options); every step's output is named after the step,
# a pooling's indices "<name>.idx". Ops: conv (+ ReLU if relu), pool, unpool
# (to the spatial size of a named tensor), up (transposed conv, optional
# crop), add.


def network():
    steps = []
    prev = "image"
    for level in range(1, len(ENCODER) + 1):
        steps.append((f"conv{level}", "conv", [prev], {"padding": 1, "relu": True}))
        steps.append((f"pool{level}", "pool", [f"conv{level}"], {}))
        prev = f"pool{level}"
    # decoder A (FCN): scores at 1/32, 1/16, 1/8, 1/2, fused on the way up
    for level in (5, 4, 3, 1):
        steps.append((f"score{level}", "conv", [f"pool{level}"], {"padding": 0}))
    # 4x4 stride 2 padding 1 doubles exactly; 8x8 stride 4 padding 2 quadruples
    steps += [
        ("up2a", "up", ["score5"], {"stride": 2, "padding": 1}),  # 1/32 -> 1/16
        ("fuse16", "add", ["up2a", "score4"], {}),
        ("up2b", "up", ["fuse16"], {"stride": 2, "padding": 1}),  # 1/16 -> 1/8
        ("fuse8", "add", ["up2b", "score3"], {}),
        ("up4", "up", ["fuse8"], {"stride": 4, "padding": 2}),  # 1/8 -> 1/2
        ("fuse2", "add", ["up4", "score1"], {}),
        ("up2c", "up", ["fuse2"], {"stride": 2, "padding": 1}),  # 1/2 -> 1
        # FCN-32s: ConvTranspose2d(21, 21, 64, stride=32) without padding makes
        # (H/32 - 1)*32 + 64 = H + 32 rows; FCN crops them back to the input,
        # here centred (offset 16 = (64 - 32) / 2, so output pixel i sits at
        # the centre of its tent: the same as padding=16). FCN's Caffe models
        # crop at 19 only because their first conv pads the image by 100.
        ("up32", "up", ["score5"], {"stride": 32, "padding": 0, "crop": 16}),
        ("outA", "add", ["up2c", "up32"], {}),
    ]
    # decoder B (SegNet): unpool with the recorded indices, conv to fill in
    prev = "pool5"
    for level in (5, 4, 3, 2, 1):
        steps.append((f"unpool{level}", "unpool", [prev, f"pool{level}.idx", f"conv{level}"], {}))
        steps.append((f"dec{level - 1}", "conv", [f"unpool{level}"], {"padding": 1, "relu": True}))
        prev = f"dec{level - 1}"
    steps.append(("outB", "conv", [prev], {"padding": 0, "weights": "scoreB"}))
    return steps


def _check_size(image):
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"expected an (N, 3, H, W) image, got shape {image.shape}")
    if image.shape[2] % 32 or image.shape[3] % 32:
        raise ValueError(f"H and W must be multiples of 32 (five 2x2 poolings), got {image.shape}")


def _run(steps, image, call, inputs=None):
    """Run the steps, each on the outputs of the steps before it (or on
    `inputs`, the values of another run); returns ({name: output},
    {name: seconds})."""
    values = {"image": image}
    source = values if inputs is None else inputs
    times = {}
    for name, op, names, options in steps:
        t0 = time.perf_counter()
        out = call(name, op, [source[i] for i in names], options)
        times[name] = time.perf_counter() - t0
        if op == "pool":
            values[name], values[name + ".idx"] = out
        else:
            values[name] = out
    return values, times


def _crop(y, x, options):
    """An upsampling's output y cropped to `stride` times its input x, from
    (crop, crop), if the step has a crop."""
    c = options.get("crop")
    if c is None:
        return y
    h, w = x.shape[2] * options["stride"], x.shape[3] * options["stride"]
    return y[:, :, c : c + h, c : c + w]


def forward_fastconv(image, weights, threads=None):
    """The network on fastconv.nn: returns ({step: output}, {step: seconds}).

    `image` is (N, 3, H, W) float32 with H, W multiples of 32; the outputs
    "outA" and "outB" are the two decoders' (N, 21, H, W) class scores."""
    _check_size(image)

    def call(name, op, args, options):
        if op == "conv":
            key = options.get("weights", name)
            y = nn.conv2d(
                args[0],
                weights[key + ".w"],
                weights[key + ".b"],
                padding=options["padding"],
                threads=threads,
            )
            return np.maximum(y, 0, out=y) if options.get("relu") else y
        if op == "pool":
            return nn.max_pool2d(args[0], 2, return_indices=True, threads=threads)
        if op == "unpool":
            return nn.max_unpool2d(
                args[0], args[1], 2, output_size=args[2].shape[2:], threads=threads
            )
        if op == "up":
            return _crop(
                nn.conv_transpose2d(
                    args[0],
                    weights[name + ".w"],
                    stride=options["stride"],
                    padding=options["padding"],
                    threads=threads,
                ),
                args[0],
                options,
            )
        if op == "add":
            return args[0] + args[1]
        raise ValueError(op)

    return _run(network(), image, call)


def torch_modules(weights):
    """The same network as torch.nn modules holding the same weights:
    {step: module} (the "add" steps are plain tensor additions)."""
    import torch

    modules = {}
    for name, op, _inputs, options in network():
        if op == "conv":
            key = options.get("weights", name)
            w = torch.from_numpy(weights[key + ".w"])
            conv = torch.nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=options["padding"])
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.copy_(torch.from_numpy(weights[key + ".b"]))
            modules[name] = (
                torch.nn.Sequential(conv, torch.nn.ReLU(inplace=True))
                if options.get("relu")
                else conv
            )
        elif op == "pool":
            modules[name] = torch.nn.MaxPool2d(2, return_indices=True)
        elif op == "unpool":
            modules[name] = torch.nn.MaxUnpool2d(2)
        elif op == "up":
            w = torch.from_numpy(weights[name + ".w"])
            up = torch.nn.ConvTranspose2d(
                w.shape[0],
                w.shape[1],
                w.shape[2],
                stride=options["stride"],
                padding=options["padding"],
                bias=False,
            )
            with torch.no_grad():
                up.weight.copy_(w)
            modules[name] = up
    return modules


def forward_torch(image, weights, threads=None, modules=None, inputs=None):
    """The network on torch.nn modules: ({step: NumPy output}, {step: seconds}).

    With `inputs` (the values of a `forward_fastconv` run), every step reads
    those instead of torch's own previous outputs: each layer is then
    compared on exactly the same input."""
    import torch

    _check_size(image)
    if threads is not None:
        torch.set_num_threads(threads)
    modules = torch_modules(weights) if modules is None else modules

    def call(name, op, args, options):
        if inputs is not None:  # this layer alone, on fastconv's inputs
            args = [torch.from_numpy(np.ascontiguousarray(a)) for a in args]
        if op == "conv" or op == "pool":
            return modules[name](args[0])
        if op == "unpool":
            return modules[name](args[0], args[1], output_size=args[2].shape[2:])
        if op == "up":
            return _crop(modules[name](args[0]), args[0], options)
        if op == "add":
            return args[0] + args[1]
        raise ValueError(op)

    with torch.inference_mode():
        values, times = _run(network(), torch.from_numpy(image), call, inputs)
    return {k: v.numpy() for k, v in values.items() if k != "image"}, times


def compare(ours, theirs):
    """Per step: (max |difference| / max |value|, fraction of equal
    elements for indices). Raises AssertionError past a float32 tolerance."""
    report = {}
    for name, a in ours.items():
        if name == "image":
            continue
        b = theirs[name]
        assert a.shape == b.shape, (name, a.shape, b.shape)
        if name.endswith(".idx"):
            report[name] = float(np.mean(a == b))
            np.testing.assert_array_equal(a, b, err_msg=name)
            continue
        scale = float(np.abs(a).max()) or 1.0
        report[name] = float(np.abs(a - b).max()) / scale
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * scale, err_msg=name)
    return report


def load_image(name="astronaut", size=512, crop=False):
    """A scikit-image sample photo as a (1, 3, size, size) float32 array in
    [0, 1]: resized (the whole photo) or, with `crop`, a centre crop."""
    from skimage import data, transform

    photo = getattr(data, name)()
    if photo.ndim == 2:
        photo = np.stack([photo] * 3, axis=-1)
    photo = photo[..., :3].astype(np.float32) / 255
    if crop:
        top, left = (photo.shape[0] - size) // 2, (photo.shape[1] - size) // 2
        photo = photo[top : top + size, left : left + size]
    else:
        side = min(photo.shape[:2])
        photo = photo[:side, :side]
        if side != size:
            photo = transform.resize(photo, (size, size), anti_aliasing=True).astype(np.float32)
    return np.ascontiguousarray(photo.transpose(2, 0, 1)[None])


def median_times(forward, runs):
    """Median seconds per step and of the total over `runs` calls (after
    one warm-up call)."""
    forward()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        _, times = forward()
        times["total"] = time.perf_counter() - t0
        samples.append(times)
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def save_png(path, image, outA, outB):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no PNG")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9, 3.3))
    panels = [
        (image[0].transpose(1, 2, 0), "input"),
        (outA[0].argmax(0), "decoder A (FCN): argmax"),
        (outB[0].argmax(0), "decoder B (SegNet): argmax"),
    ]
    for ax, (a, title) in zip(axes, panels):
        ax.imshow(
            a,
            cmap=None if a.ndim == 3 else "tab20",
            interpolation="nearest",
            vmin=None if a.ndim == 3 else 0,
            vmax=None if a.ndim == 3 else CLASSES - 1,
        )
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.suptitle("fastconv.nn, random weights (seed 0): untrained class maps", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512, help="image side, a multiple of 32")
    ap.add_argument("--threads", type=int, default=None, help="default: fastconv's default")
    ap.add_argument("--image", choices=("astronaut", "camera"), default="astronaut")
    ap.add_argument("--png", default=None, help="write input and both decoders' maps here")
    ap.add_argument("--no-torch", action="store_true", help="do not compare with torch")
    ap.add_argument("--runs", type=int, default=5, help="timed runs (medians)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    threads = args.threads or fastconv.get_num_threads()
    image = load_image(args.image, args.size)
    weights = build_weights(args.seed)
    ours, _ = forward_fastconv(image, weights, threads)
    print(
        f"input {image.shape}, decoder A {ours['outA'].shape}, decoder B {ours['outB'].shape}, "
        f"{threads} thread(s), fastconv {fastconv.__version__} ({fastconv.active_isa()})"
    )
    if args.png:
        save_png(args.png, image, ours["outA"], ours["outB"])

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not installed: fastconv alone")
    if torch is not None:
        torch.set_num_threads(threads)
        modules = torch_modules(weights)
        layerwise = compare(ours, forward_torch(image, weights, threads, modules, inputs=ours)[0])
        theirs, _ = forward_torch(image, weights, threads, modules)
        chained = {
            k: float(np.mean(ours[k] == theirs[k]))
            if k.endswith(".idx")
            else float(np.abs(ours[k] - theirs[k]).max() / (np.abs(ours[k]).max() or 1))
            for k in ours
            if k != "image"
        }
        # Chained, a maximum that is a near-tie in a pooling window can be
        # found at another index by torch (its previous layer rounded
        # differently): the unpooled value then lands elsewhere and the
        # differences after it are no longer rounding errors, at a few pixels.
        print(
            "\nagreement with torch: max |difference| / max |value| (pooling indices: "
            "fraction equal)\n  each layer on fastconv's input | the whole network chained"
        )
        for k, v in layerwise.items():
            if k.endswith(".idx"):
                print(f"  {k:10s} {v:9.4%}   chained {chained[k]:9.4%}")
            else:
                print(f"  {k:10s} {v:9.2e}   chained {chained[k]:9.2e}")
        for out in ("outA", "outB"):
            same = np.mean(ours[out].argmax(1) == theirs[out].argmax(1))
            print(f"  {out} argmax classes equal on {same:.4%} of the pixels")

    t_ours = median_times(lambda: forward_fastconv(image, weights, threads), args.runs)
    if torch is not None:
        t_torch = median_times(lambda: forward_torch(image, weights, threads, modules), args.runs)
    print(f"\ntime per layer, median of {args.runs} runs, {threads} thread(s) (ms)")
    header = f"  {'layer':10s} {'fastconv':>9s}"
    print(header + (f" {'torch':>9s} {'torch/fc':>8s}" if torch is not None else ""))
    for k, v in t_ours.items():
        line = f"  {k:10s} {v * 1e3:9.3f}"
        if torch is not None:
            line += f" {t_torch[k] * 1e3:9.3f} {t_torch[k] / v:7.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
