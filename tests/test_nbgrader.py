"""A real nbgrader round trip for every sheet in solutions/: the sheets work as nbgrader source assignments.

For each sheet, a throw-away course in a temporary folder: `generate_assignment` from the solution as it
stands, then four submissions, autograded and given feedback:
- blank: the release as it is, scores 0;
- solved: the solution pasted in, scores full marks;
- buggy: one planted bug, scores full marks minus exactly the points of the exercises it breaks, and the
  feedback HTML holds the checker's message;
- rebinding: the release with a learner cell that rebinds every checker to a fake "✓", scores 0 (the
  locked check cells import their own checkers).
Sheets are discovered from solutions/, so a new lesson is covered by the blank, solved and rebinding
submissions at once; its planted bug comes from tests/test_exercises.py.
"""

from __future__ import annotations

import functools
import html
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.exercises import parse_exercises

nbgrader_api = pytest.importorskip("nbgrader.apps.api", reason="nbgrader is in the pinned test set (requirements.txt)")

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))

# Each sheet's first planted bug in tests/test_exercises.py is graded here too. What it must break is stated for
# the sheets below (the checkers whose exercises lose their points); for any other sheet it is measured.
BROKEN_BY_FIRST_BUG = {
    "01_entropy": {"check_entropy", "check_kl_divergence"},  # kl_divergence reuses the learner's entropy
    "02_cross_entropy": {"check_cross_entropy_loss"},
    "03_perplexity": {"check_perplexity"},
    "07_lottery_tickets": {"check_magnitude_prune", "check_imp_round"},
    "08_grokking": {"check_modular_addition_split"},
    "09_emergence": {"check_token_metrics"},
}


def planted_bug(lesson: str) -> tuple[str, str, str, set[str] | None]:
    """(text in a solution cell, what a learner writes instead, a fragment of the message, what it breaks)."""
    from test_exercises import PLANTED_BUGS

    for bug_lesson, correct, buggy, message in PLANTED_BUGS:
        if bug_lesson == lesson:
            return correct, buggy, message, BROKEN_BY_FIRST_BUG.get(lesson)
    pytest.fail(f"{lesson}: no planted bug in tests/test_exercises.py; add one")


def make_api(course: Path):
    import nbgrader.api

    # Each new gradebook asks the `alembic` command for its schema version (a subprocess costing seconds);
    # the answer is the same for every course of this nbgrader, so ask once per test process.
    if not hasattr(nbgrader.api.get_alembic_version, "cache_info"):
        nbgrader.api.get_alembic_version = functools.cache(nbgrader.api.get_alembic_version)
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "throwaway"
    config.Execute.timeout = 300  # seconds per cell, as for nbval
    config.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]  # no "running over TCP" notice
    config.NbGraderAPI.log_level = "WARN"
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def ok(result: dict) -> dict:
    assert result["success"], result.get("error", "") + result.get("log", "")
    return result


def checker_failures_by_running(nb: nbformat.NotebookNode, folder: Path) -> set[str]:
    """The checkers that fail when the notebook runs top to bottom (used for a sheet not in BROKEN_BY_FIRST_BUG)."""
    from nbclient import NotebookClient

    executed = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                              resources={"metadata": {"path": str(folder)}}).execute()
    return {c.metadata["nbgrader"]["grade_id"] for c in executed.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
            and any(o.output_type == "error" for o in c.get("outputs", []))}


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's own session handling
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_nbgrader_round_trip(solution: Path, tmp_path: Path, monkeypatch):
    started = time.perf_counter()
    lesson = solution.stem
    # nbgrader runs `alembic` (its database migrations) as a command: the environment's scripts must be on PATH
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    course = tmp_path / "course"
    (course / "source" / lesson).mkdir(parents=True)
    (course / "source" / lesson / solution.name).write_bytes(solution.read_bytes())
    api = make_api(course)

    ok(api.generate_assignment(lesson))
    generated = time.perf_counter()
    released = nbformat.read(course / "release" / lesson / solution.name, as_version=4)
    source = nbformat.read(solution, as_version=4)
    exercises = parse_exercises(source, solution.name)
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"]
              for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")}
    full = sum(e.points for e in exercises)
    assert full == sum(points.values()) > 0

    correct, buggy, message, broken = planted_bug(lesson)
    bug = nbformat.read(solution, as_version=4)
    planted = [c for c in bug.cells if c.cell_type == "code" and correct in c.source]
    assert len(planted) == 1, f"{correct!r} should occur in exactly one cell of {solution.name}"
    planted[0].source = planted[0].source.replace(correct, buggy)
    if broken is None:
        broken = checker_failures_by_running(bug, solution.parent)

    cheat = nbformat.read(course / "release" / lesson / solution.name, as_version=4)
    checkers = sorted({name for e in exercises for name in e.checkers})
    cheat.cells.insert(2, nbformat.v4.new_code_cell("\n".join(f'{c} = lambda f: print("✓")' for c in checkers)))

    submissions = {"blank": released, "solved": source, "buggy": bug, "rebinding": cheat}
    for student, nb in submissions.items():
        folder = course / "submitted" / student / lesson
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / solution.name)
    graded = time.perf_counter()
    ok(api.autograde(lesson, "*"))
    autograded = time.perf_counter()
    ok(api.generate_feedback(lesson, "buggy"))
    phases = (f"generate {generated - started:.1f} s, autograde {autograded - graded:.1f} s, "
              f"feedback {time.perf_counter() - autograded:.1f} s")

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(lesson, s).score for s in submissions}
        lost = {g.name for g in gradebook.find_submission_notebook(solution.stem, lesson, "buggy").grades
                if g.score < g.max_score}
    print(f"{lesson}: {scores} of {full} points; the bug breaks {sorted(lost)}; "
          f"round trip {time.perf_counter() - started:.1f} s ({phases})")
    assert scores["blank"] == 0
    assert scores["solved"] == full
    assert lost == broken
    assert scores["buggy"] == full - sum(points[name] for name in broken)
    assert scores["rebinding"] == 0, "a learner cell that rebinds a checker must not earn points"

    feedback = (course / "feedback" / "buggy" / lesson / f"{lesson}.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    assert message in text, f"the feedback does not show the checker's message {message!r}"
