"""Build the course website into build/site (git-ignored): `python3 bootstrap.py site`.

    python3 bootstrap.py site                    # the lessons, sheets as downloads, instructors' pages
    python3 bootstrap.py site --with-solutions   # also the solved sheets, into build/site-with-solutions
                                                 # (for instructors: keep that build off public hosts)
    python3 bootstrap.py site --out DIR          # then copy the finished site to DIR (e.g. to publish it)

Every lesson is executed during the build, so each page shows what the code prints now. Executed
notebooks are cached (jupyter-cache) under build/site-cache/KEY, where KEY hashes the course package,
the installed packages, the Python version and the build kernels' settings: jupyter-cache itself only
notices edits to a notebook's code cells, so a change to `course_utils` or to the environment executes
every lesson afresh. A first build runs every lesson (about two minutes on two cores); a second one,
with nothing changed, takes seconds. Warnings are errors, and a link to a missing page or file is a warning.

Each build starts from an empty folder, so a page of a removed lesson or of the solutions never lingers
in the public site. Only folders this script made (they hold a `.course-site` file) are ever replaced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
CACHES = BUILD / "site-cache"
MARKER = ".course-site"
KEEP_CACHES = 3  # e.g. the venv's and the conda environment's, and the one before the last package edit

# The kernels that execute the lessons for the site read this IPython profile (conf.py points IPYTHONDIR at it).
KERNEL_STARTUP = '''"""Written by website/build.py for the site's kernels: no progress bars on a static page."""
import tqdm.auto


class _QuietProgress(tqdm.auto.tqdm):
    """A bar that draws nothing: a page can only show a bar's first state (0%), as a widget it cannot run."""

    def __init__(self, *args, **kwargs):
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)


