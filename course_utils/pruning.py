"""Pruning: masks, magnitude pruning (global or per layer), keeping pruned weights at zero through
training, and iterative magnitude pruning (IMP) with rewinding, as in Frankle & Carbin's lottery tickets.

A mask is a boolean tensor shaped like its weight: True keeps the weight, False prunes it. Masks come in a
dict keyed by parameter name (`prunable(model)` picks the names: every weight matrix, no biases), so they
line up with `model.named_parameters()`.

    masks = full_masks(model)                                  # dense: every weight kept
    masks = magnitude_masks(weights(model), 0.8, masks=masks)  # prune 80% of the weights, smallest |w| first
    apply_masks(model, masks)                                  # zero them
    train(model, data, ..., optimizer=opt, loss_fn=..., )      # then keep_pruned(model, masks) after each step
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

__all__ = [
    "prunable", "weights", "full_masks", "density", "magnitude_masks", "random_masks", "apply_masks",
    "MaskedOptimizer", "imp", "mask_bits",
]

Masks = dict[str, torch.Tensor]


def prunable(model: nn.Module) -> list[str]:
    """Names of the parameters that pruning acts on: every parameter with two or more dimensions
    (weight matrices and embeddings), not biases."""
    return [name for name, p in model.named_parameters() if p.ndim >= 2]


def weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """The prunable parameters by name, detached (views of the live weights, not copies)."""
    params = dict(model.named_parameters())
    return {name: params[name].detach() for name in prunable(model)}


def full_masks(model: nn.Module) -> Masks:
    """All-True masks for every prunable parameter: the dense network."""
    return {name: torch.ones_like(w, dtype=torch.bool) for name, w in weights(model).items()}


def density(masks: Masks) -> float:
    """Fraction of weights kept, over all masks together."""
    kept = sum(int(m.sum()) for m in masks.values())
    total = sum(m.numel() for m in masks.values())
    return kept / total


def _prune_smallest(scores: torch.Tensor, count: int) -> torch.Tensor:
    """A flat boolean keep-mask that drops the `count` lowest scores; ties go to the earlier index."""
    keep = torch.ones(scores.numel(), dtype=torch.bool)
    if count > 0:
        order = torch.sort(scores.flatten(), stable=True).indices  # stable: equal scores keep index order
        keep[order[:count]] = False
    return keep


def magnitude_masks(
    named_weights: dict[str, torch.Tensor], sparsity: float, *, masks: Masks | None = None, scope: str = "global"
) -> Masks:
    """Masks that prune the smallest-magnitude weights until a fraction `sparsity` of them is pruned.

    - `sparsity` counts every weight, those pruned before included: round(sparsity × n) weights end up
      pruned (per layer with `scope="layer"`, over all layers together with `scope="global"`).
    - Weights already pruned in `masks` stay pruned, whatever their value; they count towards the target.
    - Ties at the threshold are broken by position (the earlier weight goes first), so exactly the target
      count is pruned.
    """
    if not 0 <= sparsity <= 1:
        raise ValueError(f"magnitude_masks: sparsity must lie in [0, 1], got {sparsity}")
    if scope not in ("global", "layer"):
        raise ValueError(f"magnitude_masks: scope must be 'global' or 'layer', got {scope!r}")
    names = list(named_weights)
    old = {n: (masks[n] if masks is not None else torch.ones_like(named_weights[n], dtype=torch.bool)) for n in names}

    def scores(n: str) -> torch.Tensor:  # pruned weights score -1: below every magnitude, so they go first
        return torch.where(old[n], named_weights[n].detach().abs().float(), torch.tensor(-1.0)).flatten()

    if scope == "layer":
        out = {}
        for n in names:
            s = scores(n)
            count = max(round(sparsity * s.numel()), int((~old[n]).sum()))
            out[n] = _prune_smallest(s, count).reshape(named_weights[n].shape)
        return out
    flat = torch.cat([scores(n) for n in names])
    count = max(round(sparsity * flat.numel()), sum(int((~old[n]).sum()) for n in names))
    keep = _prune_smallest(flat, count)
    out, start = {}, 0
    for n in names:
        size = named_weights[n].numel()
        out[n] = keep[start : start + size].reshape(named_weights[n].shape)
        start += size
    return out


def random_masks(model: nn.Module, keep: float | Masks, *, seed: int = 0) -> Masks:
    """Random masks: with a float, each layer keeps that fraction of its weights; with masks, each layer keeps
    as many weights as in those masks (the same layer-wise density), at random positions."""
    generator = torch.Generator().manual_seed(seed)
    out = {}
    for name, w in weights(model).items():
        count = round(keep * w.numel()) if isinstance(keep, float) else int(keep[name].sum())
        flat = torch.zeros(w.numel(), dtype=torch.bool)
        flat[torch.randperm(w.numel(), generator=generator)[:count]] = True
        out[name] = flat.reshape(w.shape)
    return out


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Masks) -> None:
    """Zero the pruned weights of `model` in place."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        params[name].mul_(mask)


