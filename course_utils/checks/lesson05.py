"""Checkers for lesson 05 (dropout): inverted dropout written by hand, the Monte Carlo average of k thinned
networks, and the generalization gap in bits.

The references are computed here, independently of the lesson: dropout is judged by statistics over many
entries (the fraction dropped, the scale of the survivors, fresh masks across entries and calls); the Monte
Carlo average is compared with the *exact* average over all 2^8 masks of a network with 8 hidden units,
enumerated here; the gap is computed with `torch.nn.functional.cross_entropy` in eval mode. Every random draw
happens inside `torch.random.fork_rng`, so a check gives the same verdict each run and leaves the learner's
random state as it was.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, checker, fmt

__all__ = ["check_dropout", "check_mc_predict", "check_generalization_gap"]

LN2 = math.log(2)


@contextmanager
def _seeded_single_thread(seed: int) -> Iterator[None]:
    """Seed torch inside a forked random state, on one thread (a tiny network's passes are many times faster on
    one thread when the machine is busy); afterwards the learner's random state and thread count are back."""
    import torch

    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


def _small_mlp(sizes: list[int], dropout: float, seed: int) -> Any:
    """The course's MLP in float64, shown as `model` in messages (its full repr takes several lines)."""
    from course_utils.models import MLP

    class Model(MLP):
        def __repr__(self) -> str:
            return "model"

    return Model(sizes, dropout=dropout, seed=seed).double()


def _tensor_result(c: Checker, value: Any, text: str, shape: tuple[int, ...],
                   shape_hints: dict[tuple[int, ...], str] | None = None) -> np.ndarray:
    array = c.to_array(value, text)
    if array.shape != shape:
        raise CheckFailed(f"{text} returned shape {array.shape}, expected {shape}",
                          hint=(shape_hints or {}).get(array.shape, ""))
    if np.isnan(array).any():
        raise CheckFailed(f"{text} returned NaN in {fmt(array)}")
    return array


# -- exercise 1: dropout by hand ---------------------------------------------------------------------

EVAL_ZEROS = "forgot eval mode? training=False must return x as it is"
EVAL_SCALED = "scaled at test time too? eval mode returns x unscaled"
EVAL_TIMES_KEEP = "multiplied by 1 - p at test time? inverted dropout does not"
ONE_MASK_BATCH = "one mask for the whole batch? draw one per example and unit"
ONE_MASK_ROW = "one mask value per example? draw one per unit and example"
ONE_MINUS_P = "dropping with probability 1 - p? p is the drop rate"
NO_SCALE = "forgot to scale the survivors by 1 / (1 - p)"
TIMES_KEEP = "multiplied survivors by 1 - p instead of dividing by it"
OVER_P = "scaled by 1 / p instead of 1 / (1 - p)"
SAME_MASK = "the same mask on every call? draw a fresh one each time"
MASK_ONLY = "returned the mask itself, not x times the mask"


def _dropout_output(c: Checker, x: Any, p: float, shape: tuple[int, ...], **kwargs: Any) -> tuple[np.ndarray, str]:
    value, _ = c.call(x, p, **kwargs)
    mode = ", training=False" if kwargs.get("training") is False else ""
    text = f"dropout(x, {p}{mode}) [x of shape {tuple(shape)}]"
    if _is_bool(value):
        raise CheckFailed(f"{text} returned a boolean tensor", hint=MASK_ONLY)
    return _tensor_result(c, value, text, shape), text


