"""The `course` command: `course run` prints its table for every notebook and refuses what does not exist;
`exercises` works. A learner's own commands (start, check, reset) are in tests/test_learner_work.py."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
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
    assert main(["run", "09", "--folders", "notebooks"]) == 2
    assert "no notebook matches 09" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["run", "nope.ipynb"], "no such notebook: nope.ipynb"),
    (["run", "notebooks/nope.ipynb", "01"], "no such notebook: notebooks/nope.ipynb"),
    (["run", "01", "--folders", "nope"], "no folder nope in"),
    (["check", "03"], "you have no copy of sheet 03 in my-work/ yet: `course start 03`"),
    (["check"], "my-work/ holds no sheet yet"),
    (["start", "07"], "no exercise sheet for 07"),
])
def test_course_commands_reject_what_does_not_exist(tmp_path: Path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(make_course(tmp_path))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--timeout", "--notebook-timeout", "--repeat"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_limits_must_be_positive(tmp_path: Path, capsys, monkeypatch, option, value):
    monkeypatch.chdir(make_course(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "01", f"{option}={value}"])
    assert exit_info.value.code == 2 and "must be more than 0" in capsys.readouterr().err


def test_outside_a_course_folder_is_a_clear_error(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the package's own repository, even though course_utils is importable
    for argv in (["run"], ["exercises"], ["check"], ["start", "01"]):
        assert main(argv) == 2
        assert "is not inside a course folder" in capsys.readouterr().err


def test_a_notebook_that_is_not_json_is_a_failure_row(tmp_path: Path, capsys, monkeypatch):
    course = make_course(tmp_path)
    (course / "notebooks" / "03_conflict.ipynb").write_text("<<<<<<< HEAD\n{}\n=======\n>>>>>>> main\n")
    (course / "notebooks" / "04_text.ipynb").write_text("just some text")
    monkeypatch.chdir(course)
    assert main(["run", "03", "04", "--folders", "notebooks"]) == 1
    out = capsys.readouterr().out
    assert "notebooks/03_conflict.ipynb" in out and "conflict markers" in out
    assert "notebooks/04_text.ipynb" in out and "not valid notebook JSON" in out
    assert out.splitlines()[-1] == "0 passed, 2 failed"


def test_per_notebook_time_limit(tmp_path: Path, capsys, monkeypatch):
    course = make_course(tmp_path)
    cells = [new_code_cell("import time"), *[new_code_cell("time.sleep(1)") for _ in range(30)]]
    nbformat.write(new_notebook(cells=cells), course / "notebooks" / "05_slow.ipynb")
    monkeypatch.chdir(course)
    started = time.perf_counter()
    assert main(["run", "05", "--folders", "notebooks", "--notebook-timeout", "4"]) == 1
    assert time.perf_counter() - started < 25
    assert "stopped after 4 s, the limit for the whole notebook" in capsys.readouterr().out


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


def test_course_exercises_names_the_cell_that_breaks_a_convention(tmp_path: Path, capsys, monkeypatch):
    course = make_course(tmp_path)
    cells = [nbformat.v4.new_markdown_cell("## Exercise 1: twice\nno header here"),
             new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
             new_code_cell("check_f(f)")]
    nbformat.write(new_notebook(cells=cells), course / "solutions" / "01_x.ipynb")
    monkeypatch.chdir(course)
    assert main(["exercises"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("course exercises: the sheets break the conventions (see CONTRIBUTING.md)")
    assert "solutions/01_x.ipynb, cell 0 (Exercise 1: twice): the line below the title must be the header" in err
    assert "solutions/01_x.ipynb, cell 2 (Exercise 1): the check cell calls check_f without importing it" in err
    assert not (course / "exercises" / "01_x.ipynb").exists()
