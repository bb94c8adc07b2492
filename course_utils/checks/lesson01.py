"""Checkers for lesson 01 (entropy): entropy, cross-entropy, KL divergence, Huffman code lengths.

Expected values come from `course_utils.info`, which the test suite checks against SciPy.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks.core import CheckFailed, Checker, checker, log_base_mistakes

__all__ = ["check_entropy", "check_cross_entropy", "check_kl_divergence", "check_huffman_lengths"]

ZERO_HINT = (
    "0·log 0 gave NaN. An outcome with probability 0 contributes nothing: "
    "skip zero entries, e.g. p = p[p > 0], or use np.where"
)
EPSILON_HINT = (
    "did you add a small epsilon inside the log? An outcome that happens (p > 0) but is coded as "
    "impossible (q = 0) costs infinitely many bits, so the answer is inf"
)


SUM_HINT = "one value per outcome: it returned the terms without summing them; sum over the last axis"


def _random_batch(rows: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(k, 0.7), size=rows)
    p[:, 0] = 0.0  # a zero in every row keeps the 0·log 0 convention in play
    return p / p.sum(axis=1, keepdims=True)


def _batch_shape_hints(rows: int, k: int, what: str) -> dict[tuple[int, ...], str]:
    return {
        (k,): f"it reduced over axis 0 (the batch) instead of the last axis (the outcomes of each {what})",
        (): "it summed over the whole batch; reduce over the last axis only (axis=-1)",
        (1,): "it summed over the whole batch; reduce over the last axis only (axis=-1)",
        (rows, k): "it returned the terms without summing them; sum over the last axis (axis=-1)",
    }


@checker
def check_entropy(entropy: Any) -> None:
    """Check `entropy(p)`: the entropy in bits of p along its last axis."""
    c = Checker("entropy", entropy)
    for p, expected in (([0.5, 0.5], 1.0), ([0.25] * 4, 2.0), ([0.5, 0.25, 0.25], 1.5)):
        got, text = c.number(p, nan_hint="NaN from a distribution with no zeros: check the formula", many_hint=SUM_HINT)
        c.close(text, got, expected, unit="bits", mistakes=log_base_mistakes(expected))
    got, text = c.number([1.0, 0.0], nan_hint=ZERO_HINT)
    c.close(text, got, 0.0, unit="bits (a certain outcome carries no surprise)")
    got, text = c.number(np.array([0.7, 0.3, 0.0]), nan_hint=ZERO_HINT)
    c.close(text, got, info.entropy([0.7, 0.3]), unit="bits, the same as without the impossible outcome")
    got, text = c.number(np.full(10, 0.1))
    c.close(text, got, math.log2(10), unit="bits: uniform over 10 outcomes gives log2 10",
            mistakes=log_base_mistakes(math.log2(10)))

    batch = _random_batch(3, 5, seed=1)
    got, text = c.array(batch, shape=(3,), shape_hints=_batch_shape_hints(3, 5, "distribution"), nan_hint=ZERO_HINT)
    expected = info.entropy(batch)
    c.close(text, got, expected, unit="bits, one per row", mistakes=log_base_mistakes(expected))

    rng = np.random.default_rng(2)
    for k in (2, 3, 7, 50):
        p = rng.dirichlet(np.ones(k))
        got, text = c.number(p)
        c.close(text, got, info.entropy(p), unit="bits", mistakes=log_base_mistakes(info.entropy(p)))
        c.require(-1e-9 <= got <= math.log2(k) + 1e-9,
                  f"{text} returned {got:.4g}, outside [0, log2 {k}] = [0, {math.log2(k):.4g}]: entropy is never negative "
                  f"and never above the uniform distribution's")
    c.done()


def _pair_checks(c: Checker, reference: Any, name: str) -> None:
    """Checks shared by cross-entropy and KL: known values, swapped arguments, zeros, batches."""
    p, q = [0.5, 0.5], [0.9, 0.1]
    expected = reference(p, q)
    mistakes = {
        "p and q swapped? The data come from p; the code is built for q": reference(q, p),
        **log_base_mistakes(expected),
    }
    if name == "kl_divergence":
        mistakes["that is the cross-entropy H(p, q); KL is H(p, q) - H(p)"] = info.cross_entropy(p, q)
    got, text = c.number(p, q, many_hint=SUM_HINT)
    c.close(text, got, expected, unit="bits", mistakes=mistakes)

    p2, q2 = np.array([0.7, 0.2, 0.1]), np.array([0.2, 0.3, 0.5])
    got, text = c.number(p2, q2)
    expected = reference(p2, q2)
    c.close(text, got, expected, unit="bits", mistakes={
        "p and q swapped? The data come from p; the code is built for q": reference(q2, p2),
        **log_base_mistakes(expected)})

    got, text = c.number([1.0, 0.0], [0.5, 0.5], nan_hint=ZERO_HINT)
    c.close(text, got, reference([1.0, 0.0], [0.5, 0.5]), unit="bits")
    got, text = c.number([0.5, 0.5, 0.0], [0.5, 0.5, 0.0], nan_hint=ZERO_HINT)
    c.close(text, got, reference([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]), unit="bits: an outcome impossible under both costs nothing")

    got, text = c.number([0.5, 0.5], [1.0, 0.0], nan_hint="expected inf: " + EPSILON_HINT)
    c.require(got == math.inf, f"{text} returned {got:.4g}, expected inf: {EPSILON_HINT}")

    batch_p, batch_q = _random_batch(4, 6, seed=3), _random_batch(4, 6, seed=4)
    got, text = c.array(batch_p, batch_q, shape=(4,), shape_hints=_batch_shape_hints(4, 6, "pair of distributions"),
                        nan_hint=ZERO_HINT)
    expected = reference(batch_p, batch_q)
    c.close(text, got, expected, unit="bits, one per row", mistakes={
        "p and q swapped? The data come from p; the code is built for q": reference(batch_q, batch_p),
        **log_base_mistakes(expected)})


@checker
def check_cross_entropy(cross_entropy: Any) -> None:
    """Check `cross_entropy(p, q)`: bits per symbol when data from p is coded with a code built for q."""
    c = Checker("cross_entropy", cross_entropy)
    _pair_checks(c, info.cross_entropy, "cross_entropy")
    rng = np.random.default_rng(5)
    for k in (2, 4, 9):
        p = rng.dirichlet(np.ones(k))
        got, text = c.number(p, p)
        c.close(text, got, info.entropy(p), unit="bits: coding p with its own code costs exactly H(p)")
        q = rng.dirichlet(np.ones(k))
        got, text = c.number(p, q)
        c.require(got >= info.entropy(p) - 1e-9,
                  f"{text} returned {got:.4g}, below H(p) = {info.entropy(p):.4g}: no code beats the true distribution")
    c.done()


@checker
def check_kl_divergence(kl_divergence: Any) -> None:
    """Check `kl_divergence(p, q)`: the extra bits paid for coding data from p with a code built for q."""
    c = Checker("kl_divergence", kl_divergence)
    _pair_checks(c, info.kl_divergence, "kl_divergence")
    rng = np.random.default_rng(6)
    for k in (2, 4, 9):
        p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
        got, text = c.number(p, p)
        c.close(text, got, 0.0, unit="bits: a distribution is at zero divergence from itself")
        got, text = c.number(p, q)
        c.require(got >= -1e-9, f"{text} returned {got:.4g}: KL divergence is never negative (Gibbs' inequality)")
        c.close(text, got, info.cross_entropy(p, q) - info.entropy(p), unit="bits = H(p, q) - H(p)")
    c.done()


def huffman_mean_length(probs: Any) -> float:
    """The mean code length of an optimal (Huffman) prefix code: the checker's own reference."""
    p = [float(x) for x in probs]
    if len(p) == 1:
        return 1.0
    heap = list(p)
    heapq.heapify(heap)
    total = 0.0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged  # every merge adds one bit to each symbol below it
        heapq.heappush(heap, merged)
    return total


