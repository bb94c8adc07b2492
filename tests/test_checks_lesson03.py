"""Lesson 03's checkers: correct functions pass, written any valid way; each realistic mistake gets a message
whose first part (the hint, before " — ") names that mistake.

Every mistake below is written the way a learner writes it, as a whole function, so the test also shows what the
mistake looks like in code."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy import stats

from course_utils.checks import (
    check_best_smoothing,
    check_heldout_perplexity,
    check_ngram_probs,
    check_perplexity,
)

from check_helpers import fails_with, named


# -- exercise 1: perplexity ------------------------------------------------------------------------

def perplexity(log_probs, base):
    log_probs = np.asarray(log_probs, dtype=float)
    return base ** (-np.mean(log_probs, axis=-1))


def perplexity_torch(log_probs, base):
    return base ** (-torch.as_tensor(np.asarray(log_probs), dtype=torch.float64).mean(dim=-1))


def perplexity_float32(log_probs, base):
    return np.float32(base) ** (-np.mean(np.asarray(log_probs, dtype=np.float32), axis=-1))


def perplexity_nats(log_probs, base):
    """Convert to nats first, then exponentiate with e."""
    return np.exp(-np.mean(np.asarray(log_probs, dtype=float) * math.log(base), axis=-1))


def perplexity_gmean(log_probs, base):
    """1 / the geometric mean of the probabilities, with scipy (which works in logs)."""
    return 1 / stats.gmean(np.power(base, np.asarray(log_probs, dtype=float)), axis=-1)


@pytest.mark.parametrize("fn", [perplexity, perplexity_torch, perplexity_float32, perplexity_nats, perplexity_gmean,
                                lambda lp, base: perplexity(lp, base).tolist()],
                         ids=["numpy", "torch", "float32", "via-nats", "scipy-gmean", "list"])
def test_perplexity_correct_variants_pass(fn, capsys):
    check_perplexity(fn)
    assert capsys.readouterr().out.startswith("✓ perplexity:")


def ppl_two_always(log_probs, base):
    return 2 ** (-np.mean(np.asarray(log_probs), axis=-1))


def ppl_exp_always(log_probs, base):
    return np.exp(-np.mean(np.asarray(log_probs), axis=-1))


def ppl_cross_entropy(log_probs, base):
    return -np.mean(np.asarray(log_probs), axis=-1)


def ppl_no_minus(log_probs, base):
    return base ** np.mean(np.asarray(log_probs), axis=-1)


def ppl_precedence(log_probs, base):
    return -base ** np.mean(np.asarray(log_probs), axis=-1)


def ppl_sum(log_probs, base):
    return base ** (-np.sum(np.asarray(log_probs), axis=-1))


def ppl_mean_prob(log_probs, base):
    return 1 / np.mean(base ** np.asarray(log_probs), axis=-1)


def ppl_mean_inverse(log_probs, base):
    return np.mean(base ** -np.asarray(log_probs), axis=-1)


def ppl_divided_by_ln(log_probs, base):
    return np.exp(-np.mean(np.asarray(log_probs), axis=-1) / np.log(base))


def ppl_len(log_probs, base):
    log_probs = np.asarray(log_probs)
    return base ** (-np.sum(log_probs, axis=-1) / len(log_probs))


def ppl_epsilon(log_probs, base):
    return base ** (-np.mean(np.maximum(np.asarray(log_probs), -30), axis=-1))


def ppl_whole_batch(log_probs, base):
    return base ** (-np.mean(log_probs))


def ppl_axis0(log_probs, base):
    return base ** (-np.mean(np.asarray(log_probs), axis=0))


def ppl_prod(log_probs, base):
    """The definition read literally: the N-th root of 1 / the product of the probabilities."""
    probs = np.power(base, np.asarray(log_probs, dtype=float))
    return np.prod(probs, axis=-1) ** (-1 / probs.shape[-1])


def ppl_prod_inverse(log_probs, base):
    probs = np.power(base, np.asarray(log_probs, dtype=float))
    return np.prod(1 / probs, axis=-1) ** (1 / probs.shape[-1])


def ppl_math_prod(log_probs, base):
    probs = [base ** x for x in np.asarray(log_probs, dtype=float)]
    return math.prod(probs) ** (-1 / len(probs))


def ppl_in_place(log_probs, base):
    log_probs = np.asarray(log_probs, dtype=float)
    log_probs *= -1
    return base ** np.mean(log_probs, axis=-1)


@pytest.mark.parametrize("fn, fragment", [
    (ppl_two_always, "mixing bases? 2 ** x, but the logs are in base e"),
    (ppl_exp_always, "mixing bases? np.exp(x), but the logs are in base 2"),
    (ppl_cross_entropy, "that is the cross-entropy"),
    (ppl_no_minus, "missing minus sign"),
    (ppl_precedence, "-(b ** x)"),
    (ppl_sum, "summed instead of averaging"),
    (ppl_mean_prob, "1 / mean(p) is an arithmetic mean"),
    (ppl_mean_inverse, "mean(1/p) is an arithmetic mean"),
    (ppl_divided_by_ln, "divided by ln(base)"),
    (ppl_len, "divided by len(log_probs)"),
    (ppl_epsilon, "clipped the log-probabilities or added an epsilon"),
    (ppl_whole_batch, "averaged over the whole batch"),
    (ppl_axis0, "averaged over axis 0"),
    (ppl_prod, "np.prod of the probabilities underflowed"),
    (ppl_prod_inverse, "np.prod of the probabilities underflowed"),
    (ppl_math_prod, "np.prod of the probabilities underflowed"),
    (ppl_in_place, "modified its input in place"),
    (lambda lp, base: base ** (-np.mean(np.asarray(lp), axis=1)), "axis=1 fails on one text"),
    (lambda lp, base: 2 ** (-np.mean(np.asarray(lp), axis=-1) / np.log2(base)), "divided by log2(base)"),
    (lambda lp, base: base ** (-np.mean(np.asarray(lp), axis=-1, keepdims=True)), "keepdims=True"),
    (lambda lp, base: np.round(base ** (-np.mean(np.asarray(lp), axis=-1)), 2), "rounded the result"),
], ids=lambda x: x.__name__ if callable(x) else None)
def test_perplexity_mistakes_are_named(fn, fragment):
    named(check_perplexity, fn, fragment)


def test_perplexity_underflow_message_says_why():
    message = named(check_perplexity, ppl_prod, "underflowed")
    assert "3,000" in message and "1e-308" in message, message


# -- exercise 2: n-gram probabilities --------------------------------------------------------------

def ngram_probs(train_text, context, n, k, alphabet):
    c = context[len(context) - (n - 1):]
    grams = Counter(train_text[i:i + n] for i in range(len(train_text) - n + 1))
    joint = np.array([grams[c + x] for x in alphabet], dtype=float)
    return (joint + k) / (joint.sum() + k * len(alphabet))


def ngram_probs_loop(train_text, context, n, k, alphabet):
    """Plain loops and a dict, with a separate count of the contexts (those followed by a character)."""
    c = context[-(n - 1):] if n > 1 else ""
    joint = {x: 0 for x in alphabet}
    total = 0
    for i in range(len(train_text) - n + 1):
        if train_text[i:i + n - 1] == c:
            joint[train_text[i + n - 1]] += 1
            total += 1
    return np.array([(joint[x] + k) / (total + k * len(alphabet)) for x in alphabet])


def ngram_probs_torch(train_text, context, n, k, alphabet):
    c = context[len(context) - (n - 1):]
    grams = Counter(train_text[i:i + n] for i in range(len(train_text) - n + 1))
    joint = torch.tensor([grams[c + x] for x in alphabet], dtype=torch.float32)
    return (joint + k) / (joint.sum() + k * len(alphabet))


@pytest.mark.parametrize("fn", [ngram_probs, ngram_probs_loop, ngram_probs_torch, lambda *a: list(ngram_probs(*a))],
                         ids=["counter", "loops", "torch-float32", "list"])
def test_ngram_probs_correct_variants_pass(fn, capsys):
    check_ngram_probs(fn)
    assert capsys.readouterr().out.startswith("✓ ngram_probs:")


def _ngram(context_of=None, grams_of=None, denominator=None, result=None):
    """ngram_probs with one part written the way a learner might get it wrong."""
    def fn(train_text, context, n, k, alphabet):
        c = context_of(context, n) if context_of else context[len(context) - (n - 1):]
        if grams_of:
            joint = np.array(grams_of(train_text, c, alphabet), dtype=float)
        else:
            grams = Counter(train_text[i:i + len(c) + 1] for i in range(len(train_text) - len(c)))
            joint = np.array([grams[c + x] for x in alphabet], dtype=float)
        denom = denominator(train_text, c, joint, k, len(alphabet)) if denominator else joint.sum() + k * len(alphabet)
        probs = (joint + k) / denom
        return result(probs, joint, alphabet) if result else probs
    return fn


def _off_by_one_grams(train_text, c, alphabet):
    n = len(c) + 1
    grams = Counter(train_text[i:i + n] for i in range(len(train_text) - n))  # one window short
    return [grams[c + x] for x in alphabet]


@pytest.mark.parametrize("fn, fragment", [
    (_ngram(context_of=lambda ctx, n: ctx[-(n - 1):]), "context[-0:] is the whole string"),
    (_ngram(context_of=lambda ctx, n: ctx[-n:]), "conditioned on n = 2 characters; use the last n - 1"),
    (_ngram(context_of=lambda ctx, n: ctx if n > 1 else ""), "conditioned on n = 2 characters; use the last n - 1"),
    (_ngram(context_of=lambda ctx, n: ctx[:n - 1]), "context[:n-1] is the first n - 1"),
    (_ngram(context_of=lambda ctx, n: ctx[len(ctx) - (n - 2):] if n > 2 else ctx[len(ctx) - (n - 1):]),
     "conditioned on the last n - 2 characters"),
    (_ngram(denominator=lambda t, c, joint, k, V: joint.sum()), "not just count(context)"),
    (_ngram(denominator=lambda t, c, joint, k, V: joint.sum() + k), "not + k"),
    (_ngram(denominator=lambda t, c, joint, k, V: (t.count(c) if c else joint.sum()) + k * V),
     "count(c) counted a context that nothing follows"),
    (_ngram(denominator=lambda t, c, joint, k, V: joint.sum() + k * V if len(c) < 2 else t.count(c) + k * V),
     "str.count skips overlapping occurrences of the context"),
    (_ngram(grams_of=lambda t, c, alphabet: [t.count(c + x) for x in alphabet]), "str.count skips overlapping n-grams"),
    (_ngram(grams_of=lambda t, c, alphabet: [t.count(c + x) for x in alphabet],
            denominator=lambda t, c, joint, k, V: (t.count(c) if c else len(t)) + k * V),
     "count(c) counted a context that nothing follows"),
    (_ngram(grams_of=_off_by_one_grams), "missed the last n-gram"),
    (_ngram(denominator=lambda t, c, joint, k, V: len(t) - len(c) + k * V), "divided by all n-grams"),
    (_ngram(denominator=lambda t, c, joint, k, V: joint.sum() + k * len(set(t))), "V is len(alphabet)"),
    (_ngram(result=lambda probs, joint, alphabet: joint / joint.sum() if joint.sum() else probs), "ignored k"),
    (_ngram(denominator=lambda t, c, joint, k, V: sum(t[i:i + len(c)] == c for i in range(len(t) - len(c) + 1)) + k * V),
     "count(c) counted a context that nothing follows"),
    (_ngram(result=lambda probs, joint, alphabet: joint), "counts, not probabilities"),
    (_ngram(result=lambda probs, joint, alphabet: dict(zip(alphabet, probs))), "not a dict"),
    (_ngram(result=lambda probs, joint, alphabet: np.sort(probs)), "wrong order"),
    (_ngram(result=lambda probs, joint, alphabet: probs[joint > 0] if (joint > 0).any() else probs),
     "one probability per character"),
    (lambda t, ctx, n, k, alphabet: np.full(len(alphabet), np.nan), "0/0"),
    (_ngram(denominator=lambda t, c, joint, k, V: t.count(c) + k * V if c == "" else joint.sum() + k * V),
     "for n = 1, count(c) is len(text)"),
])
def test_ngram_probs_mistakes_are_named(fn, fragment):
    named(check_ngram_probs, fn, fragment)


# -- exercise 3: held-out perplexity ---------------------------------------------------------------

def heldout_perplexity(train_text, test_text, n, k, alphabet):
    log_probs = []
    for i in range(n - 1, len(test_text)):
        probs = ngram_probs(train_text, test_text[:i], n, k, alphabet)
        log_probs.append(math.log2(probs[alphabet.index(test_text[i])]))
    return perplexity(log_probs, 2)


def heldout_lesson_way(train_text, test_text, n, k, alphabet):
    """Lesson 03's convention: score every character; the first n - 1 take context from the end of train_text."""
    text = train_text[len(train_text) - (n - 1):] + test_text if n > 1 else test_text
    log_probs = [math.log(ngram_probs(train_text, text[:i], n, k, alphabet)[alphabet.index(text[i])])
                 for i in range(n - 1, len(text))]
    return perplexity(log_probs, math.e)


