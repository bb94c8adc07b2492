"""The checker framework: run a learner's function on a battery of cases and explain what went wrong.

A checker never crashes on the learner's behalf. Whatever the learner's function does (raise, even
`SystemExit`; loop forever; return None, a string, complex numbers, NaN, the wrong shape; change its
caller's input in place), the checker ends in one of two ways:
- success: it prints one line, `✓ entropy: 8 checks passed`;
- failure: it raises `CheckFailed` (an `AssertionError`, so graders and pytest count a failure) whose
  message starts with the likely mistake, then names the call, what came back and what was expected:
  "natural log instead of log2? — entropy([0.5, 0.5]) returned 0.6931, expected 1 bit". The mistake comes
  first because graders (nbgrader's validate, an LMS) often show only the first 80 characters. In a
  notebook the failure shows as that line alone, with no traceback into this package.
"""

from __future__ import annotations

import _thread
import functools
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "Checker", "checker", "fmt", "diff_summary", "log_base_mistakes", "MISSING_MINUS",
           "TIME_LIMIT"]

NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code, run that cell, then this one"
TIME_LIMIT = 10.0  # seconds one call of a learner's function may take before the checker gives up on it


class CheckFailed(AssertionError):
    """A learner's function failed a check.

    `CheckFailed(message, hint)`: `message` says what was called, what came back and what was expected;
    `hint` names the likely mistake, short and specific ("natural log instead of log2?"). The text is
    "hint — message", so the mistake survives a grader that shows only the first line's start. A hint
    must fit only its own mistake: where the mistake cannot be told, give none.
    """

    def __init__(self, message: str, hint: str = ""):
        self.message, self.hint = message, hint
        super().__init__(f"{hint} — {message}" if hint else message)

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback (it looks for this method on exceptions).
        return [f"\x1b[31m✗ {self}\x1b[0m"]


def fmt(x: Any, digits: int = 4) -> str:
    """A short, readable rendering of a value for messages (numbers rounded, arrays abbreviated)."""
    if _is_tensor(x):
        return f"tensor({fmt(x.detach().cpu().numpy(), digits)})"
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return fmt(x.item(), digits)
        if x.ndim == 2 and x.size <= 12:  # small enough to read on one line
            with np.printoptions(precision=digits, suppress=True):
                return " ".join(np.array2string(x, separator=", ").split())
        if x.ndim >= 2:
            return f"<array of shape {x.shape}>"
        with np.printoptions(precision=digits, threshold=8, edgeitems=3, suppress=True):
            return np.array2string(x, separator=", ")
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.{digits}g}"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(fmt(v, digits) for v in x[:8]) + (", ..." if len(x) > 8 else "")
        return f"[{inner}]" if isinstance(x, list) else f"({inner})"
    if isinstance(x, str):
        return repr(x) if len(x) <= 40 else repr(x[:37] + "...")
    return repr(x)


def _is_tensor(x: Any) -> bool:
    """A torch tensor (told apart without importing torch, which a numpy-only lesson need not load)."""
    return type(x).__module__.split(".")[0] == "torch" and hasattr(x, "detach") and hasattr(x, "numpy")


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a string {fmt(value)}"
    return f"{type(value).__name__} {fmt(value)}"


def _distinct_pair(got: float, expected: float, digits: int = 4) -> tuple[str, str]:
    """Two numbers written with the fewest significant digits (at least `digits`) that tell them apart."""
    for places in range(digits, 18):
        a, b = f"{got:.{places}g}", f"{expected:.{places}g}"
        if a != b:
            return a, b
    return a, b


