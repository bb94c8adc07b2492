"""course_utils.info against independent references (SciPy, torch) and its invariants (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils.info import cross_entropy, entropy, kl_divergence

BASES = [2, math.e, 10]


def random_batch(rng: np.random.Generator, rows: int, k: int, zeros: bool = False) -> np.ndarray:
    p = rng.dirichlet(np.full(k, 0.5), size=rows)
    if zeros:
        p[rng.random(p.shape) < 0.2] = 0.0
        p[:, 0] += 1e-3  # no row may be all zeros
        p /= p.sum(axis=1, keepdims=True)
    return p


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("zeros", [False, True])
def test_agrees_with_scipy_batched(base: float, zeros: bool):
    rng = np.random.default_rng(0)
    p, q = random_batch(rng, 200, 7, zeros), random_batch(rng, 200, 7)
    np.testing.assert_allclose(entropy(p, base), scipy.stats.entropy(p, base=base, axis=-1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(kl_divergence(p, q, base), scipy.stats.entropy(p, q, base=base, axis=-1), rtol=0, atol=1e-9)
    expected_ce = scipy.stats.entropy(p, base=base, axis=-1) + scipy.stats.entropy(p, q, base=base, axis=-1)
    np.testing.assert_allclose(cross_entropy(p, q, base), expected_ce, rtol=0, atol=1e-9)


def test_agrees_with_torch():
    rng = np.random.default_rng(1)
    logits = torch.tensor(rng.normal(size=(50, 9)) * 3)
    q = torch.softmax(logits, dim=-1)
    p = torch.tensor(random_batch(rng, 50, 9))
    # torch's cross_entropy with probability targets is H(p, softmax(logits)) in nats
    expected = torch.nn.functional.cross_entropy(logits, p, reduction="none")
    torch.testing.assert_close(cross_entropy(p, q, base=math.e), expected, rtol=0, atol=1e-9)
    expected_kl = torch.nn.functional.kl_div(torch.log(q), p, reduction="none").sum(-1)
    torch.testing.assert_close(kl_divergence(p, q, base=math.e), expected_kl, rtol=0, atol=1e-9)
    torch.testing.assert_close(entropy(q, base=math.e), torch.distributions.Categorical(probs=q).entropy(), rtol=0, atol=1e-9)


def test_returns_the_kind_it_was_given():
    assert isinstance(entropy([0.5, 0.5]), float)
    assert entropy([[0.5, 0.5], [1.0, 0.0]]) == [1.0, 0.0]
    assert isinstance(entropy(np.array([0.5, 0.5])), np.floating)
    assert entropy(np.full((3, 4), 0.25)).shape == (3,)
    t = entropy(torch.tensor([0.5, 0.5]))
    assert isinstance(t, torch.Tensor) and t.item() == 1.0
    assert entropy(torch.full((3, 4), 0.25, dtype=torch.float32)).dtype == torch.float32


def test_torch_is_differentiable():
    logits = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64, requires_grad=True)
    entropy(torch.softmax(logits, -1), base=math.e).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_conventions_zero_and_infinity():
    assert entropy([1.0, 0.0]) == 0.0 and math.copysign(1, entropy([1.0, 0.0])) == 1.0  # +0, not -0
    assert cross_entropy([1.0, 0.0], [0.5, 0.5]) == 1.0
    assert cross_entropy([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 1.0  # 0·log 0 = 0
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == 1.0
    assert kl_divergence(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])).item() == math.inf


def test_mixed_numpy_and_torch_give_torch():
    result = cross_entropy(np.array([0.5, 0.5]), torch.tensor([0.5, 0.5], dtype=torch.float64))
    assert isinstance(result, torch.Tensor) and result.item() == 1.0


@pytest.mark.parametrize(
    "bad, message",
    [
        ([0.5, -0.1, 0.6], "negative"),
        ([0.5, 0.4], "does not sum to 1"),
        ([[0.5, 0.5], [0.3, 0.3]], "does not sum to 1 (along the last axis)"),
        ([0.5, float("nan"), 0.5], "NaN"),
        ([0.5, float("inf")], "infinite"),
        ([[0.5, 0.5], [1.0]], "ragged"),
        (["a", "b"], "numbers only"),
        ("0.5 0.5", "list, NumPy array or torch tensor"),
        (None, "list, NumPy array or torch tensor"),
        (0.5, "single number"),
        ([], "empty"),
        (np.array(["x", "y"]), "real numbers"),
        (torch.tensor([True, False]), "real numbers"),
    ],
)
def test_bad_input_gets_a_clear_value_error(bad, message):
    with pytest.raises(ValueError) as info:
        entropy(bad)
    assert message in str(info.value)


def test_bad_pairs_and_bases():
    with pytest.raises(ValueError, match="different numbers of outcomes"):
        cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="batch shapes"):
        kl_divergence(np.full((2, 2), 0.5), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="does not sum to 1"):
        cross_entropy([0.5, 0.5], [0.5, 0.6])
    for base in (1, 0, -2, "2", float("nan"), True):
        with pytest.raises(ValueError, match="base"):
            entropy([0.5, 0.5], base=base)


def test_float32_tolerance_and_override():
    p32 = np.array([0.1] * 10, dtype=np.float32)  # sums to 1 only within float32 precision
    assert abs(entropy(p32) - math.log2(10)) < 1e-5
    assert entropy([0.5, 0.49], tol=0.02) > 0  # a looser tolerance can be asked for


distributions = st.integers(1, 12).flatmap(
    lambda k: arrays(np.float64, k, elements=st.floats(0, 1e3, allow_nan=False, allow_infinity=False))
).filter(lambda a: a.sum() > 1e-6).map(lambda a: a / a.sum())


@settings(max_examples=200, deadline=None)
@given(p=distributions)
def test_entropy_bounds(p):
    h = entropy(p)
    assert -1e-12 <= h <= math.log2(len(p)) + 1e-9


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_kl_nonnegative_and_ce_decomposes(data):
    p = data.draw(distributions)
    q = data.draw(arrays(np.float64, len(p), elements=st.floats(1e-6, 1e3)).map(lambda a: a / a.sum()))
    kl = kl_divergence(p, q)
    assert kl >= -1e-9
    assert math.isclose(cross_entropy(p, q), entropy(p) + kl, rel_tol=1e-9, abs_tol=1e-9)
    assert abs(kl_divergence(p, p)) < 1e-9
