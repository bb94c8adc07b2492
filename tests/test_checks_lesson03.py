"""Lesson 03's checkers: correct functions pass; each common mistake gets a message that names it."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from course_utils.checks import (
    CheckFailed,
    check_best_smoothing,
    check_heldout_perplexity,
    check_ngram_probs,
    check_perplexity,
)

from check_helpers import fails_with


# -- exercise 1: perplexity ------------------------------------------------------------------------

def perplexity(log_probs, base):
    return base ** (-np.mean(np.asarray(log_probs, dtype=float), axis=-1))


def test_perplexity_passes(capsys):
    check_perplexity(perplexity)
    assert capsys.readouterr().out.startswith("✓ perplexity:")


def test_perplexity_accepts_torch_style_and_list_returns():
    check_perplexity(lambda lp, base: (base ** (-np.mean(np.asarray(lp), axis=-1))).tolist())


@pytest.mark.parametrize("buggy, fragments", [
    (lambda lp, base: 2 ** (-np.mean(lp, axis=-1)), ["mixing bases", "2 ** cross-entropy", "base e (nats)"]),
    (lambda lp, base: np.exp(-np.mean(lp, axis=-1)), ["mixing bases", "np.exp(cross-entropy)", "base 2 (bits)"]),
    (lambda lp, base: -np.mean(lp, axis=-1), ["that is the cross-entropy"]),
    (lambda lp, base: base ** np.mean(lp, axis=-1), ["missing minus sign"]),
    (lambda lp, base: base ** (-np.sum(lp, axis=-1)), ["summed instead of averaging"]),
    (lambda lp, base: 1 / np.mean(base ** np.asarray(lp), axis=-1), ["arithmetic mean of the probabilities", "geometric mean"]),
    (lambda lp, base: np.mean(base ** (-np.asarray(lp)), axis=-1), ["arithmetic mean of 1/p"]),
    (lambda lp, base: base ** (-np.mean(np.maximum(lp, -20), axis=-1)), ["expected inf", "epsilon"]),
    (lambda lp, base: base ** (-np.mean(lp)), ["averaged over the whole batch", "axis=-1"]),
    (lambda lp, base: base ** (-np.mean(lp, axis=0)), ["axis 0"]),
])
def test_perplexity_mistakes_are_named(buggy, fragments):
    fails_with(check_perplexity, lambda lp, base: buggy(np.asarray(lp, dtype=float), base), *fragments)


# -- exercise 2: n-gram probabilities --------------------------------------------------------------

def ngram_probs(train_text, context, n, k, alphabet):
    c = context[len(context) - (n - 1):]
    grams = Counter(train_text[i:i + n] for i in range(len(train_text) - n + 1))
    joint = np.array([grams[c + x] for x in alphabet], dtype=float)
    return (joint + k) / (joint.sum() + k * len(alphabet))


def _ngram_variant(context_of=None, denominator=None, result=None):
    """ngram_probs with one part replaced by a learner's likely mistake."""
    def fn(train_text, context, n, k, alphabet):
        c = context_of(context, n) if context_of else context[len(context) - (n - 1):]
        grams = Counter(train_text[i:i + len(c) + 1] for i in range(len(train_text) - len(c)))
        joint = np.array([grams[c + x] for x in alphabet], dtype=float)
        denom = denominator(train_text, c, joint, k, len(alphabet)) if denominator else joint.sum() + k * len(alphabet)
        probs = (joint + k) / denom
        return result(probs, joint, alphabet) if result else probs
    return fn


def test_ngram_probs_passes(capsys):
    check_ngram_probs(ngram_probs)
    assert capsys.readouterr().out.startswith("✓ ngram_probs:")


@pytest.mark.parametrize("buggy, fragments", [
    (_ngram_variant(context_of=lambda ctx, n: ctx[-(n - 1):]), ["context[-0:]", "n = 1"]),
    (_ngram_variant(context_of=lambda ctx, n: ctx[-n:]), ["last n = 2 characters", "n - 1 = 1"]),
    (_ngram_variant(context_of=lambda ctx, n: ctx if n > 1 else ""), ["whole context"]),
    (_ngram_variant(denominator=lambda t, c, joint, k, V: joint.sum()), ["not just count(context)"]),
    (_ngram_variant(denominator=lambda t, c, joint, k, V: joint.sum() + k), ["not + k"]),
    (_ngram_variant(denominator=lambda t, c, joint, k, V: (t.count(c) if c else joint.sum()) + k * V),
     ["only the occurrences that a character follows", "str.count"]),
    (_ngram_variant(denominator=lambda t, c, joint, k, V: joint.sum() + k * V if len(c) < 2 else t.count(c) + k * V),
     ["str.count skips overlapping"]),
    (_ngram_variant(result=lambda probs, joint, alphabet: joint / joint.sum() if joint.sum() else probs), ["ignored k"]),
    (_ngram_variant(denominator=lambda t, c, joint, k, V: sum(t[i:i + len(c)] == c for i in range(len(t) - len(c) + 1)) + k * V),
     ["only the occurrences that a character follows"]),
    (_ngram_variant(result=lambda probs, joint, alphabet: joint), ["look like counts"]),
    (_ngram_variant(result=lambda probs, joint, alphabet: dict(zip(alphabet, probs))), ["returned a dict"]),
    (_ngram_variant(result=lambda probs, joint, alphabet: np.sort(probs)), ["wrong order"]),
    (_ngram_variant(result=lambda probs, joint, alphabet: probs[:-1]), ["one probability per character"]),
])
def test_ngram_probs_mistakes_are_named(buggy, fragments):
    fails_with(check_ngram_probs, buggy, *fragments)


