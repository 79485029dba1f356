"""Sphinx configuration of fastconv's documentation site.

Build it with ``python -m fastconv docs`` (from a source checkout, with
``pip install ".[docs]"``), or ``sphinx-build -W --keep-going docs
build/docs/html``; ``sphinx-build -b doctest docs build/docs/doctest``
runs the examples of the API pages.
"""

import fastconv

project = "fastconv"
author = "the fastconv developers"
copyright = "the fastconv developers"
version = release = fastconv.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    # MathJax 3 from its PyPI package, copied into the site: the pages'
    # formulas render without a network (a CDN is unreachable in CI and
    # offline; the browser test checks them)
    "sphinx-mathjax-offline",
    "numpydoc",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "plots"]

# -- API reference --------------------------------------------------------
# One page per public name, generated from the autosummary lists of api/
# (tests/test_docs.py checks those lists against each module's __all__).
autosummary_generate = True
# (the parameter types are the docstrings' own words: the annotations'
# aliases, e.g. IntOrTuple, would only clutter the signatures)
autodoc_typehints = "none"
# numpydoc: the class pages list their members through the class template,
# not numpydoc's own tables.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# Refuse a documented object without its summary or with parameters or a
# return value left out (a warning, which -W makes an error in CI); the
# Examples and Raises sections of the public names are checked by
# tests/test_docs.py, which runs without Sphinx.
numpydoc_validation_checks = {"GL08", "SS01", "PR01", "PR02", "RT01"}

# -- markdown pages (conventions, guarantees, dispatch) -------------------
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# -- figures: drawn at build time by the scripts of plots/ ---------------
plot_basedir = "."  # (the directive's paths are relative to this folder)
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"savefig.bbox": "tight"}

# -- HTML -----------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fastconv {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
