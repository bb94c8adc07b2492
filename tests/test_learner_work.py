"""A learner's work: `course start` makes their own copy in my-work/, `course check` shows their progress,
`course reset` keeps the old copy, and neither a command nor a course update (`git pull`) can lose it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_utils.cli import main
from course_utils.exercises import sync_sheets

ROOT = Path(__file__).resolve().parent.parent


def course_with(tmp_path: Path, lesson: str = "01_entropy") -> Path:
    course = tmp_path / "course"
    for folder in ("notebooks", "solutions", "exercises"):
        (course / folder).mkdir(parents=True)
        shutil.copy(ROOT / folder / f"{lesson}.ipynb", course / folder)
    shutil.copy(ROOT / ".gitignore", course / ".gitignore")  # my-work/ is ignored
    return course


def fill(path: Path, solution: Path, replace: tuple[str, str] | None = None) -> None:
    """Paste the solution's code into a learner's copy, cell by cell, with one planted change if asked."""
    work, answers = nbformat.read(path, as_version=4), nbformat.read(solution, as_version=4)
    for mine, theirs in zip(work.cells, answers.cells):
        if "### BEGIN SOLUTION" in theirs.source:
            mine.source = theirs.source
    if replace:
        cells = [c for c in work.cells if replace[0] in c.source]
        assert len(cells) == 1
        cells[0].source = cells[0].source.replace(*replace)
    nbformat.write(work, path)


def test_course_check_on_a_blank_a_correct_and_a_buggy_sheet_01(tmp_path: Path, capsys, monkeypatch):
    course = course_with(tmp_path)
    monkeypatch.chdir(course)
    assert main(["start", "01"]) == 0
    mine = course / "my-work" / "01_entropy.ipynb"
    assert mine.read_text() == (course / "exercises" / "01_entropy.ipynb").read_text()
    capsys.readouterr()

    assert main(["check", "01"]) == 1
    blank = capsys.readouterr().out
    print(blank)
    assert blank.count("· not implemented") == 4 and "0/15 points; 0 passed, 4 not implemented, 0 failed" in blank
    assert "1 entropy" in blank and "0/5" in blank

    fill(mine, course / "solutions" / "01_entropy.ipynb")
    assert main(["check"]) == 0  # every sheet in my-work/
    correct = capsys.readouterr().out
    print(correct)
    assert correct.count("✓ passed") == 4 and "15/15 points; 4 passed, 0 not implemented, 0 failed" in correct

    assert main(["reset", "01"]) == 0
    assert "your previous copy is kept as my-work/backups/01_entropy-" in capsys.readouterr().out
    fill(mine, course / "solutions" / "01_entropy.ipynb", ("np.log2(safe)", "np.log(safe)"))
    assert main(["check", "01"]) == 1
    buggy = capsys.readouterr().out
    print(buggy)
    assert "6/15 points; 2 passed, 0 not implemented, 2 failed" in buggy
    entropy_line = next(line for line in buggy.splitlines() if "1 entropy" in line)
    assert "0/5" in entropy_line and "natural log instead of log2" in entropy_line


def test_a_learner_cell_that_raises_is_named(tmp_path: Path, capsys, monkeypatch):
    course = course_with(tmp_path)
    monkeypatch.chdir(course)
    main(["start", "01"])
    mine = course / "my-work" / "01_entropy.ipynb"
    nb = nbformat.read(mine, as_version=4)
    solution_cell = next(c for c in nb.cells if c.source.startswith("def entropy"))
    solution_cell.source = solution_cell.source.replace("raise NotImplementedError()", "return (")  # SyntaxError
    nbformat.write(nb, mine)
    capsys.readouterr()
    assert main(["check", str(mine)]) == 1  # a path works too
    out = capsys.readouterr().out
    assert "raised SyntaxError" in next(line for line in out.splitlines() if "1 entropy" in line)


def test_a_broken_copy_is_reported_and_reset_keeps_it(tmp_path: Path, capsys, monkeypatch):
    course = course_with(tmp_path)
    monkeypatch.chdir(course)
    main(["start", "01"])
    mine = course / "my-work" / "01_entropy.ipynb"
    broken = "<<<<<<< HEAD\n" + mine.read_text()
    mine.write_text(broken)
    assert main(["check", "01"]) == 2
    assert "conflict markers" in capsys.readouterr().err
    main(["reset", "01"])
    assert [p.read_text() for p in (course / "my-work" / "backups").iterdir()] == [broken]


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main",
                             *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_work_survives_a_course_update_and_every_command(tmp_path: Path, capsys, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    upstream = course_with(tmp_path)
    git(upstream, "init", "-q")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-qm", "course")
    learner = tmp_path / "learner"
    git(tmp_path, "clone", "-q", str(upstream), str(learner))

    monkeypatch.chdir(learner)
    main(["start", "01"])
    mine = learner / "my-work" / "01_entropy.ipynb"
    fill(mine, upstream / "solutions" / "01_entropy.ipynb")
    work = mine.read_text()

    # the course changes the sheet upstream; the learner pulls, regenerates, starts again
    path = upstream / "solutions" / "01_entropy.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA new sentence."
    nbformat.write(nb, path)
    sync_sheets(upstream / "solutions", upstream / "exercises")
    git(upstream, "commit", "-qam", "a new sentence")
    git(learner, "pull", "-q")
    assert "A new sentence" in (learner / "exercises" / "01_entropy.ipynb").read_text()
    assert main(["exercises"]) == 0
    capsys.readouterr()
    assert main(["start", "01"]) == 0
    assert "the course has updated this sheet since you started it; `course reset 01`" in capsys.readouterr().out
    assert mine.read_text() == work, "a command or a course update changed the learner's copy"
    assert git(learner, "status", "--porcelain") == ""  # my-work/ is ignored: nothing for git to merge


def test_a_changed_check_cell_is_run_as_the_course_wrote_it(tmp_path: Path, capsys, monkeypatch):
    course = course_with(tmp_path)
    monkeypatch.chdir(course)
    main(["start", "01"])
    mine = course / "my-work" / "01_entropy.ipynb"
    nb = nbformat.read(mine, as_version=4)
    check_cell = next(c for c in nb.cells if "check_entropy(entropy)" in c.source)
    check_cell.source = "print('✓ entropy: 15 checks passed')"
    nbformat.write(nb, mine)
    before = mine.read_text()
    capsys.readouterr()
    assert main(["check", "01"]) == 1
    out = capsys.readouterr().out
    assert "· not implemented" in next(line for line in out.splitlines() if "1 entropy" in line)
    assert "1 check cell(s) you changed were run as the course wrote them" in out
    assert mine.read_text() == before, "course check must not write the learner's file"


def test_a_hand_edited_blank_sheet_is_kept_then_saved_by_force(tmp_path: Path, capsys, monkeypatch):
    course = course_with(tmp_path)
    monkeypatch.chdir(course)
    sheet = course / "exercises" / "01_entropy.ipynb"
    fill(sheet, course / "solutions" / "01_entropy.ipynb")  # the old habit: working in exercises/ itself
    edited = sheet.read_text()
    assert main(["exercises"]) == 0 and sheet.read_text() == edited
    assert "01_entropy: kept" in capsys.readouterr().out
    assert main(["exercises", "--check"]) == 1
    assert main(["exercises", "--force", "01"]) == 0
    saved = list((course / "exercises" / "backups").iterdir())
    assert [p.read_text() for p in saved] == [edited] and sheet.read_text() != edited