def heldout_torch(train_text, test_text, n, k, alphabet):
    q = torch.stack([torch.as_tensor(ngram_probs(train_text, test_text[:i], n, k, alphabet))[alphabet.index(test_text[i])]
                     for i in range(n - 1, len(test_text))])
    return torch.exp(-torch.log(q).mean())


@pytest.mark.parametrize("fn", [heldout_perplexity, heldout_lesson_way, heldout_torch],
                         ids=["sheet-convention", "lesson-convention", "torch"])
def test_heldout_correct_variants_pass(fn, capsys):
    check_heldout_perplexity(fn)
    assert capsys.readouterr().out.startswith("✓ heldout_perplexity:")


def _heldout(*, start=None, context_of=None, fit=None, score=None, k_used=None, base=2, finish=None):
    """heldout_perplexity with one part written the way a learner might get it wrong."""
    def fn(train_text, test_text, n, k, alphabet):
        fitted = fit(train_text, test_text) if fit else train_text
        scored = score(train_text, test_text) if score else test_text
        first = n - 1 if start is None else start(n)
        logs = []
        for i in range(first, len(scored)):
            ctx = context_of(scored, i, n) if context_of else scored[:i]
            probs = ngram_probs(fitted, ctx, n, k if k_used is None else k_used, alphabet)
            logs.append(math.log(probs[alphabet.index(scored[i])], base))
        logs = np.array(logs)
        return finish(logs, test_text) if finish else base ** (-logs.mean())
    return fn


