"""The `course` command: check a machine before a workshop, and keep the exercise sheets in sync.

    course run [LESSON ...]          run notebooks headless; print seconds, peak memory, pass/fail
    course run --repeat 3 01         the same, the median of three runs (a benchmark)
    course exercises [--check]       write exercises/ from solutions/ (or only check they match)
    course reset LESSON              a fresh copy of a sheet (yours is backed up first)

LESSON is a number (`01`), a name (`01_entropy`) or a notebook path.
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

__all__ = ["main", "run_notebook", "RunResult", "find_root"]


def find_root(start: Path | None = None) -> Path:
    """The course repository: the nearest folder above `start` (default: cwd) holding notebooks/ and solutions/."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "notebooks").is_dir() and (folder / "solutions").is_dir():
            return folder
    package_parent = Path(__file__).resolve().parent.parent
    if (package_parent / "notebooks").is_dir():
        return package_parent
    raise SystemExit("course: cannot find the course folder (one with notebooks/ and solutions/); run this inside it")


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


def run_notebook(path: Path, timeout: int = 600) -> RunResult:
    """Execute a notebook top to bottom in a fresh kernel, in the notebook's folder; nothing is written."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    # The kernel's own log level: keeps ipykernel's "running over TCP" notice out of the table.
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    sampler: list[_PeakMemory] = []
    current = {"index": -1}

    def on_start(**_: object) -> None:
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        if pid:
            sampler.append(_PeakMemory(pid))
            sampler[0].start()

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
    peak = sampler[0].stop() if sampler else None
    return RunResult(path, seconds, peak, failure)


def _resolve(root: Path, lessons: list[str], folders: list[str]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        paths = sorted((root / folder).glob("*.ipynb"))
        if not lessons:
            found += paths
            continue
        for lesson in lessons:
            as_path = Path(lesson)
            if as_path.suffix == ".ipynb":
                if as_path.exists() and as_path.resolve() not in found:
                    found.append(as_path.resolve())
                continue
            found += [p for p in paths if p.stem == lesson or p.stem.startswith(f"{lesson}_")]
    if lessons and not found:
        raise SystemExit(f"course run: no notebook matches {' '.join(lessons)} in {', '.join(folders)}")
    return list(dict.fromkeys(found))


def _cmd_run(args: argparse.Namespace) -> int:
    root = find_root()
    paths = _resolve(root, args.lessons, args.folders)
    width = max(len(str(p.relative_to(root) if p.is_relative_to(root) else p)) for p in paths)
    if args.repeat < 1:
        raise SystemExit("course run: --repeat must be at least 1")
    if args.repeat > 1:
        print(f"median seconds of {args.repeat} runs; peak memory is the largest of them")
    print(f"{'notebook':<{width}}  {'seconds':>8}  {'peak MiB':>8}  result", flush=True)
    failed = 0
    for path in paths:
        runs = [run_notebook(path, timeout=args.timeout) for _ in range(args.repeat)]
        result = next((r for r in runs if not r.passed), runs[0])
        seconds = statistics.median(r.seconds for r in runs)
        peaks = [r.peak_mib for r in runs if r.peak_mib]
        name = str(path.relative_to(root) if path.is_relative_to(root) else path)
        peak = f"{max(peaks):8.0f}" if peaks else f"{'?':>8}"
        verdict = "passed" if result.passed else f"FAILED at {result.failure}"
        failed += not result.passed
        print(f"{name:<{width}}  {seconds:8.1f}  {peak}  {verdict}", flush=True)
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from course_utils.exercises import sync_sheets

    root = find_root()
    try:
        results = sync_sheets(root / "solutions", root / "exercises", args.lessons or None, check=args.check)
    except ValueError as exc:
        print(f"course exercises: {exc}", file=sys.stderr)
        return 2
    bad = 0
    for r in results:
        line = f"{r.name}: {r.status}"
        if r.backup:
            line += f" (your edited copy was saved as {r.backup.relative_to(root)})"
        bad += r.status in ("stale", "missing")
        print(line)
    if args.check and bad:
        print(f"{bad} sheet(s) out of date: run `course exercises` to regenerate them", file=sys.stderr)
        return 1
    return 0


def _cmd_reset(args: argparse.Namespace) -> int:
    from course_utils.exercises import sync_sheets

    root = find_root()
    try:
        results = sync_sheets(root / "solutions", root / "exercises", args.lessons, force=True)
    except ValueError as exc:
        print(f"course reset: {exc}", file=sys.stderr)
        return 2
    for r in results:
        saved = f"; your previous copy is in {r.backup.relative_to(root)}" if r.backup else ""
        print(f"exercises/{r.name}.ipynb is a fresh sheet again{saved}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run notebooks headless and report time, memory and failures")
    run.add_argument("lessons", nargs="*", help="lesson numbers, names or notebook paths (default: all)")
    run.add_argument("--folders", nargs="+", default=["notebooks", "solutions"],
                     help="folders to look in (default: notebooks solutions)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    run.add_argument("--repeat", type=int, default=1, help="run each notebook N times; report the median (default 1)")
    run.set_defaults(func=_cmd_run)
    ex = sub.add_parser("exercises", help="write exercises/ from solutions/, or check they match")
    ex.add_argument("lessons", nargs="*", help="lessons to regenerate (default: all)")
    ex.add_argument("--check", action="store_true", help="only check; exit 1 if a sheet is out of date")
    ex.set_defaults(func=_cmd_exercises)
    reset = sub.add_parser("reset", help="replace a sheet with a fresh copy (your copy is backed up)")
    reset.add_argument("lessons", nargs="+", help="lesson numbers or names")
    reset.set_defaults(func=_cmd_reset)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # keeps debugpy's notice out of kernels' stderr
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
