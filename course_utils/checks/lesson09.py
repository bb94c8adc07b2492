"""Checkers for lesson 09 (emergence from a smooth loss): per-token accuracy and exact match from padded model
outputs, exact match predicted from per-position accuracies (the p^L argument), a power law fitted on log-log
axes, and the model size at which exact match is predicted to cross a target.

References are written here independently of the sheet's code (masked NumPy counts; a product; the closed-form
least-squares line; the crossing solved in closed form). Each common mistake is computed on the same inputs, so a
wrong answer is named; the cases are built so that no two of an exercise's mistakes give the same number (the
tests check this). The numbers of the lesson's family of 13 models, rounded as the lesson prints them, serve as
realistic data for the last two exercises.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, _is_tensor, checker, diff_summary, fmt

__all__ = ["check_token_metrics", "check_predicted_exact_match", "check_fit_power_law", "check_predict_crossing"]

# A family like the lesson's (notebooks/09_emergence.ipynb): its 13 model sizes and per-token accuracies
# (3 decimals), with exact match measured on 20-word answers (4 decimals) in an earlier run of the lesson; the
# lesson itself now scores 50-word answers. The checks only need a realistic family, not the lesson's printout.
LESSON_SIZES = np.array([130, 179, 228, 326, 424, 620, 816, 1208, 1600, 2384, 3168, 4736, 6304], dtype=float)
LESSON_ACCURACY = np.array([0.650, 0.813, 0.859, 0.907, 0.920, 0.938, 0.949, 0.967, 0.975, 0.984, 0.988, 0.994,
                            0.997])
LESSON_EXACT_MATCH = np.array([0.0002, 0.0154, 0.0475, 0.1420, 0.1897, 0.2776, 0.3537, 0.5119, 0.6011, 0.7246,
                               0.7922, 0.8936, 0.9450])
LESSON_LENGTH = 20

Mistakes = list[tuple[str, Any]]  # (hint, the value that mistake gives), first match wins


def _matches(got: Any, wrong: Any, rtol: float) -> bool:
    got_a, wrong_a = np.asarray(got, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    return got_a.shape == wrong_a.shape and bool(np.all(np.isfinite(wrong_a))) and bool(
        np.allclose(got_a, wrong_a, rtol=rtol, atol=1e-9))


def _name(got: Any, mistakes: Mistakes, rtol: float = 1e-4) -> str:
    """The hint of the mistake whose value `got` is; "" if none fits, or if two different mistakes fit (on an
    input where they agree, naming either could name the wrong one)."""
    hints = {why for why, wrong in mistakes if _matches(got, wrong, rtol)}
    return hints.pop() if len(hints) == 1 else ""


def _judge(c: Checker, text: str, got: Any, expected: Any, mistakes: Mistakes, *, rtol: float,
           mistake_rtol: float = 1e-4, what: str = "") -> None:
    """Pass if got ≈ expected; otherwise fail, naming the mistake that gives `got` if there is one."""
    if _matches(got, expected, rtol):
        c.passed += 1
        return
    got_a, exp_a = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    label = f" {what}" if what else ""
    if got_a.size > 1 and got_a.shape == exp_a.shape and (got_a.size > 12 or fmt(got_a) == fmt(exp_a)):
        message = f"{text} returned{label} an array of shape {got_a.shape}: {diff_summary(got_a, exp_a)}"
    else:
        digits = 4 if fmt(got_a) != fmt(exp_a) else 8
        shown = (lambda x: fmt(tuple(x.tolist()), digits)) if what.startswith("(") else (lambda x: fmt(x, digits))
        message = f"{text} returned{label} {shown(got_a)}, expected {shown(exp_a)}"
    raise CheckFailed(message, hint=_name(got, mistakes, mistake_rtol))


def _pair(value: Any, text: str, names: str) -> tuple[Any, Any]:
    """The learner's result as two things, or a message saying what to return instead."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    if (isinstance(value, np.ndarray) or _is_tensor(value)) and tuple(value.shape) == (2,):
        return value[0], value[1]
    if value is None:
        raise CheckFailed(f"{text} returned None; return a pair {names}", hint="is the `return` statement missing?")
    if isinstance(value, (tuple, list)):
        things = "thing" if len(value) == 1 else "things"
        raise CheckFailed(f"{text} returned {len(value)} {things}; return a pair {names}")
    raise CheckFailed(f"{text} returned {type(value).__name__} {fmt(value)}; return a pair {names}",
                      hint=f"return both: {names}")