def diff_summary(got: np.ndarray, expected: np.ndarray, digits: int = 4, *, rtol: float = 1e-6,
                 atol: float = 1e-9) -> str:
    """Where two same-shaped arrays differ most, for messages about arrays too big (or too alike) to print.

    It counts the entries outside the tolerance the check used, and writes the worst pair with digits enough to
    see that they differ (never "got 2.40761, expected 2.40761").
    """
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        gap = np.abs(got - expected)
    gap = np.where(np.isnan(gap), np.inf, gap)  # NaN or inf mismatches count as the largest
    where = np.unravel_index(int(np.argmax(gap)), gap.shape) if gap.ndim else ()
    index = ", ".join(str(int(i)) for i in where)
    bad = int(np.sum(~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)))
    a, b = _distinct_pair(float(got[where]), float(expected[where]), digits)
    size = "" if not np.isfinite(gap[where]) else f", by up to {gap[where]:.2g}"
    return f"{bad} of {got.size} entries differ{size}; the largest at [{index}]: got {a}, expected {b}"


def _same(a: Any, b: Any) -> bool:
    """True if b still equals a (used to see whether a learner's function changed its input in place)."""
    if hasattr(a, "state_dict") and hasattr(b, "state_dict"):  # a torch module: compare its weights
        return _same(dict(a.state_dict()), dict(b.state_dict()))
    if _is_tensor(a):
        return _is_tensor(b) and a.shape == b.shape and a.dtype == b.dtype and bool(
            (a.detach() == b.detach()).all() | (a.detach().isnan() & b.detach().isnan()).all()
            if a.is_floating_point() else (a == b).all())
    if isinstance(a, np.ndarray):
        if not isinstance(b, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            return bool(np.array_equal(a, b, equal_nan=True))
        except TypeError:
            return bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # something that cannot be compared: assume it is unchanged
        return True


def _is_complex(value: Any) -> bool:
    if _is_tensor(value):
        return bool(value.is_complex())
    try:
        return bool(np.iscomplexobj(value))
    except Exception:
        return False


class _Alarm:
    """Interrupts the main thread after `seconds` (a learner's endless loop), on every platform.

    `_thread.interrupt_main` raises KeyboardInterrupt in the main thread at its next bytecode, which is where
    a notebook cell runs. Off the main thread there is no limit (nothing could be interrupted safely).
    """

    def __init__(self, seconds: float | None):
        self.fired = threading.Event()
        usable = seconds is not None and seconds > 0 and threading.current_thread() is threading.main_thread()
        self._timer = threading.Timer(seconds, self._fire) if usable else None

    def _fire(self) -> None:
        self.fired.set()
        _thread.interrupt_main()

    def __enter__(self) -> "_Alarm":
        if self._timer:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._timer:
            self._timer.cancel()
            if self.fired.is_set():  # it fired just as the call returned: absorb the pending interrupt here
                try:
                    time.sleep(0.05)
                except KeyboardInterrupt:
                    pass


MISSING_MINUS = "missing minus sign (or an extra one)? log2 p ≤ 0: use -Σ"


def log_base_mistakes(expected: Any) -> dict[str, Any]:
    """What a function in bits gives instead of `expected` with the wrong log or sign (hints ≤ 60 characters)."""
    e = np.asarray(expected, dtype=np.float64)
    return {
        "natural log instead of log2? (np.log gives nats)": e * math.log(2),
        "log10 instead of log2?": e * math.log10(2),
        MISSING_MINUS: -e,
    }


class Checker:
    """Runs one learner function through a battery of checks, counting those that pass.

    Usage inside a `check_<name>` function::

        c = Checker("entropy", learner_entropy)
        got, call = c.number([0.5, 0.5])
        c.close(call, got, 1.0, unit="bits", mistakes=log_base_mistakes(1.0))
        c.done()
    """

    def __init__(self, name: str, fn: Any, *, time_limit: float | None = None, allow_in_place: bool = False):
        """`time_limit`: seconds one call may take (default `TIME_LIMIT`; None for no limit).
        `allow_in_place`: the exercise asks the function to modify an argument (e.g. a model's weights)."""
        self.name = name
        self.passed = 0
        self.time_limit = TIME_LIMIT if time_limit is None else time_limit
        self.allow_in_place = allow_in_place
        self.last_args: tuple[Any, ...] = ()
        self.last_kwargs: dict[str, Any] = {}
        if isinstance(fn, type(NotImplemented)) or fn is None or not callable(fn):
            raise CheckFailed(
                f"check_{name} needs your function itself, e.g. check_{name}({name}); "
                f"it got {_describe(fn)}. (Did you call the function instead of passing it?)"
            )
        self.fn = fn

    # -- calling the learner's function -------------------------------------------------------
    def call_text(self, args: Iterable[Any], kwargs: dict[str, Any] | None = None) -> str:
        parts = [fmt(a) for a in args] + [f"{k}={fmt(v)}" for k, v in (kwargs or {}).items()]
        return f"{self.name}({', '.join(parts)})"

    def call(self, *args: Any, **kwargs: Any) -> tuple[Any, str]:
        """Call the learner's function on copies of the arguments and return (result, call text).

        Whatever happens becomes a CheckFailed with a message: a stub, any exception (`SystemExit` too), a call
        that runs past the time limit, and a function that changed its arguments in place.
        """
        text = self.call_text(args, kwargs)
        given_args, given_kwargs = deepcopy(args), deepcopy(kwargs)
        # The copies the learner's function received, for checks of what it did to them (e.g. a model's mode).
        self.last_args, self.last_kwargs = given_args, given_kwargs
        alarm = _Alarm(self.time_limit)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), alarm:
                warnings.simplefilter("ignore")
                result = self.fn(*given_args, **given_kwargs)
        except NotImplementedError:
            raise CheckFailed(f"{self.name}: {NOT_IMPLEMENTED}.") from None
        except CheckFailed:
            raise
        except KeyboardInterrupt:
            if not alarm.fired.is_set():
                raise  # the learner pressed stop: let it stop
            raise CheckFailed(
                f"{text} did not return within {self.time_limit:g} s; look for a loop whose condition never changes",
                hint="an endless loop?") from None
        except BaseException as exc:  # the learner's bug (SystemExit included), reported rather than propagated
            raise CheckFailed(f"{text} raised {type(exc).__name__}: {exc}") from None
        if alarm.fired.is_set():
            raise CheckFailed(f"{text} did not return within {self.time_limit:g} s", hint="too slow, or an endless loop?")
        if result is NotImplemented:
            raise CheckFailed(f"{self.name}: {NOT_IMPLEMENTED}.")
        if not self.allow_in_place:
            changed = [f"argument {i + 1}" for i, (a, b) in enumerate(zip(args, given_args)) if not _same(a, b)]
            changed += [f"argument {k}=" for k in kwargs if not _same(kwargs[k], given_kwargs[k])]
            if changed:
                raise CheckFailed(
                    f"{text} changed its {', '.join(changed)} in place (e.g. `p[p == 0] = 1` or `z -= ...` on the "
                    "input): the caller's data must stay as they were; work on a copy (`x = x.copy()`, "
                    "`x = x.clone()`) or build a new array", hint="modified its input in place")
        return result, text

    def fail(self, message: str, hint: str = "") -> None:
        """Fail with a message (what was called, what came back, what was expected) and the likely mistake."""
        raise CheckFailed(message, hint)

    def to_array(self, value: Any, text: str) -> np.ndarray:
        """The learner's result as a float array, or a CheckFailed that says what it was instead."""
        if value is None:
            raise CheckFailed(f"{text} returned None", hint="is the `return` statement missing?")
        if isinstance(value, (str, bytes)):
            raise CheckFailed(f"{text} returned a string {fmt(value)}; return a number")
        if _is_complex(value):
            raise CheckFailed(f"{text} returned complex numbers {fmt(value)}; the answer is real",
                              hint="complex result, expected real numbers")
        try:
            if _is_tensor(value):
                value = value.detach().cpu().double().numpy()  # via float64, so bfloat16 and float16 work too
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{text} returned {_describe(value)}, which is not a number or array of numbers") from None
        return array

    def number(self, *args: Any, nan_hint: str = "", many_hint: str = "", **kwargs: Any) -> tuple[float, str]:
        """Call the function and insist on one real number back (`many_hint` explains getting several)."""
        value, text = self.call(*args, **kwargs)
        array = self.to_array(value, text)
        if array.size != 1:
            raise CheckFailed(f"{text} returned {array.size} numbers (shape {array.shape}); expected a single number",
                              hint=many_hint)
        number = float(array.reshape(()))
        if math.isnan(number):
            raise CheckFailed(f"{text} returned NaN", hint=nan_hint)
        return number, text

    def array(
        self, *args: Any, shape: tuple[int, ...], shape_hints: dict[tuple[int, ...], str] | None = None,
        nan_hint: str = "", **kwargs: Any,
    ) -> tuple[np.ndarray, str]:
        """Call the function and insist on an array of the given shape back."""
        value, text = self.call(*args, **kwargs)
        array = self.to_array(value, text)
        if array.shape != shape:
            hint = (shape_hints or {}).get(array.shape, "")
            raise CheckFailed(f"{text} returned shape {array.shape}, expected {shape}", hint=hint)
        if np.isnan(array).any():
            raise CheckFailed(f"{text} returned NaN in {fmt(array)}", hint=nan_hint)
        return array, text

    # -- judging the result --------------------------------------------------------------------
    def close(
        self, text: str, got: Any, expected: Any, *, unit: str = "", mistakes: dict[str, Any] | None = None,
        rtol: float = 1e-6, atol: float = 1e-9, hint: str = "",
    ) -> None:
        """Pass if got ≈ expected; otherwise name the first known mistake that explains `got`."""
        got_a, exp_a = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
        if got_a.shape == exp_a.shape and np.allclose(got_a, exp_a, rtol=rtol, atol=atol, equal_nan=False):
            self.passed += 1
            return
        reason = hint
        for why, wrong in (mistakes or {}).items():
            wrong_a = np.asarray(wrong, dtype=np.float64)
            if wrong_a.shape == got_a.shape and np.allclose(got_a, wrong_a, rtol=1e-4, atol=1e-6):
                reason = why
                break
        if unit.startswith("bits") and exp_a.size == 1 and float(exp_a) == 1.0:
            unit = "bit" + unit[4:]
        unit_text = f" {unit}" if unit else ""
        if got_a.shape == exp_a.shape and got_a.size > 1 and (got_a.size > 12 or fmt(got_a) == fmt(exp_a)):
            summary = diff_summary(got_a, exp_a, rtol=rtol, atol=atol)
            message = f"{text} returned an array of shape {got_a.shape}{unit_text}: {summary}"
        elif got_a.shape == exp_a.shape and got_a.size == 1 and fmt(got_a) == fmt(exp_a):  # close, but not enough
            a, b = _distinct_pair(float(got_a.reshape(())), float(exp_a.reshape(())))
            message = f"{text} returned {a}, expected {b}{unit_text} (rtol {rtol:g}, atol {atol:g})"
        else:
            message = f"{text} returned {fmt(got_a)}, expected {fmt(exp_a)}{unit_text}"
        raise CheckFailed(message, hint=reason)

    def require(self, condition: bool, message: str, hint: str = "") -> None:
        """Pass if the condition holds; otherwise fail with the message (and the likely mistake, if known)."""
        if not condition:
            raise CheckFailed(message, hint)
        self.passed += 1

    def done(self) -> None:
        """Print the one-line success message."""
        print(f"✓ {self.name}: {self.passed} checks passed")


def checker(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorate a `check_<name>` function so that a defect in the checker itself is reported as one
    short CheckFailed line too, never as a traceback that looks like the learner's fault."""

    @functools.wraps(func)
    def wrapper(learner_fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            func(learner_fn, *args, **kwargs)
        except CheckFailed:
            raise
        except Exception as exc:
            raise CheckFailed(f"the checker itself failed ({type(exc).__name__}: {exc}); please report this") from None

    return wrapper
