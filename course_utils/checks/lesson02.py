"""Checkers for lesson 02 (softmax cross-entropy): a stable log-softmax, the loss from logits and
integer targets, and its gradient with respect to the logits.

The learner works in NumPy and in nats (natural log), as PyTorch does. Expected values come from
`course_utils.info.log_softmax` (tested against torch) and, for the loss and its gradient, from
`torch.nn.functional.cross_entropy` and autograd directly.

Precision matters in this sheet (its subject is what floating point does to exp and log), so answers
are compared in float64 to about 1e-9; a float32 answer gets a message that says so. Each failure
names the likely mistake first where the wrong value (or the error raised) identifies it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks._judge import as_array, call, fail, judge, matches_value, returned_dtype
from course_utils.checks.core import Checker, checker, fmt

__all__ = ["check_log_softmax", "check_cross_entropy_loss", "check_cross_entropy_grad"]

NAIVE_OVERFLOW = "naive overflow: exp(1000) = inf; subtract the row max first"
NO_MAX_SHIFT = "forgot the max-shift? log Σ exp(1000) overflowed to inf"
LOG_OF_SOFTMAX = "log of a softmax: exp(-1000) underflowed to 0, log 0 = -inf"
GLOBAL_MAX = "max over the whole batch: use z.max(axis=-1, keepdims=True)"
GLOBAL_SUM = "summed exp over the whole batch: sum along axis=-1 only"
WRONG_AXIS = "wrong axis: normalised down the batch, not over classes"
KEEPDIMS = "forgot keepdims=True? the row max/sum must broadcast"
NATS = "log2 instead of the natural log? This sheet uses nats"
MISSING_MEAN = "missing mean? the loss averages over the batch (divide by N)"
DIVIDED_BY_K = "divided by K = logits.shape[1]; N is logits.shape[0]"
N_FROM_SHAPE1 = "n = logits.shape[1] is K (classes); N is logits.shape[0]"
FLOAT32 = "float32? this sheet compares in float64: keep dtype=float"
EYE_N = "np.eye(N) has N columns: the one-hot needs K, np.eye(K)"
AXIS_ONE = "axis=1 fails on one vector (1-D): use axis=-1"
WRONG_SHIFT = "exp(z - shift) overflowed: the shift must be the row max"
MAX_DETAIL = "log-softmax(z) = (z - m) - log Σ exp(z - m), with m the row's max"


def _precision_hint(value: Any, got: np.ndarray, expected: np.ndarray) -> str:
    """FLOAT32 if the learner returned float32 or an answer off by float32's rounding only, else ''."""
    if returned_dtype(value):
        return FLOAT32
    scale = max(1.0, float(np.max(np.abs(expected[np.isfinite(expected)]), initial=1.0)))
    if got.shape == expected.shape and np.allclose(got, expected, rtol=2e-6, atol=2e-6 * scale):
        return FLOAT32
    return ""


def _require_finite(c: Checker, text: str, got: np.ndarray, hint: str) -> None:
    c.require(bool(np.isfinite(got).all()), f"{text} returned {fmt(got)}, which is not finite; {MAX_DETAIL}", hint)


def _quiet_log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(info.log_softmax(z, axis=axis))


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.exp(_quiet_log_softmax(z, axis))


def _logsumexp_all(z: np.ndarray) -> float:
    m = float(z.max())
    return m + math.log(float(np.exp(z - m).sum()))


# -- log-softmax ----------------------------------------------------------------------------------

