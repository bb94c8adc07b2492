"""Lesson 01's checkers: right answers written in several ways pass, and realistic wrong answers, written the
way learners write them, each get a message that names *their* mistake first (or, where the wrong value
cannot tell the mistake, a message with no hint at all: never a hint for another mistake)."""

from __future__ import annotations

import heapq
import math
import re

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch

from course_utils import info
from course_utils.checks import (
    CheckFailed,
    check_cross_entropy,
    check_entropy,
    check_huffman_lengths,
    check_kl_divergence,
)
from course_utils.checks import core
from course_utils.checks.core import Checker, checker, fmt
from course_utils.checks.lesson01 import huffman_mean_length

from check_helpers import fails_with


# -- right answers, written in several ways -----------------------------------------------------------------
def entropy(p):
    p = np.asarray(p, dtype=float)
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(p * np.log2(safe), axis=-1)


def cross_entropy(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(q), 0.0)
    return np.sum(terms, axis=-1)


def kl_divergence(p, q):
    return cross_entropy(p, q) - entropy(p)


def huffman_lengths(p):
    heap = [(prob, i, [i]) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    lengths, next_id = [0] * len(p), len(p)
    while len(heap) > 1:
        p0, _, below0 = heapq.heappop(heap)
        p1, _, below1 = heapq.heappop(heap)
        for symbol in below0 + below1:
            lengths[symbol] += 1
        heapq.heappush(heap, (p0 + p1, next_id, below0 + below1))
        next_id += 1
    return lengths


def _entropy_loop(p):
    p = np.asarray(p, dtype=float)
    if p.ndim == 2:
        return np.array([_entropy_loop(row) for row in p])
    return -sum(x * math.log2(x) for x in p if x > 0)


def _kl_rel_entr(p, q):
    return scipy.special.rel_entr(np.asarray(p, float), np.asarray(q, float)).sum(-1) / np.log(2)


def _kl_div_scipy(p, q):  # scipy's kl_div adds -p + q, which sums to zero
    return scipy.special.kl_div(np.asarray(p, float), np.asarray(q, float)).sum(-1) / np.log(2)


def _huffman_dict_tree(p):  # builds the code itself, then measures each codeword
    heap = [(prob, i, {i: ""}) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    k = len(p)
    while len(heap) > 1:
        p0, _, a = heapq.heappop(heap)
        p1, _, b = heapq.heappop(heap)
        merged = {s: "0" + w for s, w in a.items()} | {s: "1" + w for s, w in b.items()}
        heapq.heappush(heap, (p0 + p1, k, merged))
        k += 1
    code = heap[0][2]
    return np.array([len(code[i]) for i in range(len(p))])


CORRECT = {
    "entropy": [
        entropy,
        lambda p: scipy.stats.entropy(np.asarray(p, float), base=2, axis=-1),
        lambda p: scipy.special.entr(np.asarray(p, float)).sum(-1) / np.log(2),
        lambda p: np.nansum(-np.asarray(p, float) * np.log2(p), axis=-1),
        lambda p: -np.sum(np.asarray(p, float) * np.log2(np.asarray(p, float) + 1e-12), axis=-1),  # harmless epsilon
        lambda p: entropy(np.asarray(p, dtype=np.float32)).astype(np.float32),  # float32
        lambda p: -torch.special.xlogy(torch.as_tensor(p), torch.as_tensor(p)).sum(-1) / math.log(2),  # torch
        lambda p: torch.distributions.Categorical(probs=torch.as_tensor(p, dtype=torch.float32)).entropy() / math.log(2),
        lambda p: info.entropy(p),
        _entropy_loop,
    ],
    "cross_entropy": [
        cross_entropy,
        lambda p, q: scipy.stats.entropy(np.asarray(p, float), base=2, axis=-1)
        + scipy.stats.entropy(np.asarray(p, float), np.asarray(q, float), base=2, axis=-1),
        lambda p, q: -scipy.special.xlogy(np.asarray(p, float), np.asarray(q, float)).sum(-1) / np.log(2),
        lambda p, q: cross_entropy(np.asarray(p, np.float32), np.asarray(q, np.float32)).astype(np.float32),
        lambda p, q: -torch.special.xlogy(torch.as_tensor(p), torch.as_tensor(q)).sum(-1) / math.log(2),
        lambda p, q: info.cross_entropy(p, q),
    ],
    "kl_divergence": [
        kl_divergence,
        _kl_rel_entr,
        _kl_div_scipy,
        lambda p, q: scipy.stats.entropy(np.asarray(p, float), np.asarray(q, float), base=2, axis=-1),
        lambda p, q: kl_divergence(np.asarray(p, np.float32), np.asarray(q, np.float32)),
        lambda p, q: (torch.special.xlogy(torch.as_tensor(p), torch.as_tensor(p))
                      - torch.special.xlogy(torch.as_tensor(p), torch.as_tensor(q))).sum(-1) / math.log(2),
        lambda p, q: info.kl_divergence(p, q),
    ],
    "huffman_lengths": [
        huffman_lengths,
        lambda p: np.array(huffman_lengths(p)),
        lambda p: tuple(huffman_lengths(p)),
        lambda p: torch.tensor(huffman_lengths(p), dtype=torch.float32, requires_grad=True),  # the example
        lambda p: [np.int64(n) for n in huffman_lengths(p)],
        _huffman_dict_tree,
    ],
}
CHECKS = {"entropy": check_entropy, "cross_entropy": check_cross_entropy, "kl_divergence": check_kl_divergence,
          "huffman_lengths": check_huffman_lengths}


@pytest.mark.parametrize("name, fn", [(n, f) for n, fns in CORRECT.items() for f in fns],
                         ids=[f"{n}-{i}" for n, fns in CORRECT.items() for i in range(len(fns))])
def test_correct_variants_pass(name, fn, capsys):
    CHECKS[name](fn)
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"✓ {name}:") and line.endswith("checks passed"), line


# -- realistic wrong answers ------------------------------------------------------------------------------------
# Each is (checker, learner function, fragment, kind). kind "named": the fragment is in the hint, which leads the
# message; "generic": the wrong value cannot tell the mistake apart, so the message must carry no hint at all.

def e_nats(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=-1)


def e_log10(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log10(np.where(p > 0, p, 1.0)), axis=-1)


def e_no_minus(p):
    p = np.asarray(p, dtype=float)
    return np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=-1)


