"""The course website (`python3 bootstrap.py site`): built as a user builds it, then read as a browser would.

One build per module (the lessons execute in it, so a lesson that fails fails here too), checked for: every
lesson and sheet present, solutions absent unless asked for, every internal link and anchor resolving,
nothing fetched from the network, maths marked up for the bundled MathJax (and typeset, when a Chromium is
installed), each widget shown as a still, and each page's outputs coming from an execution of the current code.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("course_site_build", ROOT / "website" / "build.py")
site_build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_build)

LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SHEETS = sorted(p.name for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def build(out: Path, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(ROOT / "website" / "build.py"), "--out", str(out), *extra],
                            cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, f"site build failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    return result


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "html"
    build(out)
    return out


@pytest.fixture(scope="module")
def site_with_solutions(site, tmp_path_factory) -> Path:  # after `site`, so the lessons come from its cache
    out = tmp_path_factory.mktemp("site-solutions") / "html"
    build(out, "--with-solutions")
    return out


class Page(HTMLParser):
    """What a check needs from one HTML page: links, ids, scripts, and the prose text outside code and maths."""

    SKIP = {"script", "style", "pre", "code", "textarea"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (tag.attribute, value)
        self.ids: set[str] = set()
        self.math = 0
        self.stills = 0
        self.prose: list[str] = []
        self.outputs: list[str] = []  # text inside the cells' outputs
        self._stack: list[bool] = []  # per open element: is its text outside the prose?
        self._in_output: list[bool] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        for name in ("href", "src"):
            if found.get(name):
                self.links.append((f"{tag}.{name}", found[name]))
        if found.get("id"):
            self.ids.add(found["id"])
        self.math += "math" in classes
        self.stills += "widget-still" in classes
        if tag not in self.VOID:
            self._stack.append(tag in self.SKIP or "math" in classes or bool(self._stack and self._stack[-1]))
            self._in_output.append("cell_output" in classes or bool(self._in_output and self._in_output[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._stack:
            self._stack.pop()
            self._in_output.pop()

    def handle_data(self, data: str) -> None:
        if self._in_output and self._in_output[-1]:
            self.outputs.append(data)
        if not (self._stack and self._stack[-1]):
            self.prose.append(data)


def pages(site: Path) -> dict[Path, Page]:
    return {path: Page(path) for path in sorted(site.rglob("*.html"))}


# --- what the site contains -------------------------------------------------------------------------


def test_every_lesson_is_a_page_with_its_title_and_the_home_page_is_the_readme(site):
    for lesson in LESSONS:
        page = site / "notebooks" / f"{lesson}.html"
        assert page.exists(), f"no page for {lesson}"
        title = next(c for c in nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", 4).cells
                     if c.cell_type == "markdown").source.splitlines()[0].lstrip("# ").strip()
        assert title.split(":")[0] in page.read_text(encoding="utf-8"), f"{lesson}: its title {title!r} is missing"
    home = (site / "README.html").read_text(encoding="utf-8")
    assert "Course map" in home and "open the course in JupyterLab" in home
    assert 'url=README.html' in (site / "index.html").read_text(), "index.html must lead to the home page"
    assert "Start reading here" in home and 'href="notebooks/00_start_here.html"' in home
    assert json.loads((site / site_build.MARKER).read_text())["kind"] == "public"
    for lesson in LESSONS:  # the course map links every lesson
        assert f'href="notebooks/{lesson}.html' in home, f"the home page does not link {lesson}"


def test_every_blank_sheet_is_a_download_and_the_instructors_pages_are_there(site):
    downloads = sorted(p.name for p in (site / "_downloads").rglob("*.ipynb"))
    assert downloads == SHEETS, f"sheets offered: {downloads}, sheets in exercises/: {SHEETS}"
    for name in SHEETS:
        offered = next((site / "_downloads").rglob(name))
        assert offered.read_bytes() == (ROOT / "exercises" / name).read_bytes(), f"{name}: not the blank sheet"
    assert (site / "docs" / "instructors.html").exists() and (site / "docs" / "graded-labs.html").exists()


def solution_lines() -> dict[str, list[str]]:
    """Per sheet, the distinctive lines of its answers (between nbgrader's solution markers)."""
    found = {}
    for name in SOLUTIONS:
        notebook = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", 4)
        found[name] = [line.strip() for cell in notebook.cells if "### BEGIN SOLUTION" in cell.source
                       for line in cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION")[0].splitlines()
                       if len(line.strip()) > 40]
        public = (ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8")  # the blank sheet's hints
        public += (ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")  # and the lesson's own code
        found[name] = [line for line in found[name] if json.dumps(line)[1:-1] not in public]
        assert found[name], f"{name}: no solution lines found to look for"
    return found


def readable_text(site: Path) -> str:
    """Everything a visitor can read or download: page text without tags, sources, downloads, the search index."""
    parts = []
    for path in site.rglob("*"):
        if path.suffix == ".html":
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))))
        elif path.suffix in {".ipynb", ".md", ".txt", ".js"} and not path.is_relative_to(site / "_static"):
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_solutions_are_left_out_by_default_and_present_with_the_option(site, site_with_solutions):
    public, private = readable_text(site), readable_text(site_with_solutions)
    assert not (site / "solutions").exists()
    for name, lines in solution_lines().items():
        shown = [line for line in lines if line in public]
        assert not shown, f"{name}: solution lines on the public site: {shown[:3]}"
        missing = [line for line in lines if line not in private]  # the same search finds them where they are
        assert not missing, f"{name}: --with-solutions lacks {missing[:3]}"


