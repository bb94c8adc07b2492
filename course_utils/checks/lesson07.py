"""Checkers for lesson 07 (lottery tickets and pruning): a global magnitude-pruning mask, training with a mask so
that pruned weights stay zero, and one round of iterative magnitude pruning (IMP) with rewinding.

Conventions of the sheet: weights and masks come as lists, one array per layer; a mask is True (or 1) where the
weight is kept and False (0) where it is pruned. Expected values come from plain NumPy references written here; the
likely mistakes are simulated on the same inputs, so a hint names a mistake only when the learner's answer is
exactly what that mistake gives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, checker, diff_summary, fmt

__all__ = ["check_magnitude_prune", "check_train_pruned", "check_imp_round"]


# -- shared helpers ---------------------------------------------------------------------------------------

def _flat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _prune(scores: np.ndarray, count: int) -> np.ndarray:
    """A flat keep-mask dropping the `count` lowest scores (ties: the earlier index first)."""
    keep = np.ones(scores.size, dtype=bool)
    keep[np.argsort(scores, kind="stable")[:count]] = False
    return keep


def _split(flat: np.ndarray, like: list[np.ndarray]) -> list[np.ndarray]:
    out, start = [], 0
    for a in like:
        out.append(flat[start : start + a.size].reshape(a.shape))
        start += a.size
    return out


def _global_mask(weights: list[np.ndarray], masks: list[np.ndarray], total_pruned: int, *,
                 signed: bool = False, ignore_masks: bool = False, largest: bool = False) -> list[np.ndarray]:
    w, m = _flat(weights), _flat(masks).astype(bool)
    scores = w if signed else -np.abs(w) if largest else np.abs(w)
    if not ignore_masks:
        scores = np.where(m, scores, -np.inf)
    return _split(_prune(scores, total_pruned), weights)


def _layer_mask(weights: list[np.ndarray], masks: list[np.ndarray], fraction_of: str, value: float) -> list[np.ndarray]:
    """Per-layer pruning: each layer pruned to sparsity `value` (fraction_of="all") on its own."""
    out = []
    for w, m in zip(weights, masks):
        m = np.asarray(m, dtype=bool)
        scores = np.where(m, np.abs(w), -np.inf).ravel()
        if fraction_of == "all":
            count = max(round(value * w.size), int((~m).sum()))
        else:  # a fraction of the survivors, pruned on top of those already pruned
            count = int((~m).sum()) + round(value * int(m.sum()))
        out.append(_prune(scores, count).reshape(w.shape))
    return out


def _masks_back(c: Checker, value: Any, text: str, like: list[np.ndarray], what: str = "masks") -> list[np.ndarray]:
    """The learner's list of per-layer masks (or weights), checked for count, shapes and 0/1 values."""
    if value is None:
        c.fail(f"{text} returned None", hint="is the `return` statement missing?")
    if hasattr(value, "shape") and not isinstance(value, (list, tuple)):
        c.fail(f"{text} returned one array of shape {tuple(value.shape)}; expected a list of {len(like)} {what}, one "
               f"per layer, shaped {[a.shape for a in like]}", hint="one array instead of a list per layer?")
    if not isinstance(value, (list, tuple)):
        c.fail(f"{text} returned {type(value).__name__}; expected a list of {len(like)} {what}, one per layer")
    if len(value) != len(like):
        c.fail(f"{text} returned {len(value)} {what}; expected {len(like)}, one per layer")
    arrays = [c.to_array(v, text) for v in value]
    for i, (a, b) in enumerate(zip(arrays, like)):
        if a.shape != b.shape:
            c.fail(f"{text}: {what[:-1]} {i} has shape {a.shape}; expected {b.shape}, the shape of layer {i}")
        if np.isnan(a).any():
            c.fail(f"{text}: {what[:-1]} {i} contains NaN")
    if what == "masks":
        for i, a in enumerate(arrays):
            if not np.isin(a, (0.0, 1.0)).all():
                c.fail(f"{text}: mask {i} holds values other than True/False, e.g. {fmt(a.ravel()[~np.isin(a.ravel(), (0.0, 1.0))][:3])}",
                       hint="returned the pruned weights instead of masks?")
    return arrays


def _hint_for(got: np.ndarray, mistakes: dict[str, Any], right: np.ndarray) -> str:
    """The one mistake that reproduces `got` exactly (and differs from the right answer), else no hint."""
    found = [why for why, wrong in mistakes.items()
             if wrong is not None and np.shape(wrong) == got.shape and np.allclose(got, wrong, rtol=1e-5, atol=1e-7)
             and not (np.shape(wrong) == right.shape and np.allclose(wrong, right, rtol=1e-5, atol=1e-7))]
    return found[0] if len(found) == 1 else ""