def _is_bool(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is not None and ("bool" in str(dtype))


@checker
def check_dropout(dropout: Any) -> None:
    """Check `dropout(x, p, training=True)`: inverted dropout of a tensor, a fresh mask per entry and call."""
    import torch

    c = Checker("dropout", dropout)
    with _seeded_single_thread(505):
        # eval mode: the identity, whatever p is
        x = torch.rand(40, 25, dtype=torch.float64) + 0.5  # no zeros, so a dropped entry shows
        for p in (0.2, 0.5):
            got, text = _dropout_output(c, x, p, tuple(x.shape), training=False)
            ref = x.numpy()
            dropped = bool((got == 0).any())
            c.close(text, got, ref, hint=EVAL_ZEROS if dropped else "",
                    mistakes={EVAL_SCALED: ref / (1 - p), EVAL_TIMES_KEEP: ref * (1 - p)})

        # training mode: statistics over 100,000 entries
        x = torch.randn(2000, 50, dtype=torch.float64)
        ref = x.numpy()
        for p in (0.2, 0.5):
            got, text = _dropout_output(c, x, p, tuple(x.shape), training=True)
            if np.isin(got, (0.0, 1.0)).all() and not np.isin(ref, (0.0, 1.0)).all():
                c.fail(f"{text} holds only 0s and 1s", hint=MASK_ONLY)
            zero = got == 0
            if zero.any() and (zero.all(axis=0) | ~zero.any(axis=0)).all():
                c.fail(f"{text}: every column is either dropped in all 2000 rows or in none", hint=ONE_MASK_BATCH)
            if zero.any() and (zero.all(axis=1) | ~zero.any(axis=1)).all():
                c.fail(f"{text}: every row is either dropped whole or kept whole", hint=ONE_MASK_ROW)
            fraction = float(zero.mean())
            if not zero.any() and np.allclose(got, ref):
                c.fail(f"{text} returned x unchanged: nothing was dropped in training mode",
                       hint="dropout off in training mode? check the training flag")
            c.require(abs(fraction - p) < 0.01,
                      f"{text} dropped a fraction {fraction:.3f} of the entries, expected about p = {p}",
                      hint=ONE_MINUS_P if abs(fraction - (1 - p)) < 0.01 else "")
            ratio = got[~zero] / ref[~zero]
            scale = float(np.median(ratio))
            mistakes = {NO_SCALE: 1.0, TIMES_KEEP: 1 - p, OVER_P: 1 / p}
            hint = next((why for why, s in mistakes.items() if np.allclose(ratio, s, rtol=1e-6)), "")
            c.require(bool(np.allclose(ratio, 1 / (1 - p), rtol=1e-6)),
                      f"{text}: survivors came back as {scale:.4g} × x, expected 1 / (1 - p) = {1 / (1 - p):.4g} × x",
                      hint=hint)
            again, _ = _dropout_output(c, x, p, tuple(x.shape), training=True)
            c.require(not np.array_equal(again == 0, zero),
                      f"{text}, called twice, dropped exactly the same entries both times", hint=SAME_MASK)
            c.require(abs(float(got.mean() - ref.mean())) < 5 * float(ref.std()) * math.sqrt(p / (1 - p) / ref.size)
                      + 1e-12, f"{text}: the mean over all entries is {got.mean():.4f}, the input's {ref.mean():.4f}; "
                      "inverted dropout keeps the expectation")

        # training mode with p = 0 keeps everything
        small = torch.tensor([[0.5, -1.0, 2.0], [3.0, 0.25, -0.5]], dtype=torch.float64)
        got, text = _dropout_output(c, small, 0.0, (2, 3), training=True)
        c.close(text, got, small.numpy(), unit="(p = 0 drops nothing and scales by 1)",
                mistakes={ONE_MINUS_P: np.zeros((2, 3))})

        # any shape: a single vector and a 3-d batch
        for shape in ((10_000,), (20, 30, 4)):
            x = torch.rand(*shape, dtype=torch.float64) + 0.5
            got, text = _dropout_output(c, x, 0.5, shape, training=True)
            fraction = float((got == 0).mean())
            c.require(abs(fraction - 0.5) < 0.03, f"{text} dropped a fraction {fraction:.3f}, "
                      "expected about 0.5")
            kept = got != 0
            c.require(bool(np.allclose(got[kept], 2 * x.numpy()[kept])),
                      f"{text}: survivors should be exactly 2 × x for p = 0.5")
    c.done()


# -- exercise 2: the Monte Carlo average of k thinned networks ----------------------------------------

FORGOT_TRAIN = "forgot model.train()? dropout off: every pass is the same"
MEAN_LOGITS = "averaged logits or log-probs? average the probabilities"
SUMMED = "summed the k predictions instead of averaging them"
LOG_PROBS = "returned log-probabilities; return probabilities"
NO_SOFTMAX = "averaged raw logits? apply softmax to each pass first"
ONE_PASS = "only one thinned network: is k used?"
SAME_EVERY_PASS = "the same thinned network every pass: seeded inside the loop?"
RANGE_OFF = "k - 1 passes? range(1, k) averages nothing for k = 1"
WRONG_DIM = "softmax over the wrong axis? use dim=-1, over the classes"
EXP_MEAN_LOG = "exp of the mean log-probs? average the probabilities"
OVER_CLASSES = "averaged over the classes, not over the k passes"
LEFT_TRAINING = "left in training mode? call model.eval() before returning"


def _mc_setup() -> tuple[Any, Any, tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """A network with 8 hidden units and dropout 0.5, six inputs, and its exact predictions: the softmax of
    every one of the 2^8 thinned networks (256, 6, 3) and their logits, the deterministic (eval-mode) network's, and the
    exact average over masks (each mask has probability 2^-8)."""
    import torch

    model = _small_mlp([4, 8, 3], dropout=0.5, seed=55)
    with torch.no_grad():
        for layer in model.linears:
            layer.weight.mul_(3.0)  # sharper predictions: the thinned networks disagree more
    g = torch.Generator().manual_seed(56)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    with torch.no_grad():
        h = torch.relu(model.linears[0](x))  # (6, 8)
        masks = torch.tensor(list(itertools.product((0.0, 2.0), repeat=8)), dtype=torch.float64)  # kept × 1/(1-p)
        # per example, each of the 256 masks of its 8 units (the network draws a mask per example)
        thinned = torch.softmax(model.linears[1](h[None, :, :] * masks[:, None, :]), dim=-1).numpy()
        thinned_logits = model.linears[1](h[None, :, :] * masks[:, None, :]).numpy()
        deterministic = torch.softmax(model.linears[1](h), dim=-1).numpy()  # also the softmax of E[logits]
    exact = thinned.mean(axis=0)
    model.eval()
    assert np.abs(exact - deterministic).max() > 0.1  # so the two mistakes below cannot pass for the answer
    return model, x, (thinned, thinned_logits), deterministic, exact


def _one_thinned_network(got: np.ndarray, thinned: np.ndarray) -> bool:
    """True if each row of `got` is the prediction of one thinned network for that example."""
    return all(bool(np.isclose(thinned[:, i, :], got[i], rtol=1e-5, atol=1e-7).all(axis=1).any())
               for i in range(got.shape[0]))


def _mc_result(c: Checker, model: Any, x: Any, k: int) -> tuple[np.ndarray, str]:
    n, classes = x.shape[0], 3
    try:
        value, _ = c.call(model, x, k)
    except CheckFailed as failure:
        if k != 1 or " raised " not in failure.message:
            raise
        try:
            c.call(model, x, 2)  # k = 2 works where k = 1 raised: the loop ran k - 1 times, none for k = 1
        except CheckFailed:
            raise failure from None
        raise CheckFailed(failure.message, hint=failure.hint or RANGE_OFF) from None
    text = f"mc_predict(model, x, k={k}) [x: {n} examples, {classes} classes]"
    hints = {
        (k, classes): "averaged over the examples, not over the k passes",
        (k, n): OVER_CLASSES,
        (n,): "one number per example; return a distribution per example",
        (k, n, classes): "returned all k predictions; average them over the passes",
        (classes,): "averaged over the examples too; average only over the passes",
    }
    if k != classes:  # tables stacked on the last axis, (n, classes, k), then averaged over axis 1
        hints[(n, k)] = OVER_CLASSES
    array = c.to_array(value, text)
    if array.shape != (n, classes):
        raise CheckFailed(f"{text} returned shape {array.shape}, expected ({n}, {classes})", hint=hints.get(array.shape, ""))
    if np.isnan(array).any():
        raise CheckFailed(f"{text} returned NaN in {fmt(array)}", hint=RANGE_OFF if k == 1 else "")
    if k == 1 and not array.any():  # all zeros: a sum over no passes? With k = 2 it would hold one pass, / 2
        twice = c.to_array(c.call(model, x, 2)[0], text)
        if twice.shape == (n, classes) and np.allclose(twice.sum(axis=1), 0.5, atol=1e-6):
            c.fail(f"{text} returned all zeros, and with k = 2 rows summing to 0.5", hint=RANGE_OFF)
    return array, text


def _judge_distribution(c: Checker, got: np.ndarray, text: str, k: int, thinned_logits: np.ndarray,
                        logits: np.ndarray, deterministic: np.ndarray) -> None:
    """Fail with the likely mistake if the rows of `got` are not probability distributions."""
    sums = got.sum(axis=1)
    if np.allclose(sums, 1.0, atol=1e-6) and (got >= -1e-12).all():
        c.passed += 1
        return
    if k > 1 and np.allclose(sums, k, rtol=1e-6):
        c.fail(f"{text}: each row sums to {fmt(sums[0])}, expected 1", hint=SUMMED)
    if k > 1 and np.allclose(sums, (k - 1) / k, rtol=1e-6):
        c.fail(f"{text}: each row sums to {fmt(sums[0])} = (k - 1) / k, expected 1", hint=RANGE_OFF)
    if (k > 1 and (got > 0).all() and (sums < 1 - 1e-6).all()
            and np.allclose(got / sums[:, None], deterministic, atol=0.03)):
        # a geometric mean of distributions sums to less than 1 (AM-GM); renormalized, it is the softmax of the
        # mean logits, which for this one-hidden-layer network is the deterministic network's prediction
        c.fail(f"{text}: the rows sum to {fmt(sums)}, less than 1, as a geometric mean of distributions does",
               hint=EXP_MEAN_LOG)
    if (got <= 1e-12).all() and np.allclose(np.exp(got).sum(axis=1), 1.0, atol=1e-3):
        c.fail(f"{text} returned negative numbers such as {got[0, 0]:.4g}; the rows of exp(result) sum to 1",
               hint=LOG_PROBS)
    if np.allclose(got.sum(axis=0), 1.0, atol=1e-6):
        c.fail(f"{text}: the columns sum to 1, the rows to {fmt(sums)}", hint=WRONG_DIM)
    raw = _one_thinned_network(got, thinned_logits) if k == 1 else np.allclose(got, logits, atol=0.5)
    c.fail(f"{text}: each row should be a distribution summing to 1; the row sums are {fmt(sums)}",
           hint=NO_SOFTMAX if raw else "")


@checker
def check_mc_predict(mc_predict: Any) -> None:
    """Check `mc_predict(model, x, k)`: the average of the softmax predictions of k thinned networks."""
    import torch

    c = Checker("mc_predict", mc_predict)
    model, x, (thinned, thinned_logits), deterministic, exact = _mc_setup()
    with torch.no_grad():
        logits = model.eval()(x).numpy()
    left_training = []
    with _seeded_single_thread(5):
        # k = 1: one thinned network per example
        ones = []
        for _ in range(2):
            got, text = _mc_result(c, model, x, 1)
            left_training.append(bool(c.last_args[0].training))  # the copy of the model the learner received
            _judge_distribution(c, got, text, 1, thinned_logits, logits, deterministic)
            ones.append(got)
        if all(np.allclose(g, deterministic, rtol=1e-6, atol=1e-9) for g in ones):
            c.fail(f"{text} returned the deterministic (eval-mode) prediction twice", hint=FORGOT_TRAIN)
        c.require(_one_thinned_network(ones[0], thinned),
                  f"{text}: with k = 1 each row should be the softmax of one thinned network (units dropped, the "
                  f"rest doubled); got {fmt(ones[0][0])} for the first example")

        # k = 2000: close to the exact average over all 256 masks (standard error at most 0.0074 per entry)
        k = 2000
        results = []
        for _ in range(2):
            got, text = _mc_result(c, model, x, k)
            left_training.append(bool(c.last_args[0].training))
            _judge_distribution(c, got, text, k, thinned_logits, logits, deterministic)
            results.append(got)
        got = results[0]
        same = np.array_equal(results[0], results[1])
        if np.allclose(got, exact, atol=0.035):
            c.passed += 1
        elif np.allclose(got, deterministic, rtol=1e-6, atol=1e-9):
            c.fail(f"{text} returned the deterministic (eval-mode) prediction", hint=FORGOT_TRAIN)
        elif _one_thinned_network(got, thinned):
            c.fail(f"{text} returned the prediction of a single thinned network",
                   hint=SAME_EVERY_PASS if same else ONE_PASS)
        elif np.allclose(got, deterministic, atol=0.03):
            c.fail(f"{text} is the softmax of the average logits, not the average of the softmax outputs; "
                   f"{_gap_text(got, exact)}", hint=MEAN_LOGITS)
        else:
            c.fail(f"{text} differs from the exact average over all 256 thinned networks; {_gap_text(got, exact)}")
        c.require(not same, f"{text}, called twice, returned exactly the same average: are the masks random?",
                  hint=SAME_EVERY_PASS)
    # last, so that a wrong average is named first: the model came in eval mode and must leave in it
    c.require(not any(left_training), f"{text} returned the right average but left the model with dropout on "
              "(model.training is True after the call); step 4 puts it back in eval mode", hint=LEFT_TRAINING)
    c.done()


def _gap_text(got: np.ndarray, exact: np.ndarray) -> str:
    i, j = np.unravel_index(int(np.argmax(np.abs(got - exact))), got.shape)
    return f"largest difference at example {i}, class {j}: got {got[i, j]:.4f}, exact average {exact[i, j]:.4f}"


# -- exercise 3: the generalization gap in bits -------------------------------------------------------------

FORGOT_EVAL = "forgot model.eval()? dropout was still on while measuring"


def _gap_setup(seed: int) -> tuple[Any, tuple[Any, Any], tuple[Any, Any]]:
    import torch

    model = _small_mlp([5, 16, 4], dropout=0.5, seed=seed)
    with torch.no_grad():
        for layer in model.linears:
            layer.weight.mul_(2.5)
    g = torch.Generator().manual_seed(seed + 1)
    train = (torch.randn(12, 5, generator=g, dtype=torch.float64), torch.randint(0, 4, (12,), generator=g))
    test = (torch.randn(20, 5, generator=g, dtype=torch.float64), torch.randint(0, 4, (20,), generator=g))
    model.train()  # as a model is after training: the learner must switch dropout off
    return model, train, test


def _gap_mistakes(model: Any, train: tuple[Any, Any], test: tuple[Any, Any]) -> tuple[float, dict[str, float]]:
    import torch
    import torch.nn.functional as F

    model = model.eval()
    with torch.no_grad():
        (xa, ya), (xb, yb) = train, test
        la, lb = model(xa), model(xb)
        ce_a, ce_b = F.cross_entropy(la, ya).item(), F.cross_entropy(lb, yb).item()
        sum_a = F.cross_entropy(la, ya, reduction="sum").item()
        sum_b = F.cross_entropy(lb, yb, reduction="sum").item()
        acc_a = (la.argmax(1) == ya).double().mean().item()
        acc_b = (lb.argmax(1) == yb).double().mean().item()
        nll_a, nll_b = F.nll_loss(la, ya).item(), F.nll_loss(lb, yb).item()
    model.train()
    gap = (ce_b - ce_a) / LN2
    return gap, {
        "nats, not bits? divide the losses by ln 2": gap * LN2,
        "multiplied by ln 2 instead of dividing: nats / ln 2 = bits": gap * LN2 * LN2,
        "the sign is flipped: the gap is test loss minus train loss": -gap,
        "summed over examples? use the mean loss of each set": (sum_b - sum_a) / LN2,
        "summed, and in nats: use the mean, divided by ln 2": sum_b - sum_a,
        "that is the test loss alone; subtract the training loss": ce_b / LN2,
        "an accuracy gap; the lesson's gap is in cross-entropy bits": acc_a - acc_b,
        "an accuracy gap, test minus train; use the cross-entropy": acc_b - acc_a,
        "nll_loss on raw logits? it needs log-probabilities": (nll_b - nll_a) / LN2,
        "a ratio of the losses; the gap is their difference": ce_b / ce_a,
        "log10 instead of log2? bits need ln 2 in the divisor": (ce_b - ce_a) / math.log(10),
    }


@checker
def check_generalization_gap(generalization_gap: Any) -> None:
    """Check `generalization_gap(model, train, test)`: test minus training cross-entropy, bits per example,
    measured with dropout off (eval mode)."""
    import torch

    c = Checker("generalization_gap", generalization_gap)
    with _seeded_single_thread(7):
        for seed in (31, 32):
            model, train, test = _gap_setup(seed)
            expected, mistakes = _gap_mistakes(model, train, test)
            first, _ = c.number(model, train, test, many_hint="return one number: mean test minus mean train loss")
            second, _ = c.number(model, train, test)
            text = f"generalization_gap(model, train, test) [seed {seed}: a model with dropout, left in training mode]"
            if first != second:
                c.fail(f"{text} gave {first:.4f}, then {second:.4f} on the same model and data; "
                       f"expected {expected:.4f} bits both times", hint=FORGOT_EVAL)
            c.close(text, first, expected, unit="bits per example", rtol=1e-5, atol=1e-7, mistakes=mistakes)
        # any classifier: a plain nn.Sequential without dropout, where train and eval mode agree
        model, train, test = _gap_setup(33)
        plain = torch.nn.Sequential(*model.linears[:1], torch.nn.ReLU(), *model.linears[1:])
        expected, mistakes = _gap_mistakes(plain, train, test)
        got, _ = c.number(plain, train, test)
        c.close("generalization_gap(model, train, test) [seed 33: a plain nn.Sequential]", got, expected,
                unit="bits per example", rtol=1e-5, atol=1e-7, mistakes=mistakes)
    c.done()
