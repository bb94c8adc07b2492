"""Generate the learners' exercise sheets from the solution notebooks, stamp nbgrader's metadata, and
check that everything is in sync.

`solutions/NN_topic.ipynb` is the single source. Code between nbgrader's markers

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

becomes `# YOUR CODE HERE` and `raise NotImplementedError()` (indented like the markers); in a
markdown cell the region becomes `YOUR ANSWER HERE`. Outputs and execution counts are cleared.

nbgrader's cell metadata (schema 3) is derived from the sheet's text, never written by hand
(`stamp_notebook`): each exercise starts with a markdown cell

    ## Exercise 2: cross-entropy
    *Difficulty 2/5 · Importance 4/5 · about 10 minutes*

its solution cell becomes an autograded answer (`grade_id` = the function's name), its check cell
(which imports its own checker and calls it) a locked autograder test worth the exercise's importance
in points, and a markdown answer region a manually graded answer worth the same. Every other cell
carries no nbgrader metadata. Stamping is idempotent and deterministic, so a merge conflict in the
metadata is resolved by taking either side and stamping again.

Nothing a learner wrote is lost: each generated sheet records a fingerprint of its own content in
its metadata. A sheet that still matches it is overwritten freely; one a learner has changed is kept
as it is while its source is unchanged, and copied to `exercises/backups/` under a name no other
backup has before it is replaced. (Learners work on their own copy in `my-work/`; see `learner_copy`.)
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN", "END", "strip_solutions", "make_sheet", "sheet_is_pristine", "sync_sheets", "SyncResult",
    "SheetError", "Exercise", "parse_exercises", "stamp_notebook", "stamp_solutions", "StampResult",
    "read_notebook", "unique_path", "learner_copy", "LEARNER_FOLDER",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
ANSWER_STUB = ["YOUR ANSWER HERE"]
LEARNER_FOLDER = "my-work"
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?:#\s*)?### (?P<kind>BEGIN|END) SOLUTION\s*$")
_HAS_MARKER = re.compile(r"^[ \t]*(?:#\s*)?### BEGIN SOLUTION\s*$", re.MULTILINE)
_TITLE = re.compile(r"^## Exercise (?P<number>\d+)(?P<optional> \(optional\))?: (?P<title>\S.*)$")
_TITLE_START = re.compile(r"^#+\s*Exercise\b")
_HEADER = re.compile(r"^\*Difficulty (?P<difficulty>[1-5])/5 · Importance (?P<importance>[1-5])/5 · "
                     r"about (?P<minutes>\d+) minutes?\*\s*$")
HEADER_EXAMPLE = "*Difficulty 2/5 · Importance 4/5 · about 10 minutes*"
_CHECK_CALL = re.compile(r"^\s*(check_\w+)\s*\(", re.MULTILINE)
_CHECK_IMPORT = re.compile(r"^\s*from\s+course_utils\.checks(?:\.\w+)?\s+import\s+(\([^)]*\)|[^\n]+)", re.MULTILINE)
_DEF = re.compile(r"^def\s+(\w+)\s*\(", re.MULTILINE)


class SheetError(ValueError):
    """A sheet breaks the conventions the generator and nbgrader rely on; the message lists every problem."""


def strip_solutions(source: str, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every solution region in a cell's source with the learner's stub."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.split("\n"), start=1):
        match = _MARKER.match(line)
        if match and match["kind"] == "BEGIN":
            if inside:
                raise ValueError(f"{where}, line {number}: '{BEGIN}' inside another solution region")
            inside = True
            stub = CODE_STUB if cell_type == "code" else ANSWER_STUB
            out.extend(match["indent"] + s for s in stub)
        elif match and match["kind"] == "END":
            if not inside:
                raise ValueError(f"{where}, line {number}: '{END}' without a '{BEGIN}' before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' is never closed by '{END}'")
    return "\n".join(out)


# -- nbgrader metadata, derived from the sheet's text ------------------------------------------------
@dataclass
class Exercise:
    """One exercise of a sheet, as read from its header and the cells below it (indices into nb.cells)."""

    number: int
    title: str
    optional: bool
    difficulty: int
    importance: int
    minutes: int
    header_cell: int
    solution_cells: list[int] = field(default_factory=list)
    answer_cells: list[int] = field(default_factory=list)  # markdown answers, graded by hand
    check_cells: list[int] = field(default_factory=list)
    checkers: list[str] = field(default_factory=list)  # the check_<name> functions its check cell calls

    @property
    def points(self) -> int:
        return self.importance


def _imported_checkers(source: str) -> set[str]:
    names: set[str] = set()
    for match in _CHECK_IMPORT.finditer(source):
        for part in match[1].strip("()").replace("\n", " ").split(","):
            words = part.split()
            if words:
                names.add(words[-1] if len(words) == 3 and words[1] == "as" else words[0])
    return names


def _is_solution_cell(cell: nbformat.NotebookNode, learner: bool) -> bool:
    if cell.cell_type not in ("code", "markdown"):
        return False
    if _HAS_MARKER.search(cell.source):
        return True
    # a learner's sheet: the regions are gone; nbgrader's metadata, or the stub the learner may not yet have replaced
    return learner and (cell.metadata.get("nbgrader", {}).get("solution", False)
                        or any(stub in cell.source for stub in (CODE_STUB[0], ANSWER_STUB[0])))


def parse_exercises(nb: nbformat.NotebookNode, name: str = "notebook", *, learner: bool = False) -> list[Exercise]:
    """The sheet's exercises, or a SheetError listing every way the sheet breaks the conventions.

    `learner=True` reads a learner's copy, where solution cells are known by their nbgrader metadata or stub.
    """
    problems: list[str] = []
    exercises: list[Exercise] = []
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        lines = cell.source.split("\n")
        if cell.cell_type == "markdown" and _TITLE_START.match(lines[0]):
            title = _TITLE.match(lines[0])
            header = _HEADER.match(lines[1]) if len(lines) > 1 else None
            if not title:
                problems.append(f"{where}: an exercise title must read '## Exercise N: what it is' "
                                f"(or '## Exercise N (optional): ...'), not {lines[0]!r}")
            elif not header:
                problems.append(f"{where} ({lines[0][3:]}): the line below the title must be the header "
                                f"'{HEADER_EXAMPLE}', found {(lines[1] if len(lines) > 1 else '')!r}")
            number = int(title["number"]) if title else len(exercises) + 1  # go on, to report every problem at once
            exercises.append(Exercise(number, title["title"] if title else lines[0], bool(title and title["optional"]),
                                      *(int(header[k]) if header else 0 for k in ("difficulty", "importance", "minutes")),
                                      header_cell=index))
            continue
        has_solution = _is_solution_cell(cell, learner)
        calls = _CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
        if not has_solution and not calls:
            continue
        if not exercises:
            problems.append(f"{where}: a {'solution' if has_solution else 'check'} cell before the first "
                            f"'## Exercise' header; every graded cell belongs to an exercise")
            continue
        exercise = exercises[-1]
        label = f"{where} (Exercise {exercise.number})"
        if has_solution and calls:
            problems.append(f"{label}: a solution region and a call to {calls[0]} in one cell; "
                            f"put the check in its own cell below")
        elif has_solution and cell.cell_type == "markdown":
            exercise.answer_cells.append(index)
        elif has_solution:
            exercise.solution_cells.append(index)
        else:
            missing = [c for c in dict.fromkeys(calls) if c not in _imported_checkers(cell.source)]
            if missing:
                problems.append(
                    f"{label}: the check cell calls {', '.join(missing)} without importing it; write "
                    f"'from course_utils.checks import {', '.join(missing)}' in the same cell, so that a "
                    f"learner's cell cannot rebind the checker")
            exercise.check_cells.append(index)
            exercise.checkers.extend(c for c in dict.fromkeys(calls) if c not in exercise.checkers)
    numbers = [e.number for e in exercises]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"{name}: exercises are numbered {numbers}; number them 1, 2, 3, ... in order")
    for e in exercises:
        label = f"{name}, Exercise {e.number} (cell {e.header_cell})"
        if not e.solution_cells and not e.answer_cells and not learner:
            problems.append(f"{label}: no solution cell (a cell with '{BEGIN}') below the header")
        if e.solution_cells and len(e.check_cells) != 1:
            problems.append(f"{label}: {len(e.check_cells)} check cells; each exercise with code needs exactly one, "
                            f"below its solution cell")
        for check in e.check_cells:
            if any(s > check for s in e.solution_cells):
                problems.append(f"{label}: the check cell {check} comes before a solution cell it checks")
    if problems:
        raise SheetError("\n".join(problems))
    return exercises


def _grade_ids(nb: nbformat.NotebookNode, exercises: list[Exercise], name: str) -> dict[int, str]:
    ids: dict[int, str] = {}
    for e in exercises:
        for index in e.solution_cells:
            functions = _DEF.findall(nb.cells[index].source)
            ids[index] = functions[0] if functions else f"exercise{e.number}-code"
        for k, index in enumerate(e.answer_cells):
            ids[index] = f"exercise{e.number}-answer" + (f"{k + 1}" if len(e.answer_cells) > 1 else "")
        for index in e.check_cells:
            ids[index] = e.checkers[0] if len(e.checkers) == 1 else f"exercise{e.number}-check"
    seen: dict[str, int] = {}
    duplicates = []
    for index, grade_id in sorted(ids.items()):
        if grade_id in seen:
            duplicates.append(f"{name}: cells {seen[grade_id]} and {index} would share the grade_id {grade_id!r} "
                              f"(two solution cells define the same function, or two check cells call the same "
                              f"checker); nbgrader needs each grade_id once")
        seen.setdefault(grade_id, index)
    if duplicates:
        raise SheetError("\n".join(duplicates))
    return ids


def _cell_metadata(kind: str, grade_id: str, points: int = 0) -> dict:
    base = {"grade_id": grade_id, "schema_version": 3, "task": False}
    if kind == "solution":  # autograded answer
        return {**base, "grade": False, "locked": False, "solution": True}
    if kind == "answer":  # manually graded answer
        return {**base, "grade": True, "locked": False, "points": points, "solution": True}
    return {**base, "grade": True, "locked": True, "points": points, "solution": False}  # autograder tests


def stamp_notebook(nb: nbformat.NotebookNode, name: str = "notebook") -> list[Exercise]:
    """Write nbgrader's schema-3 metadata onto the cells of a solution notebook, in place (see the module doc)."""
    exercises = parse_exercises(nb, name)
    ids = _grade_ids(nb, exercises, name)
    wanted: dict[int, dict] = {}
    for e in exercises:
        for index in e.solution_cells:
            wanted[index] = _cell_metadata("solution", ids[index])
        for index in e.answer_cells:
            wanted[index] = _cell_metadata("answer", ids[index], e.points)
        for index in e.check_cells:
            wanted[index] = _cell_metadata("tests", ids[index], e.points)
    for index, cell in enumerate(nb.cells):
        if index in wanted:
            cell.metadata["nbgrader"] = wanted[index]
        else:
            cell.metadata.pop("nbgrader", None)
    return exercises


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook, or raise SheetError saying plainly why it cannot be read (not JSON, a merge conflict)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError(f"{path}: cannot be read ({exc})") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # json.JSONDecodeError, nbformat's validation errors...
        conflict = "\n<<<<<<< " in f"\n{text}" or "\n>>>>>>> " in text
        why = "it holds git's conflict markers (<<<<<<<), left by a `git pull` or merge" if conflict else \
            f"it is not valid notebook JSON ({str(exc).splitlines()[0]})"
        raise SheetError(f"{path}: cannot be read as a notebook: {why}") from None