def e_no_zero_handling(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log2(p), axis=-1)


def e_mask_flattens(p):  # the old checker's own suggestion: a boolean mask flattens a batch
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return -np.sum(p * np.log2(p), axis=-1)


def e_no_axis(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0))


def e_axis_0(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=0)


def e_axis_1(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0), axis=1)


def e_no_sum(p):
    p = np.asarray(p, dtype=float)
    return -p * np.log2(np.where(p > 0, p, 1.0))


def e_mean(p):
    p = np.asarray(p, dtype=float)
    return -np.mean(p * np.log2(np.where(p > 0, p, 1.0)), axis=-1)


def e_unweighted(p):  # "the average surprise", read as a plain mean of -log2 p
    p = np.asarray(p, dtype=float)
    return -np.mean(np.log2(p), axis=-1)


def e_zero_to_one_in_place(p):  # the example: p[p == 0] = 1 on the caller's array
    p = np.asarray(p, dtype=float)
    p[p == 0] = 1
    return -np.sum(np.where(p < 1, p * np.log2(p), 0.0), axis=-1)


def e_loop_1d_only(p):
    return -sum(x * math.log2(x) for x in p if x > 0)


def e_normalise_globally(p):
    p = np.asarray(p, dtype=float)
    p = p / p.sum()  # "to be safe"
    return -np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=-1)