def heldout_uniform_start(train_text, test_text, n, k, alphabet):
    logs = []
    for i in range(len(test_text)):
        ctx = test_text[max(0, i - n + 1):i]
        probs = ngram_probs(train_text, ctx, n, k, alphabet) if len(ctx) == n - 1 else np.full(len(alphabet), 1 / len(alphabet))
        logs.append(math.log2(probs[alphabet.index(test_text[i])]))
    return 2 ** (-np.mean(logs))


def heldout_unsmoothed(train_text, test_text, n, k, alphabet):
    """k forgotten: fine while every n-gram of test_text was seen, log 0 on the first one that was not."""
    return _heldout(k_used=0.0)(train_text, test_text, n, k, alphabet)


@pytest.mark.parametrize("fn, fragment", [
    (_heldout(finish=lambda logs, t: -logs.mean()), "cross-entropy in bits"),
    (_heldout(base=math.e, finish=lambda logs, t: -logs.mean()), "cross-entropy in nats"),
    (_heldout(finish=lambda logs, t: math.exp(-logs.mean())), "np.exp of a cross-entropy in bits"),
    (_heldout(base=math.e, finish=lambda logs, t: 2 ** (-logs.mean())), "2 ** a cross-entropy in nats"),
    (_heldout(finish=lambda logs, t: 1 / np.mean(2.0 ** logs)), "1 / mean(q) is an arithmetic mean"),
    (_heldout(finish=lambda logs, t: np.mean(2.0 ** -logs)), "mean(1/q) is an arithmetic mean"),
    (_heldout(finish=lambda logs, t: 2 ** (-logs.sum())), "summed instead of averaging"),
    (_heldout(finish=lambda logs, t: 2 ** (-logs.sum() / len(t))), "divided by len(test_text)"),
    (_heldout(start=lambda n: 0, context_of=lambda s, i, n: s[max(0, i - n + 1):i]),
     "scored the first n - 1 characters"),
    (heldout_uniform_start, "scored the first n - 1 characters"),
    (_heldout(start=lambda n: n), "started one character late"),
    (_heldout(context_of=lambda s, i, n: s[:i + 1]), "the context included the character being predicted"),
    (_heldout(score=lambda tr, te: tr), "scored train_text"),
    (_heldout(fit=lambda tr, te: te), "fitted on test_text"),
    (heldout_unsmoothed, "ignored k"),
    (lambda tr, te, n, k, a: round(heldout_perplexity(tr, te, n, k, a), 2), "rounded the result"),
    (_heldout(score=lambda tr, te: te[:-1]), "stopped one character early"),
    (lambda tr, te, n, k, a: heldout_perplexity(tr, te, max(n - 1, 1), k, a), "passed n - 1 on"),
])
def test_heldout_mistakes_are_named(fn, fragment):
    named(check_heldout_perplexity, fn, fragment)


