"""Lesson 07's checkers: they pass right answers written in several ways and name each realistic mistake."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from check_helpers import fails_with
from course_utils.checks import check_imp_round, check_magnitude_prune, check_train_pruned


# -- exercise 1: magnitude_prune(weights, sparsity, masks) ----------------------------------------------------
def magnitude_prune(weights, sparsity, masks):
    sizes = [np.size(w) for w in weights]
    scores = np.concatenate([np.where(m, np.abs(w), -1.0).ravel() for w, m in zip(weights, masks)])
    old = int(sum((~np.asarray(m)).sum() for m in masks))
    k = max(round(sparsity * scores.size), old)
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(scores, kind="stable")[:k]] = False
    return [part.reshape(np.shape(w)) for part, w in zip(np.split(keep, np.cumsum(sizes)[:-1]), weights)]


def magnitude_prune_torch(weights, sparsity, masks):
    w = torch.cat([torch.as_tensor(x).flatten() for x in weights])
    m = torch.cat([torch.as_tensor(x).flatten() for x in masks])
    scores = torch.where(m, w.abs(), torch.tensor(-1.0, dtype=w.dtype))
    k = max(round(sparsity * len(w)), int((~m).sum()))
    keep = torch.ones(len(w), dtype=torch.bool)
    keep[torch.topk(scores, k, largest=False).indices] = False  # breaks ties its own way: also right
    return [part.reshape(np.shape(x)) for part, x in zip(keep.split([np.size(x) for x in weights]), weights)]


def magnitude_prune_ints(weights, sparsity, masks):  # 0/1 integers instead of booleans, zeros for pruned weights
    return [x.astype(int) for x in magnitude_prune([np.asarray(w) * m for w, m in zip(weights, masks)], sparsity, masks)]


def test_right_pruning_passes(capsys):
    for fn in (magnitude_prune, magnitude_prune_torch, magnitude_prune_ints):
        check_magnitude_prune(fn)
    assert capsys.readouterr().out.count("✓ magnitude_prune") == 3


def _flat_prune(weights, masks, k, score):
    scores = np.concatenate([np.where(m, score(w), -np.inf).ravel() for w, m in zip(weights, masks)])
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(scores, kind="stable")[:k]] = False
    return [part.reshape(np.shape(w)) for part, w in zip(np.split(keep, np.cumsum([np.size(w) for w in weights])[:-1]), weights)]


def signed(weights, s, masks):
    n = sum(np.size(w) for w in weights)
    return _flat_prune(weights, masks, max(round(s * n), int(sum((~m).sum() for m in masks))), lambda w: w)


def ignores_masks(weights, s, masks):
    return _flat_prune(weights, [np.ones_like(m) for m in masks], round(s * sum(np.size(w) for w in weights)), np.abs)


def recounts(weights, s, masks):  # prunes s*n more on top of those already pruned
    n = sum(np.size(w) for w in weights)
    return _flat_prune(weights, masks, min(n, int(sum((~m).sum() for m in masks)) + round(s * n)), np.abs)


def per_layer(weights, s, masks):
    out = []
    for w, m in zip(weights, masks):
        scores = np.where(m, np.abs(w), -np.inf).ravel()
        keep = np.ones(scores.size, dtype=bool)
        keep[np.argsort(scores, kind="stable")[: max(round(s * w.size), int((~m).sum()))]] = False
        out.append(keep.reshape(w.shape))
    return out


def threshold_le(weights, s, masks):  # the k-th smallest magnitude as a threshold, `<=`: ties all pruned
    scores = [np.where(m, np.abs(w), -1.0) for w, m in zip(weights, masks)]
    k = max(round(s * sum(np.size(w) for w in weights)), 1)
    tau = np.sort(np.concatenate([x.ravel() for x in scores]))[k - 1]
    return [x > tau for x in scores]


def threshold_lt(weights, s, masks):  # the same with `<`: tied weights all kept
    scores = [np.where(m, np.abs(w), -1.0) for w, m in zip(weights, masks)]
    k = max(round(s * sum(np.size(w) for w in weights)), 1)
    tau = np.sort(np.concatenate([x.ravel() for x in scores]))[k - 1]
    return [x >= tau for x in scores]


PRUNE_BUGS = [
    (signed, "signed value"),
    (ignores_masks, "revived pruned weights"),
    (recounts, "re-counted the already pruned"),
    (per_layer, "pruned per layer"),
    (lambda w, s, m: [~x for x in magnitude_prune(w, s, m)], "mask inverted"),
    (lambda w, s, m: magnitude_prune(w, 1 - s, m), "kept the fraction s"),
    (threshold_le, "`<= tau` pruned every weight tied"),
    (threshold_lt, "`< tau` kept the k-th smallest"),
    (lambda w, s, m: [np.asarray(x) * k for x, k in zip(w, magnitude_prune(w, s, m))], "returned the pruned weights"),
    (lambda w, s, m: np.concatenate([x.ravel() for x in magnitude_prune(w, s, m)]), "one array instead of a list"),
]


@pytest.mark.parametrize("buggy, message", PRUNE_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_pruning_mistakes_are_named(buggy, message):
    fails_with(check_magnitude_prune, buggy, message)


def floor_k(weights, s, masks):  # int() instead of round()
    n = sum(np.size(w) for w in weights)
    return _flat_prune(weights, masks, max(int(s * n), int(sum((~m).sum() for m in masks))), np.abs)


def negative_slice(weights, s, masks):  # largest first, then the last k: with k = 0, `[-0:]` is everything
    sizes = [np.size(w) for w in weights]
    scores = np.concatenate([np.where(m, np.abs(w), -1.0).ravel() for w, m in zip(weights, masks)])
    k = max(round(s * scores.size), int(sum((~m).sum() for m in masks)))
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(-scores, kind="stable")[-k:]] = False
    return [part.reshape(np.shape(w)) for part, w in zip(np.split(keep, np.cumsum(sizes)[:-1]), weights)]


def prune_largest(weights, s, masks):  # argsort of -|w|: the largest go first
    scores = np.concatenate([np.where(m, np.abs(w), np.inf).ravel() for w, m in zip(weights, masks)])
    k = max(round(s * scores.size), int(sum((~m).sum() for m in masks)))
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(-scores)[:k]] = False
    return [part.reshape(np.shape(w)) for part, w in zip(np.split(keep, np.cumsum([np.size(w) for w in weights])[:-1]), weights)]


def and_after(weights, s, masks):  # ranks every |w|, pruned ones included, then ANDs with the old masks
    n = sum(np.size(w) for w in weights)
    new = _flat_prune(weights, [np.ones_like(m) for m in masks], round(s * n), np.abs)
    return [a & m for a, m in zip(new, masks)]


def test_more_pruning_mistakes_are_named():
    fails_with(check_magnitude_prune, floor_k, "int() rounds down")
    fails_with(check_magnitude_prune, negative_slice, "sparsity 0 pruned everything")
    message = fails_with(check_magnitude_prune, prune_largest, "pruned the largest |w|")
    assert "inverted" not in message
    message = fails_with(check_magnitude_prune, and_after, "ANDed with the old masks")
    assert "survivors" not in message


def test_compounding_is_named():
    def compound(weights, s, masks):  # s of the survivors, on top of the already pruned
        old = int(sum((~m).sum() for m in masks))
        n = sum(np.size(w) for w in weights)
        return _flat_prune(weights, masks, old + round(s * (n - old)), np.abs)

    fails_with(check_magnitude_prune, compound, "pruned s of the survivors")


def test_in_place_edit_of_the_masks_fails():
    def in_place(weights, s, masks):
        new = magnitude_prune(weights, s, masks)
        for m, n in zip(masks, new):
            m &= n
        return masks

    fails_with(check_magnitude_prune, in_place, "in place")


# -- exercise 2: train_pruned(model, masks, optimizer, x, y, steps) ---------------------------------------------
def train_pruned(model, masks, optimizer, x, y, steps):
    weights = [layer.weight for layer in model.linears]
    with torch.no_grad():
        for w, m in zip(weights, masks):
            w.mul_(m)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        with torch.no_grad():
            for w, m in zip(weights, masks):
                w.mul_(m)
    return model


def train_pruned_data(model, masks, optimizer, x, y, steps):  # .data and masked_fill: also right
    def prune():
        for layer, m in zip(model.linears, masks):
            layer.weight.data = layer.weight.data.masked_fill(~m, 0.0)

    prune()
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        prune()
    return model


def train_pruned_torch_prune(model, masks, optimizer, x, y, steps):  # torch's own pruning utilities: also right
    import torch.nn.utils.prune as P

    for layer, m in zip(model.linears, masks):
        P.custom_from_mask(layer, "weight", m)  # re-registers the weight after the bias
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    for layer in model.linears:
        P.remove(layer, "weight")
    return model


def test_right_training_passes(capsys):
    check_train_pruned(train_pruned)
    check_train_pruned(train_pruned_data)
    check_train_pruned(train_pruned_torch_prune)
    assert capsys.readouterr().out.count("✓ train_pruned") == 3


def test_torch_prune_without_remove_is_named():
    def no_remove(model, masks, optimizer, x, y, steps):
        import torch.nn.utils.prune as P

        for layer, m in zip(model.linears, masks):
            P.custom_from_mask(layer, "weight", m)
        for _ in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        return model

    fails_with(check_train_pruned, no_remove, "call prune.remove")


def _variant(zero_first=True, grads=False, before=False, after=True, at_end=False, zero_grad=True, extra=0, invert=False):
    def fn(model, masks, optimizer, x, y, steps):
        ws = [layer.weight for layer in model.linears]
        ms = [~m for m in masks] if invert else masks

        def zero():
            with torch.no_grad():
                for w, m in zip(ws, ms):
                    w *= m

        if zero_first:
            zero()
        for _ in range(steps + extra):
            if zero_grad:
                optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            if grads:
                for w, m in zip(ws, ms):
                    w.grad *= m
            if before:
                zero()
            optimizer.step()
            if after:
                zero()
        if at_end:
            zero()
        return model

    return fn


def no_no_grad(model, masks, optimizer, x, y, steps):
    for layer, m in zip(model.linears, masks):
        layer.weight *= m  # in place on a leaf that requires grad: PyTorch refuses
    return model


def forgot_return(model, masks, optimizer, x, y, steps):
    train_pruned(model, masks, optimizer, x, y, steps)


TRAIN_BUGS = [
    (_variant(after=False), "masked only once"),
    (_variant(after=False, grads=True), "masked the gradients only"),
    (_variant(zero_first=False, after=False, grads=True), "never set to zero"),
    (_variant(after=False, before=True), "before optimizer.step()"),
    (_variant(zero_first=False, after=False, at_end=True), "masked only at the end"),
    (_variant(zero_first=False), "before the first step too"),
    (_variant(zero_grad=False), "forgot optimizer.zero_grad()"),
    (_variant(invert=True), "mask inverted"),
    (_variant(extra=1), "one step too many or too few"),
    (_variant(extra=-1), "one step too many or too few"),
    (no_no_grad, "torch.no_grad()"),
    (forgot_return, "return the model"),
]


@pytest.mark.parametrize("buggy, message", TRAIN_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_training_mistakes_are_named(buggy, message):
    fails_with(check_train_pruned, buggy, message)


def test_a_new_optimizer_is_named():
    def own_optimizer(model, masks, optimizer, x, y, steps):
        return train_pruned(model, masks, torch.optim.SGD(model.parameters(), lr=0.01), x, y, steps)

    def same_kind(model, masks, optimizer, x, y, steps):  # a fresh one of the same class and step size
        fresh = type(optimizer)(model.parameters(), lr=optimizer.param_groups[0]["lr"])
        return train_pruned(model, masks, fresh, x, y, steps)

    for fn in (own_optimizer, same_kind):
        fails_with(check_train_pruned, fn, "built a new optimizer", "differs from a reference run")


def test_cleared_state_and_new_parameters_are_named():
    def cleared(model, masks, optimizer, x, y, steps):
        optimizer.state.clear()
        return train_pruned(model, masks, optimizer, x, y, steps)

    def new_parameter(model, masks, optimizer, x, y, steps):
        def prune():
            for layer, m in zip(model.linears, masks):
                layer.weight = torch.nn.Parameter(layer.weight.detach() * m)

        prune()
        for _ in range(steps):
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            prune()
        return model

    def top_of_loop(model, masks, optimizer, x, y, steps):  # masks before each step, never after the last one
        for _ in range(steps):
            with torch.no_grad():
                for layer, m in zip(model.linears, masks):
                    layer.weight.mul_(m)
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
        return model

    fails_with(check_train_pruned, cleared, "cleared the optimizer's state")
    fails_with(check_train_pruned, new_parameter, "new nn.Parameter")
    fails_with(check_train_pruned, top_of_loop, "masked at the top of the loop")


def test_a_shape_error_is_short_and_named():
    def with_biases(model, masks, optimizer, x, y, steps):  # pairs the masks with weights and biases alike
        with torch.no_grad():
            for p, m in zip(model.parameters(), masks):
                p.mul_(m)
        return model

    message = fails_with(check_train_pruned, with_biases, "a mask paired with the wrong tensor",
                         "train_pruned(model, masks, SGD optimizer, x, y, steps=4) raised RuntimeError")
    assert "\n" not in message and len(message) < 400, message


# -- exercise 3: imp_round(trained, initial, masks, rate) ---------------------------------------------------------
def imp_round(trained, initial, masks, rate):
    survivors = int(sum(m.sum() for m in masks))
    k = sum(m.size for m in masks) - survivors + round(rate * survivors)
    new_masks = magnitude_prune(trained, k / sum(m.size for m in masks), masks)
    return new_masks, [i * m for i, m in zip(initial, new_masks)]


def imp_round_direct(trained, initial, masks, rate):
    scores = np.concatenate([np.where(m, np.abs(t), np.inf).ravel() for t, m in zip(trained, masks)])
    alive = np.flatnonzero(np.isfinite(scores))
    drop = alive[np.argsort(scores[alive])[: round(rate * alive.size)]]
    keep = np.concatenate([m.ravel() for m in masks]).copy()
    keep[drop] = False
    parts = np.split(keep, np.cumsum([m.size for m in masks])[:-1])
    new_masks = [p.reshape(m.shape) for p, m in zip(parts, masks)]
    return tuple(new_masks), tuple(np.where(m, i, 0.0) for i, m in zip(initial, new_masks))


def test_right_imp_round_passes(capsys):
    check_imp_round(imp_round)
    check_imp_round(imp_round_direct)
    assert capsys.readouterr().out.count("✓ imp_round") == 2


def _imp(mask_fn, rewind="initial"):
    def fn(trained, initial, masks, rate):
        new = mask_fn(trained, initial, masks, rate)
        if rewind == "initial":
            return new, [i * m for i, m in zip(initial, new)]
        if rewind == "trained":
            return new, [t * m for t, m in zip(trained, new)]
        if rewind == "unmasked":
            return new, [np.array(i) for i in initial]
        return new, [i * m for i, m in zip(initial, masks)]

    return fn


def right_masks(trained, initial, masks, rate):
    return imp_round(trained, initial, masks, rate)[0]


def recount_masks(trained, initial, masks, rate):  # the k smallest of all |trained|, pruned zeros included
    survivors = int(sum(m.sum() for m in masks))
    k = round(rate * survivors)
    scores = np.concatenate([np.abs(t).ravel() for t in trained])
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(scores, kind="stable")[:k]] = False
    keep &= np.concatenate([m.ravel() for m in masks])
    return [p.reshape(m.shape) for p, m in zip(np.split(keep, np.cumsum([m.size for m in masks])[:-1]), masks)]


def of_all_masks(trained, initial, masks, rate):
    n = sum(m.size for m in masks)
    old = n - int(sum(m.sum() for m in masks))
    return magnitude_prune(trained, min(1.0, (old + round(rate * n)) / n), masks)


def by_initial_masks(trained, initial, masks, rate):
    return imp_round(initial, initial, masks, rate)[0]


def per_layer_masks(trained, initial, masks, rate):
    out = []
    for t, m in zip(trained, masks):
        out.append(imp_round([t], [t], [m], rate)[0][0])
    return out


def signed_masks(trained, initial, masks, rate):
    survivors = int(sum(m.sum() for m in masks))
    n = sum(m.size for m in masks)
    return signed(trained, (n - survivors + round(rate * survivors)) / n, masks)


IMP_BUGS = [
    (_imp(right_masks, "trained"), "kept the trained weights"),
    (lambda t, i, m, r: ([np.ones_like(x) for x in m], [np.array(x) for x in i]), "rewound the mask"),
    (lambda t, i, m, r: ([np.ones_like(x) for x in m], [np.array(x) for x in t]), "rewound the mask"),
    (_imp(right_masks, "unmasked"), "not masked"),
    (_imp(right_masks, "old"), "old mask"),
    (_imp(recount_masks), "re-counted already-pruned"),
    (_imp(of_all_masks), "rate × all weights"),
    (_imp(by_initial_masks), "ranked the initial weights"),
    (_imp(per_layer_masks), "pruned per layer"),
    (_imp(signed_masks), "signed value"),
    (_imp(lambda t, i, m, r: magnitude_prune(
        t, (sum(x.size for x in m) - int(sum(x.sum() for x in m)) + int(r * int(sum(x.sum() for x in m))))
        / sum(x.size for x in m), m)), "int() rounds down"),
    (lambda t, i, m, r: tuple(reversed(imp_round(t, i, m, r))), "swapped"),
    (lambda t, i, m, r: imp_round(t, i, m, r)[0], "expected a pair"),
]


@pytest.mark.parametrize("buggy, message", IMP_BUGS, ids=lambda x: x if isinstance(x, str) else None)
def test_imp_mistakes_are_named(buggy, message):
    fails_with(check_imp_round, buggy, message)


def test_random_reinitialization_is_named():
    def reinit(trained, initial, masks, rate):
        new = right_masks(trained, initial, masks, rate)
        rng = np.random.default_rng(0)
        return new, [rng.normal(size=m.shape) * m for m in new]

    fails_with(check_imp_round, reinit, "new random values")


def test_trained_signs_are_not_called_random():
    def trained_signs(trained, initial, masks, rate):
        new = right_masks(trained, initial, masks, rate)
        return new, [np.sign(t) * np.abs(i) * m for t, i, m in zip(trained, initial, new)]

    def flipped(trained, initial, masks, rate):  # -initial: ± the given values, so not "new random values"
        new = right_masks(trained, initial, masks, rate)
        return new, [-i * m for i, m in zip(initial, new)]

    fails_with(check_imp_round, trained_signs, "with the trained signs")
    assert "random" not in fails_with(check_imp_round, flipped, "rewound weights")


# -- whatever the function does, one line back ----------------------------------------------------------------------
def raise_not_implemented(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("check", [check_magnitude_prune, check_train_pruned, check_imp_round])
def test_stubs_and_crashes_get_a_message(check):
    fails_with(check, raise_not_implemented, "not implemented yet")
    fails_with(check, lambda *a: 1 / 0, "ZeroDivisionError")
    fails_with(check, 0.5, "needs your function itself")


def test_hints_are_short_enough_for_a_grader_line():
    import course_utils.checks.lesson07 as lesson07

    hints = [v for k, v in vars(lesson07).items() if k.isupper() and isinstance(v, str)]
    assert len(hints) > 25
    assert all(len(h) <= 60 for h in hints), [h for h in hints if len(h) > 60]
