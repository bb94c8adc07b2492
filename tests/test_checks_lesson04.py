"""Lesson 04's checkers: they pass right answers written in several ways, and name each realistic mistake."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from check_helpers import fails_with
from course_utils.checks import check_min_norm_fit, check_prequential_code_length, check_test_error_sweep


# -- exercise 1: the minimum-norm fit ----------------------------------------------------------------------
def min_norm_fit(A, y):
    return np.linalg.pinv(A) @ y


RIGHT_FITS = [
    min_norm_fit,
    lambda A, y: np.linalg.lstsq(A, y, rcond=None)[0],
    lambda A, y: scipy.linalg.lstsq(A, y)[0],
    lambda A, y: torch.linalg.pinv(torch.as_tensor(A)) @ torch.as_tensor(y),
    lambda A, y: (np.linalg.pinv(np.asarray(A, dtype=np.float32)) @ np.asarray(y, dtype=np.float32)),
    # float32 through torch: its rounding (~1e-7 of ‖w‖, ~1e-4 on the ill-conditioned case) is enough here
    lambda A, y: torch.linalg.pinv(torch.tensor(A, dtype=torch.float32)) @ torch.tensor(y, dtype=torch.float32),
]


def svd_fit(A, y):  # the pseudo-inverse by hand, inverting only the non-zero singular values
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > 1e-10 * s.max()
    return Vt[keep].T @ ((U[:, keep].T @ y) / s[keep])


@pytest.mark.parametrize("fit", RIGHT_FITS + [svd_fit])
def test_right_fits_pass(fit, capsys):
    check_min_norm_fit(fit)
    assert capsys.readouterr().out.startswith("✓ min_norm_fit")


def normal_equations(A, y):
    return np.linalg.inv(A.T @ A) @ A.T @ y


def solve_normal(A, y):
    return np.linalg.solve(A.T @ A, A.T @ y)


def svd_all_values(A, y):  # inverts zero singular values too
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return Vt.T @ ((U.T @ y) / s)


def some_interpolant(A, y):  # least squares for p <= n; past it, an interpolant that is not the smallest
    n, p = A.shape
    if p <= n:
        return np.linalg.pinv(A) @ y
    w = np.zeros(p)
    w[:n] = np.linalg.solve(A[:, :n], y)
    return w


def qr_fit(A, y):
    Q, R = np.linalg.qr(A)
    return np.linalg.solve(R, Q.T @ y)


def ridge(A, y):
    return np.linalg.solve(A.T @ A + 1e-3 * np.eye(A.shape[1]), A.T @ y)


def in_place(A, y):
    A /= np.linalg.norm(A, axis=0)  # "normalise the columns first", on the caller's matrix
    return np.linalg.pinv(A) @ y


FIT_BUGS = [
    (normal_equations, "right for p ≤ n only"),
    (solve_normal, "not the smallest-norm one"),  # AᵀA is singular, yet solve returns an interpolant
    (qr_fit, "right for p ≤ n only"),
    (svd_all_values, "inverted a zero singular value"),
    (some_interpolant, "an interpolant, not the smallest-norm one"),
    (lambda A, y: np.linalg.lstsq(A, y, rcond=None), "lstsq returns 4 things"),
    (lambda A, y: np.linalg.solve(A, y), "np.linalg.solve needs a square A"),
    (lambda A, y: A @ (np.linalg.pinv(A) @ y), "the fitted values A @ w"),
    (lambda A, y: (np.linalg.pinv(A) @ y)[:, None], "return a flat array"),
    (lambda A, y: A.T @ y, "gradient direction"),
    (ridge, "a ridge term"),
    (in_place, "modified its input in place"),
    (lambda A, y: np.linalg.pinv(A, rcond=1e-2) @ y, "dropped singular values ≤ 0.004: rcond too large?"),
    (lambda A, y: np.linalg.pinv(A, rcond=0.1) @ y, "dropped singular values ≤ 0.2: rcond too large?"),
    (lambda A, y: A.T @ np.linalg.inv(A @ A.T) @ y, "Aᵀ(AAᵀ)⁻¹y is for p ≥ n only"),
    (lambda A, y: A.T @ np.linalg.solve(A @ A.T, y), "Aᵀ(AAᵀ)⁻¹y is for p ≥ n only"),
    (lambda A, y: (torch.linalg.pinv(torch.tensor(A, dtype=torch.float16).float()) @ torch.tensor(y).float())
     .half(), ""),  # float16 is not enough: a plain "returned ..., expected ..." (checked below)
]


@pytest.mark.parametrize("buggy, message", FIT_BUGS, ids=[m or "float16" for _, m in FIT_BUGS])
def test_fit_mistakes_are_named(buggy, message):
    text = fails_with(check_min_norm_fit, buggy, message)
    if not message:
        assert "expected" in text and "rcond" not in text and "float32" not in text


def test_a_truncated_pinv_breaks_the_lessons_peak():
    """Why the small-singular-value case exists: rcond=1e-2 would hide the lesson's double-descent peak."""
    from numpy.polynomial import legendre

    x = np.linspace(-1, 1, 20)
    k = np.arange(20)
    A = legendre.legvander(x, 19) * np.sqrt(2 * k + 1) / (k + 1) ** 1.5
    y = np.exp(-4 * x**2) * np.cos(6 * x) + 0.02 * np.random.default_rng(1).normal(size=20)
    s = np.linalg.svd(A, compute_uv=False)
    assert s[-1] / s[0] < 1e-2  # the threshold matrix has singular values rcond=1e-2 would cut
    assert np.linalg.norm(np.linalg.pinv(A, rcond=1e-2) @ y) < np.linalg.norm(np.linalg.pinv(A) @ y) / 10


