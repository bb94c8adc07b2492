"""course_utils.exercises: solution regions become stubs, outputs go, and a learner's edits are never lost."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.exercises import make_sheet, sheet_is_pristine, strip_solutions, sync_sheets


def test_strip_keeps_indentation_and_surroundings():
    source = "def f(x):\n    y = x\n    ### BEGIN SOLUTION\n    return y * 2\n    ### END SOLUTION\n# after"
    assert strip_solutions(source) == "def f(x):\n    y = x\n    # YOUR CODE HERE\n    raise NotImplementedError()\n# after"


def test_strip_markdown_and_several_regions():
    assert strip_solutions("Answer:\n### BEGIN SOLUTION\n42\n### END SOLUTION", "markdown") == "Answer:\nYOUR ANSWER HERE"
    two = "### BEGIN SOLUTION\na\n### END SOLUTION\nkeep\n### BEGIN SOLUTION\nb\n### END SOLUTION"
    assert strip_solutions(two).count("raise NotImplementedError()") == 2 and "keep" in strip_solutions(two)


@pytest.mark.parametrize("bad, message", [
    ("### BEGIN SOLUTION\nx", "never closed"),
    ("x\n### END SOLUTION", "without a"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
])
def test_unbalanced_markers_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        strip_solutions(bad, where="nb.ipynb, cell 3")


def solution_notebook(answer: str = "return 2") -> nbformat.NotebookNode:
    code = new_code_cell(f"def f():\n    ### BEGIN SOLUTION\n    {answer}\n    ### END SOLUTION", execution_count=3,
                         outputs=[new_output("stream", name="stdout", text="hi\n")])
    return new_notebook(cells=[new_markdown_cell("# Sheet"), code, new_code_cell("check_f(f)")])


def test_sheet_has_no_solutions_or_outputs():
    sheet = make_sheet(solution_notebook())
    code = sheet.cells[1]
    assert "return 2" not in code.source and code.outputs == [] and code.execution_count is None
    assert sheet_is_pristine(sheet)
    sheet.cells[1].source = code.source.replace("raise NotImplementedError()", "return 2")
    assert not sheet_is_pristine(sheet)


def write(folder: Path, name: str, nb: nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def test_sync_check_backup_and_reset(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions, "01_x.ipynb", solution_notebook())
    assert [r.status for r in sync_sheets(solutions, exercises, check=True)] == ["missing"]
    assert [r.status for r in sync_sheets(solutions, exercises)] == ["written"]
    assert [r.status for r in sync_sheets(solutions, exercises, check=True)] == ["unchanged"]

    # the author changes the solution: the pristine sheet is stale and is replaced without a backup
    write(solutions, "01_x.ipynb", solution_notebook("return 3"))
    assert [r.status for r in sync_sheets(solutions, exercises, check=True)] == ["stale"]
    result = sync_sheets(solutions, exercises)[0]
    assert result.status == "written" and result.backup is None

    # a learner works on the sheet; a reset keeps their work in backups/
    sheet = nbformat.read(exercises / "01_x.ipynb", as_version=4)
    sheet.cells[1].source = sheet.cells[1].source.replace("raise NotImplementedError()", "return 'mine'")
    nbformat.write(sheet, exercises / "01_x.ipynb")
    result = sync_sheets(solutions, exercises, ["01"], force=True)[0]
    assert result.backup is not None and "return 'mine'" in result.backup.read_text()
    assert "return 'mine'" not in (exercises / "01_x.ipynb").read_text()


def test_unknown_lesson_is_a_clear_error(tmp_path: Path):
    write(tmp_path / "solutions", "01_x.ipynb", solution_notebook())
    with pytest.raises(ValueError, match="no solution notebook for 07"):
        sync_sheets(tmp_path / "solutions", tmp_path / "exercises", ["07"])
