"""The calibration of method="auto": stored rates change auto's choice; a
corrupt, stale or implausible file is ignored with a warning. (The rates
measured are never checked: they are one machine's timings.)"""

import json
import subprocess
import sys

import numpy as np
import pytest

import fastconv
from fastconv import _calibrate, _core, _cost

# A 2-D case every built-in ISA row sends to the FFT (a 63x63 kernel on a
# 512x512 image: tens of ms direct, about 1 ms by FFT), and a long 1-D one
# every row, baseline included, keeps direct (a single long transform runs
# scalar; the work is above the "direct is surely faster" shortcut, so the
# rates decide).
FFT_CASE = ((512, 512), (63, 63))
# (2-D: with the C++ overlap-save path, the baseline ISA's slow direct
# 1-D kernels lose to the FFT from 32 taps on)
DIRECT_CASE = ((1000, 1000), (5, 7))
ONE_D_CASE = ((1_000_000,), (50,))


def _choice(case):
    shape, k = case
    rng = np.random.default_rng(0)  # (a full-rank kernel: not the separable path)
    return fastconv.choose_conv_method(rng.random(shape), rng.random(k))


def _entry(direct=1e10, fft=3e-10, one_d=0.8):
    return {
        "direct": {kind: direct for kind in _cost.DIRECT_KINDS},
        "one_d": one_d,
        "fft": {kind: fft for kind in _cost.FFT_KINDS},
    }


def _write(path, isas, version=None, fmt=_cost.CALIBRATION_FORMAT):
    path.write_text(
        json.dumps({"format": fmt, "fastconv": version or fastconv.__version__, "isas": isas})
    )


@pytest.fixture
def calibration(tmp_path, monkeypatch):
    path = tmp_path / "calibration.json"
    monkeypatch.setenv("FASTCONV_CALIBRATION", str(path))
    return path


def test_builtin_table_without_a_calibration(calibration):
    assert not calibration.exists()
    assert _cost.rates().source == "built-in"
    assert _choice(FFT_CASE) == "fft" and _choice(DIRECT_CASE) == "direct"
    assert _cost.rates_in_force().startswith("built-in table (no calibration at")


def test_stored_calibration_changes_the_choice(calibration):
    isa = fastconv.active_isa()
    # a machine whose direct path is 100x faster than any built-in row
    _write(calibration, {isa: _entry(direct=1e13)})
    assert _cost.rates().source == str(calibration)
    assert _cost.rates().direct["f8"] == 1e13
    assert _choice(FFT_CASE) == "direct"
    assert f"calibrated for {isa}" in _cost.rates_in_force()


def test_stored_fft_rate_changes_the_choice(calibration):
    _write(calibration, {fastconv.active_isa(): _entry(fft=1e-13)})
    assert _choice(DIRECT_CASE) == "fft"


def test_stored_one_d_rate_changes_the_choice(calibration):
    # 1-D kernels 20x slower than 2-D ones: the long 1-D case goes to the FFT
    isa = fastconv.active_isa()
    _write(
        calibration,
        {
            isa: _entry(
                direct=_cost.builtin_rates(isa).direct["f8"],
                fft=_cost.builtin_rates(isa).fft["f8"],
                one_d=0.05,
            )
        },
    )
    assert _choice(ONE_D_CASE) == "fft"


def test_calibration_of_another_isa_is_not_used(calibration):
    other = "baseline" if fastconv.active_isa() != "baseline" else "avx2"
    _write(calibration, {other: _entry(direct=1e13)})
    assert _cost.rates().source == "built-in"
    assert _cost.rates(other).source == str(calibration)
    assert _choice(FFT_CASE) == "fft"
    assert f"has no {fastconv.active_isa()} entry" in _cost.rates_in_force()


@pytest.mark.parametrize(
    "content, reason",
    [
        ("{not json", "Expecting property name"),
        ('["a list"]', "not a fastconv calibration"),
        (json.dumps({"format": 99, "fastconv": "x", "isas": {}}), "not a fastconv calibration"),
    ],
)
def test_corrupt_calibration_is_ignored_with_a_warning(calibration, content, reason):
    calibration.write_text(content)
    with pytest.warns(RuntimeWarning, match="ignoring the calibration") as record:
        assert _choice(FFT_CASE) == "fft"
    assert reason in str(record[0].message)
    assert "ignored" in _cost.rates_in_force()


