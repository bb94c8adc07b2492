"""Generate the learners' exercise sheets from the solution notebooks, and check they are in sync.

`solutions/NN_topic.ipynb` is the single source. Code between nbgrader's markers

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

becomes `# YOUR CODE HERE` and `raise NotImplementedError()` (indented like the markers); in a
markdown cell the region becomes `YOUR ANSWER HERE`. Outputs and execution counts are cleared.

Nothing a learner wrote is lost: each generated sheet records a fingerprint of its own content in
its metadata. A sheet whose content still matches it is overwritten freely; one a learner has
changed is first copied to `exercises/backups/`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["BEGIN", "END", "strip_solutions", "make_sheet", "sheet_is_pristine", "sync_sheets", "SyncResult"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
ANSWER_STUB = ["YOUR ANSWER HERE"]
_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?:#\s*)?### (?P<kind>BEGIN|END) SOLUTION\s*$")


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


def _content_fingerprint(nb: nbformat.NotebookNode) -> str:
    """A hash of what a learner can change: each cell's type, source and outputs."""
    content = [(c.cell_type, c.source, c.get("outputs", [])) for c in nb.cells]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def make_sheet(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The learner's sheet for one solution notebook (the input is not modified)."""
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


@dataclass
class SyncResult:
    name: str
    status: str  # "unchanged", "written", "stale" (check mode), "missing" (check mode)
    backup: Path | None = None


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

    A sheet the learner has changed is backed up to `exercises/backups/` before it is replaced.
    `force` rewrites even an up-to-date sheet (used by `course reset` to give a fresh copy).
    """
    results = []
    for path in _solution_paths(Path(solutions), lessons):
        solution = nbformat.read(path, as_version=4)
        text = nbformat.writes(make_sheet(solution, path.name)) + "\n"
        target = Path(exercises) / path.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text and not force:
            results.append(SyncResult(path.stem, "unchanged"))
            continue
        if check:
            results.append(SyncResult(path.stem, "missing" if current is None else "stale"))
            continue
        backup = None
        if current is not None and current != text and not sheet_is_pristine(nbformat.reads(current, as_version=4)):
            backup = Path(exercises) / "backups" / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
            backup.parent.mkdir(parents=True, exist_ok=True)
            backup.write_text(current, encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        results.append(SyncResult(path.stem, "written", backup))
    return results
