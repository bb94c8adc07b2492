"""Build the course website into build/site (git-ignored): `python3 bootstrap.py site`.

    python3 bootstrap.py site                    # the lessons, sheets as downloads, instructors' pages
    python3 bootstrap.py site --with-solutions   # also the solved sheets, into build/site-with-solutions
                                                 # (for instructors: keep that build off public hosts)
    python3 bootstrap.py site --out DIR          # build somewhere else

Every lesson is executed during the build, so each page shows what the code prints now. Executed
notebooks are cached (jupyter-cache) under build/site-cache/KEY, where KEY hashes the course package,
the installed packages and the Python version: jupyter-cache itself only notices edits to a notebook's code
cells, so a change to `course_utils` or to the environment starts a fresh cache (the older ones are removed). A first build runs every
lesson (about two minutes on two cores); a second one, with nothing changed, takes seconds.
Warnings are errors, and a link to a page that does not exist is a warning.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHES = ROOT / "build" / "site-cache"
SOURCES = ("notebooks", "exercises", "solutions", "course_utils", "docs", "website", "tests", ".git", ".venv")


QUIET_PROGRESS = '''"""Written by website/build.py for the site's kernels: no progress bars on a static page."""
import tqdm.auto


class _QuietProgress(tqdm.auto.tqdm):
    """A bar that draws nothing: a page can only show a bar's first state (0%), as a widget it cannot run."""

    def __init__(self, *args, **kwargs):
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)


tqdm.auto.tqdm = _QuietProgress
'''


def installed() -> list[str]:
    """Every package installed in this environment, as name==version (the pins say what should be; this is what is)."""
    from importlib import metadata

    return sorted({f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions() if d.metadata["Name"]})


def cache_key() -> str:
    """A hash of everything outside a notebook that decides what the notebook prints.

    jupyter-cache matches a notebook by its code cells only; this key adds the course package's source, the
    installed packages and the exact Python, so a change to any of them executes every lesson afresh.
    """
    digest = hashlib.sha256(f"{sys.version}\n{QUIET_PROGRESS}\n".encode())
    digest.update("\n".join(installed()).encode())
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def quiet_progress_profile() -> Path:
    """An IPython folder whose start-up file turns off tqdm's bars in the kernels that execute the lessons."""
    folder = ROOT / "build" / "site-ipython"
    startup = folder / "profile_default" / "startup" / "00-quiet-progress.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    if not startup.exists() or startup.read_text() != QUIET_PROGRESS:
        startup.write_text(QUIET_PROGRESS)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap.py site", description=__doc__.splitlines()[0])
    parser.add_argument("--with-solutions", action="store_true", help="include the solved sheets as pages")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default build/site, or build/site-with-solutions with --with-solutions)")
    parser.add_argument("--jobs", default="auto", help="parallel workers for sphinx-build (default: one per core)")
    args = parser.parse_args(argv)
    default = "site-with-solutions" if args.with_solutions else "site"  # never mix solutions into the public build
    out = (args.out or ROOT / "build" / default).resolve()
    tracked = [ROOT / name for name in SOURCES]
    if ROOT.is_relative_to(out) or any(out.is_relative_to(folder) for folder in tracked):
        parser.error(f"--out {args.out}: that would write into the course itself; pick a build folder")

    key = cache_key()
    cache = CACHES / key
    for old in CACHES.glob("*") if CACHES.is_dir() else []:
        if old.is_dir() and old.name != key:
            shutil.rmtree(old)  # executed with an older course package: never shown again
    env = dict(os.environ, COURSE_SITE_CACHE=str(cache), COURSE_SITE_STATIC=str(ROOT / "build" / "site-static"),
               COURSE_SITE_SOLUTIONS="1" if args.with_solutions else "0", PYDEVD_DISABLE_FILE_VALIDATION="1",
               IPYTHONDIR=str(quiet_progress_profile()))
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT / "website"), "-W", "--keep-going",
               "-n", "-j", str(args.jobs), "-d", str(out.parent / (out.name + "-doctrees")), str(ROOT), str(out)]
    print(f"site: building into {out} (cache {cache.relative_to(ROOT)}) ...", flush=True)
    start = time.perf_counter()
    # Sphinx reports its progress (reading sources... [ 40%] notebooks/03_perplexity) and myst-nb each
    # notebook it executes; only ipykernel's note that its local socket is unencrypted is dropped, ten times over.
    with subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) as process:
        for line in process.stderr:
            if "Kernel is running over TCP without encryption" not in line:
                sys.stderr.write(line)
    status = process.returncode
    if status != 0:
        print(f"site: the build failed (exit {status}); the messages above name the page and the cell", file=sys.stderr)
        return status
    print(f"site: built in {time.perf_counter() - start:.1f} s. Open {(out / 'index.html').as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