def test_close_answers_show_enough_digits():
    """An epsilon added to the probabilities moves the perplexity by about 1e-4: the message shows the difference."""
    def epsilon(train_text, test_text, n, k, alphabet):
        return _heldout(finish=lambda logs, t: 2 ** (-np.mean(np.log2(2.0 ** logs + 1e-4))))(train_text, test_text, n, k,
                                                                                                alphabet)
    message = fails_with(check_heldout_perplexity, epsilon)
    got, expected = message.split(" returned ")[1].split(", expected ")
    assert got.split()[0] != expected.split()[0], message


# -- exercise 4: best smoothing --------------------------------------------------------------------

def best_smoothing(train_text, valid_text, n, ks, alphabet):
    scores = [heldout_perplexity(train_text, valid_text, n, k, alphabet) for k in ks]
    return ks[int(np.argmin(scores))]


def best_smoothing_min(train_text, valid_text, n, ks, alphabet):
    return min(ks, key=lambda k: heldout_perplexity(train_text, valid_text, n, k, alphabet))


def best_smoothing_loop(train_text, valid_text, n, ks, alphabet):
    best_k, best_ppl = None, math.inf
    for k in ks:
        ppl = heldout_lesson_way(train_text, valid_text, n, k, alphabet)
        if ppl < best_ppl:
            best_k, best_ppl = k, ppl
    return best_k


