"""Checkers for lesson 02 (softmax cross-entropy): a stable log-softmax, the loss from logits and
integer targets, and its gradient with respect to the logits.

The learner works in NumPy and in nats (natural log), as PyTorch does. Expected values come from
`course_utils.info.log_softmax` (tested against torch) and, for the loss and its gradient, from
`torch.nn.functional.cross_entropy` and autograd directly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks.core import CheckFailed, Checker, checker, fmt

__all__ = ["check_log_softmax", "check_cross_entropy_loss", "check_cross_entropy_grad"]

MAX_SHIFT = "subtract the largest logit first: log-softmax(z) = (z - m) - log Σ exp(z - m) with m = max(z)"
NAIVE_OVERFLOW = (
    "naive overflow: np.exp(1000) is inf (float64 overflows above about 709), and inf / inf is NaN. "
    + MAX_SHIFT[0].upper() + MAX_SHIFT[1:]
)
NO_MAX_SHIFT = "forgot the max-shift? log Σ exp(z) overflowed to inf because exp(1000) is inf; " + MAX_SHIFT
LOG_OF_SOFTMAX = (
    "exp(-1000) underflowed to 0 and log 0 = -inf: taking the log of a softmax loses tiny probabilities. "
    "Stay in log space: (z - m) - log Σ exp(z - m)"
)
GLOBAL_MAX = (
    "the max was taken over the whole batch, not per row: a row whose logits all sit far below it underflows "
    "to exp(...) = 0. Use z.max(axis=-1, keepdims=True)"
)
WRONG_AXIS = "wrong axis: it normalised over axis 0 (down the batch) instead of the last axis (over the classes of each row)"
KEEPDIMS = " (hint: keepdims=True keeps the reduced axis, so the result broadcasts against the logits)"
NATS = "log2 instead of the natural log? Log-softmax and PyTorch's loss are in nats: use np.log"
MISSING_MEAN = "missing mean? PyTorch's loss is the mean over the batch, not the sum"


def _call(c: Checker, *args: Any) -> tuple[Any, str]:
    """Call the learner's function; a broadcasting error gets the keepdims hint."""
    try:
        return c.call(*args)
    except CheckFailed as exc:
        if "could not be broadcast" in str(exc):
            raise CheckFailed(str(exc) + KEEPDIMS) from None
        raise


def _result_array(c: Checker, args: tuple[Any, ...], shape: tuple[int, ...], *, nan_hint: str,
                  shape_hints: dict[tuple[int, ...], str] | None = None) -> tuple[np.ndarray, str]:
    value, text = _call(c, *args)
    array = c.to_array(value, text)
    if array.shape != shape:
        hint = (shape_hints or {}).get(array.shape, "")
        raise CheckFailed(f"{text} returned shape {array.shape}, expected {shape}" + (f": {hint}" if hint else ""))
    if np.isnan(array).any():
        raise CheckFailed(f"{text} returned NaN in {fmt(array)}: {nan_hint}")
    return array, text


def _require_finite(c: Checker, text: str, got: np.ndarray, hint: str) -> None:
    c.require(bool(np.isfinite(got).all()), f"{text} returned {fmt(got)}, which is not finite: {hint}")


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(np.asarray(info.log_softmax(z, axis=axis)))


# -- log-softmax ----------------------------------------------------------------------------------

def _log_softmax_mistakes(z: np.ndarray) -> dict[str, np.ndarray]:
    right = np.asarray(info.log_softmax(z))
    mistakes = {
        NATS: right / math.log(2),
        "that is the softmax itself; log-softmax is its log, z - log Σ exp(z)": np.exp(right),
        "a sign error: log-probabilities are never positive": -right,
        "those are the logits unchanged; subtract log Σ exp(z) from them": z,
        "subtracting the max is only half of it: also subtract log Σ exp(z - max)": z - z.max(axis=-1, keepdims=True),
    }
    if z.ndim == 2:
        mistakes[WRONG_AXIS] = np.asarray(info.log_softmax(z, axis=0))
    return mistakes


