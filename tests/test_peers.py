"""Cross-checks against OpenCV and PyTorch, which name the boundary rules
differently (docs/conventions.md). Skipped when a peer is not installed;
.ci/run installs both."""

import numpy as np
import pytest
from conftest import random_array

import fastconv


@pytest.mark.parametrize(
    "boundary,border",
    [
        ("fill", "BORDER_CONSTANT"),
        ("symm", "BORDER_REFLECT"),
        ("mirror", "BORDER_REFLECT_101"),
        ("nearest", "BORDER_REPLICATE"),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cv2_filter2d(rng, boundary, border, dtype):
    cv2 = pytest.importorskip("cv2")
    x = random_array(rng, (37, 53), dtype)
    k = random_array(rng, (5, 7), dtype)
    ours = fastconv.correlate2d(x, k, "same", boundary=boundary)
    theirs = cv2.filter2D(x, -1, k, borderType=getattr(cv2, border))
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "boundary,mode",
    [("fill", "constant"), ("mirror", "reflect"), ("nearest", "replicate"), ("wrap", "circular")],
)
def test_torch_padding_modes(rng, boundary, mode):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = random_array(rng, (29, 41), np.float64)
    k = random_array(rng, (5, 3), np.float64)
    ours = fastconv.correlate2d(x, k, "same", boundary=boundary)
    xt = torch.from_numpy(x)[None, None]
    padded = F.pad(xt, (1, 1, 2, 2), mode=mode)
    theirs = F.conv2d(padded, torch.from_numpy(k)[None, None])[0, 0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride,dilation", [(1, 1), (2, 1), (1, 3), (3, 2)])
def test_torch_conv_stride_dilation(rng, stride, dilation):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = random_array(rng, (9, 50), np.float32)
    w = random_array(rng, (2, 4), np.float32)
    ours = fastconv.correlate(x, w, "valid", stride=stride, dilation=dilation)
    theirs = F.conv2d(
        torch.from_numpy(x)[None, None],
        torch.from_numpy(w)[None, None],
        stride=stride,
        dilation=dilation,
    )[0, 0].numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    s = random_array(rng, 200, np.float64)
    h = random_array(rng, 7, np.float64)
    ours1 = fastconv.correlate(s, h, "valid", stride=stride, dilation=dilation)
    theirs1 = F.conv1d(
        torch.from_numpy(s)[None, None],
        torch.from_numpy(h)[None, None],
        stride=stride,
        dilation=dilation,
    )[0, 0].numpy()
    np.testing.assert_allclose(ours1, theirs1, rtol=1e-12, atol=1e-12)
