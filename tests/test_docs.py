"""The documentation: the examples in the docstrings run and print what
they show, every public name has a page in the API reference (docs/api/),
and each public docstring has the sections the reference shows. (CI's docs
stage builds the site itself with Sphinx; these checks need no Sphinx.)"""

import ast
import doctest
import importlib
import inspect
import pathlib
import re

import pytest

import fastconv
import fastconv._fft
import fastconv._runtime
import fastconv._signal
import fastconv._transpose
import fastconv.nn

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
PUBLIC_MODULES = ["fastconv", "fastconv.nn", "fastconv.dask", "fastconv.dask.nn"]


def _module(name):
    if name.startswith("fastconv.dask"):
        pytest.importorskip("dask.array")
    return importlib.import_module(name)


@pytest.mark.parametrize(
    "module",
    [
        fastconv,
        fastconv._signal,
        fastconv._fft,
        fastconv._transpose,
        fastconv._runtime,
        fastconv.nn,
        "fastconv.dask",
        "fastconv.dask.nn",
    ],
)
def test_docstring_examples(module):
    if isinstance(module, str):
        module = _module(module)
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def _public_objects(module_name):
    """(qualified name, object) of every function and class in `__all__`."""
    module = _module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield f"{module_name}.{name}", obj


def autosummary_entries():
    """{module: names} listed in the autosummary tables of docs/api/*.rst,
    under the `.. currentmodule::` in force where each table stands."""
    entries = {}
    for page in sorted((DOCS / "api").glob("*.rst")):
        module = None
        in_table = False
        for line in page.read_text().splitlines():
            current = re.match(r"\.\. currentmodule:: (\S+)", line)
            if current:
                module = current.group(1)
            if line.startswith(".. "):
                in_table = line.startswith(".. autosummary::")
            elif in_table and re.fullmatch(r"   [A-Za-z_][\w.]*", line):
                entries.setdefault(module, []).append(line.strip())
    return entries


def test_autosummary_parser_reads_the_tables():
    entries = autosummary_entries()
    assert "convolve" in entries["fastconv"] and "show_config" in entries["fastconv"]
    assert "Conv2d" in entries["fastconv.nn"] and "conv2d" in entries["fastconv.dask.nn"]
    assert ":toctree:" not in str(entries)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_an_api_page(module_name):
    module = _module(module_name)
    listed = autosummary_entries().get(module_name, [])
    assert len(listed) == len(set(listed)), f"listed twice in docs/api: {listed}"
    submodules = {n for n in module.__all__ if inspect.ismodule(getattr(module, n))}
    expected = set(module.__all__) - submodules - {"__version__"}
    assert set(listed) == expected, (
        f"docs/api lists {sorted(set(listed) - expected)} not in {module_name}.__all__ "
        f"and misses {sorted(expected - set(listed))}"
    )
    for submodule in submodules:  # documented on a page of its own
        assert f".. automodule:: {module_name}.{submodule}" in "".join(
            p.read_text() for p in (DOCS / "api").glob("*.rst")
        )
    if "__version__" in module.__all__:
        assert ".. data:: __version__" in (DOCS / "api" / "fastconv.rst").read_text()


def _sections(doc):
    return set(re.findall(r"^\s*(\w[\w ]*)\n\s*-{3,}\s*$", inspect.cleandoc(doc or ""), re.M))


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_docstrings_have_their_sections(module_name):
    """numpydoc sections: Parameters (if it takes any), Returns (if it
    returns something), Raises for the checks, and an Examples section (run
    by test_docstring_examples)."""
    problems = []
    for name, obj in _public_objects(module_name):
        sections = _sections(obj.__doc__)
        needed = {"Examples"}
        if inspect.signature(obj).parameters:
            needed |= {"Parameters", "Raises"}
        returns = inspect.signature(obj).return_annotation
        if inspect.isfunction(obj) and returns not in ("None", None):
            needed.add("Returns")
        if needed - sections:
            problems.append(f"{name}: no {', '.join(sorted(needed - sections))}")
    assert not problems, "\n".join(problems)