def _log_softmax_mistakes(z: np.ndarray) -> list[tuple[str, np.ndarray]]:
    right = _quiet_log_softmax(z)
    m = z.max(axis=-1, keepdims=True)
    mistakes = {
        NATS: right / math.log(2),
        "that is the softmax itself; log-softmax is its log": np.exp(right),
        "a sign error: log-probabilities are never positive": -right,
        "those are the logits unchanged: subtract log Σ exp(z)": z,
        "z - max is half of it: also subtract log Σ exp(z - m)": z - m,
        "max subtracted inside exp only: (z-m) - log Σ exp(z-m)": right + m,
    }
    with np.errstate(all="ignore"):
        mistakes["np.log2 of the sum: log Σ exp must be np.log (nats)"] = \
            (z - m) - np.log2(np.exp(z - m).sum(axis=-1, keepdims=True))
    pairs = list(mistakes.items())
    if z.ndim == 2:
        pairs.append((WRONG_AXIS, _quiet_log_softmax(z, axis=0)))
        pairs.append((GLOBAL_SUM, z - _logsumexp_all(z)))
        with np.errstate(all="ignore"):
            pairs.append((GLOBAL_SUM, (z - m) - np.log(np.exp(z - m).sum())))  # shifted by rows, summed over all
    return pairs


def _log_softmax_value(c: Checker, z: np.ndarray, nan_hint: str,
                       shape_hints: dict[tuple[int, ...], str] | None = None) -> tuple[Any, np.ndarray, str]:
    value, text = call(c, z, on_error=[("operands could not be broadcast", KEEPDIMS),
                                       ("axis 1 is out of bounds", AXIS_ONE)])
    return value, as_array(c, value, text, z.shape, shape_hints=shape_hints, nan_hint=nan_hint), text


def _judge_log_softmax(c: Checker, value: Any, text: str, got: np.ndarray, z: np.ndarray, unit: str,
                       rtol: float = 1e-9, atol: float = 1e-9, fallback: str = "") -> None:
    expected = _quiet_log_softmax(z)
    judge(c, text, got, expected, unit=unit, mistakes=_log_softmax_mistakes(z), rtol=rtol, atol=atol,
          fallback=fallback or _precision_hint(value, got, expected))


@checker
def check_log_softmax(log_softmax: Any) -> None:
    """Check `log_softmax(z)`: log-probabilities in nats along the last axis, finite for any finite logits."""
    c = Checker("log_softmax", log_softmax)
    normaliser = "one number: log Σ exp(z)? subtract it from each logit"
    for z in (np.array([1.0, 2.0, 3.0]), np.array([-2.0, 0.5, 0.0, 3.0, 1.0]), np.array([0.0, 0.0])):
        value, got, text = _log_softmax_value(c, z, nan_hint="NaN from small logits: check the formula",
                                              shape_hints={(): normaliser, (1,): normaliser})
        _judge_log_softmax(c, value, text, got, z, "nats")
    z = np.array([7.0])
    value, got, text = _log_softmax_value(c, z, nan_hint="one class has probability 1, log 1 = 0")
    judge(c, text, got, [0.0], unit="(one class has probability 1, log 1 = 0)")

    big = np.array([1000.0, 999.0, 998.0])
    value, got, text = _log_softmax_value(c, big, nan_hint=NAIVE_OVERFLOW)
    _require_finite(c, text, got, NO_MAX_SHIFT if np.all(got == -np.inf) else "")
    _judge_log_softmax(c, value, text, got, big, "nats, the same as for [2, 1, 0]")

    far = np.array([0.0, -1000.0])
    value, got, text = _log_softmax_value(c, far, nan_hint=NAIVE_OVERFLOW)
    # it passed [1000, 999, 998], so it shifts; all -inf here means exp of a shifted 1000 overflowed
    _require_finite(c, text, got, LOG_OF_SOFTMAX if got[1] == -np.inf and np.isfinite(got[0]) else
                    WRONG_SHIFT if np.all(got == -np.inf) else "")
    _judge_log_softmax(c, value, text, got, far, "nats (-1000 is exact to float precision)")

    rng = np.random.default_rng(21)
    batch = rng.normal(size=(3, 4)) * 3  # 12 entries: small enough to be shown in a message
    batch_hints = {(3,): "one per row: log Σ exp(z)? subtract it from each logit",
                   (4,): "one number per class: it reduced over the batch axis", (): normaliser}
    value, got, text = _log_softmax_value(c, batch, nan_hint="NaN on ordinary logits: check the formula",
                                          shape_hints=batch_hints)
    columns_sum_to_one = bool(np.allclose(np.exp(got).sum(axis=0), 1.0))  # a wrong axis, however it was written
    _judge_log_softmax(c, value, text, got, batch, "nats, each row normalised on its own",
                       fallback=WRONG_AXIS if columns_sum_to_one else "")

    mixed = np.array([[1000.0, 999.0, 0.0, -5.0], [0.0, -1.0, -2.0, -3.0], [-500.0, -501.0, -499.0, -502.0]])
    value, got, text = _log_softmax_value(c, mixed, nan_hint=NAIVE_OVERFLOW, shape_hints=batch_hints)
    with np.errstate(all="ignore"):
        shifted = mixed - mixed.max()
        global_max = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    same_infinities = bool(np.array_equal(np.isinf(got), np.isinf(global_max)) and np.isinf(got).any())
    _require_finite(c, text, got, GLOBAL_MAX if same_infinities else "")
    _judge_log_softmax(c, value, text, got, mixed, "nats, each row normalised on its own")

    for scale in (1.0, 30.0, 1e4):
        z = rng.normal(size=(4, 6)) * scale
        value, got, text = _log_softmax_value(c, z, nan_hint=NAIVE_OVERFLOW)
        _require_finite(c, text, got, NO_MAX_SHIFT if np.all(got == -np.inf) else "")
        _judge_log_softmax(c, value, text, got, z, "nats", atol=1e-9 * scale)
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
    logp = _quiet_log_softmax(logits, axis)
    return -logp[np.arange(len(targets)), targets]


