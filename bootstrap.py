"""Set up the course in ./.venv (once) and then open it or test it.

    python3 bootstrap.py lab      # JupyterLab on notebooks/00_start_here.ipynb (extra arguments go to it)
    python3 bootstrap.py test     # the whole test suite (extra arguments go to pytest)
    python3 bootstrap.py site     # the course website, built into build/site (see website/build.py)
    python3 bootstrap.py setup    # only create or refresh .venv

Needs nothing but Python 3.11+ with its standard library. The first run creates a virtual
environment in `.venv` and installs the pinned set from `requirements.txt` plus this repository's
package; later runs reuse it and skip the install unless the pins or the package metadata changed
(a hash of them is kept in `.venv/course-setup.stamp`). Works the same on Windows (`py bootstrap.py lab`).

The environment is always `.venv` in this folder. The bootstrap never deletes anything: if `.venv` exists
but is not a virtual environment (no `pyvenv.cfg`), it stops and says so instead of clearing it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / "course-setup.stamp"
INPUTS = ("requirements.txt", "pyproject.toml")
MIN_PYTHON = (3, 11)


def venv_python() -> Path:
    """The interpreter inside the course's virtual environment."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def setup_fingerprint() -> str:
    """A hash of everything that decides what gets installed, so a second run can skip pip."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def run(*args: object) -> None:
    """Run a command, stopping with its exit status and the command line if it fails."""
    cmd = [str(a) for a in args]
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0:
        sys.exit(f"bootstrap: this step failed (exit {result.returncode}):\n  {' '.join(cmd)}")


def create_venv(folder: Path) -> None:
    """Create a virtual environment in `folder`, which must be absent, empty, or a (broken) venv: nothing is deleted."""
    if folder.exists() and not folder.is_dir():
        sys.exit(f"bootstrap: {folder} is a file, not a folder; move it away and run this again")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "pyvenv.cfg").exists():
        sys.exit(
            f"bootstrap: {folder} exists and is not a virtual environment (it has no pyvenv.cfg). Nothing was "
            f"changed: move or rename that folder, then run this again."
        )
    print(f"bootstrap: creating the virtual environment {folder} ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=False).create(folder)  # clear=False: repairs a venv, never empties a folder


def ensure_environment() -> Path:
    """Create .venv and install the pinned dependencies, unless that is already done."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(
            f"bootstrap: the course needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer; "
            f"this is {sys.version.split()[0]}. Run it with a newer python (on Windows: py -3.11)."
        )
    python = venv_python()
    if not python.exists():
        create_venv(VENV)
    fingerprint = setup_fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        return python
    print("bootstrap: installing the pinned packages (first run: a few minutes) ...", flush=True)
    STAMP.unlink(missing_ok=True)
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(python, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.txt")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ROOT)
    STAMP.write_text(fingerprint + "\n")
    print("bootstrap: environment ready.", flush=True)
    return python


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in {"lab", "test", "setup", "site"}:
        print(__doc__)
        return 0 if command in {"help", "-h", "--help"} else 2
    python = ensure_environment()
    if command == "setup":
        return 0
    if command == "lab":
        # extra arguments go to JupyterLab (e.g. --port 8889); the start notebook opens unless one is named
        if not any(arg.endswith(".ipynb") for arg in rest):
            rest = [*rest, str(Path("notebooks") / "00_start_here.ipynb")]
        return subprocess.call([str(python), "-m", "jupyter", "lab", *rest], cwd=ROOT)
    if command == "site":
        return subprocess.call([str(python), str(ROOT / "website" / "build.py"), *rest])  # --out DIR: from here
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