# -- exercise 1: a global magnitude-pruning mask ------------------------------------------------------------

SIGNED = "pruned by signed value: rank |w|, not w"
REVIVED = "revived pruned weights: already-pruned weights stay pruned"
RECOUNT = "re-counted the already pruned: they count toward sparsity"
COMPOUND = "pruned s of the survivors; s is of all weights"
PER_LAYER = "pruned per layer; global means one threshold for all"
INVERTED = "mask inverted: True means kept"
AS_DENSITY = "kept the fraction s; s is the fraction pruned"
TIES_MORE = "`<= tau` pruned every weight tied at the threshold"
TIES_FEWER = "`< tau` kept the k-th smallest weight: off by one"
LARGEST = "pruned the largest |w|; prune the smallest"
FLOOR = "int() rounds down: k = round(sparsity * n)"
ANDED = "ranked all weights, then ANDed with the old masks"
K_ZERO = "sparsity 0 pruned everything: check the k = 0 case"


def _prune_mistakes(weights: list[np.ndarray], s: float, masks: list[np.ndarray]) -> dict[str, Any]:
    n = sum(w.size for w in weights)
    old = int(sum((~np.asarray(m, dtype=bool)).sum() for m in masks))
    k = max(round(s * n), old)
    survivors = n - old
    right = _flat(_global_mask(weights, masks, k))
    mistakes = {
        SIGNED: _flat(_global_mask(weights, masks, k, signed=True)),
        REVIVED: _flat(_global_mask(weights, masks, round(s * n), ignore_masks=True)),
        RECOUNT: _flat(_global_mask(weights, masks, min(n, old + round(s * n)))),
        COMPOUND: _flat(_global_mask(weights, masks, old + round(s * survivors))),
        PER_LAYER: _flat(_layer_mask(weights, masks, "all", s)),
        INVERTED: 1.0 - right,
        AS_DENSITY: _flat(_global_mask(weights, masks, max(round((1 - s) * n), old))),
        LARGEST: _flat(_global_mask(weights, masks, k, largest=True)),
        FLOOR: _flat(_global_mask(weights, masks, max(int(s * n), old))),
        # the k smallest |w| of all the weights, pruned ones included, then AND-ed with the old masks
        ANDED: _flat(_global_mask(weights, masks, round(s * n), ignore_masks=True)) * _flat(masks),
    }
    scores = np.where(_flat(masks).astype(bool), np.abs(_flat(weights)), -np.inf)
    if 0 < k < n:
        tau = np.sort(scores)[k - 1]
        mistakes[TIES_MORE] = (scores > tau).astype(float)
        mistakes[TIES_FEWER] = np.where(np.isfinite(scores), scores >= tau, False).astype(float)
    return mistakes


def _valid_prune(got: np.ndarray, weights: list[np.ndarray], masks: list[np.ndarray], k: int) -> bool:
    """Right up to how ties are broken: exactly k pruned, the old ones among them, no kept weight smaller."""
    old = _flat(masks).astype(bool)
    keep = got.astype(bool)
    if (keep & ~old).any() or int((~keep).sum()) != k:
        return False
    mag = np.abs(_flat(weights))
    newly = ~keep & old
    return not newly.any() or not keep.any() or mag[newly].max() <= mag[keep].min()