def test_ngram_probs_nan_is_explained():
    fails_with(check_ngram_probs, lambda train_text, context, n, k, alphabet: np.full(len(alphabet), np.nan), "NaN", "0/0")


# -- exercise 3: held-out perplexity ---------------------------------------------------------------

def heldout_perplexity(train_text, test_text, n, k, alphabet, *, start=None, score=None, finish=None):
    score = test_text if score is None else score
    first = n - 1 if start is None else start
    logs = [math.log2(ngram_probs(train_text, score[max(0, i - n + 1):i], n, k, alphabet)[alphabet.index(score[i])])
            for i in range(first, len(score))]
    return finish(np.array(logs)) if finish else 2 ** (-np.mean(logs))


def test_heldout_perplexity_passes(capsys):
    check_heldout_perplexity(heldout_perplexity)
    assert capsys.readouterr().out.startswith("✓ heldout_perplexity:")


@pytest.mark.parametrize("kwargs, fragments", [
    ({"finish": lambda logs: -logs.mean()}, ["cross-entropy in bits"]),
    ({"finish": lambda logs: -logs.mean() * math.log(2)}, ["cross-entropy in nats"]),
    ({"finish": lambda logs: math.exp(-logs.mean())}, ["mixing bases"]),
    ({"finish": lambda logs: 1 / np.mean(2.0 ** logs)}, ["geometric mean"]),
    ({"finish": lambda logs: 2 ** (-logs.sum())}, ["summed instead of averaging"]),
    ({"start": 0}, ["first n - 1 characters"]),
    ({"score": "train"}, ["perplexity on the training text"]),
])
def test_heldout_mistakes_are_named(kwargs, fragments):
    def buggy(train_text, test_text, n, k, alphabet):
        extra = dict(kwargs)
        if extra.get("score") == "train":
            extra["score"] = train_text
        if extra.get("start") == 0 and n == 1:
            extra.pop("start")
        return heldout_perplexity(train_text, test_text, n, k, alphabet, **extra)
    fails_with(check_heldout_perplexity, buggy, *fragments)


def test_heldout_start_zero_with_uniform_short_contexts_is_named():
    """A learner whose ngram_probs gives short contexts no counts (so a uniform guess) starts at 0 too."""
    def buggy(train_text, test_text, n, k, alphabet):
        logs = []
        for i in range(len(test_text)):
            ctx = test_text[max(0, i - n + 1):i]
            probs = ngram_probs(train_text, ctx, n, k, alphabet) if len(ctx) == n - 1 else np.full(len(alphabet), 1 / len(alphabet))
            logs.append(math.log2(probs[alphabet.index(test_text[i])]))
        return 2 ** (-np.mean(logs))
    fails_with(check_heldout_perplexity, buggy, "first n - 1 characters")


# -- exercise 4: best smoothing --------------------------------------------------------------------

def best_smoothing(train_text, valid_text, n, ks, alphabet):
    return ks[int(np.argmin([heldout_perplexity(train_text, valid_text, n, k, alphabet) for k in ks]))]


def test_best_smoothing_passes(capsys):
    check_best_smoothing(best_smoothing)
    assert capsys.readouterr().out.startswith("✓ best_smoothing:")


@pytest.mark.parametrize("buggy, fragments", [
    (lambda tr, va, n, ks, a: best_smoothing(tr, tr, n, ks, a), ["best k on the training text"]),
    (lambda tr, va, n, ks, a: ks[int(np.argmax([heldout_perplexity(tr, va, n, k, a) for k in ks]))], ["*highest*"]),
    (lambda tr, va, n, ks, a: int(np.argmin([heldout_perplexity(tr, va, n, k, a) for k in ks])), ["position of the best k"]),
    (lambda tr, va, n, ks, a: min(heldout_perplexity(tr, va, n, k, a) for k in ks), ["the best perplexity"]),
    (lambda tr, va, n, ks, a: 0.5, ["not one of ks"]),
])
def test_best_smoothing_mistakes_are_named(buggy, fragments):
    fails_with(check_best_smoothing, buggy, *fragments)


# -- what every checker survives -------------------------------------------------------------------

CHECKS = [check_perplexity, check_ngram_probs, check_heldout_perplexity, check_best_smoothing]


def raise_not_implemented(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn, fragment", [
    (raise_not_implemented, "not implemented yet"),
    (lambda *a, **k: None, "returned None"),
    (lambda *a, **k: "4.0", "string"),
    (lambda *a, **k: float("nan"), "NaN"),
    (lambda *a, **k: 1 / 0, "ZeroDivisionError"),
    (lambda *a, **k: [[1.0, 2.0], [3.0, 4.0]], "shape"),
    (42, "needs your function itself"),
    (None, "needs your function itself"),
])
def test_checkers_survive_anything(check, fn, fragment):
    message = fails_with(check, fn)
    if check is check_ngram_probs and fragment == "NaN":
        fragment = "shape"  # a single number is the wrong shape for a distribution
    assert fragment in message, message
