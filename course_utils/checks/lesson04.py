"""Checkers for lesson 04 (overfitting, double descent, prequential code length): the minimum-norm
least-squares fit, a sweep of test error and solution norm over model size, and the prequential code length
of a label sequence given a model-fitting function.

The learner works in NumPy. References: `np.linalg.pinv` for the fit (independent of how the learner writes
it), and for the code length a small lookup-table model (Laplace-smoothed label counts for each input value),
whose calls the checker records, so it can tell which data each block's model was trained on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, checker, fmt

__all__ = ["check_min_norm_fit", "check_test_error_sweep", "check_prequential_code_length"]


# -- exercise 1: the minimum-norm least-squares fit -----------------------------------------------------

ONLY_TALL = "right for p ≤ n only: for p > n AᵀA is singular; use pinv"
REPEATED = "inverted a zero singular value (SVD or AᵀA)? use pinv"
LSTSQ_TUPLE = "np.linalg.lstsq returns 4 things: take [0]"
SOLVE_SQUARE = "np.linalg.solve needs a square A: use pinv or lstsq"
WIDE_FORMULA = "Aᵀ(AAᵀ)⁻¹y is for p ≥ n only: AAᵀ is singular here; use pinv"


def _fit_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(40)
    tall = rng.normal(size=(8, 3))
    square = rng.normal(size=(4, 4)) + 2 * np.eye(4)
    wide = rng.normal(size=(3, 7))
    repeated = rng.normal(size=(6, 3))
    repeated = np.column_stack([repeated, repeated[:, 0]])  # 4 columns, the last a copy of the first: rank 3
    # Full rank, but with a small singular value (1/750 of the largest), as at the lesson's threshold p = n:
    # a pinv that cuts singular values off too early (rcond=1e-2) removes exactly the direction that makes the peak.
    U, _ = np.linalg.qr(rng.normal(size=(6, 4)))
    V, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    small = U @ np.diag([3.0, 1.0, 0.2, 0.004]) @ V.T
    return [("tall", tall, rng.normal(size=8)), ("square", square, rng.normal(size=4)),
            ("wide", wide, rng.normal(size=3)), ("repeated", repeated, rng.normal(size=6)),
            ("small", small, rng.normal(size=6))]


def _single_precision(value: Any) -> bool:
    """Whether the learner's result is float32 (numpy or torch): then it is judged at float32's precision."""
    return str(getattr(value, "dtype", "")) in ("float32", "torch.float32")


FLOAT32_RTOL = 1e-3  # relative to ‖w‖; float32 reaches ~1e-4 on the worst-conditioned case (condition number 750)


def _cut_off(A: np.ndarray, y: np.ndarray, got: np.ndarray) -> float | None:
    """The singular value below which the learner's fit dropped directions, if it is a truncated pinv."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    rank = int((s > 1e-10 * s[0]).sum())
    for k in range(1, rank):
        truncated = Vt[:k].T @ ((U[:, :k].T @ y) / s[:k])
        if np.linalg.norm(got - truncated) <= FLOAT32_RTOL * np.linalg.norm(truncated):
            return float(s[k])
    return None


