"""`data.modular_addition`: the whole addition table of Z_p, each pair on exactly one side of a seeded split."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.data import Split, modular_addition


def test_lesson_sizes_and_types():
    split = modular_addition()
    assert isinstance(split, Split)
    x_train, y_train, x_test, y_test = split
    assert x_train.shape == (2823, 2) and x_test.shape == (6586, 2)  # round(0.3 · 97²) = 2,823
    assert x_train.dtype == y_train.dtype == torch.int64
    assert int(x_train.min()) == 0 and int(x_train.max()) == 96


@settings(max_examples=25, deadline=None)
@given(p=st.integers(2, 23), fraction=st.floats(0.05, 0.95), seed=st.integers(0, 1000))
def test_every_pair_once_labelled_a_plus_b(p, fraction, seed):
    if not 0 < round(fraction * p * p) < p * p:
        with pytest.raises(ValueError, match="both sides"):
            modular_addition(p, fraction, seed)
        return
    x_train, y_train, x_test, y_test = modular_addition(p, fraction, seed)
    assert len(x_train) == round(fraction * p * p)
    x, y = torch.cat([x_train, x_test]), torch.cat([y_train, y_test])
    assert torch.equal(y, (x[:, 0] + x[:, 1]) % p)
    codes = x[:, 0] * p + x[:, 1]
    assert torch.equal(torch.sort(codes).values, torch.arange(p * p))  # all pairs, none twice, none on both sides


def test_seeded():
    a, b, c = modular_addition(13, 0.4, 5), modular_addition(13, 0.4, 5), modular_addition(13, 0.4, 6)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("p, fraction, message", [(1, 0.3, "at least 2"), (7.0, 0.3, "integer"), (7, 0.0, "both sides"),
                                                  (7, 1.0, "both sides")])
def test_bad_arguments(p, fraction, message):
    with pytest.raises(ValueError, match=message):
        modular_addition(p, fraction)