@pytest.mark.parametrize("fn", [best_smoothing, best_smoothing_min, best_smoothing_loop],
                         ids=["argmin", "min-key", "loop-lesson-convention"])
def test_best_smoothing_correct_variants_pass(fn, capsys):
    check_best_smoothing(fn)
    assert capsys.readouterr().out.startswith("✓ best_smoothing:")


def bs_early_return(train_text, valid_text, n, ks, alphabet):
    best_ppl = math.inf
    for k in ks:
        ppl = heldout_perplexity(train_text, valid_text, n, k, alphabet)
        if ppl < best_ppl:
            best_ppl = ppl
        return k


def bs_forgot_update(train_text, valid_text, n, ks, alphabet):
    best_k, best_ppl = ks[0], math.inf
    for k in ks:
        ppl = heldout_perplexity(train_text, valid_text, n, k, alphabet)
        if ppl < best_ppl:
            best_ppl = ppl
    return best_k


def bs_always_update(train_text, valid_text, n, ks, alphabet):
    best_k, best_ppl = None, math.inf
    for k in ks:
        ppl = heldout_perplexity(train_text, valid_text, n, k, alphabet)
        best_k, best_ppl = k, min(ppl, best_ppl)
    return best_k


@pytest.mark.parametrize("fn, fragment", [
    (lambda tr, va, n, ks, a: best_smoothing(tr, tr, n, ks, a), "best k on the training text"),
    (lambda tr, va, n, ks, a: best_smoothing(tr + va, va, n, ks, a), "best k on the training text"),
    (lambda tr, va, n, ks, a: ks[int(np.argmax([heldout_perplexity(tr, va, n, k, a) for k in ks]))], "*highest*"),
    (lambda tr, va, n, ks, a: best_smoothing(va, tr, n, ks, a), "swapped"),
    (lambda tr, va, n, ks, a: int(np.argmin([heldout_perplexity(tr, va, n, k, a) for k in ks])), "index of the best k"),
    (lambda tr, va, n, ks, a: min(heldout_perplexity(tr, va, n, k, a) for k in ks), "best perplexity"),
    (lambda tr, va, n, ks, a: (best_smoothing(tr, va, n, ks, a), 1.0), "return only the best k"),
    (bs_early_return, "return early, or not update"),
    (bs_forgot_update, "return early, or not update"),
    (bs_always_update, "returned the last k"),
    (lambda tr, va, n, ks, a: 0.5, "return one of the ks"),
    (lambda tr, va, n, ks, a: best_smoothing(tr, va, 2, ks, a), "used n = 2 instead of the n given"),
    (lambda tr, va, n, ks, a: sorted(ks)[int(np.argmin([heldout_perplexity(tr, va, n, k, a) for k in ks]))],
     "indexed sorted(ks)"),
    (lambda tr, va, n, ks, a: ks[int(np.argmin([heldout_perplexity(tr, va, n, k, a) for k in sorted(ks)]))],
     "scored sorted(ks) but indexed ks"),
])
def test_best_smoothing_mistakes_are_named(fn, fragment):
    named(check_best_smoothing, fn, fragment)