def _loss_mistakes(logits: np.ndarray, targets: np.ndarray) -> list[tuple[str, float]]:
    n, k = logits.shape
    per = _per_example(logits, targets)
    logp = _quiet_log_softmax(logits)
    mistakes = {
        MISSING_MEAN: per.sum(),
        DIVIDED_BY_K: per.sum() / k,
        NATS: per.mean() / math.log(2),
        "missing minus sign? -log p(target) is never negative": -per.mean(),
        "averaged all N×K entries: sum over classes, then mean over N": per.sum() / (n * k),
        "forgot the normaliser: the loss is log Σ exp(z) - z[y]": -logits[np.arange(n), targets].mean(),
        "used the predicted class (argmax) instead of the target": -logp.max(axis=-1).mean(),
        "logp[:, targets] is an N×N block: use [arange(N), targets]": -logp[:, targets].mean(),
        "averaged the whole log-softmax matrix, not one entry per row": -logp.mean(),
        "used the softmax, not its log: the loss is -log p(target)": -np.exp(logp)[np.arange(n), targets].mean(),
        GLOBAL_SUM: -(logits - _logsumexp_all(logits))[np.arange(n), targets].mean(),
    }
    with np.errstate(all="ignore"):
        shifted = logits - logits.max(axis=-1, keepdims=True)
        row_shifted_global = -(shifted - np.log(np.exp(shifted).sum()))[np.arange(n), targets].mean()
    if n > 1:
        mistakes[WRONG_AXIS] = _per_example(logits, targets, axis=0).mean()
    if np.all(targets < n):
        mistakes["logp[targets] picks whole rows: use [np.arange(N), targets]"] = -logp[targets].mean()
    if n <= k and np.all(targets < n):
        mistakes["rows and columns swapped: use logp[np.arange(N), targets]"] = -logp[targets, np.arange(n)].mean()
    return [*mistakes.items(), (GLOBAL_SUM, row_shifted_global)]