@checker
def check_magnitude_prune(magnitude_prune: Any) -> None:
    """Check `magnitude_prune(weights, sparsity, masks)`: global magnitude pruning to a fraction `sparsity` of all
    the weights, the already pruned counted and kept pruned, exactly round(sparsity * n) pruned."""
    c = Checker("magnitude_prune", magnitude_prune)
    rng = np.random.default_rng(7)
    ones = lambda shapes: [np.ones(s, dtype=bool) for s in shapes]  # noqa: E731
    cases = [
        # sparsity 1/4: inverting the mask (3 pruned) and pruning the largest |w| (1 pruned, the 3.0) differ
        ([np.array([[0.5, -2.0], [0.1, 3.0]])], 0.25, ones([(2, 2)])),
        ([np.array([[0.1, -0.2], [0.3, -0.4]]), np.array([[-1.0, 2.0, -3.0, 4.0]])], 0.5, ones([(2, 2), (1, 4)])),
        # 0.4 * 7 = 2.8: round gives 3, int() gives 2 (and the tie at 0.3 tells int() from `< tau`)
        ([np.array([[0.9, -0.3, 0.5, 0.1]]), np.array([[-0.7, 0.3, 0.6]])], 0.4, ones([(1, 4), (1, 3)])),
        # two large already-pruned weights (5.0, -4.0) and a small one: ranking all weights and AND-ing prunes 8,
        # s of the survivors prunes 7, the right answer 6
        ([np.array([[5.0, -0.1, 0.2, 3.0, -4.0, 0.3, -0.6, 0.7, 2.0, -1.5]])], 0.6,
         [np.array([[False, False, True, True, False, True, True, True, True, True]])]),
    ]
    weights = [rng.normal(size=s) for s in [(5, 4), (4, 6), (6, 3)]]
    old = [rng.random(s) > 0.3 for s in [(5, 4), (4, 6), (6, 3)]]
    cases += [(weights, 0.7, old), (weights, 0.0, old), (weights, 1.0, old)]
    cases += [([np.array([[1.0, -1.0, 1.0, 1.0, 2.0, -2.0]]), np.array([[3.0, 1.0]])], 0.25, ones([(1, 6), (1, 2)]))]
    # sparsity 0 with nothing pruned yet: k = 0, nothing goes
    cases += [([np.array([[0.4, -0.8, 0.2]]), np.array([[1.0, -0.1]])], 0.0, ones([(1, 3), (1, 2)]))]
    for w, s, m in cases:
        value, text = c.call(w, s, m)
        got = _flat(_masks_back(c, value, text, w))
        n = got.size
        k = max(round(s * n), int(sum((~mm).sum() for mm in m)))
        if _valid_prune(got, w, m, k):
            c.passed += 1
            continue
        right = _flat(_global_mask(w, m, k))
        if k == 0 and not got.any():
            hint = K_ZERO
        else:
            hint = _hint_for(got, _prune_mistakes(w, s, m), right)
        if not hint and (got.astype(bool) & ~_flat(m).astype(bool)).any():
            hint = REVIVED
        pruned = int((got == 0).sum())
        count = f"; it pruned {pruned} of {n} weights, expected {k}" if pruned != k else ""
        if got.size > 12:
            detail = diff_summary(got, right)
        else:
            detail = f"returned masks {fmt(got)}, expected {fmt(right)} (flattened, layer after layer)"
        c.fail(f"{text} {detail}{count}", hint=hint)
    c.done()


# -- exercise 2: training with a mask -------------------------------------------------------------------------

MASKED_ONCE = "masked only once: pruned weights moved while training"
GRADS_ONLY = "masked the gradients only: momentum still moves them"
NEVER_ZEROED = "pruned weights never set to zero"
BEFORE_STEP = "mask applied before optimizer.step(), not after"
AT_END = "masked only at the end: it trained the dense network"
NOT_FIRST = "zero the pruned weights before the first step too"
NO_ZERO_GRAD = "forgot optimizer.zero_grad(): gradients pile up"
INVERTED_TRAIN = "mask inverted: True means kept"
OFF_BY_ONE = "took one step too many or too few"
NO_GRAD_HINT = "mask the weights inside `with torch.no_grad():`"


def _train_setup(kind: str, seed: int) -> tuple[Any, ...]:
    import torch

    from course_utils.models import MLP

    g = torch.Generator().manual_seed(seed)
    model = MLP([6, 8, 7, 3], seed=seed)
    x = torch.randn(24, 6, generator=g)
    y = torch.randint(0, 3, (24,), generator=g)
    masks = [torch.rand(layer.weight.shape, generator=g) > 0.5 for layer in model.linears]
    if kind == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    elif kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)
    for _ in range(3):  # earlier dense training: the optimizer carries momentum into the exercise
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model, masks, opt, x, y