def _escape(line: str) -> str:
    return html.escape(line, quote=False)


def test_the_solutions_option_adds_every_solved_sheet(site_with_solutions):
    for name in SOLUTIONS:
        page = site_with_solutions / "solutions" / f"{name}.html"
        assert page.exists(), f"--with-solutions built no page for {name}"
        assert "passed" in page.read_text(encoding="utf-8"), f"{name}: no check output on the solution page"


# --- links, network, maths ----------------------------------------------------------------------------


def test_every_internal_link_and_anchor_resolves(site):
    parsed = pages(site)
    broken = []
    for path, page in parsed.items():
        if path.is_relative_to(site / "_static"):
            continue  # the theme's template fragments, not pages
        for where, link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {where}={link} (no such file)")
            elif parts.fragment and target.suffix == ".html" and target in parsed:
                if unquote(parts.fragment) not in parsed[target].ids:
                    broken.append(f"{path.relative_to(site)}: {where}={link} (no such anchor)")
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken[:30])


def test_nothing_is_fetched_from_the_network(site):
    remote = []
    for path, page in pages(site).items():
        for where, link in page.links:
            if where in {"script.src", "link.href", "img.src", "iframe.src", "source.src"} and \
                    (urlsplit(link).scheme in {"http", "https"} or link.startswith("//")):
                remote.append(f"{path.relative_to(site)}: {where}={link}")
    for css in site.rglob("*.css"):
        remote += [f"{css.relative_to(site)}: {m}" for m in re.findall(r"url\(\s*['\"]?(?:https?:)?//[^)]*\)",
                                                                        css.read_text(encoding="utf-8"))]
    assert not remote, "resources loaded from the network:\n" + "\n".join(remote[:20])


def test_maths_is_marked_up_for_the_bundled_mathjax_and_no_dollar_is_left_raw(site):
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").stat().st_size > 500_000
    assert next((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("MathJax_Main-*.woff"))
    for lesson in LESSONS[1:]:  # 00 has no formulas
        path = site / "notebooks" / f"{lesson}.html"
        page = Page(path)
        assert page.math >= 20, f"{lesson}: only {page.math} formulas marked up for MathJax"
        scripts = [urlsplit(link).path for where, link in page.links if where == "script.src"]
        assert "../_static/mathjax/tex-mml-chtml.js" in scripts, f"{lesson}: the bundled MathJax is not loaded"
        raw = [t.strip()[:80] for t in page.prose if "$" in t]
        assert not raw, f"{lesson}: text with a raw $ (maths the parser missed): {raw[:3]}"


def chromium() -> str | None:
    return next(filter(None, map(shutil.which, ["chromium", "chromium-browser", "google-chrome", "chrome"])), None)


@pytest.mark.skipif(chromium() is None, reason="no Chromium installed (apt-get install chromium) to typeset maths")
def test_a_browser_offline_typesets_every_formula(site):
    """Chromium with every host unreachable loads each lesson from disk; MathJax must typeset each formula."""
    for lesson in LESSONS[1:]:
        path = site / "notebooks" / f"{lesson}.html"
        result = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--dump-dom",
             path.as_uri()], capture_output=True, text=True, timeout=120)
        dom = result.stdout
        typeset, errors = dom.count("<mjx-container"), dom.count("<mjx-merror")
        assert typeset >= Page(path).math > 0, f"{lesson}: {typeset} formulas typeset of {Page(path).math}"
        assert errors == 0, f"{lesson}: {errors} formulas MathJax could not typeset"