def e_math_log2(p):
    return -np.sum(np.asarray(p) * math.log2(np.asarray(p)), axis=-1)


def e_inf_on_zero(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.nan_to_num(p * np.log2(p), nan=-np.inf), axis=-1)


def e_sum_of_surprises(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(np.log2(p), axis=-1)


def e_scipy_no_axis(p):  # scipy's default axis is 0
    return scipy.stats.entropy(p, base=2)


def e_log2_count(p):
    return np.log2(np.shape(p)[-1]) * np.ones(np.shape(p)[:-1])


def e_perplexity(p):
    return 2 ** entropy(p)


def e_extra_minus(p):  # log2(1/p) is already positive
    p = np.asarray(p, dtype=float)
    return -np.sum(np.where(p > 0, p * np.log2(1 / np.where(p > 0, p, 1.0)), 0.0), axis=-1)


def e_torch_nats(p):
    return torch.distributions.Categorical(probs=torch.as_tensor(p)).entropy()


ENTROPY_MISTAKES = [
    (e_nats, "natural log instead of log2", "named"),
    (e_log10, "log10 instead of log2", "named"),
    (e_no_minus, "missing minus sign", "named"),
    (e_no_zero_handling, "0·log 0 gave NaN", "named"),
    (e_mask_flattens, "p[p > 0] flattens it", "named"),
    (e_no_axis, "or no axis=-1", "named"),
    (e_axis_0, "reduced over axis 0", "named"),
    (e_axis_1, "axis=1 fails on one distribution", "named"),
    (e_no_sum, "forgot to sum", "named"),
    (e_mean, "mean instead of sum", "named"),
    (e_unweighted, "unweighted", "named"),
    (e_sum_of_surprises, "weight each -log2 p by its probability", "named"),
    (e_zero_to_one_in_place, "modified its input in place", "named"),
    (e_loop_1d_only, "fails on a batch", "named"),
    (e_normalise_globally, "p / p.sum() used the batch's total", "named"),
    (e_math_log2, "math.log2 takes one number", "named"),
    (e_inf_on_zero, "an inf from log2 0", "named"),
    (e_scipy_no_axis, "reduced over axis 0", "named"),
    (e_log2_count, "that is log2 K", "named"),
    (e_perplexity, "that is 2^H", "named"),
    (e_extra_minus, "or an extra one", "named"),
    (e_torch_nats, "natural log instead of log2", "named"),
]


def c_swapped(p, q):
    return cross_entropy(q, p)


def c_nats(p, q):
    return cross_entropy(p, q) * math.log(2)


def c_epsilon(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return -np.sum(p * np.log2(q + 1e-12), axis=-1)


def c_mask_q(p, q):  # the example: masking on q > 0
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(q > 0, p * np.log2(q), 0.0), axis=-1)


def c_no_zero_handling(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return -np.sum(p * np.log2(q), axis=-1)


def c_returns_kl(p, q):
    return kl_divergence(p, q)


def c_returns_entropy(p, q):
    return entropy(p)


def c_no_minus(p, q):
    return -cross_entropy(p, q)


def c_dot(p, q):  # fine for one pair, not for a batch
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    with np.errstate(divide="ignore"):
        return -np.dot(np.where(p > 0, p, 0.0), np.where(p > 0, np.log2(np.where(p > 0, q, 1.0)), 0.0))


def c_clip_in_place(p, q):
    q = np.asarray(q, dtype=float)
    q[q == 0] = 1e-12
    return cross_entropy(p, q)


def c_no_axis(p, q):
    return np.sum(cross_entropy(p, q))


def c_mean(p, q):
    return cross_entropy(p, q) / np.shape(p)[-1]


def c_weights_by_q(p, q):
    return entropy(q)


def c_scipy_entropy_pq(p, q):  # scipy.stats.entropy(p, q) is the KL divergence
    return scipy.stats.entropy(p, q, base=2, axis=-1)


def c_clip(p, q):
    return -np.sum(np.asarray(p) * np.log2(np.clip(q, 1e-15, 1)), axis=-1)


def c_nan_to_num(p, q):  # silences the NaN of 0·log 0, and turns inf into 1.8e308 too
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return -np.sum(np.nan_to_num(p * np.log2(q)), axis=-1)


def c_sum_of_entropies(p, q):
    return entropy(p) + entropy(q)




CROSS_ENTROPY_MISTAKES = [
    (c_swapped, "p and q swapped", "named"),
    (c_nats, "natural log instead of log2", "named"),
    (c_epsilon, "small epsilon in the log", "named"),
    (c_mask_q, "masked on q > 0", "named"),
    (c_no_zero_handling, "0·log 0 gave NaN", "named"),
    (c_returns_kl, "that is KL(p‖q)", "named"),
    (c_returns_entropy, "that is H(p)", "named"),
    (c_no_minus, "missing minus sign", "named"),
    (c_dot, "fails on a batch", "named"),
    (c_clip_in_place, "modified its input in place", "named"),
    (c_no_axis, "or no axis=-1", "named"),
    (c_mean, "mean instead of sum", "named"),
    (c_weights_by_q, "that is H(q)", "named"),
    (c_scipy_entropy_pq, "that is KL(p‖q)", "named"),
    (c_clip, "small epsilon in the log", "named"),
    (c_sum_of_entropies, "returned 2.642, expected 2.073 bits", "generic"),
    (c_nan_to_num, "np.nan_to_num?", "named"),
]


def k_returns_ce(p, q):
    return cross_entropy(p, q)


def k_swapped(p, q):
    return kl_divergence(q, p)


def k_sign(p, q):  # log(q/p) instead of log(p/q)
    return entropy(p) - cross_entropy(p, q)


def k_no_zero_handling(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return np.sum(p * np.log2(p / q), axis=-1)


def k_epsilon(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    eps = 1e-10
    return np.sum(p * np.log2((p + eps) / (q + eps)), axis=-1)


def k_mask_q(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    keep = (p > 0) & (q > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(keep, p * np.log2(p / q), 0.0), axis=-1)


def k_rel_entr_in_nats(p, q):
    return scipy.special.rel_entr(np.asarray(p, float), np.asarray(q, float)).sum(-1)


def k_entropy_difference(p, q):
    return entropy(p) - entropy(q)


def k_entropy_difference_other_way(p, q):
    return entropy(q) - entropy(p)


def k_no_axis(p, q):
    return np.sum(kl_divergence(p, q))


def k_mask_flattens(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    keep = p > 0
    p, q = p[keep], q[keep]
    return np.sum(p * np.log2(p / q), axis=-1)


def k_in_place(p, q):
    p = np.asarray(p, dtype=float)
    p[p == 0] = 1e-300  # "avoid log 0"
    return kl_divergence(p, q)


def k_scipy_nats(p, q):
    return scipy.stats.entropy(p, q, axis=-1)


def k_torch_kl_div_mean(p, q):  # default reduction "mean", and nats
    return torch.nn.functional.kl_div(torch.log(torch.as_tensor(q)), torch.as_tensor(p))




KL_MISTAKES = [
    (k_returns_ce, "that is the cross-entropy", "named"),
    (k_swapped, "p and q swapped", "named"),
    (k_sign, "sign flipped", "named"),
    (k_no_zero_handling, "0·log 0 gave NaN", "named"),
    (k_epsilon, "small epsilon in the log", "named"),
    (k_mask_q, "masked on q > 0", "named"),
    (k_rel_entr_in_nats, "natural log instead of log2", "named"),
    (k_entropy_difference, "H(p) - H(q) is not KL", "named"),
    (k_entropy_difference_other_way, "H(q) - H(p) is not KL", "named"),
    (k_no_axis, "or no axis=-1", "named"),
    (k_mask_flattens, "p[p > 0] flattens it", "named"),
    (k_in_place, "modified its input in place", "named"),
    (k_scipy_nats, "natural log instead of log2", "named"),
    (k_torch_kl_div_mean, "returned 0.2116, expected 0.916 bits", "generic"),
]


def h_start_at_one(p):  # the example
    heap = [(prob, i, [i]) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    lengths, next_id = [1] * len(p), len(p)
    while len(heap) > 1:
        p0, _, a = heapq.heappop(heap)
        p1, _, b = heapq.heappop(heap)
        for s in a + b:
            lengths[s] += 1
        heapq.heappush(heap, (p0 + p1, next_id, a + b))
        next_id += 1
    return lengths


def h_most_likely(p):  # the example: a max-heap by mistake
    heap = [(-prob, i, [i]) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    lengths, next_id = [0] * len(p), len(p)
    while len(heap) > 1:
        p0, _, a = heapq.heappop(heap)
        p1, _, b = heapq.heappop(heap)
        for s in a + b:
            lengths[s] += 1
        heapq.heappush(heap, (p0 + p1, next_id, a + b))
        next_id += 1
    return lengths


def h_shannon(p):
    return [math.ceil(-math.log2(x)) for x in p]


def h_ideal(p):
    return [-math.log2(x) for x in p]


def h_sorted_order(p):  # lengths for the symbols sorted by probability, returned in that order
    return [huffman_lengths(p)[i] for i in np.argsort(p)[::-1]]


def h_sort_once(p):  # sorts once, then appends each merged node at the end
    nodes = sorted(([prob, [i]] for i, prob in enumerate(p)), key=lambda n: n[0])
    lengths = [0] * len(p)
    while len(nodes) > 1:
        a, b = nodes.pop(0), nodes.pop(0)
        for s in a[1] + b[1]:
            lengths[s] += 1
        nodes.append([a[0] + b[0], a[1] + b[1]])
    return lengths


def h_never_pushed(p):
    heap = [(prob, i) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    lengths = [0] * len(p)
    while len(heap) > 1:
        _, i = heapq.heappop(heap)
        _, j = heapq.heappop(heap)
        lengths[i] += 1
        lengths[j] += 1
    return lengths


def h_codewords(p):
    return ["0" * n for n in huffman_lengths(p)]


def h_2d(p):  # the example: a wrong shape
    return np.array([huffman_lengths(p)])


def h_dict(p):
    return dict(enumerate(huffman_lengths(p)))


def h_sorted_p_in_place(p):
    p.sort()  # sorts the caller's list
    return huffman_lengths(p)


def h_peeks_never_pops(p):  # looks at the two smallest nodes but never takes them out: the loop never ends
    heap = [(prob, i, [i]) for i, prob in enumerate(p)]
    heapq.heapify(heap)
    lengths = [0] * len(p)
    while len(heap) > 1:
        (_, _, a), (_, _, b) = heap[0], heap[1]
        for s in a + b:
            lengths[s] += 1
    return lengths


def h_unary(p):  # 0, 10, 110, ... by rank: a valid code, optimal only for some p
    ranks = np.argsort(np.argsort(-np.asarray(p)))
    return [int(r) + 1 if r < len(p) - 1 else len(p) - 1 for r in ranks]



HUFFMAN_MISTAKES = [
    (h_start_at_one, "every length is 1 too long", "named"),
    (h_most_likely, "merged the two most likely nodes", "named"),
    (h_shannon, "Shannon's lengths", "named"),
    (h_ideal, "ideal lengths", "named"),
    (h_sorted_order, "wrong order", "named"),
    (h_sort_once, "merged node must go back in order", "named"),
    (h_never_pushed, "merged nodes never pushed back", "named"),
    (h_codewords, "codewords (strings)", "named"),
    (h_2d, "one length per symbol (a flat list)", "named"),
    (h_dict, "not a dict", "named"),
    (h_sorted_p_in_place, "modified its input in place", "named"),
    (h_unary, "a code of mean length 2.1 bits; Huffman's is 2", "generic"),
    (h_peeks_never_pops, "an endless loop?", "named"),
]


ALL_MISTAKES = {
    "entropy": (check_entropy, ENTROPY_MISTAKES),
    "cross_entropy": (check_cross_entropy, CROSS_ENTROPY_MISTAKES),
    "kl_divergence": (check_kl_divergence, KL_MISTAKES),
    "huffman_lengths": (check_huffman_lengths, HUFFMAN_MISTAKES),
}
PLANTED = [(name, check, fn, fragment, kind) for name, (check, mistakes) in ALL_MISTAKES.items()
           for fn, fragment, kind in mistakes]


@pytest.fixture
def short_time_limit(monkeypatch):
    monkeypatch.setattr(core, "TIME_LIMIT", 0.5)  # an endless loop is stopped after half a second


@pytest.mark.parametrize("name, check, fn, fragment, kind", PLANTED, ids=[f"{p[0]}-{p[2].__name__}" for p in PLANTED])
def test_realistic_mistakes_are_named(name, check, fn, fragment, kind, short_time_limit):
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


# -- the framework, as lesson 01 uses it ------------------------------------------------------------------------
def test_not_implemented_stub():
    def stub(p):
        raise NotImplementedError()

    message = fails_with(check_entropy, stub)
    assert message.startswith("entropy: not implemented yet")


def test_passing_a_value_instead_of_the_function():
    assert "needs your function itself" in fails_with(check_entropy, 1.0)
    assert "needs your function itself" in fails_with(check_entropy, None)


def test_changing_the_callers_input_fails_with_a_message_that_says_so():
    def mutating(p):
        p = np.asarray(p)
        result = entropy(p)
        p[...] = 0  # scribbles over its argument
        return result

    fails_with(check_entropy, mutating, "modified its input in place")


@pytest.mark.parametrize("check", list(CHECKS.values()))
@pytest.mark.parametrize("fn, fragment", [
    (lambda *a: None, "return` statement missing"),
    (lambda *a: "1.0", "string"),
    (lambda *a: {"h": 1}, "dict" ),
    (lambda *a: 1 / 0, "raised ZeroDivisionError"),
    (lambda *a: np.array([1 + 1j]), "complex"),
])
def test_odd_results_get_a_message(check, fn, fragment):
    if check is not check_huffman_lengths and fragment == "dict":
        fragment = "not a number"
    fails_with(check, fn, fragment)


def test_nan_and_many_numbers():
    fails_with(check_entropy, lambda p: float("nan"), "returned NaN")
    fails_with(check_entropy, lambda p: [1.0, 2.0, 3.0, 4.0], "expected a single number")
    fails_with(check_huffman_lengths, lambda p: [1.0] * (len(p) - 1), "one length per symbol")
    fails_with(check_huffman_lengths, lambda p: 3, "3")


@pytest.mark.parametrize("offset", [2.5e-5, 4e-5, 1e-4])
def test_arrays_that_differ_slightly_never_look_identical(offset):
    def slightly_off(p):
        h = entropy(p)
        return h + offset if np.ndim(p) == 2 else h

    message = fails_with(check_entropy, slightly_off)
    if "the largest at" not in message:
        shown = re.search(r"returned (\[.*?\]), expected (\[.*?\])", message)
        assert shown and shown.group(1) != shown.group(2), message


def test_huffman_reference():
    assert huffman_mean_length([0.5, 0.25, 0.125, 0.125]) == 1.75
    assert huffman_mean_length([0.3, 0.2, 0.3, 0.2], most_likely=True) == pytest.approx(2.4)
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = rng.dirichlet(np.ones(rng.integers(2, 20)))
        mean = huffman_mean_length(p)
        assert info.entropy(p) - 1e-12 <= mean < info.entropy(p) + 1
        assert mean == pytest.approx(float(np.dot(p, huffman_lengths(list(p)))))


def test_a_broken_checker_reports_itself_not_the_learner():
    @checker
    def check_broken(fn):
        Checker("broken", fn)
        raise KeyError("oops")

    with pytest.raises(CheckFailed, match="the checker itself failed"):
        check_broken(entropy)


def test_failure_renders_without_traceback_in_ipython():
    lines = CheckFailed("entropy([0.5, 0.5]) returned 0.69")._render_traceback_()
    assert len(lines) == 1 and "returned 0.69" in lines[0] and "Traceback" not in lines[0]
    assert issubclass(CheckFailed, AssertionError)


def test_fmt_is_short():
    assert fmt(0.693147) == "0.6931"
    assert fmt(np.zeros((30, 40))) == "<array of shape (30, 40)>"
    assert fmt(list(range(20))).endswith(", ...]")
    assert len(fmt("x" * 100)) < 45


# -- a blind tester's wrong answers (sheets 01-03 fix pass) ------------------------------------------------

def entropy_log2_where_without_out(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log2(p, where=p > 0), axis=-1)  # no out=: where p = 0 the output is uninitialised


def cross_entropy_log2_where_without_out(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    return -np.sum(p * np.log2(q, where=p > 0), axis=-1)


def entropy_log2_where_with_out(p):
    p = np.asarray(p, dtype=float)
    return -np.sum(p * np.log2(p, where=p > 0, out=np.zeros_like(p)), axis=-1)


@pytest.mark.parametrize("attempt", range(5))  # it read whatever memory held: it must fail every time, not by luck
def test_where_without_out_fails_every_run(attempt):
    fails_with(check_entropy, entropy_log2_where_without_out, "without out= leaves garbage")
    fails_with(check_cross_entropy, cross_entropy_log2_where_without_out, "without out= leaves garbage")


def test_where_with_out_passes_and_plain_nan_keeps_its_hint():
    check_entropy(entropy_log2_where_with_out)
    fails_with(check_entropy, lambda p: -np.sum(np.asarray(p) * np.log2(p), axis=-1), "0·log 0 gave NaN")


def kl_cross_plus_entropy(p, q):
    return cross_entropy(p, q) + entropy(p)


def kl_ratio(p, q):
    return cross_entropy(p, q) / entropy(p)


@pytest.mark.parametrize("fn, fragment", [
    (kl_cross_plus_entropy, "KL subtracts: H(p, q) - H(p)"),
    (kl_ratio, "a ratio? KL is the difference"),
])
def test_blind_kl_mistakes_are_named(fn, fragment):
    fails_with(check_kl_divergence, fn, fragment)


def huffman_arrays_in_heap(p):
    heap = [(float(x), np.array([i])) for i, x in enumerate(p)]
    heapq.heapify(heap)
    lengths = [0] * len(p)
    while len(heap) > 1:
        a, first = heapq.heappop(heap)
        b, second = heapq.heappop(heap)
        for s in np.concatenate([first, second]):
            lengths[s] += 1
        heapq.heappush(heap, (a + b, np.concatenate([first, second])))
    return lengths


def test_huffman_ties_between_arrays_are_named():
    fails_with(check_huffman_lengths, huffman_arrays_in_heap, "a tie compared arrays?")


def test_where_without_out_is_read_from_the_source_not_from_luck():
    from course_utils.checks._judge import uses_where_without_out

    assert uses_where_without_out(entropy_log2_where_without_out)
    assert not uses_where_without_out(entropy_log2_where_with_out)
    assert not uses_where_without_out(lambda p: np.sum(p, where=np.asarray(p) > 0))  # a reduction's where= is fine
    assert not uses_where_without_out(np.log2)  # no Python source: nothing to read, nothing claimed
