"""Checkers for lesson 01 (entropy): entropy, cross-entropy, KL divergence, Huffman code lengths.

Expected values come from `course_utils.info`, which the test suite checks against SciPy. Each failure
names the likely mistake first ("natural log instead of log2? — entropy([0.5, 0.5]) returned 0.6931, …")
where the wrong value identifies it; where it does not, the message says only what came back.
Float32 answers pass (rtol 1e-5): nothing in this sheet needs more precision.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks._judge import (
    MATH_LOG,
    as_array,
    call,
    fail,
    judge,
    matches_value,
    uses_where_without_out,
)
from course_utils.checks.core import MISSING_MINUS, Checker, checker, log_base_mistakes

__all__ = ["check_entropy", "check_cross_entropy", "check_kl_divergence", "check_huffman_lengths"]

RTOL, ATOL = 1e-5, 1e-6  # float32 is precise enough for this sheet

WHERE_NO_OUT = "np.log2(x, where=...) without out= leaves garbage"
ZERO_NAN = "0·log 0 gave NaN: p = 0 terms add 0; use np.where(p > 0, …)"
BATCH_AS_ONE = "one number for a batch: p[p > 0] flattens it, or no axis=-1?"
AXIS_ONE = "axis=1 fails on one distribution (1-D): use axis=-1"
BATCH_RAISE = "works on one distribution but fails on a batch (2-D p)"
NOT_SUMMED = "forgot to sum the terms? (np.sum(..., axis=-1))"
Q_MASK = "masked on q > 0? Where p > 0 and q = 0 the cost is inf bits"
EPSILON = "a small epsilon in the log? Where p > 0 = q the cost is inf"
SWAPPED = "p and q swapped? data come from p, the code is built for q"
MEAN_NOT_SUM = "mean instead of sum? add the terms over outcomes (np.sum)"
GLOBAL_NORM = "p / p.sum() used the batch's total: add axis=-1, keepdims"
TIE_ARRAYS = "a tie compared arrays? Put a counter before them in tuples"
ONE_ERRORS = [  # errors on a single distribution whose text gives the mistake away
    ("axis 1 is out of bounds", AXIS_ONE),
    ("only 0-dimensional arrays can be converted", MATH_LOG),
    ("only length-1 arrays can be converted", MATH_LOG),
    ("only size-1 arrays can be converted", MATH_LOG),
    ("must be real number, not list", MATH_LOG),
]


def _random_batch(rows: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(k, 0.7), size=rows)
    p[:, 0] = 0.0  # a zero in every row keeps the 0·log 0 convention in play
    return p / p.sum(axis=1, keepdims=True)


def _batch_shape_hints(rows: int, k: int) -> dict[tuple[int, ...], str]:
    return {
        (k,): "reduced over axis 0 (the batch) instead of axis=-1",
        (rows, k): NOT_SUMMED,
        (): BATCH_AS_ONE,
        (1,): BATCH_AS_ONE,
    }


def _no_garbage(c: Checker) -> None:
    """Fail if the learner's source calls np.log2(..., where=...) (or another elementwise function) without out=.

    Where the condition is False such a call leaves the output uninitialised: the result is whatever memory held
    before, right on one run and NaN on the next, so no result can be trusted to show it; the source can.
    """
    if uses_where_without_out(c.fn):
        fail(f"{c.name} calls a NumPy function with where= but no out=: where the condition is False its output is "
             "uninitialised memory, so the answer changes from run to run; pass out=np.zeros_like(...) or use "
             "np.where", WHERE_NO_OUT)


def _number(c: Checker, *args: Any, nan_hint: str = "") -> tuple[float, str]:
    """Call with one distribution (or pair); insist on one number back."""
    _no_garbage(c)
    value, text = call(c, *args, on_error=ONE_ERRORS)
    k = len(args[0])
    return float(as_array(c, value, text, (), shape_hints={(k,): NOT_SUMMED}, nan_hint=nan_hint)), text


def _batch(c: Checker, *args: Any, rows: int, k: int, nan_hint: str = "") -> tuple[np.ndarray, str]:
    """Call with a batch (rows × k); insist on one number per row."""
    _no_garbage(c)
    value, text = call(c, *args, on_error=[("", BATCH_RAISE)])
    return as_array(c, value, text, (rows,), shape_hints=_batch_shape_hints(rows, k), nan_hint=nan_hint), text


def _logs(p: np.ndarray) -> np.ndarray:
    """log2 p with log2 0 = -inf, quietly."""
    with np.errstate(divide="ignore"):
        return np.log2(p)


# -- entropy ------------------------------------------------------------------------------------------

def _entropy_mistakes(p: Any) -> dict[str, Any]:
    p = np.asarray(p, dtype=np.float64)
    h = info.entropy(p)
    k = p.shape[-1]
    mistakes = {**log_base_mistakes(h), MEAN_NOT_SUM: np.asarray(h) / k,
                "that is log2 K, the uniform's entropy: weight by p": np.full(np.shape(h), math.log2(k)),
                "that is 2^H, the perplexity: return H itself": 2.0 ** np.asarray(h)}
    with np.errstate(invalid="ignore"):
        mistakes["unweighted: weight each surprise -log2 p by its p"] = -_logs(p).mean(-1)
        mistakes["unweighted sum: weight each -log2 p by its probability p"] = -_logs(p).sum(-1)
    if p.ndim == 2:
        total = p.sum()
        mistakes[GLOBAL_NORM] = (h + math.log2(total)) / total
    return mistakes


@checker
def check_entropy(entropy: Any) -> None:
    """Check `entropy(p)`: the entropy in bits of p along its last axis."""
    c = Checker("entropy", entropy)
    for p, expected in ((np.array([0.5, 0.25, 0.25]), 1.5), (np.array([0.5, 0.5]), 1.0), ([0.25] * 4, 2.0)):
        got, text = _number(c, p, nan_hint="NaN from a distribution with no zeros: check the formula")
        judge(c, text, got, expected, unit="bits", mistakes=_entropy_mistakes(p), rtol=RTOL, atol=ATOL)
    p = np.array([1.0, 0.0])
    got, text = _number(c, p, nan_hint=ZERO_NAN)
    judge(c, text, got, 0.0, unit="bits (a certain outcome carries no surprise)", rtol=RTOL, atol=ATOL,
          mistakes={"an inf from log2 0: a p = 0 term must add 0, not inf": math.inf})
    p = np.array([0.7, 0.3, 0.0])
    got, text = _number(c, p, nan_hint=ZERO_NAN)
    judge(c, text, got, info.entropy([0.7, 0.3]), unit="bits, as without the impossible outcome",
          mistakes={**_entropy_mistakes([0.7, 0.3]), MEAN_NOT_SUM: info.entropy([0.7, 0.3]) / 3}, rtol=RTOL, atol=ATOL)
    p = np.full(10, 0.1)
    got, text = _number(c, p)
    judge(c, text, got, math.log2(10), unit="bits: uniform over 10 outcomes gives log2 10",
          mistakes=_entropy_mistakes(p), rtol=RTOL, atol=ATOL)

    batch = _random_batch(3, 5, seed=1)
    got, text = _batch(c, batch, rows=3, k=5, nan_hint=ZERO_NAN)
    judge(c, text, got, info.entropy(batch), unit="bits, one per row", mistakes=_entropy_mistakes(batch),
          rtol=RTOL, atol=ATOL)

    rng = np.random.default_rng(2)
    for k in (2, 3, 7, 50):
        p = rng.dirichlet(np.ones(k))
        got, text = _number(c, p)
        judge(c, text, got, info.entropy(p), unit="bits", mistakes=_entropy_mistakes(p), rtol=RTOL, atol=ATOL)
    c.done()


# -- cross-entropy and KL -------------------------------------------------------------------------------

def _masked_on_q(p: np.ndarray, q: np.ndarray, kl: bool) -> np.ndarray:
    """What a learner who keeps only the outcomes with q > 0 gets."""
    keep = (q > 0) & (p > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(keep, p * (_logs(np.where(keep, p, 1.0)) if kl else 0.0) - p * _logs(np.where(keep, q, 1.0)), 0.0)
    return terms.sum(-1)


def _pair_mistakes(p: Any, q: Any, kl: bool) -> dict[str, Any]:
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    reference = info.kl_divergence if kl else info.cross_entropy
    expected = np.asarray(reference(p, q))
    mistakes = {SWAPPED: reference(q, p)} if np.all(p > 0) else {}  # swapped with a zero in p: inf, said below
    mistakes.update(log_base_mistakes(expected))
    k = p.shape[-1]
    mistakes[MEAN_NOT_SUM] = expected / k
    h_p, h_q = np.asarray(info.entropy(p)), np.asarray(info.entropy(q))
    if kl:
        del mistakes[MISSING_MINUS]
        mistakes["sign flipped? KL = Σ p log2(p/q), not log2(q/p)"] = -expected
        mistakes["that is the cross-entropy H(p, q); KL = H(p, q) - H(p)"] = info.cross_entropy(p, q)
        mistakes["H(p) - H(q) is not KL: use Σ p log2(p/q)"] = h_p - h_q
        mistakes["H(q) - H(p) is not KL: use Σ p log2(p/q)"] = h_q - h_p
        cross = np.asarray(info.cross_entropy(p, q))
        mistakes["H(p, q) + H(p)? KL subtracts: H(p, q) - H(p)"] = cross + h_p
        with np.errstate(all="ignore"):
            mistakes["a ratio? KL is the difference H(p, q) - H(p)"] = cross / h_p
    else:
        mistakes["that is KL(p‖q); cross-entropy is H(p) + KL(p‖q)"] = info.kl_divergence(p, q)
        mistakes["that is H(p): cross-entropy uses log2 q, not log2 p"] = h_p
        mistakes["that is H(q): weight -log2 q by p, not by q"] = h_q
    if p.ndim == 2:
        total_p, total_q = p.sum(), q.sum()
        pn, qn = p / total_p, q / total_q
        with np.errstate(divide="ignore", invalid="ignore"):
            wrong = -np.where(pn > 0, pn * _logs(np.where(pn > 0, qn, 1.0)), 0.0).sum(-1)
            if kl:
                wrong = wrong + np.where(pn > 0, pn * _logs(np.where(pn > 0, pn, 1.0)), 0.0).sum(-1)
        mistakes[GLOBAL_NORM] = wrong
    return mistakes


def _inf_case(c: Checker, kl: bool) -> None:
    """p > 0 where q = 0: the answer is inf; name masks and epsilons."""
    p, q = np.array([0.5, 0.5]), np.array([1.0, 0.0])
    value, text = call(c, p, q, on_error=ONE_ERRORS)
    got = float(as_array(c, value, text, (), shape_hints={(len(p),): NOT_SUMMED}))
    if got == math.inf:
        c.require(True, "")
        return
    masked = float(_masked_on_q(p, q, kl))
    if matches_value(got, masked):
        hint = Q_MASK
    elif math.isfinite(got) and got > 1e100:
        hint = "inf turned into a huge number (np.nan_to_num?): keep inf"
    elif math.isfinite(got) and got > masked + 1:  # an epsilon of 1e-300 still gives under 1000 bits
        hint = EPSILON
    elif got == -math.inf:
        hint = "a sign error: the cost of an impossible code is +inf"
    else:
        hint = ""
    fail(f"{text} returned {got:.4g}, expected inf: q calls an outcome impossible that p produces", hint)


def _pair_checks(c: Checker, kl: bool) -> None:
    """Checks shared by cross-entropy and KL: known values, swapped arguments, zeros, infinity, batches."""
    reference = info.kl_divergence if kl else info.cross_entropy
    for p, q in ((np.array([0.7, 0.2, 0.1]), np.array([0.2, 0.3, 0.5])), (np.array([0.5, 0.5]), np.array([0.9, 0.1]))):
        got, text = _number(c, p, q, nan_hint="NaN with no zero in p or q: check the formula")
        judge(c, text, got, reference(p, q), unit="bits", mistakes=_pair_mistakes(p, q, kl), rtol=RTOL, atol=ATOL)

    p, q = np.array([1.0, 0.0]), np.array([0.5, 0.5])
    got, text = _number(c, p, q, nan_hint=ZERO_NAN)
    judge(c, text, got, reference(p, q), unit="bits", rtol=RTOL, atol=ATOL,
          mistakes={SWAPPED: math.inf, **_pair_mistakes(p, q, kl)})
    p = q = np.array([0.5, 0.5, 0.0])
    got, text = _number(c, p, q, nan_hint=ZERO_NAN)
    judge(c, text, got, reference(p, q), unit="bits: an outcome impossible under both costs nothing",
          rtol=RTOL, atol=ATOL)

    _inf_case(c, kl)

    batch_p, batch_q = _random_batch(4, 6, seed=3), _random_batch(4, 6, seed=4)
    got, text = _batch(c, batch_p, batch_q, rows=4, k=6, nan_hint=ZERO_NAN)
    judge(c, text, got, reference(batch_p, batch_q), unit="bits, one per row",
          mistakes=_pair_mistakes(batch_p, batch_q, kl), rtol=RTOL, atol=ATOL)


@checker
def check_cross_entropy(cross_entropy: Any) -> None:
    """Check `cross_entropy(p, q)`: bits per symbol when data from p is coded with a code built for q."""
    c = Checker("cross_entropy", cross_entropy)
    _pair_checks(c, kl=False)
    rng = np.random.default_rng(5)
    for k in (2, 4, 9):
        p = rng.dirichlet(np.ones(k))
        got, text = _number(c, p, p)
        judge(c, text, got, info.entropy(p), unit="bits: coding p with its own code costs exactly H(p)",
              mistakes=_pair_mistakes(p, p, kl=False), rtol=RTOL, atol=ATOL)
        q = rng.dirichlet(np.ones(k))
        got, text = _number(c, p, q)
        judge(c, text, got, info.cross_entropy(p, q), unit="bits", mistakes=_pair_mistakes(p, q, kl=False),
              rtol=RTOL, atol=ATOL)
    c.done()


@checker
def check_kl_divergence(kl_divergence: Any) -> None:
    """Check `kl_divergence(p, q)`: the extra bits paid for coding data from p with a code built for q."""
    c = Checker("kl_divergence", kl_divergence)
    _pair_checks(c, kl=True)
    rng = np.random.default_rng(6)
    for k in (2, 4, 9):
        p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
        got, text = _number(c, p, p)
        judge(c, text, got, 0.0, unit="bits: a distribution is at zero divergence from itself", rtol=RTOL, atol=ATOL,
              mistakes={"that is H(p), not KL(p‖p) = 0: KL = H(p, q) - H(p)": info.entropy(p)})
        got, text = _number(c, p, q)
        judge(c, text, got, info.kl_divergence(p, q), unit="bits = H(p, q) - H(p)",
              mistakes=_pair_mistakes(p, q, kl=True), rtol=RTOL, atol=ATOL)
    c.done()


# -- Huffman code lengths ---------------------------------------------------------------------------------

def huffman_mean_length(probs: Any, most_likely: bool = False) -> float:
    """The mean code length of a Huffman code: the checker's own reference. With `most_likely`, the code a
    learner gets by merging the two *most* likely nodes instead (a mistake; its mean is tie-independent too)."""
    p = [float(x) for x in probs]
    if len(p) == 1:
        return 1.0
    sign = -1.0 if most_likely else 1.0
    heap = [sign * x for x in p]
    heapq.heapify(heap)
    total = 0.0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += sign * merged  # every merge adds one bit to each symbol below it
        heapq.heappush(heap, merged)
    return total


def _unsorted_merge_mean(probs: Any) -> float:
    """Mean length when the list is sorted once and each merged node is appended at the end (never re-sorted)."""
    nodes = sorted(float(x) for x in probs)
    total = 0.0
    while len(nodes) > 1:
        merged = nodes.pop(0) + nodes.pop(0)
        total += merged
        nodes.append(merged)
    return total


def _no_push_lengths(n: int) -> list[int]:
    """Lengths when merged nodes are never pushed back: each symbol is popped once, in pairs (any order)."""
    return [1] * n if n % 2 == 0 else [1] * (n - 1) + [0]


def _lengths_of(c: Checker, value: Any, text: str, n: int) -> np.ndarray:
    """The learner's lengths as a flat float array of n entries, or a message that says what came back."""
    if isinstance(value, dict):
        fail(f"{text} returned a dict", "return a list of lengths in the order of p, not a dict")
    if isinstance(value, (str, bytes)):
        fail(f"{text} returned a string {value!r}", "return a list of lengths (ints), not a string")
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        fail(f"{text} returned codewords {list(value)[:4]}…", "codewords (strings): return their lengths, len(w)")
    if isinstance(value, (list, tuple)):
        try:
            value = [float(v) for v in value]  # also plain numbers held in 0-d tensors or arrays
        except (TypeError, ValueError, RuntimeError):
            fail(f"{text} returned {type(value).__name__} of {type(value[0]).__name__}", "return one length (an int) per symbol")
    array = c.to_array(value, text)
    if array.ndim != 1:
        fail(f"{text} returned shape {array.shape}, expected one length per symbol: a flat list of {n}",
             "return one length per symbol (a flat list)")
    if array.size != n:
        fail(f"{text} returned {array.size} lengths for {n} symbols", "return one length per symbol")
    if np.isnan(array).any():
        fail(f"{text} returned NaN in {array.tolist()}")
    return array


