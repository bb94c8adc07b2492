"""The `course` command: your own copy of each sheet, its progress, and the course's own upkeep.

For learners:
    course start LESSON ...          copy a blank sheet to my-work/ (never overwrites your copy)
    course check [LESSON ...]        run your copy in my-work/ headless: one line per exercise, with points
    course reset LESSON ...          a fresh copy in my-work/ (yours is kept in my-work/backups/)
For instructors and authors:
    course run [LESSON ...]          run notebooks headless; print seconds, peak memory, pass/fail
    course run --repeat 3 01         the same, the median of three runs (a benchmark)
    course exercises [--check]       stamp nbgrader metadata on solutions/, write exercises/ (or only check)
    course exercises --force 01      rewrite a blank sheet someone edited by hand (saved in exercises/backups/)

LESSON is a number (`01`), a name (`01_entropy`) or a notebook path. Your work lives in my-work/, which
git ignores and no `course` command overwrites, so neither a command nor a course update (`git pull`)
can lose it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["main", "run_notebook", "RunResult", "find_root", "check_sheet", "ExerciseResult"]

WORK = "my-work"


class CourseError(Exception):
    """A user error: `main` prints it as one line and exits with status 2."""


def find_root(start: Path | None = None) -> Path:
    """The course folder: the nearest folder at or above `start` (default: cwd) holding notebooks/ and solutions/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "solutions").is_dir():
            return folder
    raise CourseError(f"{here} is not inside a course folder (one holding notebooks/ and solutions/); "
                      f"cd into the course folder first")


@dataclass
class RunResult:
    path: Path
    seconds: float
    peak_mib: float | None
    failure: str | None  # None when every cell ran

    @property
    def passed(self) -> bool:
        return self.failure is None


class _PeakMemory(threading.Thread):
    """Samples a process's resident memory until stopped; on Linux it also reads the kernel's own peak (VmHWM)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop_event = threading.Event()

    def _sample(self) -> int:
        status = Path(f"/proc/{self.pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        import psutil

        return psutil.Process(self.pid).memory_info().rss

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.peak = max(self.peak, self._sample())
            except Exception:  # the process is gone or unreadable: keep the last reading
                return
            self._stop_event.wait(self.interval)

    def stop(self) -> float | None:
        try:
            self.peak = max(self.peak, self._sample())
        except Exception:
            pass
        self._stop_event.set()
        return self.peak / 2**20 if self.peak else None


def run_notebook(path: Path, timeout: int = 600, notebook_timeout: float | None = None, *,
                 allow_errors: bool = False, executed: list | None = None, cwd: Path | None = None) -> RunResult:
    """Execute a notebook top to bottom in a fresh kernel, in the notebook's folder; nothing is written.

    `timeout` limits each cell, `notebook_timeout` the whole notebook (its kernel is stopped then). With
    `allow_errors`, cells run on after an error; the executed notebook is appended to `executed`.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    from course_utils.exercises import SheetError, read_notebook

    try:
        nb = read_notebook(path)
    except SheetError as exc:
        return RunResult(path, 0.0, None, str(exc).removeprefix(f"{path}: "))
    # The kernel's own log level: keeps ipykernel's "running over TCP" notice out of the table.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            allow_errors=allow_errors, resources={"metadata": {"path": str(cwd or Path(path).parent)}})
    sampler: list[_PeakMemory] = []
    current = {"index": -1}
    watchdog: list[threading.Timer] = []
    expired = threading.Event()

    def stop_kernel(pid: int) -> None:
        import psutil

        expired.set()
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass

    def on_start(**_: object) -> None:
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:
            sampler.append(_PeakMemory(pid))
            sampler[0].start()
            if notebook_timeout:
                watchdog.append(threading.Timer(notebook_timeout, stop_kernel, args=(pid,)))
                watchdog[0].daemon = True
                watchdog[0].start()

    def on_cell(cell_index: int, **_: object) -> None:
        current["index"] = cell_index

    client.on_notebook_start = on_start
    client.on_cell_start = lambda cell, cell_index: on_cell(cell_index)
    start = time.perf_counter()
    failure = None
    try:
        client.execute()
    except CellExecutionError as exc:
        failure = f"cell {current['index']}: {exc.ename}: {str(exc.evalue).splitlines()[0] if exc.evalue else ''}"
    except CellTimeoutError:
        failure = f"cell {current['index']}: timed out after {timeout} s"
    except Exception as exc:  # kernel died, notebook unreadable...
        failure = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    for timer in watchdog:
        timer.cancel()
    if expired.is_set():
        failure = f"cell {current['index']}: stopped after {notebook_timeout:g} s, the limit for the whole notebook"
    peak = sampler[0].stop() if sampler else None
    if executed is not None:
        executed.append(nb)
    return RunResult(path, seconds, peak, failure)


