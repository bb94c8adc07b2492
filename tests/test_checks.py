"""The checker framework and lesson 01's checkers: right answers pass, each common mistake is named,
and whatever a learner's function does, the checker ends in a one-line pass or a CheckFailed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils import info
from course_utils.checks import (
    CheckFailed,
    check_cross_entropy,
    check_entropy,
    check_huffman_lengths,
    check_kl_divergence,
)
from course_utils.checks.core import Checker, checker, fmt
from course_utils.checks.lesson01 import huffman_mean_length

from check_helpers import fails_with


def _plogq(p, q, log=np.log2):
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * log(np.where(p > 0, q, 1.0)), 0.0)


def good_entropy(p):
    return -_plogq(p, p).sum(-1)


def good_ce(p, q):
    return -_plogq(p, q).sum(-1)


failure = fails_with  # the checker's message, asserting it is a CheckFailed and not a checker defect


def test_correct_functions_pass_with_one_line(capsys):
    check_entropy(good_entropy)
    check_cross_entropy(good_ce)
    check_kl_divergence(lambda p, q: good_ce(p, q) - good_entropy(p))
    check_huffman_lengths(lambda p: [round(x) for x in _reference_lengths(p)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("✓ ") and "checks passed" in line for line in lines)


def _reference_lengths(p):
    import heapq

    heap = [(x, i, [i]) for i, x in enumerate(p)]
    heapq.heapify(heap)
    lengths, k = [0] * len(p), len(p)
    while len(heap) > 1:
        a, _, sa = heapq.heappop(heap)
        b, _, sb = heapq.heappop(heap)
        for s in sa + sb:
            lengths[s] += 1
        heapq.heappush(heap, (a + b, k, sa + sb))
        k += 1
    return lengths


ENTROPY_MISTAKES = [
    (lambda p: -_plogq(p, p, np.log).sum(-1), "natural log instead of log2"),
    (lambda p: -_plogq(p, p, np.log10).sum(-1), "log10 instead of log2"),
    (lambda p: _plogq(p, p).sum(-1), "missing minus sign"),
    (lambda p: -np.sum(np.asarray(p) * np.log2(p), axis=-1), "0·log 0 gave NaN"),
    (lambda p: -_plogq(p, p).sum(0) if np.ndim(p) == 2 else good_entropy(p), "instead of the last axis"),
    (lambda p: -_plogq(p, p).sum(), "summed over the whole batch"),
    (lambda p: -_plogq(p, p), "without summing"),
    (lambda p: None, "return` statement missing"),
    (lambda p: "1.0", "returned a string"),
    (lambda p: [1.0, 2.0] if np.ndim(p) == 1 else good_entropy(p), "expected a single number"),
    (lambda p: float("nan"), "returned NaN"),
    (lambda p: {"h": 1}, "not a number"),
    (lambda p: 1 / 0, "raised ZeroDivisionError"),
]


@pytest.mark.parametrize("fn, hint", ENTROPY_MISTAKES, ids=[h for _, h in ENTROPY_MISTAKES])
def test_entropy_mistakes_are_named(fn, hint):
    assert hint in failure(check_entropy, fn)


def test_not_implemented_stub():
    def stub(p):
        raise NotImplementedError()

    message = failure(check_entropy, stub)
    assert message.startswith("entropy: not implemented yet")


def test_passing_a_value_instead_of_the_function():
    assert "needs your function itself" in failure(check_entropy, 1.0)
    assert "needs your function itself" in failure(check_entropy, None)


def test_changing_the_callers_input_fails_with_a_message_that_says_so():
    def mutating(p):
        p = np.asarray(p)
        result = good_entropy(p)
        p[...] = 0  # scribbles over its argument
        return result

    fails_with(check_entropy, mutating, "modified its input in place")


def test_torch_results_are_accepted():
    check_entropy(lambda p: torch.as_tensor(good_entropy(p)))


PAIR_MISTAKES = [
    (check_cross_entropy, lambda p, q: good_ce(q, p), "p and q swapped"),
    (check_cross_entropy, lambda p, q: -_plogq(p, q, np.log).sum(-1), "natural log"),
    (check_cross_entropy, lambda p, q: -np.sum(np.asarray(p) * np.log2(np.asarray(q) + 1e-12), -1), "small epsilon"),
    (check_cross_entropy, lambda p, q: -np.sum(np.asarray(p) * np.log2(q), -1), "0·log 0 gave NaN"),
    (check_kl_divergence, lambda p, q: good_ce(p, q), "that is the cross-entropy"),
    (check_kl_divergence, lambda p, q: good_ce(q, p) - good_entropy(q), "p and q swapped"),
    (check_kl_divergence, lambda p, q: good_entropy(p) - good_ce(p, q), "missing minus sign"),
]


@pytest.mark.parametrize("check, fn, hint", PAIR_MISTAKES, ids=[h for _, _, h in PAIR_MISTAKES])
def test_pair_mistakes_are_named(check, fn, hint):
    assert hint in failure(check, fn)


HUFFMAN_MISTAKES = [
    (lambda p: ["0" * n for n in _reference_lengths(p)], "codewords (strings)"),
    (lambda p: sorted(_reference_lengths(p)), "wrong order"),
    (lambda p: [1] * len(p), "Kraft"),
    (lambda p: [math.ceil(-math.log2(x)) + 1 for x in p], "not an optimal code"),
    (lambda p: _reference_lengths(p)[:-1], "one length per symbol"),
    (lambda p: 3, "one length per symbol"),
    (lambda p: dict(enumerate(_reference_lengths(p))), "returned a dict"),
]


@pytest.mark.parametrize("fn, hint", HUFFMAN_MISTAKES, ids=[h for _, h in HUFFMAN_MISTAKES])
def test_huffman_mistakes_are_named(fn, hint):
    assert hint in failure(check_huffman_lengths, fn)


def test_huffman_reference():
    assert huffman_mean_length([0.5, 0.25, 0.125, 0.125]) == 1.75
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = rng.dirichlet(np.ones(rng.integers(2, 20)))
        mean = huffman_mean_length(p)
        assert info.entropy(p) - 1e-12 <= mean < info.entropy(p) + 1


def test_a_broken_checker_reports_itself_not_the_learner():
    @checker
    def check_broken(fn):
        Checker("broken", fn)
        raise KeyError("oops")

    with pytest.raises(CheckFailed, match="the checker itself failed"):
        check_broken(good_entropy)


def test_failure_renders_without_traceback_in_ipython():
    lines = CheckFailed("entropy([0.5, 0.5]) returned 0.69")._render_traceback_()
    assert len(lines) == 1 and "returned 0.69" in lines[0] and "Traceback" not in lines[0]
    assert issubclass(CheckFailed, AssertionError)


def test_fmt_is_short():
    assert fmt(0.693147) == "0.6931"
    assert fmt(np.zeros((30, 40))) == "<array of shape (30, 40)>"
    assert fmt(list(range(20))).endswith(", ...]")
    assert len(fmt("x" * 100)) < 45
