"""The examples in the docstrings are run and must print what they show."""

import doctest

import pytest

import fastconv
import fastconv._fft
import fastconv._signal
import fastconv._transpose
import fastconv.nn


@pytest.mark.parametrize(
    "module", [fastconv, fastconv._signal, fastconv._fft, fastconv._transpose, fastconv.nn]
)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples_run():
    import os
    import re

    readme = os.path.join(os.path.dirname(__file__), os.pardir, "README.md")
    with open(readme) as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)
    assert len(blocks) >= 2
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
