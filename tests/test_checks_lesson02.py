"""Lesson 02's checkers: right answers written in several ways pass, and realistic wrong answers, written the
way learners write them, each get a message that names *their* mistake first (or no hint at all where the
wrong value cannot tell the mistake: never a hint for another mistake)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.special
import torch

from check_helpers import fails_with
from course_utils.checks import CheckFailed, check_cross_entropy_grad, check_cross_entropy_loss, check_log_softmax


# -- right answers, written in several ways -------------------------------------------------------
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


def _loss_onehot(logits, targets):
    logits = np.asarray(logits, dtype=float)
    onehot = np.eye(logits.shape[1])[targets]
    return -(onehot * log_softmax(logits)).sum(axis=1).mean()


def _loss_loop(logits, targets):
    total = 0.0
    for row, y in zip(np.asarray(logits, dtype=float), targets):
        m = row.max()
        total += m + math.log(np.exp(row - m).sum()) - row[y]
    return total / len(targets)


def _grad_in_place_on_a_copy(logits, targets):
    probs = np.exp(log_softmax(logits))  # a new array: editing it is fine
    probs[np.arange(len(targets)), targets] -= 1
    return probs / len(targets)


def _grad_autograd(logits, targets):
    z = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(z, torch.as_tensor(targets)).backward()
    return z.grad


CORRECT = {
    "log_softmax": [
        log_softmax,
        lambda z: scipy.special.log_softmax(z, axis=-1),
        lambda z: np.asarray(z, float) - scipy.special.logsumexp(z, axis=-1, keepdims=True),
        lambda z: torch.log_softmax(torch.as_tensor(z), dim=-1),
        lambda z: torch.as_tensor(z) - torch.logsumexp(torch.as_tensor(z), dim=-1, keepdim=True),
        lambda z: [list(r) if np.ndim(r) else r for r in log_softmax(z)],  # a list back
    ],
    "cross_entropy_loss": [
        cross_entropy_loss,
        _loss_onehot,
        _loss_loop,
        lambda z, y: torch.nn.functional.cross_entropy(torch.as_tensor(z), torch.as_tensor(y)),
        lambda z, y: torch.nn.functional.nll_loss(torch.log_softmax(torch.as_tensor(z), -1), torch.as_tensor(y)).item(),
        lambda z, y: np.mean(scipy.special.logsumexp(z, axis=1) - np.asarray(z)[np.arange(len(y)), y]),
    ],
    "cross_entropy_grad": [
        cross_entropy_grad,
        _grad_in_place_on_a_copy,
        _grad_autograd,
        lambda z, y: (scipy.special.softmax(z, axis=-1) - np.eye(np.shape(z)[1])[y]) / len(y),
    ],
}
CHECKS = {"log_softmax": check_log_softmax, "cross_entropy_loss": check_cross_entropy_loss,
          "cross_entropy_grad": check_cross_entropy_grad}


@pytest.mark.parametrize("name, fn", [(n, f) for n, fns in CORRECT.items() for f in fns],
                         ids=[f"{n}-{i}" for n, fns in CORRECT.items() for i in range(len(fns))])
def test_correct_variants_pass(name, fn, capsys):
    CHECKS[name](fn)
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"✓ {name}:") and line.endswith("checks passed"), line


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


def float32_log_softmax(z):  # the example
    z = np.asarray(z, dtype=np.float32)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def float32_inside(z):  # float32 arithmetic, cast back to float64 at the end
    return float32_log_softmax(z).astype(np.float64)


def in_place_shift(z):  # the example: z -= z.max(...) on the caller's array
    z = np.asarray(z, dtype=float)
    z -= z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def shift_inside_only(z):
    z = np.asarray(z, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))


def global_sum(z):
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted)))


def columns_normalised(z):  # shifted by rows, right, but normalised by columns
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


def torch_float32(z):
    return torch.log_softmax(torch.tensor(z, dtype=torch.float32), dim=-1)


def softmax_minus_one(z):
    return np.exp(log_softmax(z)) - 1


LOG_SOFTMAX_MISTAKES = [
    (naive_log_softmax, "naive overflow", "named"),
    (no_max_shift, "forgot the max-shift", "named"),
    (log_of_stable_softmax, "log of a softmax", "named"),
    (global_max, "max over the whole batch", "named"),
    (wrong_axis, "wrong axis", "named"),
    (columns_normalised, "wrong axis", "named"),
    (no_keepdims, "forgot keepdims=True", "named"),
    (float32_log_softmax, "float32?", "named"),
    (float32_inside, "float32?", "named"),
    (torch_float32, "float32?", "named"),
    (in_place_shift, "modified its input in place", "named"),
    (shift_inside_only, "max subtracted inside exp only", "named"),
    (global_sum, "summed exp over the whole batch", "named"),
    (lambda z: log_softmax(z) / math.log(2), "log2 instead of the natural log", "named"),
    (lambda z: np.exp(log_softmax(z)), "that is the softmax itself", "named"),
    (lambda z: -log_softmax(z), "sign error", "named"),
    (lambda z: np.asarray(z, dtype=float), "logits unchanged", "named"),
    (lambda z: np.asarray(z, dtype=float) - np.max(z, axis=-1, keepdims=True), "half of it", "named"),
    (lambda z: np.log(np.sum(np.exp(z - np.max(z, axis=-1, keepdims=True)), axis=-1)), "one number: log Σ exp(z)?", "named"),
    (softmax_minus_one, "expected [-2.4076, -1.4076, -0.4076] nats", "generic"),
]


# -- loss mistakes ------------------------------------------------------------------------------------------
def rows(n):
    return np.arange(n)


def loss_n_from_shape1(logits, targets):  # the example
    logits = np.asarray(logits, dtype=float)
    n = logits.shape[1]
    return -log_softmax(logits)[np.arange(n), targets].mean()


def loss_divides_by_k(logits, targets):
    logits = np.asarray(logits, dtype=float)
    n = logits.shape[1]
    return -log_softmax(logits)[np.arange(len(targets)), targets].sum() / n


def loss_in_place(logits, targets):
    logits = np.asarray(logits, dtype=float)
    logits -= logits.max(axis=1, keepdims=True)  # shifts the caller's logits
    return -(logits[np.arange(len(targets)), targets] - np.log(np.exp(logits).sum(axis=1))).mean()


def loss_float32(logits, targets):
    logp = float32_log_softmax(logits)
    return -logp[np.arange(len(targets)), targets].mean()


def loss_rows_only(logits, targets):
    return -log_softmax(logits)[targets].mean()


def loss_swapped_index(logits, targets):
    return -log_softmax(logits)[targets, np.arange(len(targets))].mean()


def loss_softmax_not_log(logits, targets):
    return -np.exp(log_softmax(logits))[np.arange(len(targets)), targets].mean()


def loss_torch_float32(logits, targets):
    return torch.nn.functional.cross_entropy(torch.tensor(logits, dtype=torch.float32), torch.as_tensor(targets))


LOSS_MISTAKES = [
    (lambda z, y: -log_softmax(z)[rows(len(y)), y], "one loss per example", "named"),
    (lambda z, y: -log_softmax(z)[rows(len(y)), y].sum(), "missing mean", "named"),
    (loss_n_from_shape1, "n = logits.shape[1] is K", "named"),
    (loss_divides_by_k, "divided by K", "named"),
    (loss_in_place, "modified its input in place", "named"),
    (loss_float32, "float32?", "named"),
    (loss_torch_float32, "float32?", "named"),
    (loss_rows_only, "logp[targets] picks whole rows", "named"),
    (loss_swapped_index, "rows and columns swapped", "named"),
    (loss_softmax_not_log, "used the softmax, not its log", "named"),
    (lambda z, y: cross_entropy_loss(z, y) / math.log(2), "log2 instead of the natural log", "named"),
    (lambda z, y: -cross_entropy_loss(z, y), "missing minus sign", "named"),
    (lambda z, y: -np.mean(onehot(y, np.shape(z)[1]) * log_softmax(z)), "averaged all N×K entries", "named"),
    (lambda z, y: -np.sum(onehot(y, np.shape(z)[1]) * log_softmax(z)), "missing mean", "named"),
    (lambda z, y: -naive_log_softmax(z)[rows(len(y)), y].mean(), "naive overflow", "named"),
    (lambda z, y: -no_max_shift(z)[rows(len(y)), y].mean(), "forgot the max-shift", "named"),
    (lambda z, y: -log_of_stable_softmax(z)[rows(len(y)), y].mean(), "log of a softmax", "named"),
    (lambda z, y: -wrong_axis(z)[rows(len(y)), y].mean(), "wrong axis", "named"),
    (lambda z, y: -np.asarray(z)[rows(len(y)), y].mean(), "forgot the normaliser", "named"),
    (lambda z, y: -log_softmax(z).max(axis=-1).mean(), "argmax", "named"),
    (lambda z, y: -log_softmax(z)[:, y].mean(), "N×N block", "named"),
    (lambda z, y: -log_softmax(z).mean(), "averaged the whole log-softmax matrix", "named"),
    (lambda z, y: -global_sum(z)[rows(len(y)), y].mean(), "summed exp over the whole batch", "named"),
]


# -- gradient mistakes -------------------------------------------------------------------------------------
def onehot(y, k):
    return np.eye(k)[y]


def grad_n_from_shape1(logits, targets):
    logits = np.asarray(logits, dtype=float)
    n = logits.shape[1]
    return (np.exp(log_softmax(logits)) - onehot(targets, logits.shape[1])) / n


def grad_eye_n(logits, targets):
    logits = np.asarray(logits, dtype=float)
    n = len(targets)
    return (np.exp(log_softmax(logits)) - np.eye(n)[targets]) / n


def grad_rows_minus(logits, targets):
    probs = np.exp(log_softmax(logits))
    probs[targets] -= 1
    return probs / len(targets)


def grad_columns_minus(logits, targets):
    probs = np.exp(log_softmax(logits))
    probs[:, targets] -= 1
    return probs / len(targets)


def grad_in_place(logits, targets):
    logits = np.asarray(logits, dtype=float)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return (probs - onehot(targets, logits.shape[1])) / len(targets)


def grad_float32(logits, targets):
    return cross_entropy_grad(np.asarray(logits, dtype=np.float32), targets).astype(np.float32)


def grad_log_softmax_minus_onehot(logits, targets):
    return (log_softmax(logits) - onehot(targets, np.shape(logits)[1])) / len(targets)


def grad_global_sum(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max())
    return (e / e.sum() - onehot(targets, z.shape[1])) / len(targets)


def grad_no_keepdims(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1) - onehot(targets, z.shape[1])) / len(targets)


def grad_sigmoid_style(logits, targets):  # s(1 - s), the sigmoid's derivative, by analogy
    s = np.exp(log_softmax(logits))
    return s * (1 - s) / len(targets)


GRAD_MISTAKES = [
    (lambda z, y: cross_entropy_grad(z, y) * len(y), "missing mean", "named"),
    (grad_n_from_shape1, "divided by K", "named"),
    (grad_eye_n, "np.eye(N) has N columns", "named"),
    (grad_rows_minus, "probs[targets] -= 1 hits rows", "named"),
    (grad_columns_minus, "probs[:, targets] -= 1 hits columns", "named"),
    (grad_in_place, "modified its input in place", "named"),
    (grad_float32, "float32?", "named"),
    (grad_log_softmax_minus_onehot, "used log-softmax", "named"),
    (grad_global_sum, "summed exp over the whole batch", "named"),
    (grad_no_keepdims, "forgot keepdims=True", "named"),
    (lambda z, y: -cross_entropy_grad(z, y), "sign is flipped", "named"),
    (lambda z, y: np.exp(log_softmax(z)) / len(y), "forgot to subtract the one-hot", "named"),
    (lambda z, y: np.exp(log_softmax(z)), "forgot to subtract the one-hot", "named"),
    (lambda z, y: (np.exp(wrong_axis(z)) - onehot(y, np.shape(z)[1])) / len(y), "wrong axis", "named"),
    (lambda z, y: (np.exp(naive_log_softmax(z)) - onehot(y, np.shape(z)[1])) / len(y), "naive overflow", "named"),
    (lambda z, y: cross_entropy_grad(z, y).sum(axis=-1), "one number per example", "named"),
    (lambda z, y: cross_entropy_grad(z, y) / math.log(2), "log2 instead of the natural log", "named"),
    (lambda z, y: cross_entropy_grad(z, y).sum(axis=0), "one number per class", "named"),
    (grad_sigmoid_style, "expected [[", "generic"),
]

ALL_MISTAKES = {
    "log_softmax": (check_log_softmax, LOG_SOFTMAX_MISTAKES),
    "cross_entropy_loss": (check_cross_entropy_loss, LOSS_MISTAKES),
    "cross_entropy_grad": (check_cross_entropy_grad, GRAD_MISTAKES),
}
PLANTED = [(name, check, fn, fragment, kind) for name, (check, mistakes) in ALL_MISTAKES.items()
           for fn, fragment, kind in mistakes]


@pytest.mark.parametrize("name, check, fn, fragment, kind", PLANTED,
                         ids=[f"{p[0]}-{i}-{p[3][:30]}" for i, p in enumerate(PLANTED)])
def test_realistic_mistakes_are_named(name, check, fn, fragment, kind):
    message = fails_with(check, fn, fragment)
    with pytest.raises(CheckFailed) as info:
        check(fn)
    if kind == "named":
        assert fragment in info.value.hint, f"{fragment!r} is not in the hint of {message!r}"
        assert message.index(fragment) < 80, message  # a grader that shows 80 characters still shows it
    else:
        assert info.value.hint == "", f"a hint where the mistake cannot be told: {message!r}"


@pytest.mark.parametrize("name", ALL_MISTAKES)
def test_at_least_six_mistakes_per_exercise_and_most_named(name):
    mistakes = ALL_MISTAKES[name][1]
    named = sum(kind == "named" for _, _, kind in mistakes)
    assert len(mistakes) >= 6 and named >= 0.8 * len(mistakes)


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
    fails_with(check, fn, message)


@pytest.mark.parametrize("check, fn", [
    (check_log_softmax, lambda z: np.full(np.shape(z), np.nan)),
    (check_cross_entropy_loss, lambda z, y: float("nan")),
    (check_cross_entropy_grad, lambda z, y: np.full(np.shape(z), np.nan)),
])
def test_nan_gets_a_message(check, fn):
    fails_with(check, fn, "NaN")


@pytest.mark.parametrize("check, fn", [
    (check_log_softmax, lambda z: np.zeros(2)),
    (check_cross_entropy_loss, lambda z, y: np.zeros((2, 2))),
    (check_cross_entropy_grad, lambda z, y: np.zeros(1)),
])
def test_wrong_shape_gets_a_message(check, fn):
    fails_with(check, fn, "shape")


@pytest.mark.parametrize("check", [check_log_softmax, check_cross_entropy_loss, check_cross_entropy_grad])
def test_passing_a_value_instead_of_a_function(check):
    fails_with(check, 0.5, "needs your function itself")


def test_float32_message_never_shows_two_identical_arrays():
    message = fails_with(check_log_softmax, float32_inside, "float32?")
    shown = re.search(r"returned (\[.*?\]), expected (\[.*?\])", message)
    where = re.search(r"the largest at \[\d+\]: got (\S+), expected (\S+)", message)
    assert (where and where.group(1) != where.group(2)) or (shown and shown.group(1) != shown.group(2)), message


def test_a_big_batch_shows_where_it_differs():
    def off_in_one_entry(z):
        out = log_softmax(z)
        if np.shape(z) == (4, 6):
            out[2, 5] += 1e-3
        return out

    fails_with(check_log_softmax, off_in_one_entry, "1 of 24 entries differ, by up to 0.001; the largest at [2, 5]")


# -- a blind tester's wrong answers (sheets 01-03 fix pass) ------------------------------------------------

def _softmax_rows(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def grad_over_n_twice(logits, targets):
    z = np.asarray(logits, dtype=float)
    return (_softmax_rows(z) - np.eye(z.shape[1])[np.asarray(targets)]) / z.shape[0] ** 2


def grad_batch_normalised(logits, targets):
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum() - np.eye(z.shape[1])[np.asarray(targets)]) / z.shape[0]


def grad_no_softmax(logits, targets):
    z = np.asarray(logits, dtype=float)
    return (z - np.eye(z.shape[1])[np.asarray(targets)]) / z.shape[0]


def loss_eye_n_on_the_left(logits, targets):
    z = np.asarray(logits, dtype=float)
    onehot = np.eye(z.shape[0])[np.asarray(targets)]
    s = z - z.max(axis=-1, keepdims=True)
    return -(onehot * (s - np.log(np.exp(s).sum(axis=-1, keepdims=True)))).sum(axis=1).mean()


def log_softmax_log2_normaliser(z):
    z = np.asarray(z, dtype=float)
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log2(np.exp(s).sum(axis=-1, keepdims=True))


def log_softmax_axis_1(z):
    z = np.asarray(z, dtype=float)
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def log_softmax_shift_by_min(z):
    z = np.asarray(z, dtype=float)
    s = z - z.min(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("check, fn, fragment", [
    (check_cross_entropy_grad, grad_over_n_twice, "divided by N twice"),
    (check_cross_entropy_grad, grad_batch_normalised, "summed exp over the whole batch"),
    (check_cross_entropy_grad, grad_no_softmax, "forgot the softmax"),
    (check_cross_entropy_loss, loss_eye_n_on_the_left, "np.eye(N) has N columns"),
    (check_log_softmax, log_softmax_log2_normaliser, "np.log2 of the sum"),
    (check_log_softmax, log_softmax_axis_1, "axis=1 fails on one vector"),
    (check_log_softmax, log_softmax_shift_by_min, "the shift must be the row max"),
])
def test_blind_mistakes_are_named(check, fn, fragment):
    message = fails_with(check, fn, fragment)
    hint = message.partition(" — ")[0]
    assert fragment in hint and len(hint) <= 60, message


def test_over_n_twice_is_not_called_divided_by_k():
    assert "divided by K" not in fails_with(check_cross_entropy_grad, grad_over_n_twice)