def _notebook_text(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


@dataclass
class StampResult:
    name: str
    status: str  # "unchanged", "stamped", "stale" (check mode)
    exercises: list[Exercise]


def stamp_solutions(solutions: Path, lessons: list[str] | None = None, *, check: bool = False) -> list[StampResult]:
    """Stamp (or, with check=True, only compare) nbgrader metadata on the chosen solution notebooks.

    Raises SheetError, naming every problem in every sheet, if a sheet breaks the conventions.
    """
    results, problems = [], []
    for path in _solution_paths(Path(solutions), lessons):
        try:
            nb = read_notebook(path)
            current = path.read_text(encoding="utf-8")
            exercises = stamp_notebook(nb, f"solutions/{path.name}")
        except SheetError as exc:
            problems.append(str(exc))
            continue
        text = _notebook_text(nb)
        if text == current:
            results.append(StampResult(path.stem, "unchanged", exercises))
        elif check:
            results.append(StampResult(path.stem, "stale", exercises))
        else:
            path.write_text(text, encoding="utf-8")
            results.append(StampResult(path.stem, "stamped", exercises))
    if problems:
        raise SheetError("\n".join(problems))
    return results


# -- sheets ----------------------------------------------------------------------------------------
def _content_fingerprint(nb: nbformat.NotebookNode) -> str:
    """A hash of what a learner can change: each cell's type, source and outputs."""
    content = [(c.cell_type, c.source, c.get("outputs", [])) for c in nb.cells]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def make_sheet(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner's sheet for one solution notebook (the input is not modified; nbgrader metadata is kept)."""
    sheet = copy.deepcopy(solution)
    for index, cell in enumerate(sheet.cells):
        if cell.cell_type in ("code", "markdown"):
            cell.source = strip_solutions(cell.source, cell.cell_type, where=f"{name}, cell {index}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    sheet.metadata["course"] = {"generated_from": f"solutions/{name}", "fingerprint": _content_fingerprint(sheet)}
    return sheet


def sheet_is_pristine(sheet: nbformat.NotebookNode) -> bool:
    """True if nobody has changed the sheet's cells since it was generated."""
    recorded = sheet.metadata.get("course", {}).get("fingerprint")
    return recorded == _content_fingerprint(sheet)


def unique_path(folder: Path, stem: str, suffix: str = ".ipynb") -> Path:
    """A new, unused path `folder/stem-YYYYmmdd-HHMMSS[-N]suffix`, created empty at once so no one else takes it."""
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 10_000):
        path = folder / (f"{base}{suffix}" if n == 1 else f"{base}-{n}{suffix}")
        try:
            with open(path, "x", encoding="utf-8"):
                return path
        except FileExistsError:
            continue
    raise OSError(f"no free backup name for {stem} in {folder}")


@dataclass
class SyncResult:
    name: str
    status: str  # "unchanged", "written", "kept" (a learner's edits, source unchanged), "stale"/"missing" (check mode)
    backup: Path | None = None
    note: str = ""


def _solution_paths(solutions: Path, lessons: list[str] | None) -> list[Path]:
    paths = sorted(solutions.glob("*.ipynb"))
    if lessons:
        chosen = [p for p in paths if any(p.stem == l or p.stem.startswith(f"{l}_") for l in lessons)]
        unknown = [l for l in lessons if not any(p.stem == l or p.stem.startswith(f"{l}_") for p in paths)]
        if unknown:
            raise ValueError(f"no solution notebook for {', '.join(unknown)} in {solutions}")
        return chosen
    return paths


def sync_sheets(
    solutions: Path, exercises: Path, lessons: list[str] | None = None, *, check: bool = False, force: bool = False
) -> list[SyncResult]:
    """Write (or, with check=True, only compare) the sheets for the chosen lessons (default: all).

    A sheet a learner changed is left alone while its solution is unchanged, and is copied to
    `exercises/backups/` (a name no other backup has) before it is replaced; so is a sheet that is no
    longer valid JSON (a merge conflict). `force` rewrites even an up-to-date sheet.
    """
    results = []
    for path in _solution_paths(Path(solutions), lessons):
        solution = read_notebook(path)
        sheet = make_sheet(solution, path.name)
        text = _notebook_text(sheet)
        target = Path(exercises) / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text and not force:
            results.append(SyncResult(path.stem, "unchanged"))
            continue
        try:
            current_nb = nbformat.reads(current, as_version=4) if current is not None else None
        except Exception:
            current_nb, note = None, "it was not a valid notebook (a merge conflict?)"
        else:
            note = ""
        edited = current is not None and (current_nb is None or not sheet_is_pristine(current_nb))
        same_source = current_nb is not None and current_nb.metadata.get("course", {}).get(
            "fingerprint") == sheet.metadata["course"]["fingerprint"]
        if edited and same_source and not force:
            results.append(SyncResult(path.stem, "kept", note="edited by hand; its source is unchanged, so it is kept"))
            continue
        if check:
            results.append(SyncResult(path.stem, "missing" if current is None else "stale"))
            continue
        backup = None
        if edited:
            backup = unique_path(Path(exercises) / "backups", path.stem)
            backup.write_text(current, encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        results.append(SyncResult(path.stem, "written", backup, note))
    return results


def learner_copy(exercises: Path, work: Path, lesson: str, *, fresh: bool = False) -> tuple[Path, Path | None, bool]:
    """The learner's own copy of a sheet, `work/NN_topic.ipynb`, made from `exercises/` if it does not exist.

    An existing copy is never overwritten. With `fresh=True` it is first moved to `work/backups/` under a
    name no other backup has. Returns (the copy, the backup or None, whether a new copy was written).
    """
    sheets = sorted(p for p in Path(exercises).glob("*.ipynb") if p.stem == lesson or p.stem.startswith(f"{lesson}_"))
    if not sheets:
        raise ValueError(f"no exercise sheet for {lesson} in {exercises}")
    sheet = sheets[0]
    target = Path(work) / sheet.name
    backup = None
    if target.exists():
        if not fresh:
            return target, None, False
        backup = unique_path(Path(work) / "backups", sheet.stem)
        backup.write_bytes(target.read_bytes())
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as out:  # never replaces a file, even one that appeared meanwhile
        out.write(sheet.read_text(encoding="utf-8"))
    return target, backup, True