def _is_path(lesson: str) -> bool:
    return lesson.endswith(".ipynb") or os.sep in lesson or "/" in lesson


def _resolve(root: Path | None, lessons: list[str], folders: list[str]) -> list[Path]:
    """The notebooks named by `lessons` (numbers, names or paths) in `folders` of the course; every name must match."""
    found: list[Path] = []
    names = [l for l in lessons if not _is_path(l)]
    for lesson in lessons:
        if _is_path(lesson):
            path = Path(lesson)
            if not path.is_file():
                raise CourseError(f"no such notebook: {lesson}")
            found.append(path.resolve())
    if names or not lessons:
        if root is None:
            root = find_root()
        missing = [f for f in folders if not (root / f).is_dir()]
        if missing:
            present = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))))
            raise CourseError(f"no folder {', '.join(missing)} in {root} (folders with notebooks: {present})")
        paths = [p for folder in folders for p in sorted((root / folder).glob("*.ipynb"))]
        if not lessons:
            found += paths
        for name in names:
            matches = [p for p in paths if p.stem == name or p.stem.startswith(f"{name}_")]
            if not matches:
                raise CourseError(f"no notebook matches {name} in {', '.join(folders)}")
            found += matches
    return list(dict.fromkeys(found))


def _positive(kind: type, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be more than 0 (got {text}); there is no 'no limit'")
        return value
    return parse


def _shown(path: Path, root: Path | None) -> str:
    base = root or Path.cwd().resolve()
    return str(path.relative_to(base) if path.is_relative_to(base) else path)


def _cmd_run(args: argparse.Namespace) -> int:
    root = None if args.lessons and all(_is_path(l) for l in args.lessons) else find_root()
    paths = _resolve(root, args.lessons, args.folders)
    if not paths:
        raise CourseError(f"no notebooks in {', '.join(args.folders)}")
    width = max(len(_shown(p, root)) for p in paths)
    if args.repeat > 1:
        print(f"median seconds of {args.repeat} runs; peak memory is the largest of them")
    print(f"{'notebook':<{width}}  {'seconds':>8}  {'peak MiB':>8}  result", flush=True)
    failed = 0
    for path in paths:
        runs = []
        for _ in range(args.repeat):
            runs.append(run_notebook(path, timeout=args.timeout, notebook_timeout=args.notebook_timeout))
            if not runs[-1].passed:
                break
        result = next((r for r in runs if not r.passed), runs[0])
        seconds = statistics.median(r.seconds for r in runs)
        peaks = [r.peak_mib for r in runs if r.peak_mib]
        peak = f"{max(peaks):8.0f}" if peaks else f"{'?':>8}"
        verdict = "passed" if result.passed else \
            f"FAILED {'at ' if result.failure.startswith('cell ') else ''}{result.failure}"
        failed += not result.passed
        print(f"{_shown(path, root):<{width}}  {seconds:8.1f}  {peak}  {verdict}", flush=True)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from course_utils.exercises import SheetError, stamp_solutions, sync_sheets

    root = find_root()
    try:
        stamped = stamp_solutions(root / "solutions", args.lessons or None, check=args.check)
        results = sync_sheets(root / "solutions", root / "exercises", args.lessons or None, check=args.check,
                              force=args.force and not args.check)
    except SheetError as exc:
        raise CourseError(f"the sheets break the conventions (see CONTRIBUTING.md):\n{exc}") from None
    except ValueError as exc:
        raise CourseError(str(exc)) from None
    bad = 0
    for r in stamped:
        if r.status != "unchanged":
            print(f"solutions/{r.name}.ipynb: nbgrader metadata {'out of date' if r.status == 'stale' else 'stamped'}")
            bad += r.status == "stale"
    for r in results:
        line = f"{r.name}: {r.status}"
        if r.note:
            line += f" ({r.note})"
        if r.backup:
            line += f" (the copy that was there is saved as {_shown(r.backup, root)})"
        bad += r.status in ("stale", "missing", "kept") and args.check
        print(line)
    if args.check and bad:
        print(f"{bad} file(s) out of date: run `course exercises` to stamp and regenerate them", file=sys.stderr)
        return 1
    return 0


def _learner_lessons(root: Path, lessons: list[str]) -> list[str]:
    from course_utils.exercises import _solution_paths

    try:
        return [p.stem for p in _solution_paths(root / "exercises", lessons)]
    except ValueError:
        unknown = [l for l in lessons if not list((root / "exercises").glob(f"{l}*.ipynb"))]
        raise CourseError(f"no exercise sheet for {', '.join(unknown)} in exercises/") from None


def _sheet_changed_since(copy: Path, sheet: Path) -> bool:
    """True if the course's blank sheet is no longer the one the learner's copy was made from."""
    from course_utils.exercises import SheetError, read_notebook

    try:
        mine, current = (read_notebook(p).metadata.get("course", {}).get("fingerprint") for p in (copy, sheet))
    except SheetError:
        return False
    return bool(mine and current and mine != current)


def _cmd_start(args: argparse.Namespace, fresh: bool = False) -> int:
    from course_utils.exercises import learner_copy

    root = find_root()
    for lesson in _learner_lessons(root, args.lessons):
        copy, backup, written = learner_copy(root / "exercises", root / WORK, lesson, fresh=fresh)
        shown = _shown(copy, root)
        if backup:
            print(f"{shown} is a fresh sheet again; your previous copy is kept as {_shown(backup, root)}")
        elif written:
            print(f"{shown} is yours: open it in JupyterLab and work there (`course check {lesson[:2]}` shows progress)")
        else:
            print(f"{shown} already exists and is left as it is (`course reset {lesson[:2]}` for a fresh one; "
                  f"yours would be kept in {WORK}/backups/)")
            if _sheet_changed_since(copy, root / "exercises" / copy.name):
                print(f"  note: the course has updated this sheet since you started it; `course reset {lesson[:2]}` "
                      f"gives you the new version and keeps yours")
    return 0


# -- course check: a learner's progress ------------------------------------------------------------
@dataclass
class ExerciseResult:
    number: int
    title: str
    status: str  # "passed", "not implemented", "failed", "did not run"
    message: str = ""
    points: float | None = None  # nbgrader points of the exercise, where the sheet has them
    optional: bool = False

    @property
    def earned(self) -> float:
        return self.points if self.status == "passed" and self.points else 0.0


def _first_error(cell) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), output.get("evalue", "")
    return None