def _simulate(args: tuple[Any, ...], steps: int, variant: str) -> dict[str, np.ndarray]:
    """Run one way of training with a mask (the right one, or a known mistake) on copies; return the parameters
    by name."""
    from copy import deepcopy

    import torch
    import torch.nn.functional as F

    model, masks, opt, x, y = deepcopy(args)
    weights = [layer.weight for layer in model.linears]
    if variant == "inverted":
        masks = [~m for m in masks]
    if variant == "cleared":
        opt.state.clear()

    def zero() -> None:
        with torch.no_grad():
            for w, m in zip(weights, masks):
                w.mul_(m)

    if variant in ("right", "once", "grads", "before", "no_zero_grad", "inverted", "minus", "plus", "cleared"):
        zero()
    count = steps + (1 if variant == "plus" else -1 if variant == "minus" else 0)
    for _ in range(max(count, 0)):
        if variant == "top":
            zero()
        if variant != "no_zero_grad":
            opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        if variant in ("grads", "grads_never_zeroed"):
            for w, m in zip(weights, masks):
                w.grad.mul_(m)
        if variant == "before":
            zero()
        opt.step()
        if variant in ("right", "no_zero_grad", "inverted", "minus", "plus", "not_first", "cleared"):
            zero()
    if variant == "end":
        zero()
    return {name: p.detach().numpy().copy() for name, p in model.named_parameters()}


TOP_OF_LOOP = "masked at the top of the loop: the last step unmasks"
CLEARED = "cleared the optimizer's state: its momentum carries on"
NEW_OPTIMIZER = "built a new optimizer: use the one passed in"
NEW_PARAMETER = "new nn.Parameter: the optimizer still holds the old one"
NOT_REMOVED = "torch's prune left weight_orig: call prune.remove"
SHAPES = "shape mismatch: a mask paired with the wrong tensor?"

TRAIN_MISTAKES = {"once": MASKED_ONCE, "grads": GRADS_ONLY, "grads_never_zeroed": NEVER_ZEROED,
                  "before": BEFORE_STEP, "end": AT_END, "not_first": NOT_FIRST, "no_zero_grad": NO_ZERO_GRAD,
                  "inverted": INVERTED_TRAIN, "minus": OFF_BY_ONE, "plus": OFF_BY_ONE, "top": TOP_OF_LOOP,
                  "cleared": CLEARED}


class _TrainChecker(Checker):
    """Writes the call as `train_pruned(model, masks, SGD optimizer, x, y, steps=4)`, not with the reprs of a model
    and an optimizer (twenty lines)."""

    def call_text(self, args: Any, kwargs: dict[str, Any] | None = None) -> str:
        args = list(args)
        if len(args) == 6 and not kwargs:
            return f"{self.name}(model, masks, {type(args[2]).__name__} optimizer, x, y, steps={args[5]})"
        return f"{self.name}(...)"


def _optimizer_state(opt: Any) -> list[np.ndarray]:
    """Every tensor in an optimizer's state (momentum buffers, Adam's moments and step counts), in a fixed order."""
    out = []
    for group in opt.param_groups:
        for p in group["params"]:
            for key, v in sorted(opt.state.get(p, {}).items()):
                out.append(np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, dtype=np.float64).copy())
    return out


def _same_state(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b))