def _index_errors(n: int, k: int) -> list[tuple[str, str]]:
    """Errors whose text gives a loss or gradient mistake away, for a batch of n rows and k classes."""
    errors = [
        (f"shapes ({k},) ({n},)", N_FROM_SHAPE1),  # np.arange(K) beside the N targets
        (f"shapes ({n},) ({k},)", N_FROM_SHAPE1),
        (f"shapes ({n},{k}) ({n},{n})", EYE_N),
        (f"shapes ({n},{n}) ({n},{k})", EYE_N),
        (f"shapes ({n},{k}) ({n},)", KEEPDIMS),
    ]
    if n > k:  # np.arange(N) used as column indices runs past the K columns
        errors.append((f"out of bounds for axis 1 with size {k}", "rows and columns swapped: use logp[np.arange(N), targets]"))
    return errors


def _loss_value(c: Checker, logits: np.ndarray, targets: np.ndarray, nan_hint: str) -> tuple[Any, float, str]:
    n, k = logits.shape
    value, text = call(c, logits, targets, on_error=_index_errors(n, k))
    hints = {(n,): "one loss per example: average them (.mean())", (n, k): "returned the whole matrix: pick "
             "one entry per row and average"}
    if n == k:
        hints = {}
    array = as_array(c, value, text, (), shape_hints=hints, nan_hint=nan_hint, many_hint="")
    return value, float(array), text


def _judge_loss(c: Checker, value: Any, text: str, got: float, logits: np.ndarray, targets: np.ndarray,
                rtol: float = 1e-9) -> None:
    expected, _ = _torch_loss_and_grad(logits, targets)
    judge(c, text, got, expected, unit="nats (F.cross_entropy)", rtol=rtol, atol=1e-12,
          mistakes=_loss_mistakes(logits, targets),
          fallback=_precision_hint(value, np.asarray(got), np.asarray(expected)))


@checker
def check_cross_entropy_loss(cross_entropy_loss: Any) -> None:
    """Check `cross_entropy_loss(logits, targets)`: mean over the batch of -log softmax(logits)[target], in nats."""
    c = Checker("cross_entropy_loss", cross_entropy_loss)
    cases = [
        (np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, -1.0, 0.0], [3.0, 0.0, 0.0, 0.5]]), np.array([2, 0, 0])),
        (np.zeros((4, 3)), np.array([0, 1, 2, 0])),
        (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]]), np.array([0, 2])),
    ]
    for logits, targets in cases:
        value, got, text = _loss_value(c, logits, targets, nan_hint="NaN from small logits: check the formula")
        _judge_loss(c, value, text, got, logits, targets)

    logits, targets = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]), np.array([0, 2])
    value, got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
    c.require(math.isfinite(got), f"{text} returned {got}, which is not finite; {MAX_DETAIL}",
              NO_MAX_SHIFT if got == math.inf else "")
    _judge_loss(c, value, text, got, logits, targets)

    logits, targets = np.array([[0.0, -1000.0]]), np.array([1])
    value, got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
    c.require(math.isfinite(got), f"{text} returned {got}, expected 1000 nats", LOG_OF_SOFTMAX if got == math.inf else "")
    judge(c, text, got, 1000.0, unit="nats: the true class has probability e^-1000", rtol=1e-9,
          mistakes=_loss_mistakes(logits, targets))

    rng = np.random.default_rng(22)
    for n, k, scale in ((1, 5, 1.0), (50, 7, 2.0), (64, 10, 50.0)):
        logits, targets = rng.normal(size=(n, k)) * scale, rng.integers(0, k, size=n)
        value, got, text = _loss_value(c, logits, targets, nan_hint=NAIVE_OVERFLOW)
        _judge_loss(c, value, text, got, logits, targets)
    c.done()


# -- its gradient -----------------------------------------------------------------------------------