# -- what every checker survives (the core's handling, seen from these checkers) --------------------

CHECKS = [check_perplexity, check_ngram_probs, check_heldout_perplexity, check_best_smoothing]


def raise_not_implemented(*args, **kwargs):
    raise NotImplementedError()


def raise_system_exit(*args, **kwargs):
    raise SystemExit(1)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn, fragment", [
    (raise_not_implemented, "not implemented yet"),
    (raise_system_exit, "SystemExit"),
    (lambda *a, **k: None, "returned None"),
    (lambda *a, **k: "4.0", "string"),
    (lambda *a, **k: 1 / 0, "ZeroDivisionError"),
    (lambda *a, **k: [[1.0, 2.0], [3.0, 4.0]], "shape"),
    (lambda *a, **k: np.array([2.0 + 1.0j]), "complex"),
    (42, "needs your function itself"),
    (None, "needs your function itself"),
])
def test_checkers_survive_anything(check, fn, fragment):
    fails_with(check, fn, fragment)


# -- a blind tester's wrong answers (sheets 01-03 fix pass) ------------------------------------------------

def _ngram(train_text, context, n, k, alphabet, ctx=None, gram_n=None, chars=None, plus_k=True):
    """ngram_probs with one thing changed: the context kept, the n-gram length counted, the character order."""
    c = ctx(context, n) if ctx else context[len(context) - (n - 1):]
    m = gram_n(n) if gram_n else n
    grams = Counter(train_text[i:i + m] for i in range(len(train_text) - m + 1))
    joint = np.array([grams[c + x] for x in (chars or alphabet)], dtype=float)
    with np.errstate(all="ignore"):
        return (joint + (k if plus_k else 0)) / (joint.sum() + k * len(alphabet))


