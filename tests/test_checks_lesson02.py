"""Lesson 02's checkers: they pass the right answers and name each common mistake."""

from __future__ import annotations

import math

import numpy as np
import pytest

from check_helpers import fails_with
from course_utils.checks import CheckFailed, check_cross_entropy_grad, check_cross_entropy_loss, check_log_softmax


# -- right answers, written as a learner would -------------------------------------------------------
def log_softmax(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def cross_entropy_loss(logits, targets):
    logp = log_softmax(logits)
    return -logp[np.arange(len(targets)), targets].mean()


def cross_entropy_grad(logits, targets):
    logits = np.asarray(logits, dtype=float)
    n, k = logits.shape
    return (np.exp(log_softmax(logits)) - np.eye(k)[targets]) / n


def test_right_answers_pass(capsys):
    check_log_softmax(log_softmax)
    check_cross_entropy_loss(cross_entropy_loss)
    check_cross_entropy_grad(cross_entropy_grad)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("✓") and "checks passed" in line for line in lines), lines


def test_torch_based_answers_pass_too(capsys):
    import torch

    check_log_softmax(lambda z: torch.log_softmax(torch.as_tensor(z), dim=-1))
    check_cross_entropy_loss(lambda z, y: torch.nn.functional.cross_entropy(torch.as_tensor(z), torch.as_tensor(y)))
    assert capsys.readouterr().out.count("✓") == 2


# -- log-softmax mistakes -------------------------------------------------------------------------------
def naive_log_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return np.log(e / e.sum(axis=-1, keepdims=True))


def no_max_shift(z):
    z = np.asarray(z, dtype=float)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def log_of_stable_softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return np.log(e / e.sum(axis=-1, keepdims=True))


def global_max(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max()
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def wrong_axis(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=0, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))


def no_keepdims(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1))


LOG_SOFTMAX_BUGS = [
    (naive_log_softmax, "naive overflow"),
    (no_max_shift, "forgot the max-shift"),
    (log_of_stable_softmax, "log 0 = -inf"),
    (global_max, "over the whole batch"),
    (wrong_axis, "wrong axis"),
    (no_keepdims, "keepdims=True"),
    (lambda z: log_softmax(z) / math.log(2), "log2 instead of the natural log"),
    (lambda z: np.exp(log_softmax(z)), "that is the softmax itself"),
    (lambda z: -log_softmax(z), "sign error"),
    (lambda z: np.asarray(z, dtype=float), "logits unchanged"),
    (lambda z: np.asarray(z, dtype=float) - np.max(z, axis=-1, keepdims=True), "only half of it"),
    (lambda z: np.log(np.sum(np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1)), "the normaliser"),
]


