"""pytest plugin: swap fastconv's functions into scipy.signal before scipy's
own test module is imported, so that its tests exercise fastconv.

Used by test_scipy_suite.py, which runs scipy's installed
scipy/signal/tests/test_signaltools.py in a subprocess with `-p`.
"""
import scipy.signal

import fastconv

SWAPPED = ("convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve",
           "oaconvolve", "choose_conv_method")

try:  # scipy >= 1.15 keys its array-API test marks by function object
    from scipy._lib._array_api import xp_capabilities_table as _capabilities
except ImportError:  # pragma: no cover
    _capabilities = {}

for _name in SWAPPED:
    _theirs, _ours = getattr(scipy.signal, _name), getattr(fastconv, _name)
    if _theirs in _capabilities:
        _capabilities[_ours] = _capabilities[_theirs]
    setattr(scipy.signal, _name, _ours)


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
        reporter.write_line(f"fastconv swap verified in {len(modules)} module(s), "
                            f"{len(session.items)} tests")