def ngram_sorted_order(train_text, context, n, k, alphabet):
    return _ngram(train_text, context, n, k, alphabet, chars=sorted(set(train_text) | set(alphabet)))


def ngram_last_n_of_context(train_text, context, n, k, alphabet):
    return _ngram(train_text, context, n, k, alphabet, ctx=lambda c, n: c[max(0, len(c) - n):])


def ngram_bigrams_whatever_n(train_text, context, n, k, alphabet):
    return _ngram(train_text, context, n, k, alphabet, ctx=lambda c, n: c[-1:], gram_n=lambda n: 2)


def ngram_no_k_on_top(train_text, context, n, k, alphabet):
    return _ngram(train_text, context, n, k, alphabet, plus_k=False)


@pytest.mark.parametrize("fn, fragment", [
    (ngram_sorted_order, "sorted the characters? Keep the order of alphabet"),
    (ngram_last_n_of_context, "conditioned on n = 2 characters; use the last n - 1"),  # a NaN (0/0) at k = 0
    (ngram_bigrams_whatever_n, "for n = 1 the context is ''"),
    (ngram_no_k_on_top, "forgot + k in the numerator"),
])
def test_blind_ngram_mistakes_are_named(fn, fragment):
    named(check_ngram_probs, fn, fragment)


def test_ngram_bigrams_for_n_1_is_not_called_the_whole_string():
    message = fails_with(check_ngram_probs, ngram_bigrams_whatever_n)
    assert "context[-0:]" not in message and "0/0" not in message, message


def heldout_sorted_index(train_text, test_text, n, k, alphabet):
    order = sorted(alphabet)
    return perplexity([math.log2(ngram_probs(train_text, test_text[:i], n, k, alphabet)[order.index(test_text[i])])
                       for i in range(n - 1, len(test_text))], 2)


def heldout_context_from_train(train_text, test_text, n, k, alphabet):
    return perplexity([math.log2(ngram_probs(train_text, train_text[:i], n, k, alphabet)[alphabet.index(test_text[i])])
                       for i in range(n - 1, len(test_text))], 2)


def heldout_probs_not_logs(train_text, test_text, n, k, alphabet):
    return perplexity([ngram_probs(train_text, test_text[:i], n, k, alphabet)[alphabet.index(test_text[i])]
                       for i in range(n - 1, len(test_text))], 2)


@pytest.mark.parametrize("fn, fragment", [
    (heldout_sorted_index, "indexed by sorted(alphabet)"),
    (heldout_context_from_train, "context from train_text"),
    (heldout_probs_not_logs, "not log2 q"),
])
def test_blind_heldout_mistakes_are_named(fn, fragment):
    named(check_heldout_perplexity, fn, fragment)


def test_perplexity_divided_by_n_minus_1_is_named():
    named(check_perplexity, lambda lp, base: base ** (-np.sum(lp, axis=-1) / (np.shape(lp)[-1] - 1)),
          "divided by N - 1")


def best_smoothing_early_stop(train_text, valid_text, n, ks, alphabet):
    previous, previous_k = math.inf, None
    for k in ks:
        score = heldout_perplexity(train_text, valid_text, n, k, alphabet)
        if score > previous:
            return previous_k
        previous, previous_k = score, k
    return previous_k


@pytest.mark.parametrize("fn, fragment", [
    (best_smoothing_early_stop, "stopped at the first rise"),
    (lambda tr, va, n, ks, a: min(ks), "or min(ks)?"),  # the same answers as scoring train_text: named together
    (lambda tr, va, n, ks, a: best_smoothing(tr, tr, n, ks, a), "best k on the training text"),
])
def test_blind_best_smoothing_mistakes_are_named(fn, fragment):
    named(check_best_smoothing, fn, fragment)


def test_n_1_with_a_context_among_single_characters_is_named():
    # the sheet's solution with context[-(n - 1):]: for n = 1 the whole context, looked up among unigrams: uniform
    named(check_ngram_probs, lambda t, c, n, k, a: _ngram(t, c, n, k, a, ctx=lambda c, n: c[-(n - 1):]), "context[-0:]")