def test_pinv_of_the_transpose_is_named_on_the_square_case():
    def transposed(A, y):
        return np.linalg.pinv(A.T) @ y if A.shape[0] == A.shape[1] else np.linalg.pinv(A) @ y

    fails_with(check_min_norm_fit, transposed, "pinv(A.T) @ y?")


# -- exercise 2: the sweep --------------------------------------------------------------------------------
def error_sweep(features, x_train, y_train, x_test, y_test, sizes):
    errors, norms = [], []
    for p in sizes:
        w = np.linalg.pinv(features(x_train, p)) @ y_train
        errors.append(np.mean((features(x_test, p) @ w - y_test) ** 2))
        norms.append(np.linalg.norm(w))
    return np.array(errors), np.array(norms)


def sweep_with(fit=None, error=None, norm=None, on_train=False, index=False):
    fit = fit or (lambda A, y: np.linalg.pinv(A) @ y)
    error = error or (lambda r: np.mean(r**2))
    norm = norm or np.linalg.norm

    def sweep(features, x_train, y_train, x_test, y_test, sizes):
        errors, norms = [], []
        for i, p in enumerate(sizes):
            p = i if index else p
            w = fit(features(x_train, p), y_train)
            x, y = (x_train, y_train) if on_train else (x_test, y_test)
            errors.append(error(features(x, p) @ w - y))
            norms.append(norm(w))
        return errors, norms

    return sweep


def test_right_sweeps_pass(capsys):
    check_test_error_sweep(error_sweep)
    check_test_error_sweep(sweep_with())  # lists are fine
    check_test_error_sweep(sweep_with(fit=lambda A, y: np.linalg.lstsq(A, y, rcond=None)[0]))
    check_test_error_sweep(lambda *args: np.array(error_sweep(*args)))  # a (2, k) array unpacks the same
    check_test_error_sweep(sweep_with(error=lambda r: np.sum(r**2) / len(r), norm=lambda w: math.sqrt(w @ w)))
    assert capsys.readouterr().out.count("✓ test_error_sweep") == 5


SWEEP_BUGS = [
    (sweep_with(on_train=True), "error on the training points"),
    (lambda f, xtr, ytr, xte, yte, sizes: error_sweep(f, xte, yte, xte, yte, sizes), "fitted on the test set"),
    (sweep_with(error=lambda r: np.sqrt(np.mean(r**2))), "root mean square"),
    (sweep_with(error=lambda r: np.sum(r**2)), "sum of squares"),
    (sweep_with(norm=lambda w: np.sum(w**2)), "squared norm"),
    (sweep_with(norm=lambda w: np.sum(np.abs(w))), "sum of |w|"),
    (sweep_with(fit=lambda A, y: np.linalg.solve(A.T @ A, A.T @ y)), "not the min-norm fit past p = n"),
    (sweep_with(fit=lambda A, y: np.linalg.inv(A.T @ A) @ A.T @ y), "not the min-norm fit past p = n"),
    (sweep_with(index=True), "loop over the sizes, not their indices"),
    (lambda *args: error_sweep(*args)[::-1], "swapped?"),
    (lambda *args: list(zip(*error_sweep(*args))), "one (error, norm) pair per size"),
    (lambda *args: error_sweep(*args)[0], "return test_errors, norms"),
]


@pytest.mark.parametrize("buggy, message", SWEEP_BUGS, ids=[m for _, m in SWEEP_BUGS])
def test_sweep_mistakes_are_named(buggy, message):
    fails_with(check_test_error_sweep, buggy, message)


