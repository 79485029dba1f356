"""``python -m fastconv demo``: a small run writes a PNG that decodes to the
picture it reports, its upsampling is the oracle's transposed convolution,
every peer installed computed the same, and bad options stop with a clear
message and exit code 2."""

import importlib.util
import struct
import sys
import zlib

import numpy as np
import pytest

from fastconv import _demo, _oracle
from fastconv.__main__ import main


def read_png(path):
    """(H, W, 3) uint8 of an 8-bit RGB PNG whose rows use filter type 0
    (what the demo writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    width, height, depth, colour, _, _, _ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert not rows[:, 0].any()  # filter type 0 on every row
    return rows[:, 1:].reshape(height, width, 3)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo.png"
    return _demo.run(12, 1, out)


def test_the_png_shows_the_input_and_its_upsampling(small_run):
    picture, upsampled = small_run["picture"], small_run["upsampled"]
    assert picture.shape == (3, 12, 12) and upsampled.shape == (3, 48, 48)
    png = read_png(small_run["png"])
    assert png.shape == (48, 2 * 48 + _demo.GAP, 3)
    right = png[:, 48 + _demo.GAP :].transpose(2, 0, 1) / 255
    np.testing.assert_allclose(right, np.clip(upsampled, 0, 1), atol=0.5 / 255 + 1e-6)
    left = png[:, :48].transpose(2, 0, 1)[:, ::4, ::4] / 255
    np.testing.assert_allclose(left, picture, atol=0.5 / 255 + 1e-6)


def test_the_upsampling_is_the_transposed_convolution(small_run):
    padded = np.pad(small_run["picture"], ((0, 0), (1, 1), (1, 1)), mode="edge")
    weight = _demo._weight(3)
    want = _oracle.conv_transpose2d(
        padded[None].astype(np.float64),
        weight.astype(np.float64),
        stride=_demo.FACTOR,
        padding=_demo.PADDING,
        groups=3,
    )[0]
    np.testing.assert_allclose(small_run["upsampled"], want, rtol=0, atol=1e-6)
    # bilinear: a constant picture stays constant, up to its edges included
    flat = _demo.upsample(np.full((3, 6, 6), 0.5, np.float32))
    np.testing.assert_allclose(flat, 0.5, rtol=1e-6)


def test_every_peer_installed_agreed(small_run):
    names = " ".join(small_run["peers"])
    for module, shown in [("torch", "torch"), ("cv2", "OpenCV"), ("scipy", "scipy")]:
        if importlib.util.find_spec(module) is not None:
            assert shown in names
        else:
            assert module in small_run["missing"]
    for name, (seconds, difference, agrees) in small_run["peers"].items():
        assert agrees and difference < 1e-5 and seconds > 0, name


def test_the_command_line(tmp_path, capsys):
    out = tmp_path / "cli.png"
    assert main(["demo", "--size", "8", "--threads", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "isa " in printed and str(out) in printed and "fastconv" in printed
    assert read_png(out).shape == (32, 64 + _demo.GAP, 3)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["demo", "--size", "0"], "--size: 8..512"),
        (["demo", "--size", "100000"], "--size: 8..512"),
        (["demo", "--size", "ten"], "--size"),
        (["demo", "--threads", "0"], "--threads: 1..256"),
        (["demo", "--out", "/no/such/folder/x.png"], "--out: the folder"),
        (["demo", "--out", "."], "--out: . is a folder"),
        (["--size", "16"], "--size: only with demo"),
    ],
)
def test_bad_options_are_refused(arguments, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(arguments)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_without_scikit_image_the_picture_is_drawn(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)  # import skimage -> ImportError
    picture, description = _demo.load_picture(20)
    assert picture.shape == (3, 20, 20) and picture.dtype == np.float32
    assert 0 <= picture.min() and picture.max() <= 1 and "NumPy" in description
    np.testing.assert_array_equal(picture, _demo.synthetic_picture(20))


def test_an_unwritable_png_is_a_clear_error(tmp_path, monkeypatch):
    def refuse(path, rgb):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(_demo, "write_png", refuse)
    with pytest.raises(
        SystemExit, match=r"fastconv demo: cannot write .*x\.png: Permission denied"
    ):
        main(["demo", "--size", "8", "--out", str(tmp_path / "x.png")])
