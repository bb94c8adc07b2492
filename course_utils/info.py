"""Information measures: entropy, cross-entropy, KL divergence and perplexity, in bits or nats; a stable log-softmax.

Every function takes a probability distribution along the **last axis**: a list, a NumPy array or a
torch tensor, one distribution or a batch of them. It returns the same kind: a float for a list
(a list of floats for a batch of lists), NumPy for NumPy, a tensor for a tensor (differentiable).

Conventions, the ones information theory uses:
- 0 · log 0 = 0: an impossible outcome costs nothing, because it never happens;
- coding an outcome that happens (p > 0) with a code that calls it impossible (q = 0) costs
  infinitely many bits, so cross-entropy and KL divergence are `inf` there.
Bad input (negative entries, NaN, rows that do not sum to 1, ragged or non-numeric data) raises
`ValueError` with a message that says what is wrong; an argument of the wrong type (`tol="1e-3"`,
`axis=1.0`) raises `TypeError` saying what was expected.

Precision: a row may stray from summing to 1 by what its dtype can hold (`tol`); each row is divided by
its sum before use, so such rounding cannot make a KL divergence negative. The arithmetic is done in
float64 for NumPy and at least float32 for tensors, with both inputs in one common dtype, so mixing a
float16 and a float64 input, or passing bfloat16/float16 tensors, gives the right answer; the result
comes back in the inputs' common dtype (`torch.promote_types`/`np.result_type`).

torch is imported only when a tensor is passed, so NumPy users do not pay for it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["entropy", "cross_entropy", "kl_divergence", "log_softmax", "perplexity", "bits_to_nats", "nats_to_bits"]

#: How far a row's sum may stray from 1 before it is refused, by floating-point precision (by dtype name,
#: so that torch's bfloat16, which NumPy has no dtype for, has one too).
SUM_TOLERANCE = {"float64": 1e-6, "float32": 1e-4, "float16": 1e-2, "bfloat16": 1e-2}


def _dtype_name(x: Any) -> str:
    return str(x.dtype).replace("torch.", "")


def _check_tol(tol: Any) -> None:
    """`tol` is None (set by the dtype) or a finite number >= 0."""
    if tol is None:
        return
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"tol must be a number (how far a row's sum may stray from 1, e.g. 1e-3) or None for the dtype's "
            f"default, got {type(tol).__name__} {tol!r}"
        )
    if not math.isfinite(tol) or tol < 0:
        raise ValueError(f"tol must be a finite number >= 0 (e.g. 1e-3), got {tol!r}")


def _check_axis(axis: Any, ndim: int) -> int:
    """`axis` is one int in [-ndim, ndim): a TypeError for anything else, a ValueError when out of range."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(
            f"axis must be one int (the axis of the classes, -1 for the last), got {type(axis).__name__} {axis!r}"
        )
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"axis {axis} is out of range for logits with {ndim} dimension(s): use an int from {-ndim} to {ndim - 1}"
        )
    return int(axis)


def _is_tensor(x: Any) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def _log_of_base(base: float) -> float:
    if isinstance(base, (bool, np.bool_)) or not isinstance(base, (int, float, np.integer, np.floating)) \
            or not math.isfinite(base):
        raise ValueError(f"base must be a positive number other than 1 (2 for bits, math.e for nats), got {base!r}")
    if base <= 0 or base == 1:
        raise ValueError(f"base must be a positive number other than 1 (2 for bits, math.e for nats), got {base!r}")
    return math.log(base)