@checker
def check_train_pruned(train_pruned: Any) -> None:
    """Check `train_pruned(model, masks, optimizer, x, y, steps)`: zero the pruned weights, take `steps` steps of
    cross-entropy training with the given optimizer, keep the pruned weights exactly zero, return the model."""
    import torch

    c = _TrainChecker("train_pruned", train_pruned, allow_in_place=True)
    for kind, seed, steps in [("sgd", 0, 4), ("adam", 1, 4), ("adamw", 2, 3), ("sgd", 3, 0), ("adam", 4, 1)]:
        args = _train_setup(kind, seed)
        try:
            value, text = c.call(*args, steps)
        except CheckFailed as exc:
            if "leaf Variable" in str(exc) or "requires grad" in str(exc):
                raise CheckFailed(exc.message, hint=NO_GRAD_HINT) from None
            if not exc.hint and "RuntimeError" in exc.message and (
                    "must match the size" in exc.message or "broadcast" in exc.message):
                raise CheckFailed(exc.message, hint=SHAPES) from None
            raise
        if value is None:
            c.fail(f"{text} returned None", hint="return the model at the end")
        if not isinstance(value, torch.nn.Module):
            c.fail(f"{text} returned {type(value).__name__}; expected the model (the same MLP, trained)")
        got = {name: p.detach().numpy().copy() for name, p in value.named_parameters()}
        right = _simulate(args, steps, "right")
        if got.keys() != right.keys():
            orig = any(name.endswith("_orig") for name in got)
            c.fail(f"{text} returned a model whose parameters are named {sorted(got)}; expected {sorted(right)}",
                   hint=NOT_REMOVED if orig else "")
        if all(got[k].shape == right[k].shape and np.allclose(got[k], right[k], rtol=1e-5, atol=1e-6) for k in right):
            c.passed += 1
            continue
        names = list(right)
        hint = ""
        if all(got[k].shape == right[k].shape for k in names):
            flat = _flat([got[k] for k in names])
            wrongs = {v: _simulate(args, steps, v) for v in TRAIN_MISTAKES}
            matches = {TRAIN_MISTAKES[v] for v, wrong in wrongs.items()
                       if np.allclose(flat, _flat([wrong[k] for k in names]), rtol=1e-5, atol=1e-6)}
            hint = matches.pop() if len(matches) == 1 else ""
        model, opt = c.last_args[0], c.last_args[2]
        if not hint and value is model:
            held = {id(p) for group in opt.param_groups for p in group["params"]}
            if any(id(p) not in held for p in value.parameters()):
                hint = NEW_PARAMETER
            elif steps > 0 and _same_state(_optimizer_state(opt), _optimizer_state(args[2])):
                hint = NEW_OPTIMIZER
        masks = [m.numpy() for m in args[1]]
        weights = [got.get(f"linears.{i}.weight") for i in range(len(masks))]
        if all(w is not None and w.shape == m.shape for w, m in zip(weights, masks)):
            alive = sum(int((w[~m] != 0).sum()) for w, m in zip(weights, masks))
            if alive:
                biggest = max(float(np.abs(w[~m]).max(initial=0.0)) for w, m in zip(weights, masks))
                c.fail(f"{text}: {alive} of {sum(int((~m).sum()) for m in masks)} pruned weights are not zero after "
                       f"training (largest {biggest:.3g}); they must be exactly 0", hint=hint)
        bad = next(k for k in names if got[k].shape != right[k].shape
                   or not np.allclose(got[k], right[k], rtol=1e-5, atol=1e-6))
        detail = (diff_summary(got[bad], right[bad]) if got[bad].shape == right[bad].shape
                  else f"shape {got[bad].shape}, expected {right[bad].shape}")
        c.fail(f"{text}: the pruned weights are zero, but parameter {bad} differs from a reference run: {detail}",
               hint=hint)
    c.done()


# -- exercise 3: one IMP round with rewinding --------------------------------------------------------------------

NO_REWIND = "kept the trained weights: rewind survivors to initial"
RESET_MASK = "rewound the mask, not the weights: keep the new mask"
UNMASKED = "rewound weights not masked: multiply by the new mask"
OLD_MASK = "rewound with the old mask; use the new one"
BY_INITIAL = "ranked the initial weights; rank the trained ones"
IMP_RECOUNT = "re-counted already-pruned weights as prunable"
OF_ALL = "pruned rate × all weights; rate is of the survivors"
IMP_SIGNED = "pruned by signed value: rank |w|, not w"
IMP_PER_LAYER = "pruned per layer; IMP here is global"
RANDOM_INIT = "new random values: rewind to the given initial ones"
TRAINED_SIGNS = "rewound |initial| with the trained signs: use initial"
IMP_FLOOR = "int() rounds down: prune round(rate * survivors)"


def _imp_reference(trained, initial, masks, rate, variant="right"):
    m = _flat(masks).astype(bool)
    survivors = int(m.sum())
    old = m.size - survivors
    k = old + round(rate * survivors)
    if variant == "per_layer":
        new = _layer_mask(trained, masks, "survivors", rate)
    elif variant == "of_all":
        new = _global_mask(trained, masks, min(m.size, old + round(rate * m.size)))
    elif variant == "signed":
        new = _global_mask(trained, masks, k, signed=True)
    elif variant == "by_initial":
        new = _global_mask(initial, masks, k)
    elif variant == "floor":
        new = _global_mask(trained, masks, old + int(rate * survivors))
    elif variant == "recount":  # the k smallest of all |trained|, pruned zeros included
        scores = np.abs(_flat(trained))
        new = _split(_prune(scores, round(rate * survivors)) & m, trained)
    else:
        new = _global_mask(trained, masks, k)
    new_flat = _flat(new)
    rewound = _flat(initial) * new_flat
    if variant == "no_rewind":
        rewound = _flat(trained) * new_flat
    elif variant == "unmasked":
        rewound = _flat(initial)
    elif variant == "old_mask":
        rewound = _flat(initial) * m
    elif variant == "trained_signs":
        rewound = np.sign(_flat(trained)) * np.abs(_flat(initial)) * new_flat
    elif variant == "reset_mask":
        return np.ones_like(new_flat), _flat(initial)
    elif variant == "reset_mask_trained":
        return np.ones_like(new_flat), _flat(trained)
    return new_flat, rewound