@pytest.mark.parametrize("buggy, message", LOG_SOFTMAX_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_log_softmax_mistakes_are_named(buggy, message):
    with pytest.raises(CheckFailed, match=message):
        check_log_softmax(buggy)


# -- loss mistakes ------------------------------------------------------------------------------------------
def rows(n):
    return np.arange(n)


LOSS_BUGS = [
    (lambda z, y: -log_softmax(z)[rows(len(y)), y], "missing mean"),
    (lambda z, y: -log_softmax(z)[rows(len(y)), y].sum(), "missing mean"),
    (lambda z, y: cross_entropy_loss(z, y) / math.log(2), "log2 instead of the natural log"),
    (lambda z, y: -cross_entropy_loss(z, y), "missing minus sign"),
    (lambda z, y: -naive_log_softmax(z)[rows(len(y)), y].mean(), "naive overflow"),
    (lambda z, y: -no_max_shift(z)[rows(len(y)), y].mean(), "forgot the max-shift"),
    (lambda z, y: -log_of_stable_softmax(z)[rows(len(y)), y].mean(), "log 0 = -inf"),
    (lambda z, y: -wrong_axis(z)[rows(len(y)), y].mean(), "wrong axis"),
    (lambda z, y: -np.asarray(z)[rows(len(y)), y].mean(), "forgot the normaliser"),
    (lambda z, y: -log_softmax(z).max(axis=-1).mean(), "argmax"),
    (lambda z, y: -log_softmax(z)[:, y].mean(), "N×N block"),
]


@pytest.mark.parametrize("buggy, message", LOSS_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_loss_mistakes_are_named(buggy, message):
    with pytest.raises(CheckFailed, match=message):
        check_cross_entropy_loss(buggy)


# -- gradient mistakes -------------------------------------------------------------------------------------
def onehot(y, k):
    return np.eye(k)[y]


GRAD_BUGS = [
    (lambda z, y: cross_entropy_grad(z, y) * len(y), "missing mean"),
    (lambda z, y: -cross_entropy_grad(z, y), "sign is flipped"),
    (lambda z, y: np.exp(log_softmax(z)) / len(y), "forgot to subtract the one-hot"),
    (lambda z, y: np.exp(log_softmax(z)), "forgot to subtract the one-hot"),
    (lambda z, y: (np.exp(wrong_axis(z)) - onehot(y, np.shape(z)[1])) / len(y), "wrong axis"),
    (lambda z, y: (np.exp(naive_log_softmax(z)) - onehot(y, np.shape(z)[1])) / len(y), "naive overflow"),
    (lambda z, y: cross_entropy_grad(z, y).sum(axis=-1), "one number per example"),
    (lambda z, y: cross_entropy_grad(z, y) / math.log(2), "log2 instead of the natural log"),
]


@pytest.mark.parametrize("buggy, message", GRAD_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_grad_mistakes_are_named(buggy, message):
    with pytest.raises(CheckFailed, match=message):
        check_cross_entropy_grad(buggy)


# -- whatever a learner's function does, the checker answers in one line --------------------------------
def raise_not_implemented(*args):
    raise NotImplementedError()


def raise_index_error(*args):
    raise IndexError("index 10 is out of bounds")


ODD = [
    (lambda *a: None, "returned None"),
    (lambda *a: "0.5", "returned a string"),
    (raise_not_implemented, "not implemented yet"),
    (raise_index_error, "raised IndexError: index 10 is out of bounds"),
]


@pytest.mark.parametrize("check", [check_log_softmax, check_cross_entropy_loss, check_cross_entropy_grad])
@pytest.mark.parametrize("fn, message", ODD, ids=lambda x: x if isinstance(x, str) else None)
def test_odd_functions_get_a_message(check, fn, message):
    with pytest.raises(CheckFailed, match=message):
        check(fn)


@pytest.mark.parametrize("check, fn", [
    (check_log_softmax, lambda z: np.full(np.shape(z), np.nan)),
    (check_cross_entropy_loss, lambda z, y: float("nan")),
    (check_cross_entropy_grad, lambda z, y: np.full(np.shape(z), np.nan)),
])
def test_nan_gets_a_message(check, fn):
    with pytest.raises(CheckFailed, match="NaN"):
        check(fn)


@pytest.mark.parametrize("check, fn", [
    (check_log_softmax, lambda z: np.zeros(2)),
    (check_cross_entropy_loss, lambda z, y: np.zeros((2, 2))),
    (check_cross_entropy_grad, lambda z, y: np.zeros(1)),
])
def test_wrong_shape_gets_a_message(check, fn):
    with pytest.raises(CheckFailed, match="shape"):
        check(fn)


@pytest.mark.parametrize("check", [check_log_softmax, check_cross_entropy_loss, check_cross_entropy_grad])
def test_passing_a_value_instead_of_a_function(check):
    with pytest.raises(CheckFailed, match="needs your function itself"):
        check(0.5)


def test_an_in_place_shift_of_the_callers_logits_is_named():
    def in_place(z):
        z -= z.max(axis=-1, keepdims=True)  # changes the caller's array
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    fails_with(check_log_softmax, in_place, "modified its input in place")


def test_a_wrong_axis_written_another_way_is_still_named():
    def columns(z):
        z = np.asarray(z, dtype=float)
        shifted = z - z.max(axis=-1, keepdims=True)  # shifted by rows, right...
        return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))  # ...but normalised by columns

    with pytest.raises(CheckFailed, match="wrong axis"):
        check_log_softmax(columns)