def _restore_locked_cells(nb, reference: Path | None) -> int:
    """Put back the course's own source of every locked (check) cell, as nbgrader does; the number changed."""
    from course_utils.exercises import read_notebook

    if reference is None or not reference.is_file():
        return 0
    locked = {c.metadata["nbgrader"]["grade_id"]: c.source for c in read_notebook(reference).cells
              if c.metadata.get("nbgrader", {}).get("locked") and "grade_id" in c.metadata["nbgrader"]}
    changed = 0
    for cell in nb.cells:
        original = locked.get(cell.metadata.get("nbgrader", {}).get("grade_id"))
        if original is not None and cell.source != original:
            cell.source, changed = original, changed + 1
    return changed


def check_sheet(path: Path, timeout: int = 300, notebook_timeout: float | None = 900,
                reference: Path | None = None) -> tuple[list[ExerciseResult], str | None]:
    """Run a learner's sheet headless (all cells, on past errors); one result per exercise, and a sheet-wide note.

    With `reference` (the course's blank sheet), check cells the learner changed are run as the course wrote them.
    """
    import tempfile

    import nbformat

    from course_utils.exercises import SheetError, parse_exercises, read_notebook

    nb = read_notebook(path)  # SheetError if it is not a notebook
    restored = _restore_locked_cells(nb, reference)
    try:
        exercises = parse_exercises(nb, _shown(Path(path).resolve(), None), learner=True)
    except SheetError as exc:
        raise CourseError(f"{path} no longer has the shape of a sheet, so it cannot be checked:\n{exc}") from None
    executed: list = []
    with tempfile.TemporaryDirectory() as scratch:  # the learner's file is never written
        copy = Path(scratch) / Path(path).name
        nbformat.write(nb, copy)
        run = run_notebook(copy, timeout=timeout, notebook_timeout=notebook_timeout, allow_errors=True,
                           executed=executed, cwd=Path(path).resolve().parent)
    cells = executed[0].cells if executed else nb.cells
    results = []
    for e in exercises:
        points = None
        for index in e.check_cells + e.answer_cells:
            grading = nb.cells[index].metadata.get("nbgrader", {})
            if grading.get("grade"):
                points = (points or 0) + float(grading.get("points", 0))
        result = ExerciseResult(e.number, e.title, "passed", points=points, optional=e.optional)
        for index in e.solution_cells + e.check_cells:
            error = _first_error(cells[index])
            if error:
                ename, evalue = error
                first = evalue.strip().splitlines()[0] if evalue.strip() else ""
                if "not implemented yet" in evalue or ename == "NotImplementedError":
                    result.status, result.message = "not implemented", ""
                elif index in e.solution_cells:
                    result.status, result.message = "failed", f"your cell {index} raised {ename}: {first}"
                else:
                    result.status, result.message = "failed", first if ename == "CheckFailed" else f"{ename}: {first}"
                break
            if index in e.check_cells and cells[index].get("execution_count") is None:
                result.status, result.message = "did not run", run.failure or ""
                break
        if not e.check_cells:
            result.status = "graded by hand"
        results.append(result)
    notes = [f"{restored} check cell(s) you changed were run as the course wrote them"] if restored else []
    if run.failure and "stopped after" in run.failure:
        notes.append(run.failure)
    return results, "; ".join(notes) or None


