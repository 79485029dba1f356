"""One plan per call: every public function asks the C++ core for its plan
exactly once and runs that plan (no second planning step for the shape),
and the plan's fields are what the rest of the call relies on."""

import numpy as np
import pytest

import fastconv
from fastconv import _core, nn

PLANNERS = (
    "plan_filter",
    "plan_separable",
    "plan_conv_transpose",
    "plan_max_pool",
    "plan_conv_layer",
    "plan_conv_transpose_layer",
)

rng = np.random.default_rng(7)
x1 = rng.standard_normal(40)
k1 = rng.standard_normal(5)
x2 = rng.standard_normal((12, 13))
k2 = rng.standard_normal((3, 4))
img = rng.standard_normal((2, 3, 10, 11)).astype(np.float32)
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
wt = rng.standard_normal((3, 4, 3, 3)).astype(np.float32)

CALLS = {
    "convolve strided": ("plan_filter", lambda: fastconv.convolve(x1, k1, stride=2)),
    "correlate swapped": ("plan_filter", lambda: fastconv.correlate(k1, x1, "valid")),
    "correlate fft": ("plan_filter", lambda: fastconv.correlate(x1, k1, "same", method="fft")),
    "convolve2d symm": ("plan_filter", lambda: fastconv.convolve2d(x2, k2, boundary="symm")),
    "empty input": ("plan_filter", lambda: fastconv.convolve2d(np.ones((0, 3)), k2)),
    "object dtype": ("plan_filter", lambda: fastconv.convolve(x1.astype(object), [1, 2])),
    "separable": (
        "plan_separable",
        lambda: fastconv.convolve_separable(x2, k1, k1[:3], "same", stride=2),
    ),
    "conv_transpose": ("plan_conv_transpose", lambda: fastconv.conv_transpose(x2, k2, stride=2)),
    "max_pool2d": ("plan_max_pool", lambda: nn.max_pool2d(img, 2, return_indices=True)),
    "conv2d": ("plan_conv_layer", lambda: nn.conv2d(img, w, padding="same")),
    "conv_transpose2d": (
        "plan_conv_transpose_layer",
        lambda: nn.conv_transpose2d(img, wt, stride=2),
    ),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_call_plans_once(name, monkeypatch):
    planner, call = CALLS[name]
    counts = dict.fromkeys(PLANNERS, 0)
    for p in PLANNERS:
        original = getattr(_core, p)

        def counted(*args, _p=p, _original=original):
            counts[_p] += 1
            return _original(*args)

        monkeypatch.setattr(_core, p, counted)
    call()
    assert counts == {p: int(p == planner) for p in PLANNERS}


def test_the_plan_has_scipy_rules_and_the_starts():
    # scipy's 'valid' swap: in2 larger along every axis
    plan = _core.plan_filter(False, (3,), (8,), "valid", "fill", [0], [1], [1], "centre_low", [], 0)
    assert plan.swapped and plan.shape == (6,)
    # 'same' starts: (ke-1)//2 (scipy's convolve), ke//2 (correlate2d), and
    # an explicit tap, mirrored for a correlation
    starts = {
        rule: _core.plan_filter(
            flip, (10,), (4,), "same", "fill", [0], [1], [1], rule, [], 0
        ).starts
        for flip, rule in [(True, "centre_low"), (False, "centre_high")]
    }
    assert starts == {"centre_low": (1,), "centre_high": (2,)}
    # (dilation 2: the dilated extent is 7)
    assert _core.plan_filter(
        True, (10,), (4,), "same", "fill", [0], [1], [2], "taps", [1], 0
    ).starts == (2,)
    assert _core.plan_filter(
        False, (10,), (4,), "same", "fill", [0], [1], [2], "taps", [1], 0
    ).starts == (4,)
    # batch axes start at 0; an empty input gives scipy's clamped shape
    both = _core.plan_filter(
        True, (2, 9), (2, 3), "full", "fill", [1], [1], [1], "centre_low", [], 0
    )
    assert both.starts == (0, 0) and both.shape == (2, 11)
    empty = _core.plan_filter(
        True, (0, 9), (2, 3), "same", "fill", [], [1], [1], "centre_low", [], 0
    )
    assert empty.shape == (0, 9)


def test_the_plan_checks_what_python_no_longer_does():
    with pytest.raises(ValueError, match="incompatible shapes for in1 and in2"):
        fastconv.convolve(np.ones((2, 5)), np.ones((3, 2)), axes=1)
    with pytest.raises(ValueError, match="one must be at least as large as the other"):
        fastconv.correlate(np.ones((2, 5)), np.ones((3, 3)), "valid")
    with pytest.raises(ValueError, match="anchor: tap 3 outside the kernel"):
        fastconv.convolve(np.ones(5), np.ones(3), "same", anchor=3)
