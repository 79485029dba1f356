"""``python -m fastconv demo``: fastconv at work on a picture, offline.

A photo (scikit-image's ``data.astronaut()`` averaged down to ``size`` x
``size`` when scikit-image is installed, otherwise a picture drawn with
NumPy) is upsampled 4x by a transposed convolution with FCN's bilinear
kernel (``nn.conv_transpose2d``, one 8x8 kernel per colour channel,
stride 4), the way segmentation networks upsample their score maps. The
same operation is timed on the peers that are installed (torch,
OpenCV, scipy.signal), each result checked against fastconv's, and the
input and the upsampled picture are written side by side to a PNG (with
zlib: no imaging library needed).
"""

from __future__ import annotations

import contextlib
import pathlib
import statistics
import struct
import sys
import zlib
from collections.abc import Callable

import numpy as np

import fastconv
from fastconv import nn
from fastconv._calibrate import run_times

FACTOR = 4
KERNEL = 2 * FACTOR - FACTOR % 2  # FCN's bilinear kernel size for the factor
# The input's edge is repeated once around it (so the border pixels get all
# their taps instead of fading out), and this padding crops the output back
# to exactly FACTOR x the input's size.
PADDING = (KERNEL - FACTOR) // 2 + FACTOR
DEFAULT_PNG = "fastconv-demo.png"
DEFAULT_SIZE = 128
MIN_SIZE, MAX_SIZE = 8, 512  # the input's side (the output is 4x; 512 takes seconds)
GAP = 4  # white columns between the two pictures of the PNG
RUNS = 5  # timings per library (their median is printed)


def bilinear_kernel(size: int) -> np.ndarray:
    """The (size, size) bilinear interpolation kernel of FCN's upsampling
    layers: the outer product of a triangle with itself."""
    factor = (size + 1) // 2
    centre = factor - 1 if size % 2 else factor - 0.5
    triangle = 1 - np.abs(np.arange(size) - centre) / factor
    return np.outer(triangle, triangle).astype(np.float32)


