"""course_utils.exercises: solution regions become stubs, outputs go, nbgrader metadata is stamped from the
sheet's text, and a learner's edits are never lost."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.exercises import (
    SheetError,
    learner_copy,
    make_sheet,
    read_notebook,
    sheet_is_pristine,
    stamp_notebook,
    stamp_solutions,
    strip_solutions,
    sync_sheets,
)

ROOT = Path(__file__).resolve().parent.parent


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


# -- nbgrader metadata, stamped from the sheet's text -------------------------------------------------
HEADER = "*Difficulty 2/5 · Importance 4/5 · about 10 minutes*"


def sheet_notebook(*, header: str = HEADER, check: str = "from course_utils.checks import check_f\n\ncheck_f(f)",
                   answer: bool = False) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("# Sheet"),
        new_code_cell("import numpy as np"),
        new_markdown_cell(f"## Exercise 1: twice\n{header}\n\nReturn 2."),
        new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION"),
        new_code_cell(check),
        new_markdown_cell(f"## Exercise 2 (optional): why\n{HEADER.replace('4/5', '3/5')}\n\nSay why."),
    ]
    if answer:
        cells.append(new_markdown_cell("### BEGIN SOLUTION\nBecause.\n### END SOLUTION"))
    else:
        cells += [new_code_cell("def g():\n    ### BEGIN SOLUTION\n    return 3\n    ### END SOLUTION"),
                  new_code_cell("from course_utils.checks import check_g\ncheck_g(g)")]
    return new_notebook(cells=cells)


def test_stamp_marks_solution_and_check_cells():
    nb = sheet_notebook()
    nb.cells[1].metadata["nbgrader"] = {"grade": True, "grade_id": "stale", "points": 9}  # an old stamp goes
    exercises = stamp_notebook(nb, "01_x.ipynb")
    assert [(e.number, e.importance, e.difficulty, e.minutes, e.optional) for e in exercises] == \
        [(1, 4, 2, 10, False), (2, 3, 2, 10, True)]
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert meta[0] is None and meta[1] is None and meta[2] is None and meta[5] is None
    assert meta[3] == {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3, "solution": True,
                       "task": False}
    assert meta[4] == {"grade": True, "grade_id": "check_f", "locked": True, "points": 4, "schema_version": 3,
                       "solution": False, "task": False}
    assert meta[7]["grade_id"] == "check_g" and meta[7]["points"] == 3


def test_stamp_is_idempotent_and_deterministic():
    once = sheet_notebook()
    stamp_notebook(once)
    twice = copy.deepcopy(once)
    stamp_notebook(twice)
    other = sheet_notebook()
    stamp_notebook(other)
    assert nbformat.writes(once) == nbformat.writes(twice)
    assert [c.metadata for c in once.cells] == [c.metadata for c in other.cells]  # (new cells get random ids)


def test_markdown_answer_is_graded_by_hand():
    nb = sheet_notebook(answer=True)
    stamp_notebook(nb)
    assert nb.cells[6].metadata["nbgrader"] == {"grade": True, "grade_id": "exercise2-answer", "locked": False,
                                                "points": 3, "schema_version": 3, "solution": True, "task": False}


@pytest.mark.parametrize("change, message", [
    (dict(check="check_f(f)"), "calls check_f without importing it; write 'from course_utils.checks import check_f'"),
    (dict(header="Difficulty: hard"), "the line below the title must be the header"),
    (dict(check="from course_utils.checks import check_f\ncheck_f(f)\ncheck_f(f)\n"), None),  # one cell, fine
])
def test_stamp_explains_broken_conventions(change, message):
    nb = sheet_notebook(**change)
    if message is None:
        stamp_notebook(nb)
        return
    with pytest.raises(SheetError, match=re.escape(message)) as info:
        stamp_notebook(nb, "solutions/01_x.ipynb")
    assert "solutions/01_x.ipynb, cell" in str(info.value)


def test_duplicate_grade_ids_and_loose_cells_are_refused():
    nb = sheet_notebook()
    nb.cells[6].source = nb.cells[3].source  # two solution cells define f
    nb.cells[7].source = nb.cells[4].source
    with pytest.raises(SheetError, match="would share the grade_id 'f'"):
        stamp_notebook(nb)
    nb = sheet_notebook()
    nb.cells.insert(1, new_code_cell("def h():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"))
    with pytest.raises(SheetError, match="before the first '## Exercise' header"):
        stamp_notebook(nb)
    nb = sheet_notebook()
    del nb.cells[4]  # exercise 1 loses its check cell
    with pytest.raises(SheetError, match="0 check cells"):
        stamp_notebook(nb)


def test_stamp_solutions_writes_once_and_the_sheet_keeps_the_metadata(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions, "01_x.ipynb", sheet_notebook())
    assert [r.status for r in stamp_solutions(solutions, check=True)] == ["stale"]
    assert [r.status for r in stamp_solutions(solutions)] == ["stamped"]
    assert [r.status for r in stamp_solutions(solutions)] == ["unchanged"]
    sync_sheets(solutions, exercises)
    sheet = nbformat.read(exercises / "01_x.ipynb", as_version=4)
    assert sheet.cells[4].metadata["nbgrader"]["points"] == 4 and "return 2" not in sheet.cells[3].source
    assert sheet.cells[3].metadata["nbgrader"]["solution"] is True


def test_the_repository_solutions_are_stamped_and_valid():
    results = stamp_solutions(ROOT / "solutions", check=True)
    assert results and all(r.status == "unchanged" for r in results), \
        [r.name for r in results if r.status != "unchanged"]


# -- a learner's work is never lost ----------------------------------------------------------------
def edit(path: Path, text: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("raise NotImplementedError()", text)
    nbformat.write(nb, path)


def test_an_edited_sheet_is_kept_while_its_source_is_unchanged(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions, "01_x.ipynb", solution_notebook())
    sync_sheets(solutions, exercises)
    edit(exercises / "01_x.ipynb", "return 'mine'")
    for _ in range(2):
        result = sync_sheets(solutions, exercises)[0]
        assert result.status == "kept" and result.backup is None
    assert "return 'mine'" in (exercises / "01_x.ipynb").read_text()


def test_backups_never_overwrite_each_other(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions, "01_x.ipynb", solution_notebook())
    sync_sheets(solutions, exercises)
    backups = []
    for attempt in range(3):  # three resets within the same second
        edit(exercises / "01_x.ipynb", f"return {attempt}")
        backups.append(sync_sheets(solutions, exercises, force=True)[0].backup)
    assert len(set(backups)) == 3
    assert [f"return {i}" in b.read_text() for i, b in enumerate(backups)] == [True] * 3


def test_a_sheet_broken_by_a_merge_conflict_is_saved_and_replaced(tmp_path: Path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solutions, "01_x.ipynb", solution_notebook())
    sync_sheets(solutions, exercises)
    broken = "<<<<<<< HEAD\n" + (exercises / "01_x.ipynb").read_text() + "=======\n>>>>>>> origin/main\n"
    (exercises / "01_x.ipynb").write_text(broken)
    with pytest.raises(SheetError, match="conflict markers"):
        read_notebook(exercises / "01_x.ipynb")
    result = sync_sheets(solutions, exercises)[0]
    assert result.status == "written" and "not a valid notebook" in result.note
    assert result.backup.read_text() == broken
    assert sheet_is_pristine(nbformat.read(exercises / "01_x.ipynb", as_version=4))


def test_learner_copy_is_never_overwritten(tmp_path: Path):
    solutions, exercises, work = tmp_path / "solutions", tmp_path / "exercises", tmp_path / "my-work"
    write(solutions, "01_x.ipynb", solution_notebook())
    sync_sheets(solutions, exercises)
    copy_path, backup, written = learner_copy(exercises, work, "01")
    assert written and backup is None and copy_path == work / "01_x.ipynb"
    edit(copy_path, "return 'mine'")
    assert learner_copy(exercises, work, "01") == (copy_path, None, False)
    write(solutions, "01_x.ipynb", solution_notebook("return 4"))  # the course changes the sheet
    sync_sheets(solutions, exercises)
    assert "return 'mine'" in copy_path.read_text()
    fresh = [learner_copy(exercises, work, "01", fresh=True)[1] for _ in range(2)]  # two resets, one second
    assert len(set(fresh)) == 2 and "return 'mine'" in fresh[0].read_text()
    assert "return 'mine'" not in copy_path.read_text()
    with pytest.raises(ValueError, match="no exercise sheet for 07"):
        learner_copy(exercises, work, "07")
