"""Helpers shared by lessons 01 and 02's checkers: calls whose errors can be recognised, and judgements
whose messages put the likely mistake first and never show two arrays that look the same.

Built on `core.Checker`; nothing here calls the learner's function directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, diff_summary, fmt

__all__ = ["fail", "call", "uses_where_without_out", "as_array", "judge", "returned_dtype", "matches_value",
           "MATH_LOG"]


def fail(message: str, hint: str = "") -> None:
    """Raise a CheckFailed whose likely mistake (`hint`) comes first."""
    raise CheckFailed(message, hint)


def uses_where_without_out(fn: Any) -> bool:
    """True if `fn`'s source calls an elementwise NumPy function with `where=` but no `out=`.

    Such a call (np.log2(p, where=p > 0)) leaves the entries where the condition is False uninitialised: the
    result is whatever memory held before, right on one run and NaN on the next. Reading the learner's source
    tells this apart deterministically on every platform; a result alone cannot.
    """
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):  # no source (a builtin, a lambda typed at a prompt): cannot tell
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _ELEMENTWISE:
            keywords = {k.arg for k in node.keywords}
            if "where" in keywords and "out" not in keywords:
                return True
    return False


_ELEMENTWISE = {"log", "log2", "log10", "log1p", "exp", "exp2", "divide", "true_divide", "multiply", "power",
                "xlogy", "negative", "subtract", "add"}


def call(c: Checker, *args: Any, on_error: Iterable[tuple[str, str]] = ()) -> tuple[Any, str]:
    """`c.call(*args)`; if the learner's function raised an error whose text holds a known fragment,
    the message names the mistake behind it (`on_error`: (fragment of the error text, hint))."""
    try:
        return c.call(*args)
    except CheckFailed as exc:
        message = exc.message
        if " raised " in message and not exc.hint:
            for fragment, hint in on_error:
                if fragment in message:
                    fail(message, hint)
        raise


def returned_dtype(value: Any) -> str:
    """'float32' or 'float16' if the learner returned a low-precision array or tensor, else ''."""
    name = str(getattr(value, "dtype", "")).replace("torch.", "")
    return name if name in ("float32", "float16", "bfloat16") else ""


def as_array(c: Checker, value: Any, text: str, shape: tuple[int, ...],
             shape_hints: dict[tuple[int, ...], str] | None = None, nan_hint: str = "",
             many_hint: str = "") -> np.ndarray:
    """The learner's result as a float64 array of `shape` (() for one number), or a message that says why not."""
    array = c.to_array(value, text)
    if shape == () and array.size == 1:
        array = array.reshape(())  # one number, perhaps kept as [h]: fine
    elif array.shape != shape:
        what = "a single number" if shape == () else f"shape {shape}"
        got = f"{array.size} numbers (shape {array.shape})" if shape == () else f"shape {array.shape}"
        fail(f"{text} returned {got}, expected {what}", (shape_hints or {}).get(array.shape, many_hint))
    array = array.reshape(shape)
    if np.isnan(array).any():
        fail(f"{text} returned NaN" + ("" if array.ndim == 0 else f" in {fmt(array)}"), nan_hint)
    return array


def matches_value(got: Any, wrong: Any) -> bool:
    """Whether the learner's value is what a given mistake gives (to 1e-4: the mistake may be computed differently)."""
    got_a, wrong_a = np.asarray(got, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    return wrong_a.shape == got_a.shape and bool(np.allclose(got_a, wrong_a, rtol=1e-4, atol=1e-6))


def _scalar_text(got: float, expected: float) -> tuple[str, str]:
    g, e = fmt(got), fmt(expected)
    if g == e:  # they would look identical: show more digits
        g, e = f"{got:.10g}", f"{expected:.10g}"
    return g, e


def judge(c: Checker, text: str, got: Any, expected: Any, *, unit: str = "",
          mistakes: dict[str, Any] | list[tuple[str, Any]] | None = None,
          rtol: float = 1e-6, atol: float = 1e-9, fallback: str = "") -> None:
    """Pass if got ≈ expected. Otherwise name the mistake in `mistakes` (hint → the value it gives, as a dict or
    a list of pairs when one mistake has several forms) that explains `got` (if two different mistakes do,
    neither), or else `fallback`; a scalar shows both values, an array the largest difference."""
    got_a, exp_a = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got_a.shape == exp_a.shape and np.allclose(got_a, exp_a, rtol=rtol, atol=atol):
        c.require(True, "")
        return
    pairs = mistakes.items() if isinstance(mistakes, dict) else (mistakes or [])
    # a mistake that gives (nearly) the right value on this input cannot be told from a rounding error: skip it
    matches = {why for why, wrong in pairs if matches_value(got_a, wrong) and not matches_value(exp_a, wrong)}
    reason = matches.pop() if len(matches) == 1 else fallback  # two mistakes give this value: name neither
    unit_text = f" {unit}" if unit else ""
    if got_a.ndim == 0:
        if unit.startswith("bits") and float(exp_a) == 1.0:
            unit_text = " bit" + unit[4:]
        g, e = _scalar_text(float(got_a), float(exp_a))
        fail(f"{text} returned {g}, expected {e}{unit_text}", reason)
    if got_a.shape != exp_a.shape:
        fail(f"{text} returned shape {got_a.shape}, expected {exp_a.shape}", reason)
    small = got_a.size <= 8 if got_a.ndim == 1 else got_a.size <= 12
    if small and fmt(got_a) != fmt(exp_a):
        fail(f"{text} returned {fmt(got_a)}, expected {fmt(exp_a)}{unit_text}", reason)
    fail(f"{text} returned an array of shape {got_a.shape}{unit_text}: {diff_summary(got_a, exp_a, rtol=rtol, atol=atol)}", reason)


MATH_LOG = "math.log2 takes one number: use np.log2 on arrays"