def synthetic_picture(size: int) -> np.ndarray:
    """A (3, size, size) float32 picture in [0, 1]: a zone plate (rings that
    get finer outwards) tinted by the angle, with a square in a corner."""
    y, x = np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]
    rings = 0.5 + 0.5 * np.cos(12 * np.pi * (x * x + y * y))
    angle = np.arctan2(y, x)
    picture = np.stack([rings * (0.6 + 0.4 * np.cos(angle + shift)) for shift in (0, 2.1, 4.2)])
    picture[:, : size // 4, : size // 4] = np.array([1.0, 0.8, 0.1])[:, None, None]
    return picture.astype(np.float32)


def load_picture(size: int) -> tuple[np.ndarray, str]:
    """A (3, size, size) float32 picture in [0, 1] and what it is."""
    try:
        from skimage import data

        photo = data.astronaut()
    except (ImportError, OSError, ValueError):  # (not installed, or its data missing)
        return synthetic_picture(size), f"a {size}x{size} picture drawn with NumPy"
    planes = np.ascontiguousarray(photo.transpose(2, 0, 1), dtype=np.float32) / 255
    picture = nn.adaptive_avg_pool2d(planes, size)
    return picture, f"skimage.data.astronaut() averaged to {size}x{size} (nn.adaptive_avg_pool2d)"


def _weight(channels: int) -> np.ndarray:
    """(C, 1, k, k): one bilinear kernel per channel (groups=C)."""
    kernel = bilinear_kernel(KERNEL)
    return np.ascontiguousarray(np.broadcast_to(kernel, (channels, 1, KERNEL, KERNEL)))


def upsample(padded: np.ndarray, threads: int | None = None) -> np.ndarray:
    """fastconv: the 4x bilinear upsampling of an edge-padded (C, H, W) picture."""
    weight = _weight(len(padded))
    return nn.conv_transpose2d(
        padded, weight, stride=FACTOR, padding=PADDING, groups=len(padded), threads=threads
    )


def _zero_inserted(padded: np.ndarray) -> np.ndarray:
    """The input with FACTOR - 1 zeros between its pixels: the transposed
    convolution is the full convolution of this with the kernel, cropped."""
    channels, rows, cols = padded.shape
    spread = np.zeros((channels, (rows - 1) * FACTOR + 1, (cols - 1) * FACTOR + 1), np.float32)
    spread[:, ::FACTOR, ::FACTOR] = padded
    return spread


def peer_functions() -> tuple[dict[str, Callable], list[str]]:
    """{peer name: function(padded) -> the same (C, H, W) result} for the
    peers installed, and the names of those that are not."""
    peers: dict[str, Callable] = {}
    missing = []
    try:
        import torch
    except ImportError:
        missing.append("torch")
    else:

        def with_torch(padded):
            x = torch.from_numpy(padded)[None]
            w = torch.from_numpy(_weight(len(padded)))
            with torch.no_grad():
                y = torch.nn.functional.conv_transpose2d(
                    x, w, stride=FACTOR, padding=PADDING, groups=len(padded)
                )
            return y[0].numpy()

        peers[f"torch {torch.__version__.split('+')[0]} conv_transpose2d"] = with_torch
    try:
        import cv2
    except ImportError:
        missing.append("cv2")
    else:

        def with_cv2(padded):
            # filter2D correlates (anchor at the corner: the flipped kernel
            # over an input padded by k - 1 zeros gives the full convolution)
            spread = np.ascontiguousarray(_zero_inserted(padded).transpose(1, 2, 0))
            rows, cols = spread.shape[:2]
            full_rows, full_cols = rows + KERNEL - 1, cols + KERNEL - 1
            framed = cv2.copyMakeBorder(spread, *[KERNEL - 1] * 4, cv2.BORDER_CONSTANT, value=0)
            kernel = bilinear_kernel(KERNEL)[::-1, ::-1].copy()
            full = cv2.filter2D(framed, -1, kernel, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            out = full[:full_rows, :full_cols].transpose(2, 0, 1)
            return _crop(out, padded.shape)

        peers[f"OpenCV {cv2.__version__} filter2D, zeros inserted"] = with_cv2
    try:
        from scipy import signal
    except ImportError:
        missing.append("scipy")
    else:

        def with_scipy(padded):
            kernel = bilinear_kernel(KERNEL)
            full = np.stack([signal.convolve2d(p, kernel) for p in _zero_inserted(padded)])
            return _crop(full, padded.shape)

        peers["scipy.signal.convolve2d, zeros inserted (1 thread)"] = with_scipy
    return peers, missing


def _crop(full: np.ndarray, padded_shape: tuple[int, ...]) -> np.ndarray:
    """The transposed convolution's window of a full convolution."""
    rows = (padded_shape[1] - 2) * FACTOR
    cols = (padded_shape[2] - 2) * FACTOR
    return full[:, PADDING : PADDING + rows, PADDING : PADDING + cols]


def median_seconds(function: Callable[[], object], runs: int = RUNS) -> float:
    """The median time of `runs` calls of `function`, after one warm-up."""
    return statistics.median(run_times(function, runs))


def write_png(path: pathlib.Path, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 array as an 8-bit RGB PNG."""
    height, width, _ = rgb.shape

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    rows = np.concatenate([np.zeros((height, 1), np.uint8), rgb.reshape(height, -1)], axis=1)
    with open(path, "wb") as f:  # (each row starts with filter type 0: none)
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", header))
        f.write(chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)))
        f.write(chunk(b"IEND", b""))


def side_by_side(picture: np.ndarray, upsampled: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the input blown up by repeating its pixels, a white
    gap, and the bilinear upsampling."""
    blocky = picture.repeat(FACTOR, axis=1).repeat(FACTOR, axis=2)
    gap = np.ones((3, upsampled.shape[1], GAP), np.float32)
    both = np.concatenate([blocky, gap, upsampled], axis=2).transpose(1, 2, 0)
    return np.round(np.clip(both, 0, 1) * 255).astype(np.uint8)


def run(size: int, threads: int, out: pathlib.Path) -> dict:
    """Upsample, time against the peers, write the PNG; what it found.

    Returns {"picture", "upsampled", "fastconv" (seconds), "peers":
    {name: (seconds, max |difference|, agrees)}, "missing", "png"}."""
    picture, description = load_picture(size)
    padded = np.pad(picture, ((0, 0), (1, 1), (1, 1)), mode="edge")
    upsampled = upsample(padded, threads)
    print(f"fastconv {fastconv.__version__}, isa {fastconv.active_isa()}, {threads} threads")
    print(f"input: {description}")
    print(
        f"upsampled {FACTOR}x to {upsampled.shape[1]}x{upsampled.shape[2]} by "
        f"nn.conv_transpose2d: {KERNEL}x{KERNEL} bilinear kernel, stride {FACTOR}, "
        f"groups 3; median of {RUNS} runs:"
    )
    ours = median_seconds(lambda: upsample(padded, threads))
    print(f"  {'fastconv':<55} {ours * 1e3:9.3f} ms")
    peers, missing = peer_functions()
    found = {}
    with _peer_threads(threads):
        for name, function in peers.items():
            theirs = function(padded)
            difference = float(np.max(np.abs(theirs - upsampled)))
            agrees = theirs.shape == upsampled.shape and np.allclose(
                theirs, upsampled, rtol=1e-5, atol=1e-5
            )
            seconds = median_seconds(lambda f=function: f(padded))
            found[name] = (seconds, difference, agrees)
            verdict = "same result" if agrees else "DIFFERENT RESULT"
            print(
                f"  {name:<55} {seconds * 1e3:9.3f} ms  {seconds / ours:6.1f}x fastconv's "
                f"time ({verdict}: max |difference| {difference:.1e})"
            )
    if missing:
        print(f"  (not installed, not compared: {', '.join(missing)})")
    write_png(out, side_by_side(picture, upsampled))
    print(f"picture: {out.resolve()} (left: the input, pixels repeated; right: fastconv's)")
    return {
        "picture": picture,
        "upsampled": upsampled,
        "fastconv": ours,
        "peers": found,
        "missing": missing,
        "png": out,
    }


@contextlib.contextmanager
def _peer_threads(threads: int):
    """torch and OpenCV (when imported) run the block with `threads`
    threads, then get back what they had: the demo may run inside a
    process that uses them."""
    saved = []
    for module, get, set_ in [
        ("torch", "get_num_threads", "set_num_threads"),
        ("cv2", "getNumThreads", "setNumThreads"),
    ]:
        library = sys.modules.get(module)
        if library is not None:
            saved.append((getattr(library, set_), getattr(library, get)()))
            getattr(library, set_)(threads)
    try:
        yield
    finally:
        for set_threads, before in saved:
            set_threads(before)