# --- outputs: what the current code prints, widgets as stills -------------------------------------------


def executed(site: Path, lesson: str) -> nbformat.NotebookNode:
    """The executed notebook the page was rendered from, looked up by the current code (else KeyError).

    The cache is the one the build used (named in its marker file; the build keyed it on the package and the
    environment as it found them). The key is not recomputed here: a test process's sys.path is not the build's.
    """
    from jupyter_cache import get_cache

    cache_folder = site_build.CACHES / json.loads((site / site_build.MARKER).read_text())["cache"]
    assert cache_folder.is_dir(), f"the build's cache {cache_folder} is missing"
    cache = get_cache(cache_folder)
    record = cache.match_cache_notebook(nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", 4))
    return cache.get_cache_bundle(record.pk).nb


def test_each_page_comes_from_an_execution_of_the_current_code(site):
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location('b', sys.argv[1]); "
            "b = importlib.util.module_from_spec(spec); spec.loader.exec_module(b); print(b.cache_key())")
    now = subprocess.run([sys.executable, "-c", code, str(ROOT / "website" / "build.py")], capture_output=True,
                         text=True, cwd=ROOT / "website", timeout=60).stdout.strip()
    used = json.loads((site / site_build.MARKER).read_text())["cache"]
    assert now == used, f"the site was built from cache {used}, but the package and environment now give {now}"
    for lesson in LESSONS:
        notebook = executed(site, lesson)  # KeyError: the page was not rendered from the code as it is now
        texts = [o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs
                 if o.output_type == "stream" and o.get("name") == "stdout"]
        page = (site / "notebooks" / f"{lesson}.html").read_text(encoding="utf-8")
        lines = [l.strip() for t in texts for l in t.splitlines() if len(l.strip()) > 20][:5]
        assert lines, f"{lesson}: the executed notebook printed nothing"
        for line in lines:
            assert _escape(line) in page, f"{lesson}: the page lacks the printed line {line!r}"


def test_the_cache_key_follows_the_package_and_the_environment(tmp_path, monkeypatch):
    real = site_build.installed()
    assert any(line.startswith("torch==") for line in real) and any(line.startswith("numpy==") for line in real)
    (tmp_path / "course_utils" / "checks").mkdir(parents=True)
    (tmp_path / "course_utils" / "info.py").write_text("x = 1\n")
    (tmp_path / "course_utils" / "checks" / "core.py").write_text("y = 1\n")
    monkeypatch.setattr(site_build, "ROOT", tmp_path)
    monkeypatch.setattr(site_build, "installed", lambda: ["numpy==2.3.0", "torch==2.13.0"])
    first = site_build.cache_key()
    assert site_build.cache_key() == first
    (tmp_path / "course_utils" / "checks" / "core.py").write_text("y = 2\n")
    assert site_build.cache_key() != first, "editing course_utils must start a fresh cache"
    first = site_build.cache_key()
    monkeypatch.setattr(site_build, "installed", lambda: ["numpy==2.3.0", "torch==2.14.0"])
    assert site_build.cache_key() != first, "another torch must start a fresh cache"


