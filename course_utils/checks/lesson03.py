"""Checkers for lesson 03 (perplexity): perplexity from log-probabilities, add-k n-gram probabilities,
held-out perplexity, and choosing the smoothing strength on validation text.

Expected values come from `course_utils.info.perplexity` (tested against PyTorch) and from small
reference implementations here, written with `collections.Counter` independently of the lesson's NumPy code.
Each failure starts with the likely mistake (a short hint), recognised from the value the function returned;
where no known mistake explains it, the message says only what came back and what was expected.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from course_utils import info
from course_utils.checks.core import CheckFailed, Checker, checker, fmt

__all__ = ["check_perplexity", "check_ngram_probs", "check_heldout_perplexity", "check_best_smoothing"]

BASE_NAMES = {2: "2", math.e: "e", 10: "10"}


# -- references ----------------------------------------------------------------------------------

def _grams(text: str, n: int) -> Counter:
    """Every (overlapping) substring of length n."""
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def _addk(train_text: str, ctx: str, k: float, alphabet: str) -> np.ndarray:
    """Add-k estimate of the next character after the context `ctx` (any length), from train_text."""
    grams = _grams(train_text, len(ctx) + 1)
    joint = np.array([grams[ctx + ch] for ch in alphabet], dtype=float)
    total = sum(count for gram, count in grams.items() if gram[:-1] == ctx)  # contexts followed by a character
    with np.errstate(all="ignore"):
        return (joint + k) / (total + k * len(alphabet))


def _context(context: str, n: int) -> str:
    return context[len(context) - (n - 1) :] if n > 1 else ""


def _reference_probs(train_text: str, context: str, n: int, k: float, alphabet: str) -> np.ndarray:
    return _addk(train_text, _context(context, n), k, alphabet)


def _log2_probs(train_text: str, test_text: str, n: int, k: float, alphabet: str, start: int | None = None,
                context_of: Any = None, index_of: Any = None) -> np.ndarray:
    """log2 q of each character of test_text from position `start` (default n - 1) on.

    `context_of(test_text, i)` gives the context used for position i (default: the n - 1 characters before it)."""
    start = n - 1 if start is None else start
    cache: dict[str, np.ndarray] = {}
    out = []
    for i in range(start, len(test_text)):
        ctx = context_of(test_text, i) if context_of else test_text[max(0, i - (n - 1)) : i]
        if ctx not in cache:
            cache[ctx] = _addk(train_text, ctx, k, alphabet)
        with np.errstate(all="ignore"):
            out.append(np.log2(cache[ctx][(index_of or alphabet.index)(test_text[i])]))
    return np.array(out)


def _carried(train_text: str, test_text: str, n: int) -> str:
    """test_text preceded by the last n - 1 characters of train_text (the lesson's way of scoring every character)."""
    return train_text[len(train_text) - (n - 1) :] + test_text if n > 1 else test_text


def _ppl(log2q: np.ndarray) -> float:
    with np.errstate(all="ignore"):
        return float(2.0 ** -np.mean(log2q))


def _reference_heldout(train_text: str, test_text: str, n: int, k: float, alphabet: str) -> float:
    """The sheet's convention: score the characters of test_text from position n - 1 on."""
    return float(info.perplexity(log_probs=_log2_probs(train_text, test_text, n, k, alphabet), base=2))


def _reference_heldout_carried(train_text: str, test_text: str, n: int, k: float, alphabet: str) -> float:
    """The lesson's convention: score every character, the first n - 1 taking context from the end of train_text."""
    return float(info.perplexity(log_probs=_log2_probs(train_text, _carried(train_text, test_text, n), n, k, alphabet),
                                 base=2))


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
    with np.errstate(all="ignore"):
        for used, word in ((2, "2 ** x"), (math.e, "np.exp(x)"), (10, "10 ** x")):
            if used != base:
                mistakes[f"mixing bases? {word}, but the logs are in base {name}"] = used ** ce
        mistakes.update({
            "that is the cross-entropy; perplexity is base ** it": ce,
            "missing minus sign? use base ** (-mean(log_probs))": base ** -ce,
            "negative: -b ** x is -(b ** x) in Python; write b ** (-x)": -(base ** -ce),
            "summed instead of averaging? Perplexity is per token": base ** (-lp.sum(axis=-1)),
            "1 / mean(p) is an arithmetic mean; average log p instead": 1 / np.mean(base ** lp, axis=-1),
            "divided by N - 1? The mean divides the sum by N": base ** (-lp.sum(axis=-1) / (lp.shape[-1] - 1)),
            "mean(1/p) is an arithmetic mean; average log p instead": np.mean(base ** (-lp), axis=-1),
        })
        if base != math.e:
            mistakes["divided by ln(base)? In nats the mean surprise is ce · ln b"] = np.exp(ce / math.log(base))
        if base != 2:
            mistakes["divided by log2(base)? In bits it is ce·log2(b)"] = 2 ** (ce / math.log2(base))
        if lp.ndim == 2 and lp.shape[0] != lp.shape[1]:
            mistakes["divided by len(log_probs), the rows? Divide by shape[-1]"] = \
                base ** (-lp.sum(axis=-1) / lp.shape[0])
    return mistakes


def _not_rounded(c: Checker, text: str, got: float, expected: float) -> None:
    """Fail with a hint if `got` is `expected` rounded to a few decimals (for display, but returned)."""
    if not math.isclose(got, expected, rel_tol=1e-5) and any(got == round(expected, d) for d in range(4)):
        c.fail(f"{text} returned {got:g}, expected {expected:.6g}: return the value unrounded, and round only where "
               "you print it", "rounded the result? Return it unrounded")


PRODUCT_HINT = "np.prod of the probabilities underflowed? Average log p"


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
        try:
            got, text = c.number(list(log_probs), base=base)
            _not_rounded(c, text, got, float(expected))
        except CheckFailed as failure:
            if "AxisError" in failure.message:
                raise CheckFailed(f"{failure.message}: one text is a 1-D array, whose only axis is 0 (or -1); a batch "
                                  "is 2-D with the tokens along axis 1: axis=-1 works for both",
                                  "axis=1 fails on one text (1-D): use axis=-1") from None
            raise
        c.close(text, got, float(expected), unit="choices", rtol=1e-5,
                      mistakes=_perplexity_mistakes(log_probs, base))

    rng = np.random.default_rng(3)
    for base in (2, math.e):
        p = rng.uniform(0.01, 1.0, size=40)
        log_probs = np.log(p) / math.log(base)
        expected = info.perplexity(log_probs=log_probs, base=base)
        got, text = c.number(log_probs, base=base)
        c.close(text, got, float(expected), unit="choices", rtol=1e-5,
                      mistakes=_perplexity_mistakes(log_probs, base))
        c.require(1.0 - 1e-9 <= got <= 1 / p.min() + 1e-9,
                  f"{text} returned {got:.4g}: perplexity lies between 1 (certain of every token) and 1 / (smallest "
                  "probability)")

    got, text = c.number([-1.0, -math.inf], base=2, nan_hint="log-probability -inf should give perplexity inf")
    c.require(got == math.inf, f"{text} returned {got:.4g}, expected inf: a token the model called impossible "
                               "(log-probability -inf) makes the perplexity infinite",
              hint="clipped the log-probabilities or added an epsilon?")

    # A long text: 3,000 tokens whose probabilities multiply to about 2^-6,000, far below the smallest float.
    long_p = rng.uniform(0.05, 0.6, size=3000)
    for base in (2, math.e):
        log_probs = np.log(long_p) / math.log(base)
        expected = info.perplexity(log_probs=log_probs, base=base)
        product = f"the product of these {len(long_p):,} probabilities is about 2^{np.log2(long_p).sum():,.0f}"
        try:
            got, text = c.number(log_probs, base=base)
        except CheckFailed as failure:
            if any(word in failure.message for word in ("ZeroDivisionError", "OverflowError", "returned NaN")):
                raise CheckFailed(f"{failure.message}: {product}, which rounds to 0 (floats stop near 1e-308); the mean "
                                  "of the log-probabilities never under- or overflows", hint=PRODUCT_HINT) from None
            raise
        if not math.isfinite(got) or got == 0:
            c.fail(f"{text} returned {got:.4g} for a text of {len(long_p):,} tokens, expected {expected:.4g}: "
                   f"{product}, which rounds to 0 (floats stop near 1e-308; 1/p multiplied overflows to inf); the mean "
                   "of the log-probabilities never under- or overflows", PRODUCT_HINT)
        c.close(text, got, float(expected), unit="choices", rtol=1e-5,
                      mistakes=_perplexity_mistakes(log_probs, base))

    batch = np.log2(rng.dirichlet(np.ones(4), size=(3, 6)).max(axis=-1))  # 3 texts of 6 tokens each
    hints = {
        (): "averaged over the whole batch? One per row: axis=-1",
        (6,): "averaged over axis 0 (the texts)? Average over axis=-1",
        (3, 6): "one number per token? Average over the last axis first",
        (3, 1): "keepdims=True left an axis of length 1: drop it",
    }
    got_rows, text = c.array(batch, base=2, shape=(3,), shape_hints=hints)
    expected = info.perplexity(log_probs=batch, base=2)
    c.close(text, got_rows, expected, unit="choices, one per row", mistakes=_perplexity_mistakes(batch, 2), rtol=1e-5)
    c.done()


# -- exercise 2: add-k n-gram probabilities --------------------------------------------------------

def _probs_result(c: Checker, text: str, value: Any, alphabet: str) -> np.ndarray:
    if isinstance(value, dict):
        c.fail(f"{text} returned a dict; return an array of probabilities in the order of alphabet, e.g. "
               "np.array([probs[ch] for ch in alphabet])", "return an array in alphabet order, not a dict")
    array = c.to_array(value, text)
    if array.shape != (len(alphabet),):
        c.fail(f"{text} returned shape {array.shape}; expected ({len(alphabet)},): one probability per character of "
               f"the alphabet {alphabet!r}, in its order, unseen characters included",
               "one probability per character of alphabet")
    return array


def _wrong_contexts(context: str, n: int) -> dict[str, str]:
    """The characters a learner conditions on by a likely mistake (hint → that context)."""
    wrong: dict[str, str] = {}
    if n == 1 and context:
        wrong["context[-0:] is the whole string: for n = 1 use ''"] = context
        wrong["conditioned on one character: for n = 1 the context is ''"] = context[-1:]
    if len(context) == n:
        wrong[f"conditioned on n = {n} characters; use the last n - 1"] = context
    elif len(context) > n:
        wrong[f"conditioned on the last n = {n} characters, not n - 1"] = context[-n:]
        wrong["conditioned on the whole context, not its last n - 1"] = context
    if n > 2:
        wrong["conditioned on the last n - 2 characters, not n - 1"] = context[-(n - 2):]
    if n > 1 and len(context) > n - 1:
        wrong["context[:n-1] is the first n - 1 characters; use the last"] = context[: n - 1]
    return wrong


def _context_mistakes(train_text: str, context: str, n: int, k: float, alphabet: str) -> dict[str, np.ndarray]:
    """What the learner gets by conditioning on the wrong characters of the context."""
    return {hint: _addk(train_text, ctx, k, alphabet) for hint, ctx in _wrong_contexts(context, n).items()}


def _nan_probs(c: Checker, text: str, got: np.ndarray, train_text: str, context: str, n: int, k: float,
               alphabet: str) -> None:
    """NaN: 0/0 in the learner's code. With k = 0 that is a context never seen: name the wrong context if one is."""
    if k > 0:
        c.fail(f"{text} returned NaN in {fmt(got)}: with k > 0 the denominator count(context) + k·V is never 0, "
               "even for a context never seen", "0/0? The denominator is count(c) + k·V")
    ctx = _context(context, n)
    seen = sum(1 for i in range(len(train_text) - len(ctx)) if train_text[i : i + len(ctx)] == ctx)
    # a wrong context gives 0/0 if it was never seen, or if it is looked up among the n-grams with the wrong length
    unseen = [hint for hint, wrong in _wrong_contexts(context, n).items()
              if len(wrong) != len(ctx) or np.isnan(_addk(train_text, wrong, k, alphabet)).all()]
    c.fail(f"{text} returned NaN in {fmt(got)}: 0/0, yet the context {ctx!r} (the last n - 1 characters) is followed "
           f"by a character {seen} times in train_text",
           unseen[0] if len(unseen) == 1 and np.isnan(got).all() else "0/0? The denominator is count(c) + k·V")


def _judge_probs(c: Checker, text: str, got: np.ndarray, train_text: str, context: str, n: int, k: float, alphabet: str) -> None:
    if np.isnan(got).any():
        _nan_probs(c, text, got, train_text, context, n, k, alphabet)
    expected = _reference_probs(train_text, context, n, k, alphabet)
    ctx = _context(context, n)
    V = len(alphabet)
    grams = _grams(train_text, len(ctx) + 1)
    joint = np.array([grams[ctx + ch] for ch in alphabet], dtype=float)
    followed = joint.sum()
    if got.max() > 1 + 1e-9 and np.allclose(got, np.round(got)):
        c.fail(f"{text} returned {fmt(got)}, which look like counts; return probabilities "
               "(count(c x) + k) / (count(c) + k·V)", "counts, not probabilities: divide by count(c) + k·V")
    if (got < -1e-12).any():
        c.fail(f"{text} returned a negative probability in {fmt(got)}")
    total = float(got.sum())
    if abs(total - 1) > 1e-6:
        every = sum(1 for i in range(len(train_text) - len(ctx) + 1) if train_text[i : i + len(ctx)] == ctx)
        str_joint = np.array([train_text.count(ctx + ch) for ch in alphabet], dtype=float)
        str_ctx = train_text.count(ctx)  # for ctx = "" Python counts len(train_text) + 1 empty strings
        seen = len(set(train_text))
        with np.errstate(all="ignore"):
            wrong = [
                ("for n = 1, count(c) is len(text), not len(text) + 1",
                 "the empty context occurs at len(text) + 1 positions (str.count('') counts them all), but only "
                 "len(train_text) of them are followed by a character", (joint + k) / (str_ctx + k * V) if not ctx else None),
                ("denominator needs + k·V, not just count(context)",
                 "the denominator is count(c) + k·V: k for each of the V characters", (joint + k) / followed),
                ("denominator needs + k·V (k per character), not + k",
                 "the denominator is count(c) + k·V: k for each of the V characters", (joint + k) / (followed + k)),
                ("count(c) counted a context that nothing follows",
                 "count(c) counts only the occurrences that a character follows (the sum of count(c x) over x); the "
                 "context at the very end of the text predicts nothing", (joint + k) / (every + k * V)),
                ("str.count skips overlapping occurrences of the context",
                 "str.count counts 'aa' in 'aaaa' twice, not 3 times; count(c) is the sum of the n-gram counts "
                 "count(c x) over x", (joint + k) / (str_ctx + k * V)),
                ("str.count skips overlapping n-grams; count every window",
                 "str.count counts 'aa' in 'aaaa' twice, not 3 times; count every window train_text[i:i+n]",
                 (str_joint + k) / (str_ctx + k * V)),
                ("divided by all n-grams: that is P(c x), not P(x | c)",
                 "the denominator is count(c), the n-grams that start with the context, not all n-grams of the text",
                 (joint + k) / (len(train_text) - len(ctx) + k * V)),
                ("divided by all n-grams: that is P(c x), not P(x | c)",
                 "the denominator is count(c), the n-grams that start with the context, not the length of the text",
                 (joint + k) / (len(train_text) + k * V)),
                ("forgot + k in the numerator: (count(c x) + k) / …",
                 "add k to every count, the numerator's count(c x) too, so that the probabilities sum to 1",
                 joint / (followed + k * V)),
                ("V is len(alphabet), not the characters seen in training",
                 f"V = len(alphabet) = {V}, every character the model may predict; the training text has only {seen}",
                 (joint + k) / (followed + k * seen)),
            ]
        for hint, why, value in wrong:
            if value is not None and value.shape == got.shape and np.allclose(got, value, rtol=1e-6, atol=1e-9):
                c.fail(f"{text} returned probabilities that sum to {total:.4g}, not 1: {why}", hint)
        c.fail(f"{text} returned {fmt(got)}, which sums to {total:.4g}, not 1: a distribution over the alphabet adds up "
               f"to 1 (expected {fmt(expected)})")
    mistakes: dict[str, Any] = {}
    if n == 1 and context and k > 0:  # a context looked up among single characters: never found, so uniform
        mistakes["n = 1 has no context: use '' (context[-0:] is all of it)"] = np.full(V, 1 / V)
    if k > 0 and followed > 0:
        mistakes["ignored k? That is the unsmoothed count(c x) / count(c)"] = joint / followed
    mistakes.update(_context_mistakes(train_text, context, n, k, alphabet))
    short = train_text[:-1]
    mistakes["missed the last n-gram? range(len(text) - n + 1)"] = _addk(short, ctx, k, alphabet)
    mistakes["str.count skips overlapping n-grams; count every window"] = \
        (np.array([train_text.count(ctx + ch) for ch in alphabet], dtype=float) + k) / \
        (sum(train_text.count(ctx + ch) for ch in alphabet) + k * V)
    in_sorted_order = _reference_probs(train_text, context, n, k, "".join(sorted(alphabet)))
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9) and np.allclose(got, in_sorted_order, rtol=1e-6, atol=1e-9):
        c.fail(f"{text} returned {fmt(got)}, expected {fmt(expected)}: the right probabilities in sorted order of the "
               "characters; give them in the order of alphabet, probability of alphabet[0] first",
               "sorted the characters? Keep the order of alphabet")
    if not np.allclose(got, expected, rtol=1e-6, atol=1e-9) and np.allclose(np.sort(got), np.sort(expected), rtol=1e-6, atol=1e-9):
        c.fail(f"{text} returned {fmt(got)}, expected {fmt(expected)}: the right probabilities in the wrong order; give "
               "them in the order of alphabet, probability of alphabet[0] first",
               "right numbers, wrong order: follow the order of alphabet")
    c.close(text, got, expected, unit="(one probability per character of the alphabet)", mistakes=mistakes)