# -- exercise 3: prequential code length ----------------------------------------------------------------------
def prequential_code_length(x, y, boundaries, fit, n_classes):
    bits = boundaries[1] * math.log2(n_classes)
    for start, end in zip(boundaries[1:-1], boundaries[2:]):
        probs = fit(x[:start], y[:start])(x[start:end])
        bits += -np.log2(probs[np.arange(end - start), y[start:end]]).sum()
    return bits


def per_label_version(x, y, boundaries, fit, n_classes):  # another loop, the same code
    costs = np.full(len(y), math.log2(n_classes))
    for k in range(1, len(boundaries) - 1):
        a, b = boundaries[k], boundaries[k + 1]
        model = fit(x[:a], y[:a])
        p = model(x[a:b])
        costs[a:b] = [-math.log2(p[i, label]) for i, label in enumerate(y[a:b])]
    return float(costs.sum())


def test_right_code_lengths_pass(capsys):
    check_prequential_code_length(prequential_code_length)
    check_prequential_code_length(per_label_version)
    check_prequential_code_length(lambda *a: torch.tensor(prequential_code_length(*a)))
    assert capsys.readouterr().out.count("✓ prequential_code_length") == 3


def preq_with(first=None, log=np.log2, prefix="all", last=True, pick="true", total=True):
    def code(x, y, boundaries, fit, n_classes):
        bits = boundaries[1] * (math.log2(n_classes) if first is None else first(n_classes, len(y)))
        pairs = list(zip(boundaries[1:-1], boundaries[2:]))
        if not last:
            pairs = pairs[:-1]
        previous = 0
        for start, end in pairs:
            seen = {"all": slice(0, start), "including": slice(0, end), "previous": slice(previous, start)}[prefix]
            probs = fit(x[seen], y[seen])(x[start:end])
            chosen = probs[np.arange(end - start), y[start:end]] if pick == "true" else (
                probs.max(axis=1) if pick == "max" else probs[:, y[start:end]])
            bits += -np.sum(log(chosen))
            previous = start
        return bits if total else bits / len(y)

    return code


def fit_once(x, y, boundaries, fit, n_classes):
    model = fit(x, y)
    bits = boundaries[1] * math.log2(n_classes)
    for start, end in zip(boundaries[1:-1], boundaries[2:]):
        bits += -np.log2(model(x[start:end])[np.arange(end - start), y[start:end]]).sum()
    return bits


PREQ_BUGS = [
    (preq_with(log=np.log), "natural log"),
    (lambda *a: preq_with(log=np.log)(*a[:-1], a[-1]) * 0 + preq_with()(*a) * math.log(2), "natural log? code"),
    (preq_with(first=lambda k, n: 0.0), "the first block costs log2(n_classes)"),
    (preq_with(first=lambda k, n: math.log2(n)), ""),  # log2 of the number of labels: no hint fits, plain message
    (preq_with(prefix="including"), "trained on the block it codes"),
    (preq_with(prefix="previous"), "fit on all labels sent so far, not one block"),
    (preq_with(last=False), "the last block is missing"),
    (preq_with(pick="max"), "largest probability"),
    (preq_with(total=False), "bits per label"),
    (preq_with(log=lambda p: -np.log2(p)), "missing minus sign"),
    (fit_once, "fit once on everything"),
]


@pytest.mark.parametrize("buggy, message", PREQ_BUGS, ids=[m or "log2 n" for _, m in PREQ_BUGS])
def test_code_length_mistakes_are_named(buggy, message):
    text = fails_with(check_prequential_code_length, buggy, message)
    if not message:
        assert "expected" in text and " — " not in text  # no hint that would mislead


def test_coding_the_first_block_with_a_model_of_no_labels_is_named():
    def from_empty(x, y, boundaries, fit, n_classes):  # the first block "coded" by fit on nothing
        bits = 0.0
        for start, end in zip(boundaries[:-1], boundaries[1:]):
            probs = fit(x[:start], y[:start])(x[start:end])
            bits += -np.log2(probs[np.arange(end - start), y[start:end]]).sum()
        return bits

    fails_with(check_prequential_code_length, from_empty, "fit on 0 labels?")


def test_picking_a_block_of_probabilities_is_named():
    fails_with(check_prequential_code_length, preq_with(pick="block"), "probs[:, labels] is an m×m block",
               "prequential_code_length(")


def test_changing_the_labels_in_place_is_caught():
    def in_place(x, y, boundaries, fit, n_classes):
        y[:] = y  # harmless
        y += 0  # harmless too
        y[0] = (y[0] + 1) % n_classes  # not harmless
        return prequential_code_length(x, y, boundaries, fit, n_classes)

    fails_with(check_prequential_code_length, in_place, "modified its input in place")
