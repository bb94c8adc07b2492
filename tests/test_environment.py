"""The set-up: environment.yml pins exactly what requirements.txt pins; the package metadata stays loose;
importing the package changes no global state."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

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
