"""`info.log_softmax` against torch's own, at logit scales where the naive formula breaks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_utils.info import log_softmax

unit_logits = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False),
)
scales = st.sampled_from([1.0, 10.0, 100.0, 1e3, 1e4])


@settings(max_examples=200, deadline=None)
@given(unit_logits, scales, st.data())
def test_matches_torch_in_float64_and_stays_finite(base, scale, data):
    logits = base * scale
    axis = data.draw(st.integers(-logits.ndim, logits.ndim - 1), label="axis")
    got = log_softmax(logits, axis=axis)
    expected = torch.log_softmax(torch.from_numpy(logits), dim=axis).numpy()
    assert isinstance(got, np.ndarray) and got.shape == logits.shape and got.dtype == np.float64
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale)
    # probabilities sum to 1 along the axis, and the largest logit has the largest log-probability
    np.testing.assert_allclose(np.exp(got).sum(axis=axis), 1.0, rtol=1e-12)
    assert (got <= 0).all()


@settings(max_examples=100, deadline=None)
@given(unit_logits, scales)
def test_torch_in_torch_out_and_differentiable(base, scale):
    logits = torch.tensor(base * scale, requires_grad=True)
    got = log_softmax(logits)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64 and torch.isfinite(got).all()
    expected = torch.log_softmax(logits.detach(), dim=-1)
    torch.testing.assert_close(got.detach(), expected, rtol=1e-12, atol=1e-12 * scale)
    weights = torch.linspace(-1, 1, logits.shape[-1], dtype=torch.float64)
    (got * weights).sum().backward()
    reference = logits.detach().clone().requires_grad_(True)
    (torch.log_softmax(reference, dim=-1) * weights).sum().backward()
    torch.testing.assert_close(logits.grad, reference.grad, rtol=1e-10, atol=1e-10)


@given(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4))
def test_invariant_to_adding_a_constant(a, shift):
    z = np.array([a, 0.0, -a / 2])
    np.testing.assert_allclose(log_softmax(z + shift), log_softmax(z), atol=1e-9 * (1 + abs(a) + abs(shift)))


def test_where_the_naive_formula_fails():
    z = np.array([1000.0, 999.0, 998.0])
    with np.errstate(all="ignore"):
        naive = np.log(np.exp(z) / np.exp(z).sum())
    assert np.isnan(naive).all()
    np.testing.assert_allclose(log_softmax(z), log_softmax(z - 1000.0))
    assert log_softmax(np.array([0.0, -1000.0]))[1] == pytest.approx(-1000.0)
    assert np.isfinite(log_softmax(np.array([1e4, -1e4], dtype=np.float32))).all()


def test_kinds_and_dtypes():
    as_list = log_softmax([0.0, 0.0])
    assert isinstance(as_list, list) and as_list == pytest.approx([-math.log(2)] * 2)
    nested = log_softmax([[0, 0], [1, 1]])
    assert isinstance(nested[0], list) and np.allclose(nested, -math.log(2))
    assert log_softmax(np.array([1, 2, 3])).dtype == np.float64  # integers become float64
    assert log_softmax(np.zeros(3, dtype=np.float32)).dtype == np.float32
    half = log_softmax(torch.zeros(2, 3, dtype=torch.float32), axis=0)
    assert half.dtype == torch.float32 and torch.allclose(half, torch.full((2, 3), -math.log(2)))


def test_masked_class_gets_minus_infinity():
    got = log_softmax(np.array([1.0, -np.inf, 1.0]))
    assert got[1] == -np.inf and got[0] == pytest.approx(-math.log(2))
    got_t = log_softmax(torch.tensor([1.0, -math.inf, 1.0]))
    assert got_t[1] == -math.inf


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([1.0, np.nan]), "NaN"),
        (np.array([1.0, np.inf]), "+inf"),
        (np.array([-np.inf, -np.inf]), "all -inf"),
        (torch.tensor([1.0, math.nan]), "NaN"),
        (torch.tensor([math.inf, 0.0]), "+inf"),
        (np.float64(3.0), "single number"),
        (np.zeros(0), "empty"),
        ("abc", "must be a list"),
        ([[1.0, 2.0], [3.0]], "ragged"),
        (np.array(["a", "b"]), "real numbers"),
    ],
)
def test_bad_input_raises_a_clear_value_error(bad, message):
    with pytest.raises(ValueError, match=message.replace("+", r"\+")):
        log_softmax(bad)


def test_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        log_softmax(np.zeros((2, 3)), axis=2)