def test_every_widget_is_a_still_with_a_note_on_running_it_live(site):
    for lesson in LESSONS:
        notebook = executed(site, lesson)
        widgets = sum(WIDGET_VIEW in o.get("data", {}) for c in notebook.cells if c.cell_type == "code"
                      for o in c.outputs)
        path = site / "notebooks" / f"{lesson}.html"
        text = path.read_text(encoding="utf-8")
        assert Page(path).stills == widgets > 0, f"{lesson}: {widgets} widgets, {Page(path).stills} stills"
        assert "bootstrap.py lab" in text
        outputs = "".join(Page(path).outputs)
        assert outputs.strip(), f"{lesson}: no cell outputs found on the page"
        for leftover in ("VBox(", "HBox(", "interactive(", WIDGET_VIEW, "0%|"):
            assert leftover not in outputs, f"{lesson}: a widget shown as {leftover!r} instead of a still"


def test_bad_options_and_foreign_folders_are_clear_errors_and_nothing_is_touched(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("my notes")
    other_kind = tmp_path / "public-copy"
    other_kind.mkdir()
    (other_kind / site_build.MARKER).write_text('{"kind": "public"}')
    cases = [
        (["--out", str(ROOT)], "inside it"),
        (["--out", str(ROOT / "notebooks" / "x")], "inside it"),
        (["--out", str(ROOT / "my-work")], "inside it"),
        (["--out", str(foreign)], "not a site built by this command"),
        (["--with-solutions", "--out", str(other_kind)], "another kind"),
        (["--jobs", "abc"], "number of processes"),
        (["--nope"], "unrecognized arguments"),
    ]
    for args, expected in cases:
        result = subprocess.run([sys.executable, str(ROOT / "website" / "build.py"), *args], capture_output=True,
                                text=True, cwd=ROOT, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
    assert (foreign / "notes.txt").read_text() == "my notes" and sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in other_kind.iterdir()) == [site_build.MARKER]


def test_a_later_build_replaces_an_earlier_copy_leaves_nothing_stale_and_links_the_repository(site, tmp_path):
    out = tmp_path / "copy"
    build(out)
    (out / "notebooks" / "99_removed_lesson.html").write_text("stale")
    url = "https://example.org/course/why-nets-generalize"
    build(out, "--repository-url", url)
    assert not (out / "notebooks" / "99_removed_lesson.html").exists()
    assert (out / "README.html").read_text(encoding="utf-8").count(f'href="{url}"') == 2  # sidebar and welcome
    assert f'href="{url}"' in (out / "notebooks" / f"{LESSONS[1]}.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == sorted(p.name for p in (site / "notebooks").iterdir())


def test_one_working_sidebar_toggle_our_stylesheet_and_tables_rendered_as_tables(site):
    for lesson in LESSONS:
        page = (site / "notebooks" / f"{lesson}.html").read_text(encoding="utf-8")
        toggles = len(re.findall(r'class="[^"]*\bprimary-toggle\b', page))
        assert toggles == 1, f"{lesson}: {toggles} primary sidebar toggles (the theme's script binds only the first)"
        assert 'href="../_static/course.css' in page, f"{lesson}: the course's stylesheet (figure sizing) is not linked"
        outputs = "".join(Page(site / "notebooks" / f"{lesson}.html").outputs)
        raw = re.findall(r"\|\s*:?(?:-{3,}|[\u2013\u2014]+-?):?\s*\|", outputs)  # |---:| (or typeset as |—:|)
        assert not raw, f"{lesson}: a Markdown table printed as text: {raw[:2]}"


def test_figures_are_drawn_at_twice_their_displayed_size(site):
    checked = 0
    for lesson in LESSONS[1:]:
        page = (site / "notebooks" / f"{lesson}.html").read_text(encoding="utf-8")
        for src, width in re.findall(r'<img[^>]*src="(\.\./_images/[^"]+\.png)"[^>]*width="(\d+)', page):
            with open(site / "notebooks" / src, "rb") as png:
                pixels = int.from_bytes(png.read(24)[16:20], "big")  # the IHDR chunk's width
            assert pixels // 2 == int(width), f"{lesson}: {src} has {pixels} px shown at {width} px"
            checked += 1
    assert checked >= 30, f"only {checked} figures checked"
