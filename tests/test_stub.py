"""The type stub of the extension (python/fastconv/_core.pyi) against the
module: the same functions with the same parameter names in order.
(mypy's stubtest, run in CI, checks which names exist; it cannot read the
parameters of pybind11 functions, which have no __text_signature__, so
they are compared here with the signature pybind11 writes in each
docstring.)"""

import ast
import pathlib
import re

import pytest

from fastconv import _core

STUB = pathlib.Path(_core.__file__).with_name("_core.pyi")
if not STUB.exists():  # running from the source tree
    STUB = pathlib.Path(__file__).parents[1] / "python" / "fastconv" / "_core.pyi"


def _stub_functions():
    tree = ast.parse(STUB.read_text())
    return {
        node.name: [a.arg for a in node.args.args]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def _stub_classes():
    return {
        node.name for node in ast.parse(STUB.read_text()).body if isinstance(node, ast.ClassDef)
    }


def _runtime_parameters(fn):
    # pybind11's first docstring line: name(a: type, b: type = default) -> ret
    first = fn.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(") ->")]
    depth, names, current = 0, [], ""
    for ch in inside + ",":
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            if current.strip():
                names.append(re.match(r"\s*(\w+)", current).group(1))
            current = ""
        else:
            current += ch
    return names


def test_stub_names_every_function_of_the_module():
    public = [name for name in dir(_core) if not name.startswith("_")]
    functions = {name for name in public if callable(getattr(_core, name))}
    classes = {name for name in functions if isinstance(getattr(_core, name), type)}
    assert set(_stub_functions()) == functions - classes
    assert _stub_classes() == classes


@pytest.mark.parametrize("name", sorted(_stub_functions()))
def test_stub_parameters_match_the_module(name):
    assert _stub_functions()[name] == _runtime_parameters(getattr(_core, name))