@checker
def check_huffman_lengths(huffman_lengths: Any) -> None:
    """Check `huffman_lengths(p)`: the code length in bits of each symbol, in the order of p."""
    c = Checker("huffman_lengths", huffman_lengths)
    cases = [
        [0.5, 0.25, 0.125, 0.125],
        [0.4, 0.3, 0.2, 0.1],
        [0.9, 0.1],
        [0.05, 0.05, 0.1, 0.2, 0.25, 0.35],
        list(np.random.default_rng(7).dirichlet(np.ones(12))),
    ]
    for p in cases:
        value, text = c.call(p)
        if isinstance(value, dict):
            raise CheckFailed(f"{text} " + "returned a dict; return a list of lengths in the order of p (e.g. [len(code[i]) for i in ...])")
        try:
            lengths = [v for v in value]
        except TypeError:
            raise CheckFailed(f"{text} " + f"returned {type(value).__name__}; return one length per symbol (a list of ints)") from None
        if lengths and isinstance(lengths[0], str):
            raise CheckFailed(f"{text} " + "returned codewords (strings); return their lengths, e.g. [len(w) for w in codewords]")
        c.require(len(lengths) == len(p), f"{text} returned {len(lengths)} lengths for {len(p)} symbols: one length per symbol")
        array = c.to_array(lengths, text)
        c.require(bool(np.all(array == np.round(array))) and bool(np.all(array >= 1)),
                  f"{text} returned {array.tolist()}: code lengths are whole numbers of bits, at least 1")
        kraft = float(np.sum(2.0 ** -array))
        c.require(kraft <= 1 + 1e-9, f"{text} returned lengths {array.astype(int).tolist()} with Σ 2^-length = {kraft:.4g} > 1: "
                  "no prefix code has such short codewords (Kraft's inequality)")
        mean, best = float(np.dot(p, array)), huffman_mean_length(p)
        best_for_these = float(np.dot(sorted(p, reverse=True), np.sort(array)))  # shortest codes to likeliest symbols
        if abs(mean - best) > 1e-9 and abs(best_for_these - best) < 1e-9:
            raise CheckFailed(f"{text} returned {array.astype(int).tolist()}: the lengths are right but in the wrong order; "
                              "give the i-th symbol its own length (likely symbols get short codes)")
        c.require(abs(mean - best) < 1e-9,
                  f"{text} returned {array.astype(int).tolist()}, a code of mean length {mean:.4g} bits; Huffman's is "
                  f"{best:.4g}: not an optimal code. Always merge the two least likely nodes")
        h = info.entropy(p)
        c.require(h - 1e-9 <= mean < h + 1, f"{text}: mean length {mean:.4g} is outside [H, H + 1) = [{h:.4g}, {h + 1:.4g})")
    c.done()