def _number(c: Checker, value: Any, text: str, what: str, shape_hints: dict[tuple[int, ...], str]) -> float:
    array = c.to_array(value, f"{text} ({what})")
    if array.size != 1:
        raise CheckFailed(f"{text} gave {what} of shape {array.shape}; expected one number",
                          hint=shape_hints.get(array.shape, ""))
    number = float(array.reshape(()))
    if math.isnan(number):
        raise CheckFailed(f"{text} gave {what} = NaN; expected a number")
    return number


# -- exercise 1: token accuracy and exact match from padded outputs ------------------------------------------

SWAPPED_METRICS = "returned (exact_match, token_accuracy)? swap them"
PERCENT = "percentages? return fractions between 0 and 1"
COUNTS = "counts, not fractions? divide by the totals"
ACC_PADS_RIGHT = "counted padded positions as right tokens?"
ACC_PADS_WRONG = "counted padded positions as wrong tokens?"
ACC_PER_ROW = "mean of per-row accuracies? pool all real tokens"
ACC_PER_POSITION = "mean of per-position accuracies? pool all tokens"
EM_OVER_TOKENS = "exact match averaged over tokens? it is per row"
EM_PADS = "compared padded positions? rows with padding fail"
EM_ANY = "any() instead of all()? every real token must match"
EM_AXIS = "all() along axis 0? each row is one answer"
EM_FLAT = "one all() over the whole batch? take it per row"
IGNORED_PAD = "ignored the `pad` argument (hardcoded -1 or >= 0)?"


def _token_parts(pred: np.ndarray, tgt: np.ndarray, pad: int) -> dict[str, Any]:
    real = tgt != pad
    hit = (pred == tgt) & real
    right_or_pad = hit | ~real
    columns = real.sum(axis=0) > 0
    return {
        "acc": hit.sum() / real.sum(), "em": right_or_pad.all(axis=1).mean(),
        "acc_pads_right": right_or_pad.mean(), "acc_pads_wrong": hit.mean(),
        "acc_per_row": (hit.sum(axis=1) / real.sum(axis=1)).mean(),
        "acc_per_position": (hit.sum(axis=0)[columns] / real.sum(axis=0)[columns]).mean(),
        "em_pads": (pred == tgt).all(axis=1).mean(), "em_any": hit.any(axis=1).mean(),
        "em_axis": right_or_pad.all(axis=0).mean(), "hits": hit.sum(), "rows_right": right_or_pad.all(axis=1).sum(),
    }