def _cmd_check(args: argparse.Namespace) -> int:
    from course_utils.exercises import SheetError

    try:
        root = find_root()
    except CourseError:
        if not args.lessons or not all(_is_path(l) for l in args.lessons):
            raise
        root = None  # a sheet named by its path can be checked anywhere
    paths: list[Path] = [Path(l) for l in args.lessons if _is_path(l)]
    for p in paths:
        if not p.is_file():
            raise CourseError(f"no such notebook: {p}")
    names = [l for l in args.lessons if not _is_path(l)]
    if root is not None:
        work = root / WORK
        mine = sorted(work.glob("*.ipynb")) if work.is_dir() else []
        if not args.lessons and not mine:
            raise CourseError(f"{WORK}/ holds no sheet yet: `course start 01` makes your copy of sheet 01")
        paths += mine if not args.lessons else []
        for name in names:
            matches = [p for p in mine if p.stem == name or p.stem.startswith(f"{name}_")]
            if not matches:
                raise CourseError(f"you have no copy of sheet {name} in {WORK}/ yet: `course start {name}` makes one")
            paths += matches
    worst = 0
    for path in paths:
        try:
            reference = root / "exercises" / Path(path).name if root else None
            results, failure = check_sheet(path, timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                                           reference=reference)
        except SheetError as exc:
            print(f"{_shown(path.resolve(), root)}: {str(exc).removeprefix(f'{path}: ')}", file=sys.stderr)
            print("  your work is in that file as it is; open it in a text editor to repair it, or "
                  "`course reset` for a fresh copy (the broken file is kept in my-work/backups/)", file=sys.stderr)
            worst = max(worst, 2)
            continue
        print(_shown(Path(path).resolve(), root))
        width = max(len(f"{r.number} {'(optional) ' if r.optional else ''}{r.title}") for r in results)
        has_points = any(r.points is not None for r in results)
        for r in results:
            name = f"{r.number} {'(optional) ' if r.optional else ''}{r.title}"
            points = f"{r.earned:g}/{r.points:g}" if r.points is not None else "-"
            verdict = {"passed": "✓ passed", "not implemented": "· not implemented"}.get(r.status, f"✗ {r.status}")
            if r.message:
                verdict = f"✗ {r.message}" if r.status == "failed" else f"{verdict}: {r.message}"
            print(f"  {name:<{width}}  {points:>7}  {verdict}" if has_points else f"  {name:<{width}}  {verdict}")
        counts = {s: sum(r.status == s for r in results) for s in ("passed", "not implemented", "failed")}
        total = f"{sum(r.earned for r in results):g}/{sum(r.points or 0 for r in results):g} points; " if has_points else ""
        print(f"  {total}{counts['passed']} passed, {counts['not implemented']} not implemented, "
              f"{len(results) - counts['passed'] - counts['not implemented']} failed")
        if failure:
            print(f"  note: {failure}")
        if any(r.status != "passed" for r in results):
            worst = max(worst, 1)
    return worst