@checker
def check_huffman_lengths(huffman_lengths: Any) -> None:
    """Check `huffman_lengths(p)`: the code length in bits of each symbol, in the order of p."""
    c = Checker("huffman_lengths", huffman_lengths)
    cases = [
        [0.3, 0.2, 0.3, 0.2],
        [0.4, 0.3, 0.2, 0.1],
        [0.9, 0.1],
        [0.05, 0.05, 0.1, 0.2, 0.25, 0.35],
        np.random.default_rng(7).dirichlet(np.ones(12)),
    ]
    for p in cases:
        # with a list in, comparing arrays can only be the learner's heap or sort tuples meeting a tie
        value, text = call(c, p, on_error=[("truth value of an array with more than one element", TIE_ARRAYS)]
                           if isinstance(p, list) else [])
        probs = [float(x) for x in p]
        n = len(probs)
        array = _lengths_of(c, value, text, n)
        shown = array.tolist() if np.all(array == np.round(array)) else [round(x, 3) for x in array.tolist()]
        if not np.all(array == np.round(array)):
            ideal = -np.log2(probs)
            fail(f"{text} returned {shown}: code lengths are whole numbers of bits",
                 "those are the ideal lengths -log2 p; use whole bits"
                 if np.allclose(array, ideal, rtol=1e-4) else "")
        shown = array.astype(int).tolist()
        if np.any(array < 0):
            fail(f"{text} returned {shown}: a length is never negative")
        kraft = float(np.sum(2.0 ** -array))
        if kraft > 1 + 1e-9:
            no_push = sorted(array.tolist()) == sorted(_no_push_lengths(n))
            fail(f"{text} returned {shown} with Σ 2^-length = {kraft:.4g} > 1: no prefix code has codewords this "
                 "short (Kraft's inequality)",
                 "merged nodes never pushed back? heappush each merge" if no_push else "")
        mean, best = float(np.dot(probs, array)), huffman_mean_length(probs)
        if abs(mean - best) < 1e-9:
            c.require(True, "")
            h = info.entropy(probs)
            c.require(h - 1e-9 <= mean < h + 1, f"{text}: mean length {mean:.4g} is outside [H, H + 1)")
            continue
        message = f"{text} returned {shown}, a code of mean length {mean:.4g} bits; Huffman's is {best:.4g}"
        best_for_these = float(np.dot(sorted(probs, reverse=True), np.sort(array)))  # short codes to likely symbols
        candidates = []
        if abs(float(np.dot(probs, array - 1)) - best) < 1e-9 and np.all(array >= 1):
            candidates.append("every length is 1 too long: start each symbol at 0 bits")
        if abs(mean - huffman_mean_length(probs, most_likely=True)) < 1e-9:
            candidates.append("merged the two most likely nodes? merge the two least likely")
        if np.array_equal(array, np.ceil(-np.log2(probs) - 1e-12)):  # the very lengths, not only their mean
            fail(message, "those are Shannon's lengths ⌈-log2 p⌉, not optimal ones")
        if abs(mean - _unsorted_merge_mean(probs)) < 1e-9:
            candidates.append("the merged node must go back in order (heappush, or re-sort)")
        if abs(best_for_these - best) < 1e-9:
            candidates.append("right lengths, wrong order: keep the order of p")
        fail(message, candidates[0] if len(candidates) == 1 else "")
    c.done()