@checker
def check_ngram_probs(ngram_probs: Any) -> None:
    """Check `ngram_probs(train_text, context, n, k, alphabet)`: the add-k next-character distribution."""
    c = Checker("ngram_probs", ngram_probs)
    abra, letters = "abracadabra", "abcdr"
    cases = [
        (abra, "a", 2, 0.0, letters),          # maximum likelihood: b 2/4, c 1/4, d 1/4
        (abra, "ra", 2, 0.0, letters),         # only the last character counts
        (abra, "a", 2, 1.0, letters),          # add-one
        (abra, "ca", 1, 0.5, letters),         # unigram: the context is ignored (after 'ca' and 'a' differ)
        (abra, "xyz", 1, 0.5, letters),        # unigram: the context is ignored, even characters never seen
        (abra, "cab", 3, 0.1, letters),        # trigram after "ab"
        (abra, "dd", 3, 0.1, letters),         # a context never seen: uniform
        ("aaaab", "aa", 3, 0.25, "ab"),        # overlapping contexts
        ("abcab", "b", 2, 0.5, "abc"),         # a context at the very end predicts nothing
        (abra, "dabr", 2, 0.5, letters),       # the last bigram of the text, "ra", counts too
        ("abab", "a", 2, 0.5, "abc"),          # a character of the alphabet that training never shows
        (abra, "a", 2, 0.5, "rdcba"),          # an alphabet not in sorted order
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
    """Values of the likely mistakes, under either convention (score from n - 1 on, or carry the context over)."""
    mistakes: dict[str, float] = {}
    for scored in (test_text, _carried(train_text, test_text, n)):
        log2q = _log2_probs(train_text, scored, n, k, alphabet)
        ce = -log2q.mean()
        with np.errstate(all="ignore"):
            found = {
                "that is the cross-entropy in bits; perplexity is 2 ** it": ce,
                "that is the cross-entropy in nats; perplexity is e ** it": ce * math.log(2),
                "mixing bases? np.exp of a cross-entropy in bits": math.exp(ce),
                "mixing bases? 2 ** a cross-entropy in nats (np.log)": 2 ** (ce * math.log(2)),
                "scored train_text; score the characters of test_text": _reference_heldout(train_text, train_text, n, k, alphabet),
                "fitted on test_text; count the n-grams of train_text": _reference_heldout(test_text, test_text, n, k, alphabet),
                "1 / mean(q) is an arithmetic mean; average log q instead": 1 / float(np.mean(2.0 ** log2q)),
                "mean(1/q) is an arithmetic mean; average log q instead": float(np.mean(2.0 ** -log2q)),
                "summed instead of averaging? Perplexity is per character": 2.0 ** (-log2q.sum()),
                "the context included the character being predicted":
                    _ppl(_log2_probs(train_text, scored, n, k, alphabet,
                                     context_of=lambda t, i: t[max(0, i - n + 2) : i + 1] if n > 1 else "")),
            }
            if n > 1:
                found["divided by len(test_text), not by the characters scored"] = \
                    2.0 ** (-log2q.sum() / len(test_text))
                found["started one character late: the first is at index n - 1"] = 2.0 ** (-log2q[1:].mean())
                found["scored the first n - 1 characters too; start at n - 1"] = \
                    _ppl(_log2_probs(train_text, test_text, n, k, alphabet, start=0))
                found["scored the first n - 1 characters (no context)? Start at n-1"] = \
                    2.0 ** (-np.concatenate([np.full(n - 1, -math.log2(len(alphabet))), log2q]).mean())
            if "".join(sorted(alphabet)) != alphabet:
                found["indexed by sorted(alphabet)? Use alphabet.index(ch)"] = _ppl(_log2_probs(
                    train_text, scored, n, k, alphabet, index_of="".join(sorted(alphabet)).index))
            found["context from train_text? Take it from test_text"] = _ppl(_log2_probs(
                train_text, scored, n, k, alphabet, context_of=lambda t, i: train_text[max(0, i - (n - 1)) : i]))
            found["passed q itself, not log2 q, on to perplexity?"] = 2.0 ** -float(np.mean(2.0 ** log2q))
            found["stopped one character early: score up to the last one"] = 2.0 ** (-log2q[:-1].mean())
            if n > 1:
                found["passed n - 1 on? n counts the predicted character too"] = \
                    _ppl(_log2_probs(train_text, scored, n - 1, k, alphabet))
            unsmoothed = _ppl(_log2_probs(train_text, scored, n, 0.0, alphabet))
            if k > 0 and math.isfinite(unsmoothed):
                found["ignored k? That is the unsmoothed model's perplexity"] = unsmoothed
        for hint, value in found.items():
            mistakes.setdefault(hint, value)
    return mistakes


@checker
def check_heldout_perplexity(heldout_perplexity: Any) -> None:
    """Check `heldout_perplexity(train_text, test_text, n, k, alphabet)`: perplexity of test_text under add-k.

    Two conventions pass: score test_text from position n - 1 on (the sheet's), or score every character of it, the
    first n - 1 taking their context from the end of train_text (the lesson's)."""
    c = Checker("heldout_perplexity", heldout_perplexity)
    abra = "abracadabra"
    cases = [
        (abra * 3, "abracadabra", 2, 0.5, "abcdr"),   # every bigram was seen in training
        (abra * 3, "cadabra", 1, 1.0, "abcdr"),
        (abra * 3, "abradacarb", 3, 0.1, "abcdr"),    # unseen trigrams: smoothing keeps it finite
        ("banana bandana", "a banana", 2, 0.2, " abdn"),
        (abra * 3, "abracadabra", 2, 0.5, "rdcba"),   # an alphabet not in sorted order
    ]
    train_text, test_text = _markov_text(600, seed=2), _markov_text(200, seed=3)
    cases += [(train_text, test_text, n, 0.5, "abcd") for n in (1, 2, 3)]
    for train_text, test_text, n, k, alphabet in cases:
        got, text = c.number(train_text, test_text, n, k, alphabet,
                             nan_hint="0/0 somewhere? With k > 0 no probability is 0/0",
                             many_hint="return one perplexity, not one number per character")
        sheet = _reference_heldout(train_text, test_text, n, k, alphabet)
        lesson = _reference_heldout_carried(train_text, test_text, n, k, alphabet)
        if math.isclose(got, lesson, rel_tol=1e-5):
            c.passed += 1
            continue
        _not_rounded(c, text, got, sheet)
        if got == math.inf:
            c.fail(f"{text} returned inf, expected {sheet:.4g}: with k > 0 every character has a probability above 0",
                   "inf: did a probability come out 0? Keep k in")
        c.close(text, got, sheet, unit="choices per character", rtol=1e-5,
                mistakes=_heldout_mistakes(train_text, test_text, n, k, alphabet))
        c.require(1 <= got <= len(alphabet) * 1.5,
                  f"{text} returned {got:.4g}: a smoothed model over {len(alphabet)} characters should land between 1 "
                  f"and a little above {len(alphabet)} choices")
    c.done()


# -- exercise 4: choosing k on validation text -----------------------------------------------------

# a learner who scores train_text, and one who returns min(ks), give the same answer: the hint names both
TRAIN_BEST = "the smallest k: best k on the training text, or min(ks)?"
EARLY_STOP = "stopped at the first rise? Score every k in ks"
SMOOTHING_GRIDS = [[0.001, 0.01, 0.1, 1.0, 10.0], [1.0, 0.001, 10.0, 0.1, 0.01]]


def _first_rise(ks: list[float], scores: list[float]) -> float:
    """The k a loop returns if it stops as soon as a score is higher than the one before."""
    for i in range(1, len(ks)):
        if scores[i] > scores[i - 1]:
            return ks[i - 1]
    return ks[-1]


@checker
def check_best_smoothing(best_smoothing: Any) -> None:
    """Check `best_smoothing(train_text, valid_text, n, ks, alphabet)`: the k in ks with the lowest validation perplexity."""
    c = Checker("best_smoothing", best_smoothing)
    cases = [
        (_markov_text(300, seed=5), _markov_text(300, seed=6), 3, "abcd", 0),     # best k = 0.1
        (_markov_text(120, seed=7), _markov_text(300, seed=8), 2, "abcd", 1),     # best k = 1, listed first
        (_markov_text(400, seed=11), _markov_text(300, seed=12), 4, "abcd", 0),   # best k = 1
        ("abracadabra" * 2, "abradacarbra", 2, "abcdr", 1),                       # best k = 0.1
        (_markov_text(300, seed=5), _markov_text(300, seed=6), 3, "abcd", 1),     # best k = 0.1, listed fourth
    ]
    answers = []
    for train_text, valid_text, n, alphabet, grid in cases:
        ks = list(SMOOTHING_GRIDS[grid])
        scores = [_reference_heldout(train_text, valid_text, n, k, alphabet) for k in ks]
        best = ks[int(np.argmin(scores))]
        # the lesson's convention (every character scored, context carried over from train_text) may pick another k
        also = ks[int(np.argmin([_reference_heldout_carried(train_text, valid_text, n, k, alphabet) for k in ks]))]
        got, text = c.number(train_text, valid_text, n, ks, alphabet, many_hint="return only the best k, one number")
        if got not in ks:
            if float(got).is_integer() and 0 <= got < len(ks) and ks[int(got)] == best:
                c.fail(f"{text} returned {got:g}, the position of the best k in ks; return the k itself, {best:g}",
                       "the index of the best k; return ks[index]")
            if any(abs(got - s) < 1e-6 * s for s in scores):
                c.fail(f"{text} returned {got:.4g}, the best perplexity; return the k that achieves it, {best:g}",
                       "that is the best perplexity; return its k")
            c.fail(f"{text} returned {got:.4g}, which is not one of ks = {ks}: return the best k itself",
                   "return one of the ks")
        listing = ", ".join(f"k = {k:g}: {s:.3f}" for k, s in zip(ks, scores))
        answers.append((got, got in (best, also), f"{text} returned {got:g}, expected {best:g}; validation perplexities: {listing}", {
            TRAIN_BEST:
                ks[int(np.argmin([_reference_heldout(train_text, train_text, n, k, alphabet) for k in ks]))],
            "the k with the *highest* perplexity; lower is better": ks[int(np.argmax(scores))],
            "fitted on valid_text, scored train_text: swapped?":
                ks[int(np.argmin([_reference_heldout(valid_text, train_text, n, k, alphabet) for k in ks]))],
            "returned ks[0]: did the loop return early, or not update?": ks[0],
            EARLY_STOP: _first_rise(ks, scores),
            "returned the last k: keep k only when it is better": ks[-1],
            "indexed sorted(ks) with a position in ks: keep one order": sorted(ks)[int(np.argmin(scores))],
            "scored sorted(ks) but indexed ks: keep one order": ks[int(np.argmin(
                [_reference_heldout(train_text, valid_text, n, k, alphabet) for k in sorted(ks)]))],
            **{f"used n = {other} instead of the n given?": ks[int(np.argmin(
                [_reference_heldout(train_text, valid_text, other, k, alphabet) for k in ks]))]
               for other in (1, 2, 3, 4) if other != n},
        }))
        if got in (best, also):
            c.passed += 1
    wrong = [answer for answer in answers if not answer[1]]
    if wrong:
        # A mistake is named only if it explains every answer, right ones included (several can agree on one case).
        why = {
            TRAIN_BEST: "on the text a model was fitted on, the least "
            "smoothing always wins, so scoring train_text gives min(ks): fit on train_text, score valid_text",
            "the k with the *highest* perplexity; lower is better": "keep the k with the lowest perplexity",
            "fitted on valid_text, scored train_text: swapped?": "fit the model on train_text and score valid_text",
            "returned ks[0]: did the loop return early, or not update?": "keep the k whose perplexity is the lowest so "
            "far, and return after the loop",
            "returned the last k: keep k only when it is better": "update the best k only when its perplexity is lower "
            "than the best so far",
        }
        why["indexed sorted(ks) with a position in ks: keep one order"] = ("sorting ks changes the positions: take "
                                                                           "the k at the best score's position in ks itself")
        why["scored sorted(ks) but indexed ks: keep one order"] = ("sorting ks changes the positions: score the ks in "
                                                                   "the order you index them")
        for hint in why:
            if all(got == mistakes[hint] for got, _, _, mistakes in answers):
                c.fail(f"{wrong[0][2]}. {why[hint]}", hint)
        for other in (1, 2, 3, 4):  # an n fixed in the code: every answer is the best k for that n
            hint = f"used n = {other} instead of the n given?"
            if all(got == mistakes[hint] if hint in mistakes else ok for got, ok, _, mistakes in answers):
                c.fail(f"{wrong[0][2]}. Every answer is the best k for n = {other}: pass n on to heldout_perplexity",
                       hint)
        if all(got == mistakes[EARLY_STOP] for got, _, _, mistakes in answers):  # checked last: no other hint fits
            c.fail(f"{wrong[0][2]}. A rise in validation perplexity does not mean every later k is worse (ks need "
                   "not be sorted): score every k and keep the lowest", EARLY_STOP)
        c.fail(wrong[0][2])
    c.done()