def _cmd_reset(args: argparse.Namespace) -> int:
    return _cmd_start(args, fresh=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    seconds = _positive(int, "--timeout")
    start = sub.add_parser("start", help="copy a blank sheet to my-work/ (an existing copy is never overwritten)")
    start.add_argument("lessons", nargs="+", help="lesson numbers or names")
    start.set_defaults(func=_cmd_start)
    check = sub.add_parser("check", help="run your sheets in my-work/ headless; one line per exercise, with points")
    check.add_argument("lessons", nargs="*", help="lesson numbers, names or notebook paths (default: all of my-work/)")
    check.add_argument("--timeout", type=seconds, default=300, help="seconds allowed per cell (default 300)")
    check.add_argument("--notebook-timeout", type=_positive(float, "--notebook-timeout"), default=900,
                       help="seconds allowed per sheet (default 900)")
    check.set_defaults(func=_cmd_check)
    reset = sub.add_parser("reset", help="a fresh copy of a sheet in my-work/ (yours is kept in my-work/backups/)")
    reset.add_argument("lessons", nargs="+", help="lesson numbers or names")
    reset.set_defaults(func=_cmd_reset)
    run = sub.add_parser("run", help="run notebooks headless and report time, memory and failures")
    run.add_argument("lessons", nargs="*", help="lesson numbers, names or notebook paths (default: all)")
    run.add_argument("--folders", nargs="+", default=["notebooks", "solutions"],
                     help="folders to look in (default: notebooks solutions)")
    run.add_argument("--timeout", type=seconds, default=600, help="seconds allowed per cell (default 600)")
    run.add_argument("--notebook-timeout", type=_positive(float, "--notebook-timeout"), default=None,
                     help="seconds allowed per notebook (default: no limit beyond --timeout per cell)")
    run.add_argument("--repeat", type=_positive(int, "--repeat"), default=1,
                     help="run each notebook N times; report the median (default 1)")
    run.set_defaults(func=_cmd_run)
    ex = sub.add_parser("exercises", help="stamp nbgrader metadata on solutions/ and write exercises/ (or check)")
    ex.add_argument("lessons", nargs="*", help="lessons to regenerate (default: all)")
    ex.add_argument("--check", action="store_true", help="only check; exit 1 if anything is out of date")
    ex.add_argument("--force", action="store_true",
                    help="rewrite the sheets even where a hand-edited one would be kept (it is saved in exercises/backups/)")
    ex.set_defaults(func=_cmd_exercises)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps debugpy's notice out of kernels' stderr
    try:
        return args.func(args)
    except CourseError as exc:
        print(f"course {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
