"""Sphinx configuration of the course website: `python3 bootstrap.py site` (see website/build.py).

The source folder is the repository itself: the README is the home page, each notebook of `notebooks/`
is a lesson page, `docs/` holds the instructors' pages and `website/` the pages only the site has.
Every lesson is executed by the build (myst-nb with jupyter-cache), so a page shows what the code
prints now; the cache folder is keyed on the course package, the installed packages and the Python
(build.py's cache_key), since jupyter-cache alone would only notice edits to a notebook's own code cells.
Run it through build.py; a plain `sphinx-build -c website . OUT` gets the same key.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WITH_SOLUTIONS = os.environ.get("COURSE_SITE_SOLUTIONS") == "1"


def _load_build():
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_site_build", Path(__file__).with_name("build.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_build = _load_build()
os.environ.update(_build.kernel_environment())  # the kernels that execute the lessons inherit it: no tqdm bars
CACHE = os.environ.get("COURSE_SITE_CACHE") or str(_build.CACHES / _build.cache_key())
STATIC = Path(os.environ.get("COURSE_SITE_STATIC", str(ROOT / "build" / "site-static")))
REPOSITORY = os.environ.get("COURSE_SITE_REPOSITORY") or _build.repository_url(None)
course_repository = REPOSITORY or ""  # a config value (see setup), so that a new address re-reads the home page

project = "Why neural networks generalize, told through information theory"
author = "the course authors"
copyright = "the course authors; code MIT, prose and figures CC BY 4.0"

extensions = ["myst_nb"]
root_doc = "README"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")) if WITH_SOLUTIONS else []
PAGES = ["website/sheets", "docs/instructors", "docs/graded-labs", "CONTRIBUTING"]
include_patterns = [
    "README.md",
    *(f"notebooks/{name}.ipynb" for name in LESSONS),
    *(f"solutions/{name}.ipynb" for name in SOLUTIONS),
    *(f"{page}.md" for page in PAGES),
]
exclude_patterns = [".venv", "build", "my-work", ".git", "**/.ipynb_checkpoints"]

# MyST: $...$ and $$...$$ maths, as in the notebooks; headings get anchors for in-page links.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_dmath_double_inline = True  # `$$ ... $$` inside a paragraph, as Jupyter renders it
myst_heading_anchors = 3

# Execution: every lesson runs at build time; a cell that raises fails the build (its asserts are the
# lesson's claims). The cache makes a second build fast.
nb_execution_mode = "cache"
nb_execution_cache_path = CACHE
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown that a cell displays (the lessons' tables) is MyST, with tables
nb_ipywidgets_js = {}  # widgets cannot run on a static page; no widget JavaScript (and nothing from a CDN)
# A widget's output bundle also carries a still picture (text/html); prefer it to the widget view.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

html_theme = "sphinx_book_theme"
html_title = "Why neural networks generalize"
html_static_path = [str(STATIC), str(Path(__file__).with_name("static"))]
html_css_files = ["course.css"]
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "use_download_button": True,
    "use_fullscreen_button": False,
    # No top navbar: with pydata-sphinx-theme 0.20 it repeats the sidebar toggles, and the theme's script binds
    # the first (hidden) copy, so the visible ☰ button did nothing, on a phone too. The sidebar has the search.
    "navbar_start": [],
    "navbar_center": [],
    "navbar_end": [],
    "navbar_persistent": [],
}
if REPOSITORY:  # an icon link works for any host (the theme's repository button knows only three)
    html_theme_options["icon_links"] = [
        {"name": "The course's repository", "url": REPOSITORY, "icon": "fa-solid fa-code-branch", "type": "fontawesome"}
    ]
html_last_updated_fmt = None
html_copy_source = True  # the download button offers each page's source (a lesson's .ipynb)

# Maths offline: MathJax 3 from the `django-static-mathjax` wheel, copied into the site (no CDN).
mathjax_path = "mathjax/tex-mml-chtml.js"
MATHJAX_PARTS = ["tex-mml-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y"]


def _copy_mathjax() -> None:
    try:
        import mathjax  # the django-static-mathjax package: MathJax's own es5 build, nothing Django
    except ImportError as error:
        raise ImportError("the site serves MathJax from the django-static-mathjax package, which is not installed: "
                          "run `python3 bootstrap.py setup` (or pip install -r requirements.txt)") from error

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = STATIC / "mathjax"
    for part in MATHJAX_PARTS:
        origin = source / part
        if not origin.exists():
            raise FileNotFoundError(f"MathJax part {part} missing from {source}: is django-static-mathjax installed?")
        if origin.is_dir():
            shutil.copytree(origin, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / part)


def _home(app, docname: str, source: list[str]) -> None:
    """The home page is the README, which must read well on a code host too: the site adds its own way in at the
    top (where to start reading, where to get the course) and a hidden table of contents at the bottom."""
    if docname != root_doc:
        return
    get = f"[its repository]({REPOSITORY})" if REPOSITORY else "its repository"
    welcome = (
        "\n```{admonition} Start reading here\n:class: tip\n"
        f"Every lesson can be read on this site, starting with [00 · Start here](notebooks/{LESSONS[0]}.ipynb). "
        f"To run the lessons, turn their widgets' knobs and do the checked exercises, get the course from {get} "
        "and run the two commands below.\n```\n"
    )
    title, _, rest = source[0].partition("\n")
    blocks = [("Lessons", [f"notebooks/{n}" for n in LESSONS]), ("Sheets and teaching", PAGES)]
    if SOLUTIONS:
        blocks.append(("Solutions", [f"solutions/{n}" for n in SOLUTIONS]))
    toctrees = "".join(f"\n```{{toctree}}\n:hidden:\n:caption: {caption}\n\n" + "\n".join(entries) + "\n```\n"
                       for caption, entries in blocks)
    source[0] = title + "\n" + welcome + rest + toctrees


def _index(app, exception) -> None:
    """Static hosts serve index.html: send it to the home page."""
    if exception is None and app.builder.format == "html":
        (Path(app.outdir) / "index.html").write_text(
            '<!DOCTYPE html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0; url=README.html">\n'
            '<title>Why neural networks generalize</title>\n<a href="README.html">Why neural networks generalize</a>\n'
        )


def setup(app):
    app.add_config_value("course_repository", "", "env", types=[str])
    _copy_mathjax()
    app.connect("source-read", _home)
    app.connect("build-finished", _index)
    return {"parallel_read_safe": True}
