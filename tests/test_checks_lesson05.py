"""Lesson 05's checkers: they pass right answers written in several ways, and name each realistic mistake."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from check_helpers import fails_with

from course_utils.checks import check_dropout, check_generalization_gap, check_mc_predict

LN2 = math.log(2)


# -- exercise 1: dropout by hand -------------------------------------------------------------------------
def dropout(x, p, training=True):
    if not training or p == 0:
        return x
    keep = torch.rand(x.shape) >= p
    return x * keep / (1 - p)


def dropout_bernoulli(x, p, training=True):
    if not training:
        return x.clone()
    mask = torch.bernoulli(torch.full_like(x, 1 - p))
    return mask * x / (1 - p)


def dropout_functional(x, p, training=True):
    return F.dropout(x, p, training=training)


def dropout_float32(x, p, training=True):
    x = x.float()
    if training:
        x = torch.where(torch.rand_like(x) < p, torch.zeros_like(x), x / (1 - p))
    return x


def dropout_numpy(x, p, training=True):
    x = np.asarray(x)
    if not training:
        return x
    return x * (np.random.default_rng().random(x.shape) >= p) / (1 - p)


@pytest.mark.parametrize("fn", [dropout, dropout_bernoulli, dropout_functional, dropout_float32, dropout_numpy],
                         ids=lambda f: f.__name__)
def test_right_dropouts_pass(fn, capsys):
    check_dropout(fn)
    assert capsys.readouterr().out.startswith("✓ dropout:")


def test_the_checker_leaves_the_learners_random_state_alone():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    check_dropout(dropout)
    assert torch.equal(torch.rand(3), expected)


def scales_at_test_time_too(x, p, training=True):
    if training:
        x = x * (torch.rand(x.shape) >= p)
    return x / (1 - p)


def weight_scaling_at_test_time(x, p, training=True):  # Srivastava's rule mixed with inverted dropout
    if not training:
        return x * (1 - p)
    return x * (torch.rand(x.shape) >= p) / (1 - p)


def ignores_training_flag(x, p, training=True):  # forgetting eval mode
    return x * (torch.rand(x.shape) >= p) / (1 - p)


def functional_default_training(x, p, training=True):  # F.dropout's own flag defaults to True
    return F.dropout(x, p)


def one_mask_for_the_batch(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape[-1]) >= p) / (1 - p)


def one_mask_per_example(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape[0], 1) >= p) / (1 - p)


def drops_with_one_minus_p(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape) < p) / (1 - p)


def keep_probability_p(x, p, training=True):  # p read as the keep probability, scaled consistently
    if not training:
        return x
    return x * torch.bernoulli(torch.full_like(x, p)) / p


def no_scaling(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape) >= p)


def times_keep(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape) >= p) * (1 - p)


def divides_by_p(x, p, training=True):
    if not training:
        return x
    return x * (torch.rand(x.shape) >= p) / p


_MASK = {}


def mask_drawn_once(x, p, training=True):  # a mask that is not redrawn each step
    if not training:
        return x
    key = (tuple(x.shape), p)
    if key not in _MASK:
        _MASK[key] = torch.rand(x.shape) >= p
    return x * _MASK[key] / (1 - p)


def seeded_inside(x, p, training=True):
    if not training:
        return x
    generator = torch.Generator().manual_seed(0)
    return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)


def in_place(x, p, training=True):
    if training:
        x[torch.rand(x.shape) < p] = 0
        x /= 1 - p
    return x


def returns_the_mask(x, p, training=True):
    if not training:
        return x
    return torch.rand(x.shape) >= p


def returns_the_mask_as_floats(x, p, training=True):
    if not training:
        return x
    return (torch.rand(x.shape) >= p).float()


@pytest.mark.parametrize("fn, fragment", [
    (scales_at_test_time_too, "scaled at test time too?"),
    (weight_scaling_at_test_time, "multiplied by 1 - p at test time?"),
    (ignores_training_flag, "forgot eval mode?"),
    (functional_default_training, "forgot eval mode?"),
    (one_mask_for_the_batch, "one mask for the whole batch?"),
    (one_mask_per_example, "one mask value per example?"),
    (drops_with_one_minus_p, "dropping with probability 1 - p?"),
    (keep_probability_p, "dropping with probability 1 - p?"),
    (no_scaling, "forgot to scale the survivors by 1 / (1 - p)"),
    (times_keep, "multiplied survivors by 1 - p instead of dividing"),
    (divides_by_p, "scaled by 1 / p instead of 1 / (1 - p)"),
    (mask_drawn_once, "the same mask on every call?"),
    (seeded_inside, "the same mask on every call?"),
    (in_place, "modified its input in place"),
    (returns_the_mask, "returned the mask itself"),
    (returns_the_mask_as_floats, "returned the mask itself"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_dropout_mistakes_are_named(fn, fragment):
    message = fails_with(check_dropout, fn, fragment)
    assert message.startswith(fragment), message  # the hint comes first


# -- exercise 2: the Monte Carlo average of k thinned networks ---------------------------------------------
def mc_predict(model, x, k):
    model.train()
    with torch.no_grad():
        probs = torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)]).mean(0)
    model.eval()
    return probs


def mc_predict_running_sum(model, x, k):
    model.train()
    total = 0
    for _ in range(k):
        total = total + torch.softmax(model(x), dim=1).detach()
    model.eval()
    return total / k


def mc_predict_one_batch(model, x, k):  # all k passes in one big batch: the masks are still independent
    model.train()
    with torch.no_grad():
        out = F.softmax(model(x.repeat(k, 1)), dim=-1)
    model.eval()
    return out.reshape(k, len(x), -1).mean(0).numpy()


@pytest.mark.parametrize("fn", [mc_predict, mc_predict_running_sum, mc_predict_one_batch], ids=lambda f: f.__name__)
def test_right_mc_predicts_pass(fn, capsys):
    check_mc_predict(fn)
    assert capsys.readouterr().out.startswith("✓ mc_predict:")


def forgot_train_mode(model, x, k):
    model.eval()
    with torch.no_grad():
        return torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)]).mean(0)


def averages_logits(model, x, k):
    model.train()
    with torch.no_grad():
        return F.softmax(torch.stack([model(x) for _ in range(k)]).mean(0), dim=-1)


def averages_log_probs(model, x, k):  # a geometric mean
    model.train()
    with torch.no_grad():
        mean_log = torch.stack([F.log_softmax(model(x), dim=-1) for _ in range(k)]).mean(0)
    return F.softmax(mean_log, dim=-1)


def sums(model, x, k):
    model.train()
    with torch.no_grad():
        return torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)]).sum(0)


def returns_log_of_average(model, x, k):
    return torch.log(mc_predict(model, x, k))


def no_softmax(model, x, k):
    model.train()
    with torch.no_grad():
        return torch.stack([model(x) for _ in range(k)]).mean(0)


def softmax_wrong_dim(model, x, k):
    model.train()
    with torch.no_grad():
        return torch.stack([F.softmax(model(x), dim=0) for _ in range(k)]).mean(0)


def ignores_k(model, x, k):
    model.train()
    with torch.no_grad():
        return F.softmax(model(x), dim=-1)


def reseeds_every_pass(model, x, k):  # the same mask in every pass
    model.train()
    outs = []
    with torch.no_grad():
        for _ in range(k):
            torch.manual_seed(0)
            outs.append(F.softmax(model(x), dim=-1))
    return torch.stack(outs).mean(0)


def off_by_one(model, x, k):
    model.train()
    with torch.no_grad():
        outs = [F.softmax(model(x), dim=-1) for _ in range(1, k)]
        return torch.stack(outs).mean(0) if outs else torch.full((len(x), 3), float("nan"))


def mean_over_examples(model, x, k):
    model.train()
    with torch.no_grad():
        return torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)]).mean(1)


def forgot_the_mean(model, x, k):
    model.train()
    with torch.no_grad():
        return torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)])


def leaves_training_mode(model, x, k):  # step 4 forgotten: the average is right, the model keeps dropout on
    model.train()
    with torch.no_grad():
        tables = torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)])
    return tables.mean(0)


def exp_of_mean_log_probs(model, x, k):  # a geometric mean, not renormalized
    model.train()
    with torch.no_grad():
        mean_log = torch.stack([F.log_softmax(model(x), dim=-1) for _ in range(k)]).mean(0)
    model.eval()
    return mean_log.exp()


def mean_over_classes_stacked_last(model, x, k):  # stacked on the last axis, then averaged over the wrong one
    model.train()
    with torch.no_grad():
        tables = torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)], dim=-1)  # (n, classes, k)
    model.eval()
    return tables.mean(1)


def k_minus_one_passes_stacked(model, x, k):  # torch.stack of an empty list raises for k = 1
    model.train()
    with torch.no_grad():
        tables = torch.stack([F.softmax(model(x), dim=-1) for _ in range(1, k)])
    model.eval()
    return tables.mean(0)


def k_minus_one_passes_summed(model, x, k):  # a running sum over k - 1 passes, divided by k
    model.train()
    total = torch.zeros(len(x), 3, dtype=x.dtype)
    with torch.no_grad():
        for _ in range(1, k):
            total += F.softmax(model(x), dim=-1)
    model.eval()
    return total / k


def restores_the_mode_it_was_given(model, x, k):  # right: puts the model back as it came
    was_training = model.training
    model.train()
    with torch.no_grad():
        probs = torch.stack([F.softmax(model(x), dim=-1) for _ in range(k)]).mean(0)
    model.train(was_training)
    return probs


def test_restoring_the_given_mode_passes(capsys):
    check_mc_predict(restores_the_mode_it_was_given)
    assert capsys.readouterr().out.startswith("✓ mc_predict:")


@pytest.mark.parametrize("fn, fragment", [
    (forgot_train_mode, "forgot model.train()?"),
    (leaves_training_mode, "left in training mode?"),
    (exp_of_mean_log_probs, "exp of the mean log-probs?"),
    (mean_over_classes_stacked_last, "averaged over the classes, not over the k passes"),
    (k_minus_one_passes_stacked, "k - 1 passes?"),
    (k_minus_one_passes_summed, "k - 1 passes?"),
    (averages_logits, "averaged logits or log-probs?"),
    (averages_log_probs, "averaged logits or log-probs?"),
    (sums, "summed the k predictions"),
    (returns_log_of_average, "returned log-probabilities"),
    (no_softmax, "averaged raw logits?"),
    (softmax_wrong_dim, "softmax over the wrong axis?"),
    (ignores_k, "only one thinned network: is k used?"),
    (reseeds_every_pass, "the same thinned network every pass"),
    (off_by_one, "k - 1 passes?"),
    (mean_over_examples, "averaged over the examples, not over the k passes"),
    (forgot_the_mean, "returned all k predictions"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_mc_predict_mistakes_are_named(fn, fragment):
    message = fails_with(check_mc_predict, fn, fragment)
    assert message.startswith(fragment), message


# -- exercise 3: the generalization gap in bits ------------------------------------------------------------
def _losses(model, train, test, reduction="mean"):
    with torch.no_grad():
        return (F.cross_entropy(model(train[0]), train[1], reduction=reduction).item(),
                F.cross_entropy(model(test[0]), test[1], reduction=reduction).item())


def generalization_gap(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test)
    return (test_loss - train_loss) / LN2


def gap_with_log2(model, train, test):
    model.eval()
    with torch.no_grad():
        def bits(x, y):
            return -torch.log2(torch.softmax(model(x), dim=1)[torch.arange(len(y)), y]).mean()
        return bits(*test) - bits(*train)


@pytest.mark.parametrize("fn", [generalization_gap, gap_with_log2], ids=lambda f: f.__name__)
def test_right_gaps_pass(fn, capsys):
    check_generalization_gap(fn)
    assert capsys.readouterr().out.startswith("✓ generalization_gap:")


def gap_forgot_eval(model, train, test):
    train_loss, test_loss = _losses(model, train, test)
    return (test_loss - train_loss) / LN2


def gap_in_nats(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test)
    return test_loss - train_loss


def gap_times_ln2(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test)
    return (test_loss - train_loss) * LN2


def gap_flipped(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test)
    return (train_loss - test_loss) / LN2


def gap_summed(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test, reduction="sum")
    return (test_loss - train_loss) / LN2


def gap_test_only(model, train, test):
    model.eval()
    return _losses(model, train, test)[1] / LN2


def gap_in_accuracy(model, train, test):
    model.eval()
    with torch.no_grad():
        acc = [(model(x).argmax(1) == y).float().mean().item() for x, y in (train, test)]
    return acc[0] - acc[1]


def gap_nll_on_logits(model, train, test):
    model.eval()
    with torch.no_grad():
        losses = [F.nll_loss(model(x), y).item() for x, y in (train, test)]
    return (losses[1] - losses[0]) / LN2


def gap_ratio(model, train, test):
    model.eval()
    train_loss, test_loss = _losses(model, train, test)
    return test_loss / train_loss


def gap_per_example(model, train, test):
    model.eval()
    with torch.no_grad():
        return (F.cross_entropy(model(test[0]), test[1], reduction="none") / LN2).numpy()


@pytest.mark.parametrize("fn, fragment", [
    (gap_forgot_eval, "forgot model.eval()?"),
    (gap_in_nats, "nats, not bits?"),
    (gap_times_ln2, "multiplied by ln 2 instead of dividing"),
    (gap_flipped, "the sign is flipped"),
    (gap_summed, "summed over examples?"),
    (gap_test_only, "that is the test loss alone"),
    (gap_in_accuracy, "an accuracy gap"),
    (gap_nll_on_logits, "nll_loss on raw logits?"),
    (gap_ratio, "a ratio of the losses"),
    (gap_per_example, "return one number"),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_gap_mistakes_are_named(fn, fragment):
    message = fails_with(check_generalization_gap, fn, fragment)
    assert message.startswith(fragment), message


def test_hints_are_short():
    from course_utils.checks import lesson05

    hints = [v for k, v in vars(lesson05).items() if k.isupper() and isinstance(v, str) and k != "LN2"]
    assert hints and all(len(h) <= 60 for h in hints), [h for h in hints if len(h) > 60]
