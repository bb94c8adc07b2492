"""The checker framework: run a learner's function on a battery of cases and explain what went wrong.

A checker never crashes on the learner's behalf. Whatever the learner's function does (raise, return
None, a string, NaN, the wrong shape), the checker ends in one of two ways:
- success: it prints one line, `✓ entropy: 8 checks passed`;
- failure: it raises `CheckFailed` (an `AssertionError`, so graders and pytest count a failure) whose
  message names the call, what came back, what was expected and the likely mistake. In a notebook it
  shows as that message alone, with no traceback into this package.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Iterable
from copy import deepcopy
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "Checker", "checker", "fmt", "log_base_mistakes"]

NOT_IMPLEMENTED = "not implemented yet: replace `raise NotImplementedError()` with your code, run that cell, then this one"


class CheckFailed(AssertionError):
    """A learner's function failed a check. The message says why and what the likely mistake is."""

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
    return type(x).__module__.split(".")[0] == "torch"


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (str, bytes)):
        return f"a string {fmt(value)}"
    return f"{type(value).__name__} {fmt(value)}"


def log_base_mistakes(expected: float) -> dict[str, float]:
    """The values a function in bits gives instead of `expected` if it uses the wrong log or sign."""
    return {
        "natural log instead of log2? (np.log gives nats; use np.log2)": expected * math.log(2),
        "log10 instead of log2?": expected * math.log10(2),
        "a missing minus sign? (log p is negative, so entropy needs -Σ p log p)": -expected,
    }


class Checker:
    """Runs one learner function through a battery of checks, counting those that pass.

    Usage inside a `check_<name>` function::

        c = Checker("entropy", learner_entropy)
        got, call = c.number([0.5, 0.5])
        c.close(call, got, 1.0, unit="bits", mistakes=log_base_mistakes(1.0))
        c.done()
    """

    def __init__(self, name: str, fn: Any):
        self.name = name
        self.passed = 0
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
        """Call the learner's function on copies of the arguments; turn any exception into a message."""
        text = self.call_text(args, kwargs)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = self.fn(*deepcopy(args), **deepcopy(kwargs))
        except NotImplementedError:
            raise CheckFailed(f"{self.name}: {NOT_IMPLEMENTED}.") from None
        except CheckFailed:
            raise
        except Exception as exc:  # the learner's bug, reported rather than propagated
            raise CheckFailed(f"{text} raised {type(exc).__name__}: {exc}") from None
        if result is NotImplemented:
            raise CheckFailed(f"{self.name}: {NOT_IMPLEMENTED}.")
        return result, text

    def to_array(self, value: Any, text: str) -> np.ndarray:
        """The learner's result as a float array, or a CheckFailed that says what it was instead."""
        if value is None:
            raise CheckFailed(f"{text} returned None: is the `return` statement missing?")
        if isinstance(value, (str, bytes)):
            raise CheckFailed(f"{text} returned a string {fmt(value)}; return a number")
        try:
            if _is_tensor(value):
                value = value.detach().cpu().double().numpy()
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(f"{text} returned {_describe(value)}, which is not a number or array of numbers") from None
        return array

    def number(self, *args: Any, nan_hint: str = "", many_hint: str = "", **kwargs: Any) -> tuple[float, str]:
        """Call the function and insist on one real number back (`many_hint` explains getting several)."""
        value, text = self.call(*args, **kwargs)
        array = self.to_array(value, text)
        if array.size != 1:
            raise CheckFailed(f"{text} returned {array.size} numbers (shape {array.shape}); expected a single number"
                              + (f": {many_hint}" if many_hint else ""))
        number = float(array.reshape(()))
        if math.isnan(number):
            raise CheckFailed(f"{text} returned NaN" + (f": {nan_hint}" if nan_hint else ""))
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
            raise CheckFailed(
                f"{text} returned shape {array.shape}, expected {shape}" + (f": {hint}" if hint else "")
            )
        if np.isnan(array).any():
            raise CheckFailed(f"{text} returned NaN in {fmt(array)}" + (f": {nan_hint}" if nan_hint else ""))
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
        raise CheckFailed(
            f"{text} returned {fmt(got_a)}, expected {fmt(exp_a)}{unit_text}" + (f": {reason}" if reason else "")
        )

    def require(self, condition: bool, message: str) -> None:
        """Pass if the condition holds; otherwise fail with the message."""
        if not condition:
            raise CheckFailed(message)
        self.passed += 1

    def done(self) -> None:
        """Print the one-line success message."""
        print(f"✓ {self.name}: {self.passed} checks passed")


def checker(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorate a `check_<name>` function so that a defect in the checker itself is reported as one
    short CheckFailed line too, never as a traceback that looks like the learner's fault."""

    @functools.wraps(func)
    def wrapper(learner_fn: Any) -> None:
        try:
            func(learner_fn)
        except CheckFailed:
            raise
        except Exception as exc:
            raise CheckFailed(f"the checker itself failed ({type(exc).__name__}: {exc}); please report this") from None

    return wrapper