def test_stale_calibration_is_ignored_with_a_warning(calibration):
    _write(calibration, {fastconv.active_isa(): _entry(direct=1e13)}, version="0.0.0-old")
    with pytest.warns(RuntimeWarning, match="made by fastconv 0.0.0-old"):
        assert _choice(FFT_CASE) == "fft"


@pytest.mark.parametrize("bad", [-1.0, 0.0, float("nan"), "fast", True, 1e30])
def test_implausible_rate_is_ignored_with_a_warning(calibration, bad):
    entry = _entry()
    entry["direct"]["f4"] = bad
    _write(calibration, {fastconv.active_isa(): entry})
    with pytest.warns(RuntimeWarning, match="f4"):
        assert _cost.rates().source == "built-in"


@pytest.mark.parametrize("bad", [None, 0.0, 10.0, "x"])
def test_implausible_one_d_is_ignored_with_a_warning(calibration, bad):
    entry = _entry()
    if bad is None:
        del entry["one_d"]
    else:
        entry["one_d"] = bad
    _write(calibration, {fastconv.active_isa(): entry})
    with pytest.warns(RuntimeWarning, match="one_d"):
        assert _cost.rates().source == "built-in"


def test_missing_kind_is_ignored_with_a_warning(calibration):
    entry = _entry()
    del entry["fft"]["f8"]
    _write(calibration, {fastconv.active_isa(): entry})
    with pytest.warns(RuntimeWarning, match="expected the keys f4, f8"):
        assert _cost.rates().source == "built-in"


def test_calibration_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTCONV_CALIBRATION", str(tmp_path / "here.json"))
    assert _cost.calibration_path() == tmp_path / "here.json"
    monkeypatch.delenv("FASTCONV_CALIBRATION")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert _cost.calibration_path() == tmp_path / "cache" / "fastconv" / "calibration.json"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _cost.calibration_path() == tmp_path / ".cache" / "fastconv" / "calibration.json"


def test_calibrate_stores_the_active_isa_and_keeps_the_others(calibration, monkeypatch):
    # the measurement replaced by fixed rates: this tests the storing
    monkeypatch.setattr(_calibrate, "measure", lambda: _entry(direct=1e13))
    other = "baseline" if fastconv.active_isa() != "baseline" else "avx2"
    _write(calibration, {other: _entry(direct=2e9)})
    assert _choice(FFT_CASE) == "fft"  # read (and cached) before calibrating
    path, _ = _calibrate.calibrate()
    assert path == calibration
    data = json.loads(calibration.read_text())
    assert data["fastconv"] == fastconv.__version__
    assert data["isas"][other] == _entry(direct=2e9)
    assert data["isas"][fastconv.active_isa()] == _entry(direct=1e13)
    assert _choice(FFT_CASE) == "direct"  # the new file is used at once


def test_calibrate_replaces_a_corrupt_file(calibration, monkeypatch):
    monkeypatch.setattr(_calibrate, "measure", lambda: _entry())
    calibration.write_text("{not json")
    _calibrate.calibrate()
    assert set(json.loads(calibration.read_text())["isas"]) == {fastconv.active_isa()}


def test_python_m_fastconv_calibrate(tmp_path):
    """The real command: stores a file auto accepts (values unchecked)."""
    out = tmp_path / "sub" / "cal.json"
    r = subprocess.run(
        [sys.executable, "-m", "fastconv", "calibrate", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert f"stored in {out}" in r.stdout
    rates = _cost.parse_calibration(json.loads(out.read_text()))
    assert list(rates) == [fastconv.active_isa()]
    r = subprocess.run(
        [sys.executable, "-m", "fastconv", "--info"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "FASTCONV_CALIBRATION": str(out)},
    )
    assert f"auto method rates: calibrated for {_core.active_isa()} ({out})" in r.stdout
