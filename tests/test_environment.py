"""The set-up: environment.yml pins exactly what requirements.txt pins; the package metadata stays loose;
importing the package changes no global state."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)$")


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line.strip().removeprefix("- ").strip())
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_environment_yml_pins_the_same_set_as_requirements():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    environment = pins((ROOT / "environment.yml").read_text().splitlines())
    assert len(requirements) > 50
    only_req = {k: v for k, v in requirements.items() if environment.get(k) != v}
    only_env = {k: v for k, v in environment.items() if requirements.get(k) != v}
    assert not only_req and not only_env, f"drift: requirements.txt {only_req} vs environment.yml {only_env}"


def test_every_line_of_requirements_is_an_exact_pin():
    lines = [l for l in (ROOT / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert all(PIN.match(l) for l in lines), [l for l in lines if not PIN.match(l)]
    assert "torch==2.13.0" in lines  # the CPU build lies on the course's reference machine under this exact pin


def test_package_metadata_is_loose_and_covered_by_the_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    declared = project["dependencies"] + [d for deps in project["optional-dependencies"].values() for d in deps]
    for dependency in declared:
        name = re.split(r"[<>=!~\[ ]", dependency)[0].lower().replace("_", "-")
        assert "==" not in dependency, f"{dependency}: the package metadata should not pin exact versions"
        assert name in requirements, f"{name} is a dependency but requirements.txt does not pin it"


def test_importing_the_package_has_no_side_effects():
    code = (
        "import matplotlib as mpl, torch; before = (dict(mpl.rcParams), torch.get_num_threads(), torch.initial_seed());"
        "import course_utils, course_utils.info, course_utils.checks, course_utils.plots, course_utils.repro, "
        "course_utils.training, course_utils.widgets, course_utils.exercises, course_utils.data, course_utils.cli;"
        "after = (dict(mpl.rcParams), torch.get_num_threads(), torch.initial_seed()); assert before == after, 'side effect'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_bootstrap_explains_itself():
    result = subprocess.run([sys.executable, str(ROOT / "bootstrap.py"), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "python3 bootstrap.py lab" in result.stdout
    result = subprocess.run([sys.executable, str(ROOT / "bootstrap.py"), "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2


def test_nbgrader_is_pinned_for_graded_labs():
    requirements = pins((ROOT / "requirements.txt").read_text().splitlines())
    assert requirements.get("nbgrader") == "0.9.6"
    for dependency in ("alembic", "mako", "notebook", "rapidfuzz", "sqlalchemy"):  # what nbgrader adds
        assert dependency in requirements, f"nbgrader needs {dependency}; pin it"


def load_bootstrap(tmp_path: Path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bootstrap_under_test", ROOT / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bootstrap_never_deletes_a_folder_it_did_not_make(tmp_path: Path, monkeypatch):
    bootstrap = load_bootstrap(tmp_path)
    folder = tmp_path / ".venv"
    folder.mkdir()
    (folder / "thesis.tex").write_text("three years of work")
    created = []
    monkeypatch.setattr(bootstrap.venv.EnvBuilder, "create", lambda self, path: created.append((path, self.clear)))
    with pytest.raises(SystemExit, match="is not a virtual environment .* Nothing was changed"):
        bootstrap.create_venv(folder)
    assert (folder / "thesis.tex").read_text() == "three years of work" and not created
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")  # a broken venv is repaired in place, never cleared
    bootstrap.create_venv(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    bootstrap.create_venv(empty)
    assert created == [(folder, False), (empty, False)]


def test_bootstrap_has_one_documented_place_for_its_environment():
    text = (ROOT / "bootstrap.py").read_text()
    assert "COURSE_VENV" not in text and "clear=True" not in text
    assert 'VENV = ROOT / ".venv"' in text