IMP_MISTAKES = {"no_rewind": NO_REWIND, "reset_mask": RESET_MASK, "reset_mask_trained": RESET_MASK,
                "unmasked": UNMASKED, "old_mask": OLD_MASK, "by_initial": BY_INITIAL, "recount": IMP_RECOUNT,
                "of_all": OF_ALL, "signed": IMP_SIGNED, "per_layer": IMP_PER_LAYER, "trained_signs": TRAINED_SIGNS,
                "floor": IMP_FLOOR}


@checker
def check_imp_round(imp_round: Any) -> None:
    """Check `imp_round(trained, initial, masks, rate)`: prune `rate` of the surviving weights with the smallest
    |trained| (globally), rewind the survivors to their initial values; return (new_masks, rewound_weights)."""
    c = Checker("imp_round", imp_round)
    rng = np.random.default_rng(11)
    cases = [([np.array([[0.0, -1.5, 0.1, 0.6]])], [np.array([[0.5, -0.4, 0.3, 0.2]])],
              [np.array([[False, True, True, True]])], 1 / 3)]
    shapes = [(4, 5), (5, 3)]
    masks = [rng.random(s) > 0.3 for s in shapes]
    initial = [rng.normal(size=s) * 0.5 for s in shapes]
    trained = [(i + rng.normal(size=i.shape)) * m for i, m in zip(initial, masks)]
    cases.append((trained, initial, masks, 0.2))
    big = [np.array([[0.0, 0.9, 0.0, -0.2, 0.0, 0.4, 0.0, -0.7, 0.0, 1.1]])]
    cases.append((big, [np.array([[0.3, -0.2, 0.1, 0.5, -0.6, 0.2, 0.8, -0.1, 0.4, 0.3]])], [big[0] != 0], 0.4))
    cases.append((trained, initial, masks, 0.0))
    for tr, init, m, rate in cases:
        value, text = c.call(tr, init, m, rate)
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            c.fail(f"{text} returned {type(value).__name__ if value is not None else 'None'}; expected a pair "
                   "(new_masks, rewound_weights)", hint="return both: `return new_masks, rewound`")
        first, second = value
        if isinstance(first, (list, tuple)) and isinstance(second, (list, tuple)):
            a = [c.to_array(v, text) for v in first]
            b = [c.to_array(v, text) for v in second]
            if all(np.isin(x, (0.0, 1.0)).all() for x in b) and not all(np.isin(x, (0.0, 1.0)).all() for x in a):
                c.fail(f"{text} returned the weights first and the masks second", hint="swapped: return (new_masks, rewound)")
        got_m = _flat(_masks_back(c, first, text, tr))
        got_w = _flat(_masks_back(c, second, text, tr, what="weights"))
        right_m, right_w = _imp_reference(tr, init, m, rate)
        if np.array_equal(got_m, right_m) and np.allclose(got_w, right_w, rtol=1e-9, atol=1e-12):
            c.passed += 1
            continue
        found = [why for v, why in IMP_MISTAKES.items()
                 for wm, ww in [_imp_reference(tr, init, m, rate, v)]
                 if np.array_equal(got_m, wm) and np.allclose(got_w, ww, rtol=1e-9, atol=1e-12)
                 and not (np.array_equal(wm, right_m) and np.allclose(ww, right_w))]
        hint = found[0] if len(set(found)) == 1 else ""
        if not np.array_equal(got_m, right_m):
            pruned, want = int((got_m == 0).sum()), int((right_m == 0).sum())
            count = f"; it prunes {pruned} of {got_m.size} weights, expected {want}" if pruned != want else ""
            detail = (diff_summary(got_m, right_m) if got_m.size > 12
                      else f"returned new masks {fmt(got_m)}, expected {fmt(right_m)} (flattened)")
            c.fail(f"{text} {detail}{count}", hint=hint)
        if not hint and np.allclose(got_w[right_m == 0], 0) and not np.allclose(got_w, right_w):
            # values that are not ± an initial value: drawn anew (a sign flip or a mix-up of positions is another mistake)
            given = np.round(np.abs(_flat(init)), 12)
            hint = RANDOM_INIT if not np.isin(np.round(np.abs(got_w[right_m != 0]), 12), given).any() else ""
        detail = (diff_summary(got_w, right_w) if got_w.size > 12
                  else f"returned rewound weights {fmt(got_w)}, expected {fmt(right_w)} (flattened)")
        c.fail(f"{text}: the new masks are right, but {detail}", hint=hint)
    c.done()