def _as_array(x: Any, name: str) -> Any:
    """Turn a list/array/tensor into a float array or tensor, refusing what is not numeric."""
    if _is_tensor(x):
        import torch

        if x.dtype == torch.bool or not (x.is_floating_point() or x.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8)):
            raise ValueError(f"{name} must hold real numbers, got a tensor of dtype {x.dtype}")
        return x if x.is_floating_point() else x.to(torch.float64)
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers, got an array of dtype {x.dtype}")
        return x if x.dtype.kind == "f" else x.astype(np.float64)
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise ValueError(f"{name} must be a list, NumPy array or torch tensor of probabilities, got {type(x).__name__}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (ValueError, TypeError) as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(f"{name} is ragged: every distribution in a batch needs the same length") from None
        raise ValueError(f"{name} must hold numbers only ({exc})") from None
    return arr


def _check_distribution(p: Any, name: str, tol: float | None) -> None:
    """Raise ValueError unless p is a valid distribution (or batch of them) along its last axis."""
    tensor = _is_tensor(p)
    if p.ndim == 0:
        raise ValueError(f"{name} is a single number; a distribution needs one probability per outcome (a list or 1-D array)")
    if p.shape[-1] == 0:
        raise ValueError(f"{name} is empty: a distribution needs at least one outcome")
    values = p.detach().cpu().double().numpy() if tensor else np.asarray(p, dtype=np.float64)
    if np.isnan(values).any():
        raise ValueError(f"{name} contains NaN")
    if np.isinf(values).any():
        raise ValueError(f"{name} contains an infinite value")
    if (values < 0).any():
        bad = values[values < 0].flat[0]
        raise ValueError(f"{name} has a negative entry ({bad:g}); probabilities are never negative")
    if tol is None:
        tol = SUM_TOLERANCE.get(_dtype_name(p), 1e-2)
    sums = values.sum(axis=-1)
    if (sums == 0).any():
        raise ValueError(f"{name} has a row of zeros: a distribution needs some probability somewhere")
    off = np.abs(sums - 1.0)
    if (off > tol).any():
        worst = sums.flat[int(np.argmax(off))]
        where = "" if values.ndim == 1 else " (along the last axis)"
        raise ValueError(
            f"{name} does not sum to 1{where}: a row sums to {worst:.6g}. "
            f"Normalise it first, e.g. p / p.sum(axis=-1, keepdims=True)"
        )


def _prepare(name: str, x: Any, tol: float | None) -> Any:
    _check_tol(tol)
    arr = _as_array(x, name)
    _check_distribution(arr, name, tol)
    return arr


def _working(*arrays: Any) -> tuple[list[Any], Any]:
    """The inputs in one dtype fit for the arithmetic, each row divided by its sum, and the dtype to return.

    NumPy works in float64; tensors in their common dtype but at least float32 (float16 and bfloat16
    have too few bits for logs of small probabilities). The result goes back to the inputs' common
    dtype, so a float16 tensor gives a float16 answer and float64 mixed with float16 gives float64.
    Dividing by the row sums (which `tol` allowed to be a little off 1) keeps Gibbs' inequality exact.
    """
    if _is_tensor(arrays[0]):
        import torch

        out = arrays[0].dtype
        for a in arrays[1:]:
            out = torch.promote_types(out, a.dtype)
        work = torch.promote_types(out, torch.float32)
        rows = [a.to(work) for a in arrays]
        return [r / r.sum(-1, keepdim=True) for r in rows], out
    out = np.result_type(*arrays)
    rows = [np.asarray(a, dtype=np.float64) for a in arrays]
    return [r / r.sum(-1, keepdims=True) for r in rows], out


def _cast(result: Any, dtype: Any) -> Any:
    if _is_tensor(result):
        return result.to(dtype)
    return np.asarray(result).astype(dtype)


def _xlogy(x: Any, y: Any) -> Any:
    """x · ln y with 0 · ln y = 0 (also for y = 0), and -inf where x > 0 and y = 0."""
    if _is_tensor(x) or _is_tensor(y):
        import torch

        return torch.special.xlogy(x, y)
    with np.errstate(divide="ignore"):
        safe_y = np.where(x > 0, y, 1.0)
        return np.where(x > 0, x * np.log(safe_y), 0.0)


def _match_kinds(p: Any, q: Any) -> tuple[Any, Any]:
    """Bring two inputs to one kind (torch wins over NumPy) and check their outcome counts agree."""
    if _is_tensor(p) != _is_tensor(q):
        import torch  # the NumPy side keeps its own dtype: _working finds the common one

        if _is_tensor(p):
            q = torch.as_tensor(q, device=p.device)
        else:
            p = torch.as_tensor(p, device=q.device)
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(f"p and q have different numbers of outcomes: {p.shape[-1]} and {q.shape[-1]}")
    try:
        np.broadcast_shapes(tuple(p.shape), tuple(q.shape))
    except ValueError:
        raise ValueError(f"p and q have batch shapes that do not match: {tuple(p.shape)} and {tuple(q.shape)}") from None
    return p, q


def _finish(result: Any, original: Any) -> Any:
    """Return a result of the same kind as the input: float(s) for lists, NumPy for NumPy, tensor for tensor."""
    if _is_tensor(result):
        return result
    if isinstance(original, np.ndarray):
        return result[()] if np.ndim(result) == 0 else result
    return float(result) if np.ndim(result) == 0 else np.asarray(result).tolist()


def entropy(p: Any, base: float = 2, *, tol: float | None = None) -> Any:
    """Shannon entropy H(p) = -Σ p log p: the average surprise, in bits for base 2.

    `tol` is how far each row may stray from summing to 1 (by default: set by the dtype's precision).
    """
    log_base = _log_of_base(base)
    (arr,), dtype = _working(_prepare("p", p, tol))
    return _finish(_cast((0.0 - _xlogy(arr, arr).sum(-1)) / log_base, dtype), p)  # 0.0 - x: never -0.0


def cross_entropy(p: Any, q: Any, base: float = 2, *, tol: float | None = None) -> Any:
    """Cross-entropy H(p, q) = -Σ p log q: the average code length when data from p is coded for q.

    It equals H(p) + KL(p‖q), so it is never below H(p); it is `inf` if q gives zero probability
    to an outcome that p can produce.
    """
    log_base = _log_of_base(base)
    (pa, qa), dtype = _working(*_match_kinds(_prepare("p", p, tol), _prepare("q", q, tol)))
    return _finish(_cast((0.0 - _xlogy(pa, qa).sum(-1)) / log_base, dtype), p if not _is_tensor(qa) else qa)


def kl_divergence(p: Any, q: Any, base: float = 2, *, tol: float | None = None) -> Any:
    """Kullback-Leibler divergence KL(p‖q) = Σ p log(p / q): the extra bits paid for coding p with q.

    Zero only when p = q, never negative, not symmetric; `inf` where q = 0 and p > 0.
    """
    log_base = _log_of_base(base)
    (pa, qa), dtype = _working(*_match_kinds(_prepare("p", p, tol), _prepare("q", q, tol)))
    terms = _xlogy(pa, pa) - _xlogy(pa, qa)  # -inf only in the second term, so no inf - inf
    kl = terms.sum(-1)
    kl = kl.clamp_min(0.0) if _is_tensor(kl) else np.maximum(kl, 0.0)  # a last rounding of -1e-17 is 0
    return _finish(_cast(kl / log_base, dtype), p if not _is_tensor(qa) else qa)


def log_softmax(logits: Any, axis: int = -1) -> Any:
    """log softmax(z) = z - log Σ exp(z), in nats, computed so that it is finite for any finite logits.

    Subtracting the largest logit first (the log-sum-exp trick) keeps `exp` from overflowing: with
    m = max z, log Σ exp(z) = m + log Σ exp(z - m), and every exp(z - m) lies in (0, 1] with at least
    one term equal to 1, so the log is finite. The naive log(exp(z) / Σ exp(z)) gives NaN once a logit
    passes about 709 (88 in float32), and -inf for a logit far below the others.

    Lists, NumPy arrays and torch tensors are accepted; the result is of the same kind (a tensor keeps
    its dtype and device and is differentiable). A logit of -inf is a class masked out: its
    log-probability is -inf. NaN, +inf, or a slice whose logits are all -inf raise `ValueError`.
    """
    arr = _as_array(logits, "logits")
    if arr.ndim == 0:
        raise ValueError("logits is a single number; log_softmax needs one logit per class (a list or 1-D array)")
    axis = _check_axis(axis, arr.ndim)
    if arr.shape[axis] == 0:
        raise ValueError("logits is empty along the chosen axis: there must be at least one class")
    if _is_tensor(arr):
        import torch

        values = arr.detach()
        if torch.isnan(values).any():
            raise ValueError("logits contains NaN")
        if torch.isposinf(values).any():
            raise ValueError("logits contains +inf: such a class would take all the probability; use a large finite logit")
        top = values.amax(dim=axis, keepdim=True)
        if torch.isneginf(top).any():
            raise ValueError("logits has a slice whose logits are all -inf: no class is possible")
        work = arr.to(torch.promote_types(arr.dtype, torch.float32))  # float16/bfloat16: compute in float32
        shifted = work - top.to(work.dtype)  # top is detached: the shift cancels out of the gradient anyway
        return (shifted - torch.log(torch.exp(shifted).sum(dim=axis, keepdim=True))).to(arr.dtype)
    if np.isnan(arr).any():
        raise ValueError("logits contains NaN")
    if np.isposinf(arr).any():
        raise ValueError("logits contains +inf: such a class would take all the probability; use a large finite logit")
    top = arr.max(axis=axis, keepdims=True)
    if np.isneginf(top).any():
        raise ValueError("logits has a slice whose logits are all -inf: no class is possible")
    shifted = arr - top
    with np.errstate(under="ignore"):
        result = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    if isinstance(logits, np.ndarray):
        return result
    return result.tolist()


# -- perplexity and units ---------------------------------------------------------------------------

_BASE_HINT = "base=2 if the values are in bits, base=math.e if in nats (PyTorch's losses are nats)"


def _as_values(x: Any, name: str) -> Any:
    """A number, list, NumPy array or tensor of real numbers as a float array or tensor (NaN and ±inf kept)."""
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, (str, bytes, dict, set)):
        raise ValueError(f"{name} must be a number, list, NumPy array or torch tensor of numbers, got {type(x).__name__}")
    if _is_tensor(x):
        import torch

        if x.dtype == torch.bool or x.is_complex():
            raise ValueError(f"{name} must hold real numbers, got a tensor of dtype {x.dtype}")
        return x if x.is_floating_point() else x.to(torch.float64)
    if isinstance(x, np.ndarray) and x.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold real numbers, got an array of dtype {x.dtype}")
    try:
        arr = np.asarray(x, dtype=np.float64) if not isinstance(x, np.ndarray) else x
    except (ValueError, TypeError) as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise ValueError(f"{name} is ragged: every row of a batch needs the same length") from None
        raise ValueError(f"{name} must hold numbers only ({exc})") from None
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def _as_numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().double().numpy() if _is_tensor(x) else np.asarray(x, dtype=np.float64)


