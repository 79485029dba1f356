"""The examples in the docstrings are run and must print what they show."""
import doctest

import pytest

import fastconv
import fastconv._fft
import fastconv._signal
import fastconv._transpose


@pytest.mark.parametrize("module", [fastconv, fastconv._signal, fastconv._fft,
                                    fastconv._transpose])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
