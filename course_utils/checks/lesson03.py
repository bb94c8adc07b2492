"""Checkers for lesson 03 (perplexity): perplexity from log-probabilities, add-k n-gram probabilities,
held-out perplexity, and choosing the smoothing strength on validation text.

Expected values come from `course_utils.info.perplexity` (tested against PyTorch) and from small
reference implementations here, written with `collections.Counter` independently of the lesson's NumPy code.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks.core import CheckFailed, Checker, checker, fmt

__all__ = ["check_perplexity", "check_ngram_probs", "check_heldout_perplexity", "check_best_smoothing"]

BASE_NAMES = {2: "2 (bits)", math.e: "e (nats)", 10: "10"}


# -- references ----------------------------------------------------------------------------------

def _addk(train_text: str, ctx: str, k: float, alphabet: str) -> np.ndarray:
    """Add-k estimate of the next character after the context `ctx` (any length), from train_text."""
    n = len(ctx) + 1
    grams = Counter(train_text[i : i + n] for i in range(len(train_text) - n + 1))
    joint = np.array([grams[ctx + ch] for ch in alphabet], dtype=float)
    total = sum(count for gram, count in grams.items() if gram[:-1] == ctx)  # contexts followed by a character
    return (joint + k) / (total + k * len(alphabet))


def _context(context: str, n: int) -> str:
    return context[len(context) - (n - 1) :] if n > 1 else ""


def _reference_probs(train_text: str, context: str, n: int, k: float, alphabet: str) -> np.ndarray:
    return _addk(train_text, _context(context, n), k, alphabet)


def _log2_probs(train_text: str, test_text: str, n: int, k: float, alphabet: str, start: int | None = None) -> np.ndarray:
    """log2 q of each character of test_text from position `start` (default n - 1) on."""
    start = n - 1 if start is None else start
    cache: dict[str, np.ndarray] = {}
    out = []
    for i in range(start, len(test_text)):
        ctx = test_text[max(0, i - (n - 1)) : i]
        if ctx not in cache:
            cache[ctx] = _addk(train_text, ctx, k, alphabet)
        out.append(math.log2(cache[ctx][alphabet.index(test_text[i])]))
    return np.array(out)


def _reference_heldout(train_text: str, test_text: str, n: int, k: float, alphabet: str) -> float:
    return float(info.perplexity(log_probs=_log2_probs(train_text, test_text, n, k, alphabet), base=2))


def _markov_text(length: int, seed: int, alphabet: str = "abcd") -> str:
    """Text from one fixed random Markov chain over `alphabet`; different seeds give different samples of it."""
    from course_utils.data import markov_source

    symbols = markov_source(len(alphabet), concentration=0.4, seed=0).sample(length, seed=seed)
    return "".join(alphabet[s] for s in symbols)


# -- exercise 1: perplexity ------------------------------------------------------------------------

def _perplexity_mistakes(log_probs: np.ndarray, base: float) -> dict[str, Any]:
    """What a perplexity function returns for these per-token log-probabilities (in `base`) if it slips."""
    lp = np.asarray(log_probs, dtype=float)
    ce = -lp.mean(axis=-1)
    name = BASE_NAMES.get(base, f"{base:g}")
    mistakes: dict[str, Any] = {}
    for used, word in ((2, "2 ** cross-entropy (right only for bits)"), (math.e, "np.exp(cross-entropy) (right only for nats)"),
                       (10, "10 ** cross-entropy")):
        if used != base:
            mistakes[f"mixing bases? That is {word}, but these log-probabilities are in base {name}: raise the given "
                     f"base to the cross-entropy, base ** (-mean(log_probs))"] = used ** ce
    with np.errstate(all="ignore"):
        mistakes.update({
            "that is the cross-entropy (the mean surprise); perplexity is base ** cross-entropy": ce,
            "a missing minus sign? log-probabilities are negative, so the cross-entropy is -mean(log_probs)": base ** -ce,
            "summed instead of averaging? Perplexity is per token: use the mean of the log-probabilities": base ** (-lp.sum(axis=-1)),
            "that is 1 / (arithmetic mean of the probabilities); perplexity is a geometric mean: "
            "exponentiate the mean log-probability": 1 / np.mean(base ** lp, axis=-1),
            "that is the arithmetic mean of 1/p; perplexity is a geometric mean: exponentiate the mean log-probability":
                np.mean(base ** (-lp), axis=-1),
        })
    return mistakes


@checker
def check_perplexity(perplexity: Any) -> None:
    """Check `perplexity(log_probs, base)`: base ** (-mean of the per-token log-probabilities), along the last axis."""
    c = Checker("perplexity", perplexity)
    cases = [
        (np.log2([1 / 2, 1 / 8, 1 / 2, 1 / 8]), 2),          # perplexity 4: a geometric mean
        (np.log([1 / 2, 1 / 4, 1 / 8, 1 / 2]), math.e),       # the same idea in nats
        (np.log10([0.9, 0.05, 0.3, 0.6, 0.25]), 10),
        (np.log2(np.full(7, 1 / 6)), 2),                      # a fair die: 6 in any base
        (np.log(np.full(5, 1 / 6)), math.e),
    ]
    for log_probs, base in cases:
        expected = info.perplexity(log_probs=log_probs, base=base)
        got, text = c.number(list(log_probs), base=base)
        c.close(text, got, expected, unit="choices", mistakes=_perplexity_mistakes(log_probs, base))

    rng = np.random.default_rng(3)
    for base in (2, math.e):
        p = rng.uniform(0.01, 1.0, size=40)
        log_probs = np.log(p) / math.log(base)
        expected = info.perplexity(log_probs=log_probs, base=base)
        got, text = c.number(log_probs, base=base)
        c.close(text, got, expected, unit="choices", mistakes=_perplexity_mistakes(log_probs, base))
        c.require(1.0 - 1e-9 <= got <= 1 / p.min() + 1e-9,
                  f"{text} returned {got:.4g}: perplexity lies between 1 (certain of every token) and 1 / (smallest probability)")

    got, text = c.number([-1.0, -math.inf], base=2, nan_hint="a token with probability 0 should give perplexity inf")
    c.require(got == math.inf, f"{text} returned {got:.4g}, expected inf: a token the model called impossible "
                               "(log-probability -inf) makes the perplexity infinite. Did you clip or add an epsilon?")

    batch = np.log2(rng.dirichlet(np.ones(4), size=(3, 6)).max(axis=-1))  # 3 texts of 6 tokens each
    hints = {
        (): "it averaged over the whole batch; each row is one text: average over the last axis (axis=-1)",
        (6,): "it averaged over axis 0 (the texts) instead of the last axis (the tokens of each text)",
        (3, 6): "it returned one number per token; average the log-probabilities over the last axis first",
    }
    got_rows, text = c.array(batch, base=2, shape=(3,), shape_hints=hints)
    expected = info.perplexity(log_probs=batch, base=2)
    c.close(text, got_rows, expected, unit="choices, one per row", mistakes=_perplexity_mistakes(batch, 2))
    c.done()


# -- exercise 2: add-k n-gram probabilities --------------------------------------------------------

def _probs_result(c: Checker, text: str, value: Any, alphabet: str) -> np.ndarray:
    if isinstance(value, dict):
        raise CheckFailed(f"{text} returned a dict; return an array of probabilities in the order of alphabet, "
                          "e.g. np.array([probs[ch] for ch in alphabet])")
    array = c.to_array(value, text)
    if array.shape != (len(alphabet),):
        raise CheckFailed(f"{text} returned shape {array.shape}; expected ({len(alphabet)},): one probability per "
                          f"character of the alphabet {alphabet!r}")
    if np.isnan(array).any():
        raise CheckFailed(f"{text} returned NaN in {fmt(array)}: 0/0? With k > 0 the denominator count(context) + k·V "
                          "is never 0, even for a context never seen")
    return array


def _judge_probs(c: Checker, text: str, got: np.ndarray, train_text: str, context: str, n: int, k: float, alphabet: str) -> None:
    expected = _reference_probs(train_text, context, n, k, alphabet)
    ctx = _context(context, n)
    V = len(alphabet)
    if got.max() > 1 + 1e-9 and np.allclose(got, np.round(got)):
        raise CheckFailed(f"{text} returned {fmt(got)}, which look like counts; return probabilities "
                          f"(count(c x) + k) / (count(c) + k·V)")
    if (got < -1e-12).any():
        raise CheckFailed(f"{text} returned a negative probability in {fmt(got)}")
    total = float(got.sum())
    if abs(total - 1) > 1e-6:
        grams = Counter(train_text[i : i + len(ctx) + 1] for i in range(len(train_text) - len(ctx)))
        joint = np.array([grams[ctx + ch] for ch in alphabet], dtype=float)
        followed = joint.sum()
        every = sum(1 for i in range(len(train_text) - len(ctx) + 1) if train_text[i : i + len(ctx)] == ctx)
        strcount = train_text.count(ctx) if ctx else None
        wrong = {
            "the denominator needs + k·V (k for each of the V characters), not just count(context)":
                (joint + k) / followed if followed else None,
            "the denominator needs + k·V (k for each of the V characters), not + k": (joint + k) / (followed + k),
            "count(context) should count only the occurrences that a character follows (the sum of the n-gram "
            "counts count(c x) over x); the context at the very end of the text predicts nothing. (If you used "
            "str.count: it also skips overlapping occurrences.)": (joint + k) / (every + k * V),
            "str.count skips overlapping occurrences ('aa' occurs 3 times in 'aaaa', str.count says 2); "
            "count(context) is the sum of the n-gram counts count(c x) over x":
                (joint + k) / (strcount + k * V) if strcount is not None and strcount != every else None,
        }
        for why, value in wrong.items():
            if value is not None and np.allclose(got, value, rtol=1e-6, atol=1e-9):
                raise CheckFailed(f"{text} returned probabilities that sum to {total:.4g}, not 1: {why}")
        raise CheckFailed(f"{text} returned {fmt(got)}, which sums to {total:.4g}, not 1: check the denominator "
                          f"count(context) + k·V, where count(context) is the sum of count(c x) over x")
    mistakes: dict[str, Any] = {}
    if k > 0:
        grams = Counter(train_text[i : i + n] for i in range(len(train_text) - n + 1))
        raw = np.array([grams[ctx + ch] for ch in alphabet], dtype=float)
        if raw.sum() > 0:
            mistakes["it ignored k: that is the unsmoothed estimate count(c x) / count(c). Add k to every count "
                     "and k·V to the denominator"] = raw / raw.sum()
    if n == 1 and context:
        mistakes["for n = 1 the context is empty: careful, context[-(n-1):] is context[-0:], which is the whole "
                 "string. Use context[len(context) - (n - 1):]"] = _addk(train_text, context, k, alphabet)
    if len(context) == n:
        mistakes[f"it conditioned on {context!r}, the last n = {n} characters (here the whole context); an n-gram "
                 f"model conditions on the previous n - 1 = {n - 1}, here {ctx!r}"] = _addk(train_text, context, k, alphabet)
    elif len(context) > n:
        mistakes[f"it conditioned on the last n = {n} characters {context[-n:]!r}; an n-gram model conditions on the "
                 f"previous n - 1 = {n - 1}, here {ctx!r}"] = _addk(train_text, context[-n:], k, alphabet)
        mistakes[f"it conditioned on the whole context {context!r}; an n-gram model uses only its last n - 1 = "
                 f"{n - 1} characters, {ctx!r}"] = _addk(train_text, context, k, alphabet)
    if n > 2:
        mistakes[f"it conditioned on {context[-(n - 2):]!r}, the last n - 2 characters; the context is the previous "
                 f"n - 1 = {n - 1}"] = _addk(train_text, context[-(n - 2):], k, alphabet)
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9) and np.allclose(np.sort(got), np.sort(expected), rtol=1e-6, atol=1e-9):
        raise CheckFailed(f"{text} returned the right probabilities in the wrong order: give them in the order of "
                          f"alphabet, probability of alphabet[0] first (expected {fmt(expected)})")
    c.close(text, got, expected, unit="(one probability per character of the alphabet)", mistakes=mistakes,
            hint="compare with (count(c x) + k) / (count(c) + k·V), c = the last n - 1 characters of context")


@checker
def check_ngram_probs(ngram_probs: Any) -> None:
    """Check `ngram_probs(train_text, context, n, k, alphabet)`: the add-k next-character distribution."""
    c = Checker("ngram_probs", ngram_probs)
    abra, letters = "abracadabra", "abcdr"
    cases = [
        (abra, "a", 2, 0.0, letters),          # maximum likelihood: b 2/4, c 1/4, d 1/4
        (abra, "ra", 2, 0.0, letters),         # only the last character counts
        (abra, "a", 2, 1.0, letters),          # add-one
        (abra, "xyz", 1, 0.5, letters),        # unigram: the context is ignored
        (abra, "cab", 3, 0.1, letters),        # trigram after "ab"
        (abra, "dd", 3, 0.1, letters),         # a context never seen: uniform
        ("aaaab", "aa", 3, 0.25, "ab"),        # overlapping contexts
        ("abcab", "b", 2, 0.5, "abc"),         # a context at the very end predicts nothing
    ]
    for train_text, context, n, k, alphabet in cases:
        value, text = c.call(train_text, context, n, k, alphabet)
        got = _probs_result(c, text, value, alphabet)
        _judge_probs(c, text, got, train_text, context, n, k, alphabet)

    rng = np.random.default_rng(4)
    train_text = _markov_text(400, seed=1, alphabet="abcde")
    for n, k in ((1, 0.01), (2, 0.5), (3, 0.05), (4, 2.0)):
        start = int(rng.integers(0, len(train_text) - 8))
        context = train_text[start : start + 6]
        value, text = c.call(train_text, context, n, k, "abcde")
        got = _probs_result(c, text, value, "abcde")
        _judge_probs(c, text, got, train_text, context, n, k, "abcde")
    c.done()


# -- exercise 3: held-out perplexity ---------------------------------------------------------------

def _heldout_mistakes(train_text: str, test_text: str, n: int, k: float, alphabet: str) -> dict[str, float]:
    log2q = _log2_probs(train_text, test_text, n, k, alphabet)
    ce = -log2q.mean()
    mistakes = {
        "that is the cross-entropy in bits per character; perplexity is 2 ** it": ce,
        "that is the cross-entropy in nats; perplexity is its exponential (or 2 ** the cross-entropy in bits)": ce * math.log(2),
        "mixing bases? That is np.exp of the cross-entropy in bits: use 2 ** (bits) or np.exp(nats)": math.exp(ce),
        "that is the perplexity on the training text: score the characters of test_text":
            _reference_heldout(train_text, train_text, n, k, alphabet),
        "that is 1 / (arithmetic mean of the probabilities); perplexity is a geometric mean: "
        "exponentiate the mean log-probability": 1 / float(np.mean(2.0 ** log2q)),
        "summed instead of averaging? Perplexity is per character: use the mean log-probability": 2.0 ** (-log2q.sum()),
    }
    if n > 1:
        all_positions = _log2_probs(train_text, test_text, n, k, alphabet, start=0)
        uniform_first = np.concatenate([np.full(n - 1, -math.log2(len(alphabet))), log2q])
        mistakes["it also scored the first n - 1 characters, which lack a full context; start at position n - 1"] = \
            2.0 ** (-all_positions.mean())
        mistakes["it also scored the first n - 1 characters (with a uniform guess?); they lack a full context, so "
                 "start at position n - 1"] = 2.0 ** (-uniform_first.mean())
        mistakes["it started one position too late: the first character with a full context is at index n - 1"] = \
            2.0 ** (-log2q[1:].mean())
    return mistakes


@checker
def check_heldout_perplexity(heldout_perplexity: Any) -> None:
    """Check `heldout_perplexity(train_text, test_text, n, k, alphabet)`: perplexity of test_text under add-k."""
    c = Checker("heldout_perplexity", heldout_perplexity)
    abra = "abracadabra"
    cases = [
        (abra * 3, "abracadabra", 2, 0.5, "abcdr"),
        (abra * 3, "cadabra", 1, 1.0, "abcdr"),
        (abra * 3, "abradacarb", 3, 0.1, "abcdr"),    # unseen trigrams: smoothing keeps it finite
        ("banana bandana", "a banana", 2, 0.2, " abdn"),
    ]
    for train_text, test_text, n, k, alphabet in cases:
        got, text = c.number(train_text, test_text, n, k, alphabet,
                             nan_hint="NaN: did a probability come out as 0/0? With k > 0 it never should")
        expected = _reference_heldout(train_text, test_text, n, k, alphabet)
        c.close(text, got, expected, unit="choices per character",
                mistakes=_heldout_mistakes(train_text, test_text, n, k, alphabet))

    train_text, test_text = _markov_text(600, seed=2), _markov_text(200, seed=3)
    for n in (1, 2, 3):
        got, text = c.number(train_text, test_text, n, 0.5, "abcd")
        expected = _reference_heldout(train_text, test_text, n, 0.5, "abcd")
        c.close(text, got, expected, unit="choices per character",
                mistakes=_heldout_mistakes(train_text, test_text, n, 0.5, "abcd"))
        c.require(1 <= got <= 4 * 1.5, f"{text} returned {got:.4g}: a smoothed model over 4 characters should land "
                                       "between 1 and a little above 4 choices")
    c.done()


# -- exercise 4: choosing k on validation text -----------------------------------------------------

SMOOTHING_GRID = [0.001, 0.01, 0.1, 1.0, 10.0]


@checker
def check_best_smoothing(best_smoothing: Any) -> None:
    """Check `best_smoothing(train_text, valid_text, n, ks, alphabet)`: the k in ks with the lowest validation perplexity."""
    c = Checker("best_smoothing", best_smoothing)
    cases = [
        (_markov_text(300, seed=5), _markov_text(300, seed=6), 3, "abcd"),     # best k = 0.1
        (_markov_text(120, seed=7), _markov_text(300, seed=8), 2, "abcd"),     # best k = 1
        (_markov_text(400, seed=11), _markov_text(300, seed=12), 4, "abcd"),   # best k = 1
        ("abracadabra" * 2, "abradacarbra", 2, "abcdr"),                       # best k = 0.1
    ]
    for train_text, valid_text, n, alphabet in cases:
        ks = list(SMOOTHING_GRID)
        scores = [_reference_heldout(train_text, valid_text, n, k, alphabet) for k in ks]
        best = ks[int(np.argmin(scores))]
        got, text = c.number(train_text, valid_text, n, ks, alphabet)
        if got == best:
            c.passed += 1
            continue
        on_train = ks[int(np.argmin([_reference_heldout(train_text, train_text, n, k, alphabet) for k in ks]))]
        listing = ", ".join(f"k = {k:g}: {s:.3f}" for k, s in zip(ks, scores))
        if got not in ks:
            if float(got).is_integer() and 0 <= got < len(ks) and ks[int(got)] == best:
                raise CheckFailed(f"{text} returned {got:g}, the position of the best k in ks; return the k itself, {best:g}")
            if any(abs(got - s) < 1e-6 * s for s in scores):
                raise CheckFailed(f"{text} returned {got:.4g}, the best perplexity; return the k that achieves it, {best:g}")
            raise CheckFailed(f"{text} returned {got:.4g}, which is not one of ks = {ks}: return the best k itself")
        if got == on_train:
            raise CheckFailed(f"{text} returned {got:g}, the best k on the training text (where the least smoothing always "
                              f"wins); choose by perplexity on valid_text: {listing}")
        if got == ks[int(np.argmax(scores))]:
            raise CheckFailed(f"{text} returned {got:g}, the k with the *highest* validation perplexity; lower is better: {listing}")
        raise CheckFailed(f"{text} returned {got:g}, expected {best:g}; validation perplexities: {listing}")
    c.done()