def token_metrics_mistakes(pred: np.ndarray, tgt: np.ndarray, pad: int,
                           ignored_pad: bool = False) -> tuple[Mistakes, Mistakes, Mistakes]:
    """The mistakes of exercise 1 on one batch: (for the pair, for token accuracy, for exact match)."""
    p = _token_parts(pred, tgt, pad)
    pair: Mistakes = [(PERCENT, (100 * p["acc"], 100 * p["em"])), (COUNTS, (p["hits"], p["rows_right"]))]
    acc: Mistakes = [
        (ACC_PADS_RIGHT, p["acc_pads_right"]), (ACC_PADS_WRONG, p["acc_pads_wrong"]),
        (ACC_PER_ROW, p["acc_per_row"]), (ACC_PER_POSITION, p["acc_per_position"]),
    ]
    em: Mistakes = [(EM_OVER_TOKENS, p[k]) for k in ("acc", "acc_pads_right", "acc_pads_wrong", "acc_per_row")]
    em += [(EM_ANY, p["em_any"]), (EM_AXIS, p["em_axis"]), (PERCENT, 100 * p["em"])]
    acc.append((PERCENT, 100 * p["acc"]))
    if p["em_pads"] != p["em"]:
        em.append((EM_PADS, p["em_pads"]))
    if ignored_pad:  # every position counted as real: -1 or >= 0 used where `pad` was meant
        # Earlier cases (pad = -1) have already named the mistakes that give these values for another reason.
        everything = _token_parts(pred, tgt, pad=np.iinfo(np.int64).min)
        acc = [(IGNORED_PAD, everything["acc"])] + [m for m in acc if not _matches(m[1], everything["acc"], 1e-4)]
        em = [(IGNORED_PAD, everything["em"])] + [m for m in em if not _matches(m[1], everything["em"], 1e-4)]
    return pair, acc, em