def _grad_mistakes(logits: np.ndarray, targets: np.ndarray) -> list[tuple[str, np.ndarray]]:
    n, k = logits.shape
    onehot = np.eye(k)[targets]
    soft = _softmax(logits)
    right = (soft - onehot) / n
    rows_minus = soft.copy()
    if np.all(targets < n):
        rows_minus[targets] -= 1
    block_minus = soft.copy()
    block_minus[:, targets] -= 1
    with np.errstate(all="ignore"):
        global_soft = np.exp(logits - _logsumexp_all(logits))
    mistakes = {
        "missing mean? divide by N: the loss averages the batch": right * n,
        DIVIDED_BY_K: (soft - onehot) / k,
        "divided by N twice? The mean divides by N once": right / n,
        "the sign is flipped: use softmax - one-hot": -right,
        "forgot to subtract the one-hot target: softmax - one-hot": soft / n,
        "forgot to subtract the one-hot (and the 1/N of the mean)": soft,
        NATS: right / math.log(2),
        "probs[targets] -= 1 hits rows: use [arange(N), targets]":
            rows_minus / n if np.all(targets < n) else np.full_like(soft, np.nan),
        "probs[:, targets] -= 1 hits columns: [arange(N), targets]": block_minus / n,
        GLOBAL_SUM: (global_soft - onehot) / n,
        "used log-softmax: the gradient is softmax - one-hot": (_quiet_log_softmax(logits) - onehot) / n,
        "forgot the softmax: (softmax(logits) - one-hot) / N": (logits - onehot) / n,
    }
    if n > 1:
        mistakes[WRONG_AXIS] = (_softmax(logits, axis=0) - onehot) / n
    with np.errstate(all="ignore"):
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        row_shifted_global = (shifted / shifted.sum() - onehot) / n  # shifted by rows, normalised over all
    return [*mistakes.items(), (GLOBAL_SUM, row_shifted_global)]


@checker
def check_cross_entropy_grad(cross_entropy_grad: Any) -> None:
    """Check `cross_entropy_grad(logits, targets)`: d(mean loss)/d(logits) = (softmax - one-hot) / N."""
    c = Checker("cross_entropy_grad", cross_entropy_grad)
    cases = [
        # N = 2, K = 5: dividing by N twice (N² = 4) and by K tell apart
        (np.array([[0.5, -1.0, 2.0, 0.0, 1.0], [1.0, 1.0, -1.0, 0.0, -2.0]]), np.array([1, 0])),
        (np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.5]]), np.array([0, 2, 1])),
    ]
    rng = np.random.default_rng(23)
    cases += [(rng.normal(size=(n, k)) * s, rng.integers(0, k, size=n)) for n, k, s in ((1, 6, 1.0), (40, 10, 3.0))]
    cases += [(np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]]), np.array([0, 2]))]
    cases += [(rng.normal(size=(30, 5)) * 1e3, rng.integers(0, 5, size=30))]
    for logits, targets in cases:
        n, k = logits.shape
        shape_hints = {(n,): "one number per example: the gradient has shape (N, K)",
                       (k,): "one number per class: the gradient has shape (N, K)",
                       (): "a single number: the gradient has shape (N, K)"}
        if n == k or n == 1:
            shape_hints = {(): shape_hints[()]}
        big = np.abs(logits).max() > 700
        value, text = call(c, logits, targets, on_error=_index_errors(n, k))
        got = as_array(c, value, text, logits.shape, shape_hints=shape_hints,
                       nan_hint=NAIVE_OVERFLOW if big else "NaN from small logits: check the formula")
        _require_finite(c, text, got, "")
        _, expected = _torch_loss_and_grad(logits, targets)
        judge(c, text, got, expected, unit="(torch autograd of F.cross_entropy)", rtol=1e-9, atol=1e-12,
              mistakes=_grad_mistakes(logits, targets), fallback=_precision_hint(value, got, expected))
        c.require(bool(np.allclose(got.sum(axis=-1), 0.0, atol=1e-9)),
                  f"{text}: each row of the gradient should sum to 0 (softmax and one-hot both sum to 1), "
                  "got " + ", ".join(f"{x:.2g}" for x in got.sum(axis=-1)[:6]))
    c.done()