def _power(base: float, x: Any) -> Any:
    """base ** x, elementwise, for arrays and tensors (exact for whole powers of 2, inf on overflow)."""
    if _is_tensor(x):
        import torch

        return torch.exp(x) if base == math.e else torch.pow(float(base), x)
    with np.errstate(over="ignore"):
        return np.exp(x) if base == math.e else np.power(float(base), x)


def perplexity(cross_entropy: Any = None, *, log_probs: Any = None, base: float | None = None) -> Any:
    """Perplexity: the effective number of equally likely choices per token, `base ** cross_entropy`.

    Give **either** `cross_entropy` (the average surprise per token: one number or an array of them)
    **or** `log_probs` (each token's log-probability, along the last axis; the cross-entropy is minus
    their mean), and **always** the `base` they are in: 2 for bits, math.e for nats. There is no
    default, because the classic mistake is raising 2 to a loss measured in nats.

        perplexity(2.0, base=2)                     # 4.0: as uncertain as a fair four-sided die
        perplexity(loss.item(), base=math.e)        # from a PyTorch cross-entropy loss
        perplexity(log_probs=[-1.0, -3.0], base=2)  # 4.0: the geometric mean of 1/p

    A uniform guess over V symbols has perplexity V in any base. Perplexity is `inf` if a token got
    probability 0. Returns the input's kind (float, list, NumPy array or differentiable tensor).
    """
    if base is None:
        raise ValueError(f"perplexity needs an explicit base: {_BASE_HINT}")
    _log_of_base(base)  # refuses 1, 0, negative, NaN and non-numbers
    if (cross_entropy is None) == (log_probs is None):
        raise ValueError("perplexity takes either a cross_entropy or log_probs=..., not both and not neither")
    if cross_entropy is not None:
        ce = _as_values(cross_entropy, "cross_entropy")
        values = _as_numpy(ce)
        if np.isnan(values).any():
            raise ValueError("cross_entropy contains NaN")
        if (values < -1e-12).any():
            raise ValueError(
                f"cross_entropy is negative ({values[values < -1e-12].flat[0]:g}), but it never is: it is minus the mean "
                "log-probability. Did you pass a mean log-probability (negate it) or a log-likelihood?"
            )
        return _finish(_power(base, ce), cross_entropy)

    lp = _as_values(log_probs, "log_probs")
    if lp.ndim == 0:
        raise ValueError(
            "log_probs is a single number; pass one log-probability per token (a list or 1-D array), "
            "or pass an average as the cross_entropy"
        )
    if lp.shape[-1] == 0:
        raise ValueError("log_probs is empty: perplexity needs at least one token")
    values = _as_numpy(lp)
    if np.isnan(values).any():
        raise ValueError("log_probs contains NaN")
    if (values > 1e-6).any():
        raise ValueError(
            f"log_probs has a positive entry ({values[values > 1e-6].flat[0]:g}), but log-probabilities are never above 0. "
            "Did you pass probabilities (take their log) or per-token losses (negate them)?"
        )
    cross = 0.0 - lp.mean(-1)  # mean surprise per token, in the given base
    return _finish(_power(base, cross), log_probs)


def _rescale(x: Any, factor: float, name: str) -> Any:
    arr = _as_values(x, name)
    return _finish(arr * factor, x)


def bits_to_nats(x: Any) -> Any:
    """Convert an amount of information (entropy, loss, log-probability…) from bits to nats: × ln 2."""
    return _rescale(x, math.log(2), "bits_to_nats: x")


def nats_to_bits(x: Any) -> Any:
    """Convert an amount of information from nats to bits: ÷ ln 2. A PyTorch loss of 0.693 nats is 1 bit."""
    return _rescale(x, 1 / math.log(2), "nats_to_bits: x")
