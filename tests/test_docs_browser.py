"""The built documentation site in a headless browser (Chromium): the
figures of a few guide pages load, and their formulas are typeset by
MathJax.

CI's docs stage runs this file with the docs venv's python after building
the site, with FASTCONV_DOCS_HTML naming the built folder. Without that
variable the test builds the site into a temporary folder, which needs the
`docs` extra (Sphinx lives only in the docs venv): where Sphinx cannot be
imported -- CI's main test stage, a user without the extra -- the file
skips as a whole. Chromium (Debian's `chromium` package) missing is a skip
for users and a failure in CI, as tests/conftest.py treats optional
packages."""

import html.parser
import importlib.util
import os
import pathlib
import re
import shutil
import subprocess

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
BUILT = os.environ.get("FASTCONV_DOCS_HTML")
IN_CI = bool(os.environ.get("CI"))
# guide pages with figures drawn at build time and formulas
PAGES = [
    "guide/modes",
    "guide/strided",
    "guide/transposed",
    "guide/pooling",
    "guide/accuracy",
]

if not BUILT and importlib.util.find_spec("sphinx") is None:
    pytest.skip(
        "the docs stage's test: needs the docs extra (Sphinx) or FASTCONV_DOCS_HTML",
        allow_module_level=True,
    )


def _missing(what):
    """Fail in CI, skip elsewhere."""
    (pytest.fail if IN_CI else pytest.skip)(f"{what} (CI's docs stage installs it)")


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _missing("chromium not found: apt-get install chromium")
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A built site to instrument: a copy of FASTCONV_DOCS_HTML, or a fresh build."""
    folder = tmp_path_factory.mktemp("site")
    if BUILT:
        assert (pathlib.Path(BUILT) / "index.html").is_file(), (
            f"FASTCONV_DOCS_HTML={BUILT}: no site"
        )
        shutil.copytree(BUILT, folder, dirs_exist_ok=True)
        return folder
    from fastconv import _docs

    if _docs.missing_packages():
        _missing(f"the docs extra's {', '.join(_docs.missing_packages())} not installed")
    _docs.build(DOCS, folder, strict=True)
    return folder


# Written into each page checked: once the page (images included) has
# loaded, every img records the width the browser decoded (0: not loaded).
RECORD_IMAGE_WIDTHS = """<script>
window.addEventListener("load", () => {
  for (const img of document.images) img.dataset.naturalWidth = img.naturalWidth;
});
</script>
"""


class _Elements(html.parser.HTMLParser):
    """The attributes of every img, and the count of each tag."""

    def __init__(self):
        super().__init__()
        self.images, self.tags = [], {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "img":
            self.images.append(dict(attrs))


def _chromium(binary, tmp_path, *args):
    """Run headless Chromium (scripts get 10 s of virtual time); its stdout."""
    command = [binary, "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars"]
    command += [f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _expected(page):
    """(figures, formulas) that docs/<page>.rst asks for."""
    source = (DOCS / f"{page}.rst").read_text()
    figures = len(re.findall(r"^\.\. plot:: ", source, re.M))
    formulas = len(re.findall(r"^\.\. math::", source, re.M)) + source.count(":math:`")
    return figures, formulas


@pytest.mark.parametrize("page", PAGES)
def test_figures_load_and_formulas_render(page, site, chromium, tmp_path):
    figures, formulas = _expected(page)
    assert figures > 0
    original = site / f"{page}.html"
    checked = original.with_name(f"browser-check-{original.name}")  # beside it: same links
    checked.write_text(original.read_text().replace("</body>", RECORD_IMAGE_WIDTHS + "</body>"))
    dom = _Elements()
    dom.feed(_chromium(chromium, tmp_path, "--dump-dom", checked.as_uri()))

    plots = [img for img in dom.images if "plot-directive" in img.get("class", "")]
    assert len(plots) == figures, f"{page}: {len(plots)} figures, the source has {figures}"
    for img in plots:
        file = (original.parent / img["src"]).resolve()
        assert file.is_file() and file.stat().st_size > 0, f"{page}: {img['src']} missing or empty"
        assert int(img.get("data-natural-width", 0)) > 0, (
            f"{page}: the browser did not load {img['src']}"
        )
    # MathJax 3 replaces each formula by an mjx-container (mjx-merror: a TeX error)
    assert dom.tags.get("mjx-container", 0) >= formulas, (
        f"{page}: {formulas} formulas not all typeset"
    )
    assert "mjx-merror" not in dom.tags


def test_screenshot_is_not_blank(site, chromium, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    png = tmp_path / "page.png"
    page = site / "guide" / "transposed.html"
    _chromium(chromium, tmp_path, f"--screenshot={png}", "--window-size=1200,1600", page.as_uri())
    pixels = image.imread(png)[..., :3]
    not_white = (pixels < 0.9).any(axis=-1).mean()
    colours = len({tuple(p) for p in (pixels[::7, ::7] * 255).astype(int).reshape(-1, 3)})
    assert not_white > 0.05, f"the screenshot is {1 - not_white:.0%} white"
    assert colours > 20, f"the screenshot has {colours} colours"