tqdm.auto.tqdm = _QuietProgress
'''
KERNEL_CONFIG = '''# Written by website/build.py for the site's kernels: figures at twice the pixels, shown at the same size,
# so that small print in wide figures stays sharp when a reader zooms.
c.InlineBackend.figure_formats = {"retina"}
'''


def installed() -> list[str]:
    """Every package installed in this environment, as name==version (the pins say what should be; this is what is)."""
    from importlib import metadata

    return sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions() if d.metadata["Name"]})


def cache_key() -> str:
    """A hash of everything outside a notebook that decides what the notebook prints.

    jupyter-cache matches a notebook by its code cells only; this key adds the course package's source, the
    installed packages, the exact Python and the kernels' settings, so a change to any of them executes every
    lesson afresh.
    """
    digest = hashlib.sha256(f"{sys.version}\n{KERNEL_STARTUP}\n{KERNEL_CONFIG}\n".encode())
    digest.update("\n".join(installed()).encode())
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def kernel_environment() -> dict[str, str]:
    """Environment for the kernels that execute the lessons (inherited from the Sphinx process)."""
    profile = BUILD / "site-ipython" / "profile_default"
    for path, text in [(profile / "startup" / "00-quiet-progress.py", KERNEL_STARTUP),
                       (profile / "ipython_kernel_config.py", KERNEL_CONFIG)]:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return {"IPYTHONDIR": str(profile.parent), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


def prune_caches(current: Path) -> None:
    """Keep the current cache and the most recently used others, KEEP_CACHES in all."""
    current.mkdir(parents=True, exist_ok=True)
    current.touch()  # marks it as just used
    others = sorted((p for p in CACHES.iterdir() if p.is_dir() and p != current), key=lambda p: p.stat().st_mtime)
    for old in others[: max(0, len(others) - (KEEP_CACHES - 1))]:
        shutil.rmtree(old)  # executions for a package or an environment no longer in use


def repository_url(given: str | None) -> str | None:
    """The public address of the course's repository: --repository-url, else git's origin if it is a web address."""
    if given:
        return given
    try:
        origin = subprocess.run(["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if origin.startswith("git@") and ":" in origin:  # git@host:owner/name.git
        host, path = origin[4:].split(":", 1)
        origin = f"https://{host}/{path}"
    return origin.removesuffix(".git") if origin.startswith("https://") else None


def replaceable(folder: Path, kind: str) -> str | None:
    """None if `folder` may be replaced by a site of this kind (absent, empty, or one this script built), else why not."""
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return None
    marker = folder / MARKER
    if not marker.is_file():
        return f"{folder} exists and is not a site built by this command (no {MARKER} file in it)"
    try:
        found = json.loads(marker.read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        found = None
    if found != kind:
        return f"{folder} holds a site of another kind ({found or 'unknown'}), not a {kind} one"
    return None


def jobs(value: str) -> str:
    if value == "auto" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError(f"{value!r}: give a number of processes (1, 2, ...) or 'auto'")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap.py site", description=__doc__.splitlines()[0])
    parser.add_argument("--with-solutions", action="store_true",
                        help="include the solved sheets as pages; builds into build/site-with-solutions")
    parser.add_argument("--out", type=Path, default=None,
                        help="copy the finished site to this folder (absent, empty, or an earlier copy); "
                             "outside the course folder or inside its build/")
    parser.add_argument("--repository-url", default=None,
                        help="the course's public repository, linked from every page (default: git's origin, "
                             "if it is a web address)")
    parser.add_argument("--jobs", type=jobs, default="auto", help="parallel Sphinx processes (default: auto)")
    args = parser.parse_args(argv)

    kind = "with-solutions" if args.with_solutions else "public"
    site = BUILD / ("site-with-solutions" if args.with_solutions else "site")  # never mixed, never reused
    out = args.out.expanduser().resolve() if args.out else None
    if out is not None and (ROOT.is_relative_to(out) or (out.is_relative_to(ROOT) and not out.is_relative_to(BUILD))):
        parser.error(f"--out {args.out}: that is the course folder or inside it; pick a folder outside it "
                     f"(or under build/), e.g. ../course-site")
    for folder in filter(None, [site, out]):
        if reason := replaceable(folder, kind):
            parser.error(f"{reason}; nothing was changed: move it away or pick another --out")

    key = cache_key()
    prune_caches(CACHES / key)
    url = repository_url(args.repository_url)
    env = dict(os.environ, **kernel_environment(), COURSE_SITE_CACHE=str(CACHES / key),
               COURSE_SITE_STATIC=str(BUILD / "site-static"), COURSE_SITE_SOLUTIONS="1" if args.with_solutions else "0",
               COURSE_SITE_REPOSITORY=url or "")
    doctrees = BUILD / "site-doctrees" / kind
    for folder in (site, doctrees):  # our own earlier build (checked above) and Sphinx's notes on it: start empty,
        if folder.exists():          # so no stale page is published and every configuration change applies
            shutil.rmtree(folder)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT / "website"), "-W", "--keep-going",
               "-n", "-j", args.jobs, "-d", str(doctrees), str(ROOT), str(site)]
    print(f"site: building into {site} (cache build/site-cache/{key}) ...", flush=True)
    start = time.perf_counter()
    # Sphinx reports its progress (reading sources... [ 40%] notebooks/03_perplexity) and myst-nb each
    # notebook it executes; only ipykernel's note that its local socket is unencrypted is dropped, ten times over.
    with subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as process:
        for line in process.stderr:
            if "Kernel is running over TCP without encryption" not in line:
                sys.stderr.write(line)
    if process.returncode != 0:
        print(f"site: the build failed (exit {process.returncode}); the messages above name the page and the cell",
              file=sys.stderr)
        return process.returncode
    (site / MARKER).write_text(json.dumps({"kind": kind, "cache": key}) + "\n")
    where = site
    if out is not None and out != site:
        if out.exists():
            shutil.rmtree(out)  # empty, or an earlier copy of a site (checked above)
        shutil.copytree(site, out)
        where = out
    print(f"site: built in {time.perf_counter() - start:.1f} s. Open {(where / 'index.html').as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
