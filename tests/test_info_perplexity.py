"""info.perplexity, bits_to_nats and nats_to_bits: against PyTorch and scipy, with hypothesis properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from course_utils.info import bits_to_nats, entropy, nats_to_bits, perplexity

log_probs_strategy = arrays(np.float64, st.integers(1, 30), elements=st.floats(-30, 0, allow_nan=False))
bases = st.sampled_from([2, math.e, 10, 3.5])


# -- against independent references ---------------------------------------------------------------

def test_matches_torch_exp_of_cross_entropy_loss():
    """The usual recipe, perplexity = exp(F.cross_entropy(logits, targets)), from a loss in nats."""
    gen = torch.Generator().manual_seed(0)
    logits, targets = torch.randn(200, 11, generator=gen), torch.randint(0, 11, (200,), generator=gen)
    loss = F.cross_entropy(logits, targets)
    expected = torch.exp(loss).item()
    assert perplexity(loss.item(), base=math.e) == pytest.approx(expected, rel=1e-6)
    assert perplexity(nats_to_bits(loss.item()), base=2) == pytest.approx(expected, rel=1e-6)
    token_log_probs = torch.log_softmax(logits, dim=-1)[torch.arange(200), targets]
    assert perplexity(log_probs=token_log_probs, base=math.e).item() == pytest.approx(expected, rel=1e-5)
    assert perplexity(log_probs=token_log_probs / math.log(2), base=2).item() == pytest.approx(expected, rel=1e-5)


def test_matches_scipy_geometric_mean():
    """Perplexity is the geometric mean of 1/q (scipy.stats.gmean is an independent implementation)."""
    q = np.random.default_rng(1).uniform(0.01, 1, size=50)
    assert perplexity(log_probs=np.log2(q), base=2) == pytest.approx(scipy.stats.gmean(1 / q), rel=1e-12)
    assert perplexity(log_probs=np.log10(q), base=10) == pytest.approx(scipy.stats.gmean(1 / q), rel=1e-12)


def test_of_a_distribution_is_two_to_its_entropy_scipy():
    p = np.random.default_rng(2).dirichlet(np.ones(9))
    h_nats = scipy.stats.entropy(p)  # natural log
    assert perplexity(h_nats, base=math.e) == pytest.approx(2 ** entropy(p), rel=1e-12)


def test_conversions_match_scipy_logs():
    x = np.random.default_rng(3).uniform(0.01, 1, size=20)
    assert np.allclose(nats_to_bits(np.log(x)), np.log2(x))
    assert np.allclose(bits_to_nats(np.log2(x)), np.log(x))
    assert nats_to_bits(scipy.special.xlogy(1, 2.0)) == pytest.approx(1.0)


# -- known values ----------------------------------------------------------------------------------

@pytest.mark.parametrize("V", [1, 2, 6, 26, 50_257])
def test_uniform_guess_has_perplexity_V_in_any_base(V):
    for base in (2, math.e, 10):
        uniform = np.full(7, math.log(1 / V) / math.log(base))
        assert perplexity(log_probs=uniform, base=base) == pytest.approx(V, rel=1e-9)
        assert perplexity(math.log(V) / math.log(base), base=base) == pytest.approx(V, rel=1e-9)


def test_known_values_and_exact_powers_of_two():
    assert perplexity(2.0, base=2) == 4.0
    assert perplexity(0.0, base=2) == 1.0
    assert perplexity(log_probs=[-1.0, -3.0], base=2) == 4.0  # not 1 / mean(1/2, 1/8) = 3.2
    assert perplexity(1.0, base=math.e) == pytest.approx(math.e)
    assert bits_to_nats(1.0) == pytest.approx(math.log(2))
    assert nats_to_bits(math.log(2)) == pytest.approx(1.0)


def test_infinite_values():
    assert perplexity(math.inf, base=2) == math.inf
    assert perplexity(log_probs=[-1.0, -math.inf], base=2) == math.inf
    assert perplexity(5000.0, base=2) == math.inf  # overflow gives inf, not a warning or an error


# -- kinds, shapes, gradients ----------------------------------------------------------------------

def test_returns_the_kind_it_was_given():
    assert isinstance(perplexity(1.0, base=2), float)
    assert isinstance(perplexity(log_probs=[-1.0, -2.0], base=2), float)
    assert perplexity([1.0, 2.0], base=2) == [2.0, 4.0]
    assert perplexity(log_probs=[[-1.0, -1.0], [-2.0, -2.0]], base=2) == [2.0, 4.0]
    out = perplexity(log_probs=np.log(np.full((3, 5), 0.25)), base=math.e)
    assert isinstance(out, np.ndarray) and out.shape == (3,) and np.allclose(out, 4)
    assert isinstance(perplexity(np.array(1.0), base=2), np.floating)
    t = perplexity(torch.tensor([1.0, 3.0]), base=2)
    assert isinstance(t, torch.Tensor) and torch.allclose(t, torch.tensor([2.0, 8.0]))
    assert isinstance(nats_to_bits(torch.tensor(1.0)), torch.Tensor)
    assert isinstance(nats_to_bits(np.array([1.0])), np.ndarray)
    assert nats_to_bits([math.log(2), 0.0]) == [pytest.approx(1.0), 0.0]
    assert nats_to_bits(torch.tensor([2, 4])).dtype.is_floating_point


def test_tensor_results_are_differentiable():
    ce = torch.tensor(1.5, requires_grad=True)
    perplexity(ce, base=2).backward()
    assert ce.grad.item() == pytest.approx(2 ** 1.5 * math.log(2), rel=1e-6)  # d/dH 2^H = 2^H ln 2
    lp = torch.tensor([-1.0, -2.0], requires_grad=True)
    perplexity(log_probs=lp, base=math.e).backward()
    assert torch.allclose(lp.grad, torch.full((2,), -math.exp(1.5) / 2))


# -- clear errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"cross_entropy": 1.0}, "explicit base"),
    ({"log_probs": [-1.0]}, "explicit base"),
    ({"cross_entropy": 1.0, "base": 1}, "base must be"),
    ({"cross_entropy": 1.0, "base": -2}, "base must be"),
    ({"cross_entropy": 1.0, "base": "2"}, "base must be"),
    ({"base": 2}, "either"),
    ({"cross_entropy": 1.0, "log_probs": [-1.0], "base": 2}, "either"),
    ({"cross_entropy": -0.5, "base": 2}, "negative"),
    ({"cross_entropy": math.nan, "base": 2}, "NaN"),
    ({"cross_entropy": "2", "base": 2}, "must be a number"),
    ({"cross_entropy": True, "base": 2}, "must be a number"),
    ({"log_probs": [-1.0, 0.5], "base": 2}, "positive entry"),
    ({"log_probs": [0.2, 0.3], "base": 2}, "probabilities"),
    ({"log_probs": [], "base": 2}, "empty"),
    ({"log_probs": -1.0, "base": 2}, "single number"),
    ({"log_probs": [-1.0, math.nan], "base": 2}, "NaN"),
    ({"log_probs": [[-1.0], [-1.0, -2.0]], "base": 2}, "ragged"),
    ({"log_probs": np.array(["a"]), "base": 2}, "real numbers"),
    ({"log_probs": torch.tensor([True]), "base": 2}, "real numbers"),
])
def test_bad_input_raises_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        perplexity(**kwargs)


@pytest.mark.parametrize("bad", [None, "1.0", {"a": 1}])
def test_conversions_refuse_non_numbers(bad):
    with pytest.raises(ValueError, match="must be a number"):
        nats_to_bits(bad)
    with pytest.raises(ValueError, match="must be a number"):
        bits_to_nats(bad)


def test_tiny_positive_rounding_in_log_probs_is_tolerated():
    assert perplexity(log_probs=[1e-9, -1.0], base=2) == pytest.approx(2 ** 0.5, rel=1e-6)


# -- properties ------------------------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(log_probs_strategy, bases)
def test_at_least_one_and_at_most_one_over_the_smallest_probability(lp, base):
    ppl = perplexity(log_probs=lp, base=base)
    assert ppl >= 1 - 1e-12
    assert ppl <= base ** (-lp.min()) * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(log_probs_strategy, bases)
def test_log_probs_and_cross_entropy_agree(lp, base):
    assert perplexity(log_probs=lp, base=base) == pytest.approx(perplexity(-lp.mean(), base=base), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 50, allow_nan=False))
def test_the_base_cancels_when_the_units_match(ce_bits):
    nats = bits_to_nats(ce_bits)
    assert perplexity(ce_bits, base=2) == pytest.approx(perplexity(nats, base=math.e), rel=1e-9)
    assert perplexity(ce_bits * math.log10(2), base=10) == pytest.approx(perplexity(ce_bits, base=2), rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_bits_nats_round_trip(x):
    assert nats_to_bits(bits_to_nats(x)) == pytest.approx(x, rel=1e-12, abs=1e-300)
    assert bits_to_nats(x) == pytest.approx(x * math.log(2), rel=1e-12, abs=1e-300)


@settings(max_examples=100, deadline=None)
@given(st.floats(0, 40), st.floats(0.001, 5))
def test_monotone_and_each_bit_doubles_it(ce, extra):
    assert perplexity(ce + extra, base=2) > perplexity(ce, base=2)
    assert perplexity(ce + 1, base=2) == pytest.approx(2 * perplexity(ce, base=2), rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(log_probs_strategy, st.integers(2, 4))
def test_repeating_a_text_does_not_change_its_perplexity(lp, times):
    assert perplexity(log_probs=np.tile(lp, times), base=2) == pytest.approx(perplexity(log_probs=lp, base=2), rel=1e-9)