class MaskedOptimizer:
    """Wrap an optimizer so that pruned weights stay exactly zero through training: after every `step()` the
    masks are applied again. (Masking only the gradients is not enough: momentum, Adam's moment estimates and
    weight decay move a weight whose gradient is zero.) Pass it to `training.train` as the optimizer."""

    def __init__(self, optimizer: torch.optim.Optimizer, model: nn.Module, masks: Masks):
        self.optimizer, self.model = optimizer, model
        self._params = dict(model.named_parameters())
        self.masks = masks

    @property
    def masks(self) -> Masks:
        """The masks in force; assigning new ones (e.g. during gradual pruning) applies them at once."""
        return self._masks

    @masks.setter
    def masks(self, masks: Masks) -> None:
        self._masks = masks
        self._pairs = [(self._params[name], mask) for name, mask in masks.items()]
        self._apply()

    @torch.no_grad()
    def _apply(self) -> None:
        for param, mask in self._pairs:
            param.mul_(mask)

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.optimizer.step()
        self._apply()

    @property
    def param_groups(self) -> list[dict]:
        return self.optimizer.param_groups


def imp(
    model: nn.Module,
    train_fn: Callable[[nn.Module, Masks], float],
    *,
    rounds: int,
    rate: float = 0.2,
    scope: str = "global",
    rewind_to: dict[str, torch.Tensor] | None = None,
) -> list[tuple[Masks, float]]:
    """Iterative magnitude pruning with rewinding (Frankle & Carbin 2019, §2).

    Round 0 trains the dense `model`; each later round prunes a fraction `rate` of the weights that survived,
    by the magnitude of the trained weights (`scope` as in `magnitude_masks`), rewinds every parameter to
    `rewind_to` (default: the model's state when `imp` was called, i.e. its initialization) and trains again.
    `train_fn(model, masks)` trains in place, keeping pruned weights at zero (e.g. with `MaskedOptimizer`),
    and returns a score. Returns [(masks, score)] for rounds 0..rounds, at densities 1, 1 - rate, (1 - rate)², ...
    """
    if not 0 < rate < 1:
        raise ValueError(f"imp: rate must lie in (0, 1), got {rate}")
    start = {k: v.clone() for k, v in (rewind_to if rewind_to is not None else model.state_dict()).items()}
    masks = full_masks(model)
    results = []
    for r in range(rounds + 1):
        if r > 0:
            masks = magnitude_masks(weights(model), 1 - (1 - rate) ** r, masks=masks, scope=scope)
            model.load_state_dict(start)
            apply_masks(model, masks)  # the survivors rewound, the pruned at zero
        score = train_fn(model, masks)
        results.append(({k: v.clone() for k, v in masks.items()}, score))
    return results


def mask_bits(masks: Masks) -> float:
    """Bits to say which weights survive: log2 of the number of ways to choose the survivors in each layer,
    log2 C(n, k), summed over layers (the cost of naming a subset, with no other knowledge of the pattern)."""
    total = 0.0
    for m in masks.values():
        n, k = m.numel(), int(m.sum())
        total += (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)
    return total
