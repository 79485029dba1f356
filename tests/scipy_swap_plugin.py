"""pytest plugin: swap fastconv's functions into scipy.signal before scipy's
own test module is imported, so that its tests exercise fastconv.

Used by test_scipy_suite.py, which runs scipy's installed
scipy/signal/tests/test_signaltools.py in a subprocess with `-p`.

Where scipy's tests use one of these functions as the *reference* for
another (TestOAConvolve checks oaconvolve against fftconvolve, ...), that
reference is scipy's own function during the test: otherwise fastconv would
be compared with itself. The outcome of every test is counted per class and
written to the JSON file named by FASTCONV_SCIPY_SUITE_COUNTS, so that the
caller notices a class that vanished.
"""

import json
import os

import scipy.signal

import fastconv

SWAPPED = (
    "convolve",
    "correlate",
    "convolve2d",
    "correlate2d",
    "fftconvolve",
    "oaconvolve",
    "choose_conv_method",
)

# test class (or module-level test function) -> the names its tests use as
# the expected value for another function: kept as scipy's originals.
REFERENCES = {
    "TestOAConvolve": ("fftconvolve",),  # expected = fftconvolve(a, b)
    "TestFFTConvolve": ("convolve2d",),  # test_random_data_multidim_axes
    "test_convolve_longdtype_input": ("convolve",),  # fftconvolve vs convolve(direct)
}

ORIGINALS = {name: getattr(scipy.signal, name) for name in SWAPPED}

try:  # scipy >= 1.15 keys its array-API test marks by function object
    from scipy._lib._array_api import xp_capabilities_table as _capabilities
except ImportError:  # pragma: no cover
    _capabilities = {}

for _name in SWAPPED:
    _theirs, _ours = ORIGINALS[_name], getattr(fastconv, _name)
    if _theirs in _capabilities:
        _capabilities[_ours] = _capabilities[_theirs]
    setattr(scipy.signal, _name, _ours)

_counts = {}


def _group(item):
    cls = getattr(item, "cls", None)
    return cls.__name__ if cls is not None else item.originalname


def pytest_report_header(config):
    return "scipy.signal functions swapped for fastconv's: " + ", ".join(SWAPPED)


def pytest_collection_finish(session):
    # Refuse to run if the swap did not reach the test module.
    modules = {item.module for item in session.items}
    for mod in modules:
        for name in SWAPPED:
            if hasattr(mod, name) and getattr(mod, name) is not getattr(fastconv, name):
                raise RuntimeError(f"{mod.__name__}.{name} is not fastconv's")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"fastconv swap verified in {len(modules)} module(s), {len(session.items)} tests"
        )


def _set(item, names, source):
    for name in names:
        fn = source(name)
        setattr(scipy.signal, name, fn)
        if hasattr(item.module, name):
            setattr(item.module, name, fn)


import pytest  # noqa: E402  (after the swap: pytest's import order does not matter here)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    names = REFERENCES.get(_group(item), ())
    _set(item, names, ORIGINALS.__getitem__)
    try:
        yield
    finally:
        _set(item, names, lambda name: getattr(fastconv, name))


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        parts = report.nodeid.split("::")
        group = parts[1].split("[")[0] if len(parts) > 1 else parts[0]
        per = _counts.setdefault(group, {"passed": 0, "failed": 0, "skipped": 0})
        per[report.outcome] = per.get(report.outcome, 0) + 1


def pytest_sessionfinish(session):
    path = os.environ.get("FASTCONV_SCIPY_SUITE_COUNTS")
    if path:
        with open(path, "w") as f:
            json.dump(_counts, f, indent=1, sort_keys=True)