def _wide_formula(A: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Aᵀ(AAᵀ)⁻¹y, right past the threshold, written the ways learners write it, on a matrix with p < n."""
    out = []
    with np.errstate(all="ignore"):
        for form in (lambda: A.T @ np.linalg.inv(A @ A.T) @ y, lambda: A.T @ (np.linalg.inv(A @ A.T) @ y),
                     lambda: A.T @ np.linalg.solve(A @ A.T, y)):
            try:
                value = form()
            except np.linalg.LinAlgError:
                continue
            if np.isfinite(value).all():
                out.append(value)
    return out


def _fit_mistakes(A: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    n, p = A.shape
    mistakes = {"A.T @ y is a gradient direction, not the fit": A.T @ y}
    if n == p:
        mistakes["pinv(A.T) @ y? the fit is pinv(A) @ y"] = np.linalg.pinv(A.T) @ y
    return mistakes


def _call_fit(c: Checker, kind: str, A: np.ndarray, y: np.ndarray,
              tall_passed: bool) -> tuple[np.ndarray, str, bool]:
    n, p = A.shape
    hint_if_raised = {"wide": ONLY_TALL, "repeated": REPEATED}.get(kind, "") if tall_passed else ""
    try:
        value, text = c.call(A, y)
    except CheckFailed as exc:
        if hint_if_raised and "raised" in exc.message and not exc.hint:
            raise CheckFailed(exc.message, hint=hint_if_raised) from None
        if "must be square" in exc.message:
            raise CheckFailed(exc.message, hint=SOLVE_SQUARE) from None
        if kind == "tall" and "Singular matrix" in exc.message and not exc.hint:  # AᵀA is invertible here; AAᵀ is not
            raise CheckFailed(exc.message, hint=WIDE_FORMULA) from None
        raise
    if isinstance(value, tuple) and len(value) == 4:
        c.fail(f"{text} returned a tuple of 4 (solution, residuals, rank, singular values)", hint=LSTSQ_TUPLE)
    array = c.to_array(value, text)
    if array.shape != (p,):
        hints = {(p, 1): "a column (p, 1): return a flat array of p weights",
                 (1, p): "a row (1, p): return a flat array of p weights"}
        if n != p:
            hints[(n,)] = "n numbers: the fitted values A @ w? return the p weights"
        c.fail(f"{text} returned shape {array.shape}, expected ({p},): one weight per column of A",
               hint=hints.get(array.shape, ""))
    if not np.isfinite(array).all():
        c.fail(f"{text} returned {fmt(array)}", hint=REPEATED if kind == "repeated" else "")
    return array, text, _single_precision(value)


@checker
def check_min_norm_fit(min_norm_fit: Any) -> None:
    """Check `min_norm_fit(A, y)`: least squares, and among the solutions the one of smallest norm (pinv(A) @ y)."""
    c = Checker("min_norm_fit", min_norm_fit)
    tall_passed = False
    for kind, A, y in _fit_cases():
        n, p = A.shape
        got, text, single = _call_fit(c, kind, A, y, tall_passed)
        expected = np.linalg.pinv(A) @ y
        gap = np.linalg.norm(got - expected) / np.linalg.norm(expected)
        if np.allclose(got, expected, rtol=1e-5, atol=1e-8) or (single and gap <= FLOAT32_RTOL):
            c.passed += 1  # float32 passes: none of these cases, nor the lesson's sweep, needs more precision
            tall_passed = tall_passed or kind in ("tall", "square")
            continue
        if single and gap <= 1e-2:
            c.fail(f"{text} returned {fmt(got)}, expected {fmt(expected)}: off by {gap:.1e} of ‖w‖, more than "
                   f"float32 rounding ({FLOAT32_RTOL:g})", hint="float32 loses too much here: compute in float64")
        cut = _cut_off(A, y, got)
        if cut is not None:
            c.fail(f"{text} returned {fmt(got)}, expected {fmt(expected)}: the directions of singular values "
                   f"≤ {cut:.2g} are missing", hint=f"dropped singular values ≤ {cut:.2g}: rcond too large?")
        if kind == "tall" and any(np.linalg.norm(got - w) <= 1e-6 * np.linalg.norm(w) for w in _wide_formula(A, y)):
            c.fail(f"{text} returned {fmt(got)}, expected {fmt(expected)}: A is {n} × {p}, so AAᵀ ({n} × {n}) has "
                   f"rank {p} and its inverse is rounding noise", hint=WIDE_FORMULA)
        residual_ok = np.allclose(A.T @ (A @ got - y), 0.0, atol=1e-6)  # a least-squares solution, not the smallest
        hint = ""
        if kind == "wide" and tall_passed:
            hint = ("an interpolant, not the smallest-norm one: use pinv" if residual_ok else ONLY_TALL)
        elif kind == "repeated" and tall_passed:
            hint = ("a least-squares fit, not the smallest norm: use pinv" if residual_ok else REPEATED)
        elif kind == "tall":
            if gap < 1e-2:
                hint = "close, not exact: a ridge term, or float16?"
        c.close(text, got, expected, rtol=1e-5, atol=1e-8, hint=hint, mistakes=_fit_mistakes(A, y))
    A, y = _fit_cases()[2][1:]
    got, text, _ = _call_fit(c, "wide", A, y, True)
    c.require(bool(np.allclose(A @ got, y, atol=1e-8)),
              f"{text}: with more columns than rows the fit should pass through every point (A @ w = y); "
              f"the largest miss is {np.abs(A @ got - y).max():.3g}")
    c.done()


# -- exercise 2: a sweep over model size -----------------------------------------------------------------

def _sweep_problem() -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[int]]:
    rng = np.random.default_rng(41)
    x_train = np.linspace(-1, 1, 8)
    y_train = np.sin(2.5 * x_train) + 0.1 * rng.normal(size=8)
    x_test = np.linspace(-1, 1, 50)
    y_test = np.sin(2.5 * x_test)

    def features(x: Any, p: Any) -> np.ndarray:
        """Scaled Legendre features: the n x p matrix phi_k(x_i), k = 0..p-1."""
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"features(x, p) needs a whole number of features p, got {p!r}")
        if p < 1:
            raise ValueError(f"features(x, p) got p = {p}: loop over the sizes, not their indices?")
        k = np.arange(p)
        return np.polynomial.legendre.legvander(np.asarray(x, dtype=float), p - 1) * np.sqrt(2 * k + 1) / (k + 1)

    return features, x_train, y_train, x_test, y_test, [1, 2, 4, 7, 8, 9, 16, 40]


def _sweep_reference(features: Any, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                     y_test: np.ndarray, sizes: list[int], *, on_train: bool = False,
                     fit_on_test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    errors, norms = [], []
    for p in sizes:
        A = features(x_train, p)
        w = np.linalg.pinv(features(x_test, p)) @ y_test if fit_on_test else np.linalg.pinv(A) @ y_train
        B, t = (A, y_train) if on_train else (features(x_test, p), y_test)
        errors.append(np.mean((B @ w - t) ** 2))
        norms.append(np.linalg.norm(w))
    return np.array(errors), np.array(norms)


def _two_arrays(c: Checker, value: Any, text: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    array = None
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)):
        array = c.to_array(value, text)
        if array.shape == (k, 2):
            c.fail(f"{text} returned shape ({k}, 2), pairs (error, norm) per size; expected two arrays of {k}",
                   hint="one (error, norm) pair per size? return two arrays")
        if array.shape != (2, k):
            c.fail(f"{text} returned {fmt(value)}; expected two arrays of {k} numbers: (test_errors, norms)",
                   hint="return test_errors, norms" if array.shape == (k,) else "")
        return array[0], array[1]
    if len(value) != 2:
        if len(value) == k:
            c.fail(f"{text} returned {k} things; expected two arrays of {k} numbers: (test_errors, norms)",
                   hint="one (error, norm) pair per size? return two arrays")
        c.fail(f"{text} returned {len(value)} things; expected two: (test_errors, norms)")
    errors, norms = (c.to_array(v, text) for v in value)
    for name, a in [("test_errors", errors), ("norms", norms)]:
        if a.shape != (k,):
            c.fail(f"{text} returned {name} of shape {a.shape}; expected ({k},), one number per size")
        if np.isnan(a).any():
            c.fail(f"{text} returned NaN in {name}: {fmt(a)}")
    return errors, norms


@checker
def check_test_error_sweep(test_error_sweep: Any) -> None:
    """Check `test_error_sweep(features, x_train, y_train, x_test, y_test, sizes)` -> (test_errors, norms):
    for each p in sizes, the min-norm fit of the p features, its mean squared error on the test set and ‖w‖."""
    c = Checker("test_error_sweep", test_error_sweep)
    features, x_train, y_train, x_test, y_test, sizes = _sweep_problem()
    n, k = len(x_train), len(sizes)
    value, text = c.call(features, x_train, y_train, x_test, y_test, sizes)
    text = f"test_error_sweep(features, x_train (8 points), y_train, x_test (50 points), y_test, sizes={sizes})"
    errors, norms = _two_arrays(c, value, text, k)
    right_e, right_n = _sweep_reference(features, x_train, y_train, x_test, y_test, sizes)
    if np.allclose(errors, right_n, rtol=1e-5) and np.allclose(norms, right_e, rtol=1e-5):
        c.fail(f"{text} returned (norms, test errors)", hint="swapped? return test_errors first, then norms")
    train_e, _ = _sweep_reference(features, x_train, y_train, x_test, y_test, sizes, on_train=True)
    fitted_on_test, _ = _sweep_reference(features, x_train, y_train, x_test, y_test, sizes, fit_on_test=True)
    tall = np.array(sizes) <= n
    error_mistakes = {
        "error on the training points? measure it on x_test, y_test": train_e,
        "fitted on the test set? fit w on x_train, y_train": fitted_on_test,
        "root mean square? return the mean squared error": np.sqrt(right_e),
        "sum of squares? return the mean over test points": right_e * len(x_test),
    }
    if not np.allclose(errors, right_e, rtol=1e-5, atol=1e-10) and np.allclose(errors[tall], right_e[tall], rtol=1e-5):
        c.fail(f"{text}: test errors right for p ≤ n = {n}, wrong past it: {fmt(errors[~tall])}, expected "
               f"{fmt(right_e[~tall])}", hint="not the min-norm fit past p = n: use pinv")
    c.close(f"{text}: test errors", errors, right_e, rtol=1e-5, atol=1e-10, mistakes=error_mistakes)
    l1 = []
    for p in sizes:
        l1.append(np.abs(np.linalg.pinv(features(x_train, p)) @ y_train).sum())
    norm_mistakes = {
        "squared norm? ‖w‖ is the square root of Σ w²": right_n**2,
        "sum of |w|? use the Euclidean norm, np.linalg.norm(w)": np.array(l1),
    }
    c.close(f"{text}: norms", norms, right_n, rtol=1e-5, atol=1e-10, mistakes=norm_mistakes)
    peak = int(np.argmax(norms))
    c.require(sizes[peak] == n, f"{text}: the norms should peak at p = n = {n}, they peak at p = {sizes[peak]}")
    c.done()


# -- exercise 3: prequential code length -------------------------------------------------------------------

def _recorder(values: int, classes: int) -> tuple[Any, list[tuple[np.ndarray, np.ndarray]]]:
    """The checker's model-fitting function and the list of what each call of it saw.

    The model is a lookup table of Laplace-smoothed label counts for each input value: `fit(x_seen, y_seen)`
    returns `predict(x)` -> probabilities (len(x), classes). The record lets the checker say which labels each
    block's model was trained on. (A plain function, so the checker's copies of the arguments share it.)
    """
    calls: list[tuple[np.ndarray, np.ndarray]] = []

    def fit(x_seen: Any, y_seen: Any) -> Any:
        x_seen, y_seen = np.asarray(x_seen).astype(int).ravel(), np.asarray(y_seen).astype(int).ravel()
        calls.append((x_seen.copy(), y_seen.copy()))
        counts = np.ones((values, classes))
        np.add.at(counts, (x_seen, y_seen), 1.0)
        table = counts / counts.sum(axis=1, keepdims=True)

        def predict(x: Any) -> np.ndarray:
            return table[np.asarray(x).astype(int).ravel()].copy()

        return predict

    return fit, calls


def _reference_bits(x: np.ndarray, y: np.ndarray, boundaries: list[int], values: int, classes: int, *,
                    base: float = 2.0, first: float | None = None, prefix: str = "all", skip_last: bool = False,
                    pick: str = "true") -> float:
    """The right code length, or one of the mistakes (each keyword picks one)."""
    fit, _ = _recorder(values, classes)
    total = boundaries[1] * (math.log(classes, base) if first is None else first)
    pairs = list(zip(boundaries[1:-1], boundaries[2:]))
    if skip_last:
        pairs = pairs[:-1]
    previous = 0
    for start, end in pairs:
        if prefix == "all":
            model = fit(x[:start], y[:start])
        elif prefix == "including":
            model = fit(x[:end], y[:end])
        else:  # only the block just before
            model = fit(x[previous:start], y[previous:start])
        probs = model(x[start:end])
        if pick == "true":
            chosen = probs[np.arange(end - start), y[start:end]]
        elif pick == "block":  # probs[:, labels]: an m x m block, every row at every label of the block
            chosen = probs[:, y[start:end]]
        else:
            chosen = probs.max(axis=1)
        total += float(-np.sum(np.log(chosen)) / math.log(base))
        previous = start
    return total


def _preq_cases() -> list[tuple[np.ndarray, np.ndarray, list[int], int, int]]:
    rng = np.random.default_rng(42)
    values, classes = 5, 4
    x = rng.integers(0, values, size=60)
    learnable = (x + (rng.random(60) < 0.15) * rng.integers(1, classes, size=60)) % classes  # mostly y = x mod 4
    noise = rng.integers(0, classes, size=60)
    return [(x, learnable, [0, 4, 8, 16, 32, 60], values, classes),
            (x, noise, [0, 6, 20, 45, 60], values, classes),
            (x[:30], learnable[:30], [0, 30], values, classes)]


@checker
def check_prequential_code_length(prequential_code_length: Any) -> None:
    """Check `prequential_code_length(x, y, boundaries, fit, n_classes)`: total bits to send y block by block, the
    first block with the uniform code and each later block with a model fitted on all labels before it."""
    c = Checker("prequential_code_length", prequential_code_length)
    for x, y, boundaries, values, classes in _preq_cases():
        fit, calls = _recorder(values, classes)
        text = (f"prequential_code_length(x, y ({len(y)} labels), boundaries={boundaries}, fit, n_classes={classes})")
        got, _ = c.number(x, y, boundaries, fit, classes, nan_hint="log of 0? take the true label's probability")
        expected = _reference_bits(x, y, boundaries, values, classes)
        if math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9):
            if any(len(xs) == 0 for xs, _ in calls):  # right total only because this fit predicts uniform on 0 labels
                c.fail(f"{text}: fit was called on 0 labels (sizes {[len(xs) for xs, _ in calls]}); a model of no "
                       "labels need not be uniform", hint="fit on 0 labels? send the first block with log2(n_classes)")
            c.passed += 1
            continue
        starts = boundaries[1:-1]
        seen = [len(xs) for xs, _ in calls]
        if len(calls) == 1 and seen[0] == len(y) and len(starts) > 1:
            c.fail(f"{text} returned {got:.4g} bits, expected {expected:.4g}; fit was called once, on all {len(y)} "
                   "labels: the receiver cannot rebuild that model before decoding",
                   hint="fit once on everything? refit before each block")
        ends = boundaries[2:]
        if seen and all(s in ends for s in seen) and any(s not in starts for s in seen):
            c.fail(f"{text} returned {got:.4g} bits, expected {expected:.4g}; fit saw {seen} labels, the block ends: "
                   "each block must be coded by a model of the labels before it", hint="trained on the block it codes?")
        prefixes = all(np.array_equal(xs, x[: len(xs)]) for xs, _ in calls)
        if calls and not prefixes:
            c.fail(f"{text} returned {got:.4g} bits, expected {expected:.4g}; fit was given labels that are not "
                   f"the first ones sent (sizes {seen})", hint="fit on all labels sent so far, not one block")
        first = boundaries[1] * math.log2(classes)
        blocks = expected - first
        mistakes = {
            "natural log? code lengths in bits need log2": expected * math.log(2),
            "natural log in the blocks? code lengths need log2": first + blocks * math.log(2),
            "missing minus sign in the blocks? costs are -log2 q": first - blocks,
            "bits per label? return the total": expected / len(y),
            "missing minus sign? code lengths are positive": -expected,
            "the first block costs log2(n_classes) bits per label": expected - boundaries[1] * math.log2(classes),
            "-log2 of the largest probability? use the true label's": _reference_bits(
                x, y, boundaries, values, classes, pick="max"),
            "probs[:, labels] is an m×m block: index the rows too": _reference_bits(
                x, y, boundaries, values, classes, pick="block"),
        }
        if len(starts) > 0:
            mistakes["the last block is missing"] = _reference_bits(x, y, boundaries, values, classes, skip_last=True)
            mistakes["trained on the block it codes?"] = _reference_bits(x, y, boundaries, values, classes,
                                                                         prefix="including")
            mistakes["fit on all labels sent so far, not one block"] = _reference_bits(
                x, y, boundaries, values, classes, prefix="previous")
        c.close(text, got, expected, unit="bits", rtol=1e-6, mistakes=mistakes)
    c.done()