@checker
def check_log_softmax(log_softmax: Any) -> None:
    """Check `log_softmax(z)`: log-probabilities in nats along the last axis, finite for any finite logits."""
    c = Checker("log_softmax", log_softmax)
    normaliser = "a single number: that looks like log Σ exp(z), the normaliser; subtract it from each logit"
    for z in (np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0]), np.array([-2.0, 0.5, 0.0, 3.0, 1.0])):
        got, text = _result_array(c, (z,), z.shape, nan_hint="NaN from small logits: check the formula",
                                  shape_hints={(): normaliser, (1,): normaliser})
        c.close(text, got, info.log_softmax(z), unit="nats", mistakes=_log_softmax_mistakes(z))
    got, text = _result_array(c, (np.array([7.0]),), (1,), nan_hint="one class: its probability is 1, its log 0")
    c.close(text, got, [0.0], unit="(one class has probability 1, log 1 = 0)")

    big = np.array([1000.0, 999.0, 998.0])
    got, text = _result_array(c, (big,), big.shape, nan_hint=NAIVE_OVERFLOW)
    _require_finite(c, text, got, NO_MAX_SHIFT)
    c.close(text, got, info.log_softmax(big), unit="nats, the same as for [2, 1, 0]", mistakes=_log_softmax_mistakes(big))

    far = np.array([0.0, -1000.0])
    got, text = _result_array(c, (far,), far.shape, nan_hint=NAIVE_OVERFLOW)
    _require_finite(c, text, got, LOG_OF_SOFTMAX)
    c.close(text, got, [0.0, -1000.0], unit="nats (-1000 is exact to float precision)")

    rng = np.random.default_rng(21)
    batch = rng.normal(size=(3, 4)) * 3  # 12 entries: small enough to be shown in a message
    batch_hints = {(3,): "one number per row: that looks like log Σ exp(z), the normaliser; subtract it from each logit",
                   (4,): "one number per class: it reduced over the batch axis"}
    got, text = _result_array(c, (batch,), batch.shape, nan_hint="NaN on ordinary logits: check the formula",
                              shape_hints=batch_hints)
    columns_sum_to_one = bool(np.allclose(np.exp(got).sum(axis=0), 1.0))  # a wrong axis, however it was written
    c.close(text, got, info.log_softmax(batch), unit="nats, each row normalised on its own",
            mistakes=_log_softmax_mistakes(batch), hint=WRONG_AXIS if columns_sum_to_one else "")
    c.require(bool(np.allclose(np.exp(got).sum(axis=-1), 1.0)),
              f"{text}: exp of each row should sum to 1, got sums {fmt(np.exp(got).sum(axis=-1))}")

    mixed = np.array([[1000.0, 999.0, 0.0, -5.0], [0.0, -1.0, -2.0, -3.0], [-500.0, -501.0, -499.0, -502.0]])
    got, text = _result_array(c, (mixed,), mixed.shape, nan_hint=NAIVE_OVERFLOW, shape_hints=batch_hints)
    _require_finite(c, text, got, GLOBAL_MAX)
    c.close(text, got, info.log_softmax(mixed), unit="nats, each row normalised on its own",
            mistakes=_log_softmax_mistakes(mixed))

    for scale in (1.0, 30.0, 1e4):
        z = rng.normal(size=(4, 6)) * scale
        got, text = _result_array(c, (z,), z.shape, nan_hint=NAIVE_OVERFLOW)
        _require_finite(c, text, got, NO_MAX_SHIFT)
        c.close(text, got, info.log_softmax(z), unit="nats", rtol=1e-9, atol=1e-9 * scale,
                mistakes=_log_softmax_mistakes(z))
    c.done()


# -- the loss ---------------------------------------------------------------------------------------

def _torch_loss_and_grad(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """PyTorch's mean cross-entropy (nats) and its gradient with respect to the logits, by autograd."""
    import torch
    import torch.nn.functional as F

    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(z, torch.as_tensor(targets, dtype=torch.int64))
    loss.backward()
    return loss.item(), z.grad.numpy()


def _per_example(logits: np.ndarray, targets: np.ndarray, axis: int = -1) -> np.ndarray:
    logp = np.asarray(info.log_softmax(logits, axis=axis))
    return -logp[np.arange(len(targets)), targets]


def _loss_mistakes(logits: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    n = len(targets)
    per = _per_example(logits, targets)
    logp = np.asarray(info.log_softmax(logits))
    mistakes = {
        MISSING_MEAN + ": divide the sum by the batch size (or use .mean())": per.sum(),
        NATS: per.mean() / math.log(2),
        "a missing minus sign? The loss is -log p(true class), which is never negative": -per.mean(),
        "forgot the normaliser: -z[y] alone is not a log-probability; the loss is log Σ exp(z) - z[y]":
            -logits[np.arange(n), targets].mean(),
        "it used the predicted class (argmax) instead of the target": -logp.max(axis=-1).mean(),
        "logits[:, targets] picks an N×N block; pick one entry per row with logits[np.arange(N), targets]":
            -logp[:, targets].mean(),
        "it averaged over every entry of the log-softmax matrix, not one true-class entry per row": -logp.mean(),
    }
    if n > 1:
        mistakes[WRONG_AXIS] = _per_example(logits, targets, axis=0).mean()
    return mistakes


def _loss_value(c: Checker, logits: np.ndarray, targets: np.ndarray, nan_hint: str) -> tuple[float, str]:
    value, text = _call(c, logits, targets)
    array = c.to_array(value, text)
    if array.size != 1:
        n = len(targets)
        hint = (f"{MISSING_MEAN}: it returned one loss per example; average them" if array.shape == (n,)
                else f"expected a single number, the mean loss over the batch of {n}")
        raise CheckFailed(f"{text} returned shape {array.shape}: {hint}")
    number = float(array.reshape(()))
    if math.isnan(number):
        raise CheckFailed(f"{text} returned NaN: {nan_hint}")
    return number, text


@checker
def check_cross_entropy_loss(cross_entropy_loss: Any) -> None:
    """Check `cross_entropy_loss(logits, targets)`: mean over the batch of -log softmax(logits)[target], in nats."""
    c = Checker("cross_entropy_loss", cross_entropy_loss)
    cases = [
        (np.zeros((4, 3)), np.array([0, 1, 2, 0])),
        (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]), np.array([0, 2])),
        (np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, -1.0, 0.0], [3.0, 0.0, 0.0, 0.5]]), np.array([2, 0, 1])),
    ]
    for logits, targets in cases:
        got, text = _loss_value(c, logits, targets, nan_hint="NaN from small logits: check the formula")
        expected, _ = _torch_loss_and_grad(logits, targets)
        c.close(text, got, expected, unit="nats (F.cross_entropy)", mistakes=_loss_mistakes(logits, targets))

    logits, targets = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]), np.array([0, 2])
    got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
    c.require(math.isfinite(got), f"{text} returned {got}, which is not finite: {NO_MAX_SHIFT}")
    expected, _ = _torch_loss_and_grad(logits, targets)
    c.close(text, got, expected, unit="nats (F.cross_entropy)", mistakes=_loss_mistakes(logits, targets))

    logits, targets = np.array([[0.0, -1000.0]]), np.array([1])
    got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
    c.require(math.isfinite(got), f"{text} returned {got}, expected 1000 nats: {LOG_OF_SOFTMAX}")
    c.close(text, got, 1000.0, unit="nats: the true class has probability e^-1000")

    rng = np.random.default_rng(22)
    for n, k, scale in ((1, 5, 1.0), (50, 7, 2.0), (64, 10, 50.0)):
        logits, targets = rng.normal(size=(n, k)) * scale, rng.integers(0, k, size=n)
        got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
        expected, _ = _torch_loss_and_grad(logits, targets)
        c.close(text, got, expected, unit="nats (F.cross_entropy)", rtol=1e-7,
                mistakes=_loss_mistakes(logits, targets))
        c.require(got >= 0, f"{text} returned {got:.4g}: a cross-entropy against a one-hot target is never negative")
    c.done()


