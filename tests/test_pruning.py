"""course_utils.pruning against masks computed by hand, and its training helpers on a tiny network."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from course_utils.models import MLP
from course_utils.pruning import (MaskedOptimizer, apply_masks, density, full_masks, imp, magnitude_masks, mask_bits,
                                  prunable, random_masks, weights)

T, F_ = True, False


def test_prunable_is_weights_not_biases():
    model = MLP([3, 4, 2], seed=0)
    assert prunable(model) == ["linears.0.weight", "linears.1.weight"]
    assert {k: tuple(v.shape) for k, v in weights(model).items()} == {"linears.0.weight": (4, 3), "linears.1.weight": (2, 4)}
    assert density(full_masks(model)) == 1.0


def test_global_mask_by_hand():
    w = {"a": torch.tensor([[0.5, -2.0], [0.1, 3.0]]), "b": torch.tensor([-0.2, 1.0, -4.0, 0.05])}
    got = magnitude_masks(w, 0.5)  # 4 of 8 go: 0.05, 0.1, -0.2, 0.5 (by |w|, across both layers)
    assert got["a"].tolist() == [[F_, T], [F_, T]]
    assert got["b"].tolist() == [F_, T, T, F_]
    assert density(got) == 0.5


def test_per_layer_mask_by_hand():
    w = {"a": torch.tensor([[0.5, -2.0], [0.1, 3.0]]), "b": torch.tensor([-0.2, 1.0, -4.0, 0.05])}
    got = magnitude_masks(w, 0.5, scope="layer")  # 2 of 4 in each layer
    assert got["a"].tolist() == [[F_, T], [F_, T]]
    assert got["b"].tolist() == [F_, T, T, F_]
    w["a"] = w["a"] * 100  # now layer a's weights are all large: global pruning takes b's, per layer does not
    assert magnitude_masks(w, 0.5)["b"].tolist() == [F_, F_, F_, F_]
    assert magnitude_masks(w, 0.5, scope="layer")["b"].tolist() == [F_, T, T, F_]


def test_magnitude_not_sign():
    got = magnitude_masks({"a": torch.tensor([-5.0, 1.0, -0.5, 2.0])}, 0.5)
    assert got["a"].tolist() == [T, F_, F_, T]


def test_ties_prune_exactly_the_target_earlier_first():
    got = magnitude_masks({"a": torch.tensor([1.0, -1.0, 1.0, 1.0, 2.0, 2.0])}, 2 / 6)
    assert got["a"].tolist() == [F_, F_, T, T, T, T]


def test_already_pruned_stay_pruned_and_count():
    w = {"a": torch.tensor([5.0, -0.1, 0.2, 3.0, -4.0, 0.3, -0.6, 0.7, 2.0, -1.5])}
    old = {"a": torch.tensor([F_, T, T, T, T, T, T, T, T, F_])}  # 5.0 and -1.5 already pruned, though large
    got = magnitude_masks(w, 0.6, masks=old)  # 6 in all: the 2 old ones and 0.1, 0.2, 0.3, 0.6
    assert got["a"].tolist() == [F_, F_, F_, T, T, F_, F_, T, T, F_]
    assert magnitude_masks(w, 0.1, masks=old)["a"].tolist() == old["a"].tolist()  # never un-prunes
    assert not magnitude_masks(w, 1.0, masks=old)["a"].any()


def test_bad_arguments():
    with pytest.raises(ValueError, match="sparsity"):
        magnitude_masks({"a": torch.ones(3)}, 1.5)
    with pytest.raises(ValueError, match="scope"):
        magnitude_masks({"a": torch.ones(3)}, 0.5, scope="row")


def test_random_masks_keep_layer_sizes():
    model = MLP([8, 16, 4], seed=0)
    ticket = magnitude_masks(weights(model), 0.75)
    rand = random_masks(model, ticket, seed=1)
    assert {k: int(v.sum()) for k, v in rand.items()} == {k: int(v.sum()) for k, v in ticket.items()}
    assert any(not torch.equal(rand[k], ticket[k]) for k in ticket)
    assert torch.equal(random_masks(model, 0.5, seed=3)["linears.0.weight"], random_masks(model, 0.5, seed=3)["linears.0.weight"])
    assert int(random_masks(model, 0.5)["linears.0.weight"].sum()) == 64


@pytest.mark.parametrize("make", [lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1)])
def test_masked_optimizer_keeps_pruned_weights_zero_even_with_momentum(make):
    torch.manual_seed(0)
    model = MLP([5, 6, 3], seed=0)
    x, y = torch.randn(20, 5), torch.randint(0, 3, (20,))
    base = make(model.parameters())
    for _ in range(3):  # dense steps first: the optimizer now carries momentum for every weight
        base.zero_grad()
        F.cross_entropy(model(x), y).backward()
        base.step()
    masks = magnitude_masks(weights(model), 0.6)
    opt = MaskedOptimizer(base, model, masks)
    before = {k: v.clone() for k, v in weights(model).items()}
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for name, w in weights(model).items():
        assert (w[~masks[name]] == 0).all()
        assert not torch.equal(w[masks[name]], before[name][masks[name]])  # the survivors trained


def test_apply_masks_zeroes_in_place():
    model = MLP([2, 2], seed=0)
    apply_masks(model, {"linears.0.weight": torch.tensor([[T, F_], [F_, T]])})
    w = model.linears[0].weight
    assert w[0, 1] == 0 and w[1, 0] == 0 and w[0, 0] != 0


def test_imp_rewinds_and_prunes_the_survivors():
    model = MLP([4, 8, 4], seed=0)  # 64 weights: densities 1/2, 1/4, 1/8 are exact
    start = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []

    def train_fn(m, masks):
        w = dict(m.named_parameters())
        seen.append({k: v.detach().clone() for k, v in w.items()})
        with torch.no_grad():  # a stand-in for training: move every kept weight, keep pruned ones at zero
            for k, v in w.items():
                v.add_(0.5 * torch.sign(v) + 0.01)
            apply_masks(m, masks)
        return density(masks)

    rounds = imp(model, train_fn, rounds=3, rate=0.5)
    assert [score for _, score in rounds] == [1.0, 0.5, 0.25, 0.125]
    for r in range(1, 4):  # every round starts from the initial values, pruned by the current mask
        masks = rounds[r][0]
        for k, v in seen[r].items():
            expected = start[k] * masks[k] if k in masks else start[k]
            assert torch.equal(v, expected)
        for k in masks:  # nested masks: once pruned, always pruned
            assert not (masks[k] & ~rounds[r - 1][0][k]).any()


def test_imp_rewinds_to_a_given_state():
    model = MLP([4, 3], seed=0)
    target = {k: torch.full_like(v, 2.0) for k, v in model.state_dict().items()}
    seen = []
    imp(model, lambda m, masks: seen.append(m.linears[0].weight.detach().clone()) or 0.0, rounds=1, rate=0.5,
        rewind_to=target)
    assert set(seen[1].unique().tolist()) == {0.0, 2.0}


def test_mask_bits_is_log2_binomial():
    masks = {"a": torch.tensor([T, F_, F_, T, F_]), "b": torch.ones(3, dtype=torch.bool)}
    assert mask_bits(masks) == pytest.approx(math.log2(math.comb(5, 2)) + 0.0)
    assert mask_bits({"a": torch.zeros(8, dtype=torch.bool)}) == pytest.approx(0.0, abs=1e-9)


def test_masked_optimizer_applies_new_masks_when_assigned():
    model = MLP([3, 4, 2], seed=0)
    opt = MaskedOptimizer(torch.optim.SGD(model.parameters(), lr=0.1), model, full_masks(model))
    assert (model.linears[0].weight != 0).all()
    opt.masks = magnitude_masks(weights(model), 0.5)
    assert density({k: w != 0 for k, w in weights(model).items()}) == 0.5
