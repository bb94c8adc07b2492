"""course_utils.info on low and mixed precision (bfloat16, float16 beside float64) and on bad `axis`/`tol`
arguments: a right answer or an error that says what was expected, never a raw NumPy/torch error."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from course_utils.info import cross_entropy, entropy, kl_divergence, log_softmax

P = np.array([0.3, 0.3, 0.4])
Q = np.array([0.2, 0.5, 0.3])


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_tensors_give_right_answers_in_their_dtype(dtype):
    p, q = torch.tensor(P, dtype=dtype), torch.tensor(Q, dtype=dtype)
    for got, expected in (
        (entropy(p), scipy.stats.entropy(P, base=2)),
        (cross_entropy(p, q), scipy.stats.entropy(P, base=2) + scipy.stats.entropy(P, Q, base=2)),
        (kl_divergence(p, q), scipy.stats.entropy(P, Q, base=2)),
    ):
        assert got.dtype == dtype
        assert abs(got.item() - expected) < 2e-2 * max(1.0, expected)  # bfloat16 keeps about 3 significant digits
    assert kl_divergence(p, p).item() == 0.0


def test_bfloat16_batch_and_gradient():
    logits = torch.randn(64, 10, generator=torch.Generator().manual_seed(0)).to(torch.bfloat16).requires_grad_()
    q = torch.softmax(logits, dim=-1)  # sums to 1 only within bfloat16's precision
    h = entropy(q)
    assert h.shape == (64,) and h.dtype == torch.bfloat16
    reference = torch.distributions.Categorical(probs=q.detach().double()).entropy() / math.log(2)
    assert (h.double() - reference).abs().max() < 2e-2
    h.sum().backward()
    assert logits.grad is not None and torch.isfinite(logits.grad.float()).all()


def test_bfloat16_log_softmax():
    z = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1000.0, 5.0]], dtype=torch.bfloat16)
    got = log_softmax(z)
    assert got.dtype == torch.bfloat16
    expected = torch.log_softmax(z.double(), dim=-1)
    assert ((got.double() - expected).abs() / expected.abs().clamp_min(1)).max() < 1e-2  # bfloat16's own rounding


@pytest.mark.parametrize("low", [np.float16, np.float32])
def test_mixed_precision_kl_is_never_negative(low):
    rng = np.random.default_rng(0)
    for _ in range(300):
        p = rng.dirichlet(np.ones(rng.integers(2, 30)))
        q = p.astype(low)  # the same distribution, rounded
        for a, b in ((p, q), (q, p), (q, q)):
            kl = kl_divergence(a, b)
            assert kl >= 0, (a, b, kl)
        near = (p + rng.normal(scale=1e-3, size=p.shape)).clip(1e-4)
        near /= near.sum()
        assert kl_divergence(near.astype(low), p) >= 0


def test_mixed_precision_example_from_the_issue():
    p16 = P.astype(np.float16)  # rows sum to 0.9998 in float16
    assert kl_divergence(p16, P) >= 0 and kl_divergence(P, p16) >= 0
    assert kl_divergence(p16, P) < 1e-6  # rounding noise, not a difference between the distributions
    assert kl_divergence(P, p16).dtype == np.float64  # the common dtype: float64


def test_mixed_numpy_float64_and_float16_tensor_use_the_common_precision():
    t16 = torch.tensor(P, dtype=torch.float16)
    kl = kl_divergence(P, t16)
    assert kl.dtype == torch.float64 and 0 <= kl.item() < 1e-6  # used to be computed in float16
    kl = kl_divergence(t16, torch.tensor(Q))
    assert kl.dtype == torch.float64
    assert abs(kl.item() - scipy.stats.entropy(P, Q, base=2)) < 1e-3
    ce = cross_entropy(t16, Q)
    assert ce.dtype == torch.float64 and abs(ce.item() - cross_entropy(P, Q)) < 1e-3


def test_results_are_unchanged_in_float64():
    assert entropy([0.5, 0.5]) == 1.0
    assert cross_entropy([0.5, 0.5], [0.25, 0.75]) == -0.5 * (math.log2(0.25) + math.log2(0.75))
    assert kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert entropy(np.array([0.5, 0.5], dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("tol, error, message", [
    ("1e-3", TypeError, "tol must be a number"),
    ([1e-3], TypeError, "tol must be a number"),
    (True, TypeError, "tol must be a number"),
    (-1e-3, ValueError, "tol must be a finite number >= 0"),
    (float("nan"), ValueError, "tol must be a finite number >= 0"),
    (float("inf"), ValueError, "tol must be a finite number >= 0"),
])
@pytest.mark.parametrize("fn", [entropy, cross_entropy, kl_divergence])
def test_bad_tol_says_what_was_expected(fn, tol, error, message):
    args = (P,) if fn is entropy else (P, Q)
    with pytest.raises(error, match=message):
        fn(*args, tol=tol)


def test_good_tol_values_are_accepted():
    assert entropy([0.5, 0.49], tol=np.float64(0.02)) > 0
    assert entropy([0.5, 0.5], tol=0) == 1.0
    with pytest.raises(ValueError, match="row of zeros"):
        entropy([0.0, 0.0], tol=5)


@pytest.mark.parametrize("axis, error, message", [
    ("0", TypeError, "axis must be one int"),
    (1.0, TypeError, "axis must be one int"),
    (None, TypeError, "axis must be one int"),
    ((0,), TypeError, "axis must be one int"),
    (True, TypeError, "axis must be one int"),
    (2, ValueError, "out of range .* use an int from -2 to 1"),
    (-3, ValueError, "out of range"),
])
@pytest.mark.parametrize("kind", [np.asarray, torch.tensor])
def test_bad_axis_says_what_was_expected(kind, axis, error, message):
    with pytest.raises(error, match=message):
        log_softmax(kind([[1.0, 2.0], [3.0, 4.0]]), axis=axis)


def test_numpy_integer_axis_is_fine():
    z = np.array([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(log_softmax(z, axis=np.int64(0)), log_softmax(z, axis=0))