def _random_batch(rng: np.random.Generator, n: int, length: int, pad: int, pad_prediction: int | None,
                  vocabulary: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Answers of random lengths, and predictions from 'models' of unequal skill; junk (or pad) after the end."""
    lengths = rng.integers(1, length + 1, size=n)
    lengths[0] = length  # at least one full-length answer
    targets = rng.integers(0, vocabulary, size=(n, length))
    skill = rng.uniform(0.5, 1.0, size=(n, 1))
    wrong = rng.random((n, length)) > skill
    predictions = np.where(wrong, (targets + rng.integers(1, vocabulary, size=(n, length))) % vocabulary, targets)
    past_end = np.arange(length) >= lengths[:, None]
    targets = np.where(past_end, pad, targets)
    junk = rng.integers(0, vocabulary, size=(n, length)) if pad_prediction is None else pad_prediction
    predictions = np.where(past_end, junk, predictions)
    return predictions, targets


def token_metrics_cases() -> list[tuple[np.ndarray, np.ndarray, int | None, bool]]:
    """(predictions, targets, pad given to the function or None for the default, torch?) for exercise 1."""
    targets = np.array([[3, 1, 4, 1, 5],
                        [9, 2, 6, -1, -1],
                        [5, 3, -1, -1, -1],
                        [5, 8, 9, 7, -1],
                        [9, 3, 2, 3, 8],
                        [4, 6, -1, -1, -1]])
    predictions = np.array([[3, 1, 4, 1, 5],  # right
                            [9, 2, 6, 7, 0],  # right (junk after the end)
                            [5, 0, 2, 2, 2],  # one of two wrong
                            [5, 8, 9, 7, 4],  # right
                            [9, 3, 0, 3, 1],  # two of five wrong
                            [1, 6, 6, 6, 6]])  # one of two wrong
    rng = np.random.default_rng(9)
    b_pred, b_tgt = _random_batch(rng, 40, 9, pad=-1, pad_prediction=-1)  # a model that emits pad after its answer
    c_pred, c_tgt = _random_batch(rng, 25, 7, pad=32, pad_prediction=None)  # pad id = vocabulary size
    d_pred, d_tgt = _random_batch(rng, 60, 12, pad=-1, pad_prediction=None)
    full = np.array([[7, 7, 2]])
    return [(predictions, targets, None, False), (b_pred, b_tgt, None, True), (d_pred, d_tgt, -1, False),
            (c_pred, c_tgt, 32, False), (full, full.copy(), None, False)]


@checker
def check_token_metrics(token_metrics: Any) -> None:
    """Check `token_metrics(predictions, targets, pad=-1)` → (token accuracy, exact match) over the real tokens."""
    c = Checker("token_metrics", token_metrics)
    names = "(token_accuracy, exact_match)"
    for predictions, targets, pad, as_torch in token_metrics_cases():
        used_pad = -1 if pad is None else pad
        args: tuple[Any, ...] = (predictions, targets)
        if as_torch:
            import torch
            args = (torch.as_tensor(predictions), torch.as_tensor(targets))
        value, text = c.call(*args) if pad is None else c.call(*args, pad=pad)
        first, second = _pair(value, text, names)
        if _is_bool_scalar(second) and not _is_bool_scalar(first):
            raise CheckFailed(f"{text} returned exact_match = {fmt(second)}, a single True/False", hint=EM_FLAT)
        n, length = targets.shape
        acc = _number(c, first, text, "token_accuracy", {(n,): "one accuracy per row? pool all real tokens",
                                                         (length,): ACC_PER_POSITION})
        em = _number(c, second, text, "exact_match", {(n,): "one value per row? take the mean over rows",
                                                      (length,): EM_AXIS})
        parts = _token_parts(np.asarray(predictions), np.asarray(targets), used_pad)
        expected = (float(parts["acc"]), float(parts["em"]))
        pair_mistakes, acc_mistakes, em_mistakes = token_metrics_mistakes(predictions, targets, used_pad,
                                                                         ignored_pad=used_pad != -1)
        got = (acc, em)
        if not _matches(got, expected, 1e-6):
            if _matches(got, expected[::-1], 1e-6):
                raise CheckFailed(f"{text} returned {fmt(got)}, expected {names} = {fmt(expected)}",
                                  hint=SWAPPED_METRICS)
            hint = _name(got, pair_mistakes)
            if hint:
                raise CheckFailed(f"{text} returned {fmt(got)}, expected {names} = {fmt(expected)}", hint=hint)
        _judge(c, text, acc, expected[0], acc_mistakes, rtol=1e-6, what="token_accuracy")
        _judge(c, text, em, expected[1], em_mistakes, rtol=1e-6, what="exact_match")
    c.done()


def _is_bool_scalar(value: Any) -> bool:
    if _is_tensor(value):
        return str(value.dtype) == "torch.bool" and value.numel() == 1
    return isinstance(value, (bool, np.bool_))


# -- exercise 2: exact match predicted from per-position accuracies ------------------------------------------

MEAN_POWER = "mean accuracy ** L? positions differ: multiply them"
SUMMED = "summed (= L·mean)? multiply the accuracies"
MEAN = "mean accuracy? exact match needs every position"
MINIMUM = "min accuracy? exact match multiplies them all"
MAXIMUM = "max accuracy? exact match multiplies them all"
ANY_RIGHT = "1 − ∏(1 − a) is 'some position right'; use ∏ a"
EXP_SUM = "exp of a sum? that is exp(Σ log a), or just ∏ a"
SUM_LOGS = "forgot the exp? Σ log a is the log of ∏ a"
PROD_ERRORS = "multiplied the errors 1 − a? multiply accuracies"
UNION = "1 − Σ(1 − a) is only first-order; use ∏ a"
GEOMETRIC = "geometric mean? no L-th root: exact match is ∏ a"
WRONG_AXIS = "wrong axis? multiply along the last axis"


def predicted_exact_match_mistakes(a: np.ndarray) -> Mistakes:
    a = np.asarray(a, dtype=np.float64)
    length = a.shape[-1]
    with np.errstate(all="ignore"):
        mistakes: Mistakes = [
            (MEAN_POWER, a.mean(axis=-1) ** length), (SUMMED, a.sum(axis=-1)), (MEAN, a.mean(axis=-1)),
            (MINIMUM, a.min(axis=-1)), (MAXIMUM, a.max(axis=-1)), (ANY_RIGHT, 1 - np.prod(1 - a, axis=-1)),
            (EXP_SUM, np.exp(a.sum(axis=-1))), (SUM_LOGS, np.log(a).sum(axis=-1)),
            (PROD_ERRORS, np.prod(1 - a, axis=-1)), (UNION, 1 - (1 - a).sum(axis=-1)),
            (GEOMETRIC, np.prod(a, axis=-1) ** (1 / length)),
        ]
    if a.ndim >= 2:
        mistakes.append((WRONG_AXIS, np.prod(a, axis=0)))
    return mistakes


def predicted_exact_match_cases() -> list[tuple[np.ndarray, bool]]:
    """(per-position accuracies, pass as torch?) for exercise 2; positions differ in all but the last case."""
    rng = np.random.default_rng(90)
    return [
        (np.array([0.9, 0.5, 0.99, 0.8]), False),
        (np.array([[0.99, 0.9, 0.7, 0.95], [0.6, 0.8, 0.85, 0.99], [0.999, 0.98, 0.97, 0.5]]), False),
        (np.array([[0.9, 0.6, 0.99], [0.75, 0.95, 0.5], [0.8, 0.97, 0.85]]), False),  # square: axis 0 fits too
        (rng.uniform(0.4, 1.0, size=(2, 3, 5)), False),
        (rng.uniform(0.7, 1.0, size=(4, 6)), True),
        (np.array([[0.3], [0.8], [0.95]]), False),  # answers of one token: exact match is their accuracy
        (np.array([1.0, 0.0, 0.7]), False),  # a position never right: exact match 0
        (np.full(6, 0.7), False),  # equal positions: here p^L is right
    ]


@checker
def check_predicted_exact_match(predicted_exact_match: Any) -> None:
    """Check `predicted_exact_match(position_accuracy)` = the product of accuracies along the last axis."""
    c = Checker("predicted_exact_match", predicted_exact_match)
    for a, as_torch in predicted_exact_match_cases():
        arg: Any = a
        if as_torch:
            import torch
            arg = torch.as_tensor(a)
        shape = a.shape[:-1]
        shape_hints = {a.shape: "one value per position? multiply them",
                       (): "multiplied over every axis? one per answer"}
        if a.ndim >= 2:
            shape_hints[a.shape[1:]] = WRONG_AXIS
            shape_hints.setdefault(a.shape[:1] + a.shape[2:], WRONG_AXIS)
        shape_hints[shape + (1,)] = "keepdims=True? drop the last axis"
        shape_hints.pop(shape, None)
        nan_hint = "NaN: a log of 0? ∏ a needs no logs" if np.any(a == 0) else ""
        got, text = c.array(arg, shape=shape, shape_hints=shape_hints, nan_hint=nan_hint)
        _judge(c, text, got, np.prod(a, axis=-1), predicted_exact_match_mistakes(a), rtol=1e-6)
    c.done()


# -- exercise 3: a power law fitted on log-log axes -----------------------------------------------------------

LINEAR_SPACE = "fitted in linear space? fit log e against log N"
SEMILOG = "semi-log fit? take logs of both sizes and errors"
NEGATIVE_SLOPE = "returned the slope as beta? beta = −slope"
LOG_C = "returned log c? c = exp(intercept)"
LOG10_EXP = "log10 fit but exp() for c? use 10**intercept"
LOG2_EXP = "log2 fit but exp() for c? use 2**intercept"
MIXED_BASES = "two log bases? use the same log for N and e"
POLYFIT_SWAPPED = "polyfit(log e, log N)? x is log N, y is log e"
UNPACKED_BACKWARDS = "np.polyfit returns [slope, intercept]: swapped?"
RAW_LINE = "returned the line's coefficients? c = e^b, β = −slope"
ORDER = "returned (beta, c)? the order is (c, beta)"


def _loglog(sizes: np.ndarray, errors: np.ndarray, log: Any = np.log) -> tuple[float, float]:
    """Slope and intercept of the least-squares line through (log N, log e), in closed form."""
    x, y = log(np.asarray(sizes, dtype=np.float64)), log(np.asarray(errors, dtype=np.float64))
    slope = float(np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2))
    return slope, float(y.mean() - slope * x.mean())


def power_law(sizes: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """The reference: (c, beta) with errors ≈ c · sizes^(−beta), least squares on log-log axes."""
    slope, intercept = _loglog(sizes, errors)
    return math.exp(intercept), -slope


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), 1)
    return float(slope), float(intercept)


def _linear_space_fit(sizes: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """(c, beta) minimising Σ (c N^-β − e)², as scipy's curve_fit in linear space finds it."""
    from scipy.optimize import least_squares

    n, e = np.asarray(sizes, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    c0, beta0 = power_law(n, e)
    fit = least_squares(lambda p: p[0] * n ** -p[1] - e, [c0, beta0], xtol=1e-15, ftol=1e-15, gtol=1e-15)
    return float(fit.x[0]), float(fit.x[1])


def fit_power_law_mistakes(sizes: np.ndarray, errors: np.ndarray) -> Mistakes:
    n, e = np.asarray(sizes, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    c, beta = power_law(n, e)
    slope, intercept = -beta, math.log(c)
    s10, b10 = _loglog(n, e, np.log10)
    s2, b2 = _loglog(n, e, np.log2)
    sw_slope, sw_intercept = _line(np.log(e), np.log(n))
    semi_slope, semi_intercept = _line(n, np.log(e))
    lin_slope, lin_intercept = _line(n, e)
    log_slope, log_intercept = _line(np.log(n), e)
    with np.errstate(all="ignore"):
        return [
            (ORDER, (beta, c)),
            (NEGATIVE_SLOPE, (c, slope)),
            (LOG_C, (intercept, beta)),
            (RAW_LINE, (intercept, slope)),
            (RAW_LINE, (slope, intercept)),
            (LOG10_EXP, (math.exp(b10), -s10)),
            (LOG2_EXP, (math.exp(b2), -s2)),
            (MIXED_BASES, (c, beta * math.log(10))),
            (MIXED_BASES, (c, beta / math.log(10))),
            (MIXED_BASES, (math.exp(math.log10(c)), beta / math.log(10))),
            (POLYFIT_SWAPPED, (math.exp(sw_intercept), -sw_slope)),
            (UNPACKED_BACKWARDS, (math.exp(slope), -intercept)),
            (SEMILOG, (math.exp(semi_intercept), -semi_slope)),
            (SEMILOG, (log_intercept, -log_slope)),
            (LINEAR_SPACE, (lin_intercept, -lin_slope)),
            (LINEAR_SPACE, _linear_space_fit(n, e)),
        ]


def fit_power_law_cases() -> list[tuple[Any, Any]]:
    """(sizes, errors) for exercise 3: an exact power law, the lesson's seven small models, noisy and unsorted."""
    exact_sizes = np.array([100.0, 300.0, 1000.0, 3000.0, 10000.0])
    rng = np.random.default_rng(93)
    noisy_sizes = np.array([50.0, 3200.0, 200.0, 800.0, 12800.0, 400.0, 25600.0, 1600.0])
    noisy_errors = 0.8 * noisy_sizes ** -0.45 * np.exp(rng.normal(0, 0.15, size=noisy_sizes.size))
    return [
        (exact_sizes, 2.5 * exact_sizes ** -0.6),
        (LESSON_SIZES[:7], 1 - LESSON_ACCURACY[:7]),
        (list(noisy_sizes), list(noisy_errors)),
        (np.array([10.0, 1000.0]), np.array([0.5, 0.05])),
    ]


@checker
def check_fit_power_law(fit_power_law: Any) -> None:
    """Check `fit_power_law(sizes, errors)` → (c, beta), least squares of log e against log N."""
    c = Checker("fit_power_law", fit_power_law)
    names = "(c, beta)"
    for sizes, errors in fit_power_law_cases():
        value, text = c.call(sizes, errors)
        first, second = _pair(value, text, names)
        got = (_number(c, first, text, "c", {}), _number(c, second, text, "beta", {}))
        expected = power_law(np.asarray(sizes), np.asarray(errors))
        _judge(c, text, got, expected, fit_power_law_mistakes(np.asarray(sizes), np.asarray(errors)),
               rtol=1e-5, mistake_rtol=1e-3, what=names)
    c.done()


# -- exercise 4: the size at which exact match is predicted to cross a target ----------------------------------

ALL_SIZES = "fitted on all sizes? use only those with EM < target"
PAST_TARGET = "fitted on the sizes past target? use EM < target"
AT_OR_BELOW = "`<=` kept the size with EM == target; use `<`"
NO_LENGTH = "forgot the length? solve (1 − e)^L = target"
LINEARIZED = "linearized 1 − L·e = target? solve (1 − e)^L"
TARGET_POWER_L = "target**L? the token accuracy is target**(1/L)"
NO_ROOT = "forgot the power 1/beta? N = (c / e)**(1/beta)"
NEGATIVE_ROOT = "power −1/beta? N = (c / e)**(1/beta)"
MEASURED = "read off the measured sizes? predict from the fit"
LOG_SIZE = "returned log N? return the size itself"
IGNORED_TARGET = "ignored `target` (hardcoded 0.5)?"
FITTED_EXACT_MATCH = "fitted 1 − exact match? fit the token errors"
PRECEDENCE_TARGET = "target ** 1/L is target/L: write target ** (1 / L)"
PRECEDENCE_ROOT = "x ** 1/beta is x/beta: write x ** (1 / beta)"
ONE_MINUS_TARGET = "e* is 1 − target**(1/L): a `1 −` dropped or misplaced?"  # at 0.5, t and 1 − t coincide
FIRST_K = "the first k sizes? select the models with EM < target"
IGNORED_LENGTH = "ignored `length` (hardcoded 20)?"


def _crossing(c: float, beta: float, length: int, target: float, *, root: float = 1.0) -> float:
    return (c / (1 - target ** (1 / length))) ** (root / beta)


def crossing(sizes: np.ndarray, errors: np.ndarray, exact_match: np.ndarray, length: int, target: float = 0.5) -> float:
    """The reference: fit on the sizes with exact match < target, solve (1 − c N^−β)^length = target."""
    used = np.asarray(exact_match) < target
    c, beta = power_law(np.asarray(sizes)[used], np.asarray(errors)[used])
    return _crossing(c, beta, length, target)


def _measured_crossings(sizes: np.ndarray, exact_match: np.ndarray, target: float) -> list[float]:
    order = np.argsort(sizes)
    n, em = sizes[order], exact_match[order]
    j = int(np.argmax(em >= target))
    if j == 0:
        return [float(n[0])]
    u = (target - em[j - 1]) / (em[j] - em[j - 1])
    return [float(n[j]), float(n[j - 1]),
            float(np.exp(np.log(n[j - 1]) + u * (np.log(n[j]) - np.log(n[j - 1])))),
            float(n[j - 1] + u * (n[j] - n[j - 1]))]


def predict_crossing_mistakes(sizes: np.ndarray, errors: np.ndarray, exact_match: np.ndarray, length: int,
                              target: float) -> Mistakes:
    n, e, em = (np.asarray(a, dtype=np.float64) for a in (sizes, errors, exact_match))
    used = em < target
    c, beta = power_law(n[used], e[used])
    right = _crossing(c, beta, length, target)
    mistakes: Mistakes = [(ALL_SIZES, _crossing(*power_law(n, e), length, target))]
    if np.sum(em >= target) >= 2:
        mistakes.append((PAST_TARGET, _crossing(*power_law(n[~used], e[~used]), length, target)))
    if np.any(em == target):
        mistakes.append((AT_OR_BELOW, _crossing(*power_law(n[em <= target], e[em <= target]), length, target)))
    mistakes += [
        (NO_LENGTH, (c / (1 - target)) ** (1 / beta)),
        (LINEARIZED, (c * length / (1 - target)) ** (1 / beta)),
        (TARGET_POWER_L, (c / (1 - target ** length)) ** (1 / beta)),
        (NO_ROOT, _crossing(c, 1.0, length, target)),
        (NEGATIVE_ROOT, _crossing(c, beta, length, target, root=-1.0)),
        (LOG_SIZE, math.log(right)), (LOG_SIZE, math.log10(right)),
        (PRECEDENCE_TARGET, (c / (1 - target / length)) ** (1 / beta)),
        (PRECEDENCE_ROOT, c / (1 - target ** (1 / length)) / beta),
        (ONE_MINUS_TARGET, (c / (1 - target) ** (1 / length)) ** (1 / beta)),
        (ONE_MINUS_TARGET, (c / target ** (1 / length)) ** (1 / beta)),
    ]
    k = int(used.sum())
    if k >= 2 and not np.all(np.diff(n) > 0):  # the sizes are not in increasing order: "the first k" differ
        mistakes.append((FIRST_K, _crossing(*power_law(n[:k], e[:k]), length, target)))
    if np.all(em[used] < 1) and used.sum() >= 2:
        c_em, beta_em = power_law(n[used], 1 - em[used])
        mistakes.append((FITTED_EXACT_MATCH, (c_em / (1 - target)) ** (1 / beta_em)))
    mistakes += [(MEASURED, m) for m in _measured_crossings(n, em, target)]
    if target != 0.5:
        half = em < 0.5
        mistakes += [(IGNORED_TARGET, crossing(n, e, em, length, 0.5)),
                     (IGNORED_TARGET, _crossing(*power_law(n[half], e[half]), length, target)),
                     (IGNORED_TARGET, _crossing(c, beta, length, 0.5))]
    if length != 20:
        mistakes.append((IGNORED_LENGTH, _crossing(c, beta, 20, target)))
    return mistakes


def predict_crossing_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int, float | None]]:
    """(sizes, token errors, exact match, length, target or None for the default) for exercise 4."""
    # A family of 9 sizes whose exact match of 8-token answers hits 0.5 exactly at one size (e.g. 500 of 1,000).
    sizes_b = np.array([100.0, 150.0, 250.0, 400.0, 600.0, 1000.0, 1500.0, 2500.0, 4000.0])
    errors_b = np.array([0.300, 0.205, 0.140, 0.096, 0.0830, 0.0560, 0.0390, 0.0240, 0.0150])
    em_b = np.array([0.058, 0.16, 0.30, 0.45, 0.50, 0.63, 0.73, 0.82, 0.89])
    # Ten sizes whose error bends (faster at first), 5-token answers, the crossing of 80% asked for.
    sizes_c = np.array([64.0, 128.0, 256.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0, 32768.0])
    errors_c = 0.4 * (sizes_c / 64) ** -0.9 + 0.01 * (sizes_c / 64) ** -0.3
    em_c = np.round((1 - errors_c) ** 5, 4)
    return [
        (LESSON_SIZES, 1 - LESSON_ACCURACY, LESSON_EXACT_MATCH, LESSON_LENGTH, None),
        (sizes_b, errors_b, em_b, 8, 0.5),
        (sizes_c, errors_c, em_c, 5, 0.8),
        (sizes_c[::-1].copy(), errors_c[::-1].copy(), em_c[::-1].copy(), 5, 0.8),  # largest model first
    ]


@checker
def check_predict_crossing(predict_crossing: Any) -> None:
    """Check `predict_crossing(sizes, token_errors, exact_match, length, target=0.5)` → the predicted size."""
    c = Checker("predict_crossing", predict_crossing)
    for sizes, errors, em, length, target in predict_crossing_cases():
        used_target = 0.5 if target is None else target
        args = (sizes, errors, em, length)
        got, text = c.number(*args, many_hint="one size, the predicted crossing") if target is None else \
            c.number(*args, target=target, many_hint="one size, the predicted crossing")
        _judge(c, text, got, crossing(sizes, errors, em, length, used_target),
               predict_crossing_mistakes(sizes, errors, em, length, used_target), rtol=1e-5, mistake_rtol=1e-3)
    c.done()
