"""The `course` command: `course run` prints its table for every notebook; `exercises` and `reset` work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.cli import main, run_notebook

ROOT = Path(__file__).resolve().parent.parent


def make_course(tmp_path: Path) -> Path:
    for folder in ("notebooks", "solutions", "exercises"):
        (tmp_path / folder).mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("x = sum(range(10))\nprint(x)")]), tmp_path / "notebooks" / "01_ok.ipynb")
    nbformat.write(new_notebook(cells=[new_code_cell("y = 1"), new_code_cell("assert y == 2, 'y should be 2'")]),
                   tmp_path / "notebooks" / "02_bad.ipynb")
    return tmp_path


def test_run_notebook_measures_and_reports_failures(tmp_path: Path):
    course = make_course(tmp_path)
    ok = run_notebook(course / "notebooks" / "01_ok.ipynb")
    assert ok.passed and ok.seconds > 0 and ok.peak_mib and ok.peak_mib > 10
    bad = run_notebook(course / "notebooks" / "02_bad.ipynb")
    assert not bad.passed and bad.failure.startswith("cell 1: AssertionError: y should be 2")


def test_course_run_prints_a_table(tmp_path: Path, capsys, monkeypatch):
    course = make_course(tmp_path)
    monkeypatch.chdir(course)
    status = main(["run", "--folders", "notebooks"])
    out = capsys.readouterr().out.splitlines()
    assert status == 1  # one notebook fails
    assert out[0].split() == ["notebook", "seconds", "peak", "MiB", "result"]
    assert any(line.startswith("notebooks/01_ok.ipynb") and line.endswith("passed") for line in out)
    assert any(line.startswith("notebooks/02_bad.ipynb") and "FAILED at cell 1" in line for line in out)
    assert out[-1] == "1 passed, 1 failed"


def test_course_run_selects_lessons_and_rejects_unknown(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(make_course(tmp_path))
    assert main(["run", "01", "--folders", "notebooks"]) == 0
    assert "02_bad" not in capsys.readouterr().out
    try:
        main(["run", "09", "--folders", "notebooks"])
    except SystemExit as exc:
        assert "no notebook matches 09" in str(exc)
    else:
        raise AssertionError("an unknown lesson should stop with a message")


def test_course_exercises_check_is_green_on_this_repository():
    result = subprocess.run([sys.executable, "-m", "course_utils.cli", "exercises", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "01_entropy: unchanged" in result.stdout


def test_course_run_repeat_reports_the_median(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(make_course(tmp_path))
    assert main(["run", "01", "--folders", "notebooks", "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("median seconds of 2 runs") and "notebooks/01_ok.ipynb" in out
