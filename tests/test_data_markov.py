"""data.MarkovSource / markov_source (a source with a known entropy rate) and data.context_windows."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.data import MarkovSource, context_windows, markov_source


def test_stationary_distribution_matches_scipy_eigenvector():
    source = markov_source(6, concentration=0.5, seed=3)
    values, vectors = scipy.linalg.eig(source.transition.T)
    v = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    assert np.allclose(source.stationary, v / v.sum(), atol=1e-10)
    assert np.allclose(source.stationary @ source.transition, source.stationary, atol=1e-12)


def test_entropy_rate_matches_an_independent_formula():
    source = markov_source(5, concentration=0.3, seed=0)
    P, pi = source.transition, source.stationary
    rows = [scipy.stats.entropy(P[i], base=2) for i in range(len(P))]
    assert source.entropy_rate() == pytest.approx(float(np.dot(pi, rows)), rel=1e-12)
    assert source.entropy_rate(base=math.e) == pytest.approx(source.entropy_rate() * math.log(2), rel=1e-12)


def test_special_chains():
    iid = MarkovSource([[0.5, 0.25, 0.25]] * 3)  # every row the same: an i.i.d. source
    assert iid.entropy_rate() == pytest.approx(1.5)
    assert np.allclose(iid.stationary, [0.5, 0.25, 0.25])
    cycle = MarkovSource([[0, 1, 0], [0, 0, 1], [1, 0, 0]])  # deterministic: no surprise at all
    assert cycle.entropy_rate() == 0.0
    assert np.allclose(cycle.stationary, 1 / 3)
    walk = cycle.sample(7, seed=0)
    assert ((walk[1:] - walk[:-1]) % 3 == 1).all()  # 0 -> 1 -> 2 -> 0 ...
    assert markov_source(1).entropy_rate() == 0.0


def test_uniform_chain_approaches_log_states_for_large_concentration():
    assert markov_source(8, concentration=1e4, seed=0).entropy_rate() == pytest.approx(3.0, abs=0.01)


def test_samples_are_reproducible_and_have_the_chain_statistics():
    source = markov_source(4, concentration=0.7, seed=1)
    x = source.sample(200_000, seed=5)
    assert x.dtype == np.int64 and x.shape == (200_000,) and x.min() >= 0 and x.max() < 4
    assert np.array_equal(x, source.sample(200_000, seed=5))
    assert not np.array_equal(x, source.sample(200_000, seed=6))
    counts = np.zeros((4, 4))
    np.add.at(counts, (x[:-1], x[1:]), 1)
    assert np.allclose(counts / counts.sum(axis=1, keepdims=True), source.transition, atol=0.01)
    assert np.allclose(np.bincount(x, minlength=4) / len(x), source.stationary, atol=0.01)
    # the law of large numbers: the true model's mean surprise on a long sample is the entropy rate
    assert -source.log_probs(x).mean() == pytest.approx(source.entropy_rate(), abs=0.01)


def test_log_probs_are_the_transition_probabilities():
    source = MarkovSource([[0.9, 0.1], [0.5, 0.5]])
    assert np.allclose(source.log_probs([0, 0, 1, 1]), np.log2([0.9, 0.1, 0.5]))
    assert np.allclose(source.log_probs([0, 1], base=math.e), [math.log(0.1)])
    with pytest.raises(ValueError, match="symbols"):
        source.log_probs([0, 2])


def test_small_and_empty_samples():
    source = markov_source(3)
    assert source.sample(0).shape == (0,)
    assert source.sample(1).shape == (1,)
    with pytest.raises(ValueError, match="non-negative"):
        source.sample(-1)


@pytest.mark.parametrize("matrix, message", [
    ([[0.5, 0.5]], "square"),
    ([[0.5, 0.6], [0.5, 0.5]], "sum to 1"),
    ([[1.5, -0.5], [0.5, 0.5]], "non-negative"),
    ([[1.0, 0.0], [0.0, 1.0]], "stationary"),  # two separate chains: no unique stationary distribution
    ([[np.nan, 1.0], [0.5, 0.5]], "finite"),
])
def test_bad_transition_matrices_are_refused(matrix, message):
    with pytest.raises(ValueError, match=message):
        MarkovSource(matrix)


def test_markov_source_arguments():
    assert np.array_equal(markov_source(5, seed=2).transition, markov_source(5, seed=2).transition)
    with pytest.raises(ValueError, match="states"):
        markov_source(0)
    with pytest.raises(ValueError, match="concentration"):
        markov_source(3, concentration=0)
    assert "entropy_rate" in repr(markov_source(3))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.floats(0.05, 5), st.integers(0, 10_000))
def test_entropy_rate_is_between_zero_and_log_states_and_below_the_marginal(states, concentration, seed):
    source = markov_source(states, concentration=concentration, seed=seed)
    H = source.entropy_rate()
    marginal = scipy.stats.entropy(source.stationary, base=2)
    assert -1e-12 <= H <= math.log2(states) + 1e-12
    assert H <= marginal + 1e-9  # conditioning never increases entropy
    assert source.stationary.sum() == pytest.approx(1.0) and (source.stationary >= 0).all()


def test_context_windows():
    x, y = context_windows(np.arange(6), 2)
    assert x.dtype == torch.int64 and y.dtype == torch.int64
    assert x.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert y.tolist() == [2, 3, 4, 5]
    x, y = context_windows(torch.tensor([3, 1, 4, 1, 5]), 4)
    assert x.tolist() == [[3, 1, 4, 1]] and y.tolist() == [5]
    with pytest.raises(ValueError, match="context"):
        context_windows(np.arange(3), 3)
    with pytest.raises(ValueError, match="context"):
        context_windows(np.arange(3), 0)
    with pytest.raises(ValueError, match="1-D"):
        context_windows(np.zeros((2, 3)), 1)