# -- its gradient -----------------------------------------------------------------------------------

def _grad_mistakes(logits: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    n, k = logits.shape
    onehot = np.eye(k)[targets]
    soft = _softmax(logits)
    right = (soft - onehot) / n
    mistakes = {
        "missing mean: the loss is the mean over the batch, so each row of its gradient carries a factor 1/N": right * n,
        "the sign is flipped: the gradient is softmax - one-hot (pushing the true logit up lowers the loss)": -right,
        "forgot to subtract the one-hot target: the gradient is softmax - one-hot": soft / n,
        "forgot to subtract the one-hot target (and the 1/N of the mean)": soft,
        NATS: right / math.log(2),
    }
    if n > 1:
        mistakes[WRONG_AXIS] = (_softmax(logits, axis=0) - onehot) / n
    return mistakes


@checker
def check_cross_entropy_grad(cross_entropy_grad: Any) -> None:
    """Check `cross_entropy_grad(logits, targets)`: d(mean loss)/d(logits) = (softmax - one-hot) / N."""
    c = Checker("cross_entropy_grad", cross_entropy_grad)
    shape_hints = {}
    cases = [
        (np.zeros((2, 4)), np.array([0, 3])),
        (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.5]]), np.array([0, 2, 1])),
    ]
    rng = np.random.default_rng(23)
    cases += [(rng.normal(size=(n, k)) * s, rng.integers(0, k, size=n)) for n, k, s in ((1, 6, 1.0), (40, 10, 3.0))]
    cases += [(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]), np.array([0, 2]))]
    cases += [(rng.normal(size=(30, 5)) * 1e3, rng.integers(0, 5, size=30))]
    for logits, targets in cases:
        n, k = logits.shape
        shape_hints = {(n,): "one number per example; the gradient has one entry per logit, shape (N, K)",
                       (k,): "one number per class; the gradient has one entry per logit, shape (N, K)",
                       (): "a single number; the gradient has one entry per logit, shape (N, K)"}
        big = np.abs(logits).max() > 700
        got, text = _result_array(c, (logits, targets), logits.shape, shape_hints=shape_hints,
                                  nan_hint=NAIVE_OVERFLOW if big else "NaN from small logits: check the formula")
        _require_finite(c, text, got, NO_MAX_SHIFT)
        _, expected = _torch_loss_and_grad(logits, targets)
        c.close(text, got, expected, unit="(torch autograd of F.cross_entropy)", rtol=1e-6, atol=1e-9,
                mistakes=_grad_mistakes(logits, targets))
        c.require(bool(np.allclose(got.sum(axis=-1), 0.0, atol=1e-9)),
                  f"{text}: each row of the gradient should sum to 0 (softmax and one-hot both sum to 1), "
                  f"got {fmt(got.sum(axis=-1))}")
    c.done()