# Runtime queries, which compute nothing whose accuracy could be stated.
NO_ACCURACY_NOTES = {
    "fastconv.get_num_threads",
    "fastconv.get_denormal_guard",
    "fastconv.available_isas",
    "fastconv.show_config",
}


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_docstrings_state_their_accuracy(module_name):
    """Each API entry that computes has a Notes section saying how accurate
    its results are (the promises of docs/guarantees.md)."""
    problems = []
    for name, obj in _public_objects(module_name):
        if name in NO_ACCURACY_NOTES:
            continue
        doc = inspect.cleandoc(obj.__doc__ or "")
        notes = re.search(r"^Notes\n-{3,}\n(.*?)(?:^\w[\w ]*\n-{3,}$|\Z)", doc, re.M | re.S)
        if not notes or not re.search(r"ccura|[Ee]xact|bitwise", notes.group(1)):
            problems.append(f"{name}: no Notes on accuracy")
    assert not problems, "\n".join(problems)


PAGES_WITH_EXAMPLES = sorted(
    str(p.relative_to(DOCS))
    for p in DOCS.rglob("*.rst")
    if "generated" not in p.parts and ">>> " in p.read_text()
)


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_examples_of_the_pages_run(page):
    """The >>> examples of the hand-written pages (CI's docs stage runs them
    with Sphinx's doctest builder too)."""
    result = doctest.testfile(str(DOCS / page), module_relative=False)
    assert result.attempted > 0 and result.failed == 0


def toctree_entries():
    """The pages the `.. toctree::` directives of docs/ list, as paths
    relative to docs/ without their suffix."""
    entries = set()
    for page in DOCS.rglob("*.rst"):
        in_tree = False
        for line in page.read_text().splitlines():
            if line.startswith(".. "):
                in_tree = line.startswith(".. toctree::")
            elif in_tree and re.fullmatch(r"   [\w/.-]+", line):
                entries.add(str((page.parent / line.strip()).relative_to(DOCS)))
    return entries


def test_every_page_is_in_a_toctree():
    """Sphinx -W fails on a page that no toctree lists: a new docs/*.md
    must be added to one (index.rst's user guide, say)."""
    listed = toctree_entries()
    assert "guide/modes" in listed and "api/nn" in listed
    for page in list(DOCS.rglob("*.md")) + list(DOCS.rglob("*.rst")):
        name = str(page.relative_to(DOCS).with_suffix(""))
        if name == "index" or name.startswith(("_templates/", "api/generated/")):
            continue  # (the root; autosummary's templates and output)
        assert name in listed, f"docs/{page.relative_to(DOCS)} is in no toctree"


def test_every_plot_directive_names_a_function_of_its_script():
    """`.. plot:: plots/x.py name` draws with the function `name` of
    docs/plots/x.py at build time: a renamed function would only fail there."""
    directives = []
    for page in DOCS.rglob("*.rst"):
        directives += re.findall(r"^\.\. plot:: (\S+) (\w+)$", page.read_text(), re.M)
    assert directives
    for script, function in directives:
        tree = ast.parse((DOCS / script).read_text())
        names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert function in names, f"docs/{script} has no function {function}"


MARKDOWN_PAGES = ["README.md"] + sorted(
    str(p.relative_to(DOCS.parent)) for p in (DOCS / "guide").glob("*.md")
)


@pytest.mark.parametrize(
    "page", [p for p in MARKDOWN_PAGES if "```python" in (DOCS.parent / p).read_text()]
)
def test_python_blocks_of_the_markdown_pages_run(page):
    """The ```python blocks of the README and the guide's markdown pages run
    (a block importing an optional package -- torch, dask -- skips without
    it; CI has them all)."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS.parent / page).read_text(), flags=re.S)
    for code in blocks:
        for module in re.findall(r"^(?:import|from) ([\w.]+)", code, flags=re.M):
            pytest.importorskip(module)
        exec(compile(code, page, "exec"), {})


@pytest.mark.parametrize("page", MARKDOWN_PAGES)
def test_relative_links_of_the_markdown_pages_exist(page):
    """A link to a file of the repository (docs pages, examples, bench
    results) names one that exists, from the page's folder: as GitHub
    and the built site resolve it (a folder would not build: Sphinx
    copies a linked file into the site, it cannot link a folder)."""
    path = DOCS.parent / page
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text())
    local = [link for link in links if "://" not in link]
    assert local
    for link in local:
        assert (path.parent / link).is_file(), f"{page} links to {link}, which is no file"
