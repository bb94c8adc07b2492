"""`data.digits`: the seeded, stratified split that lessons 02, 04 and 05 share."""

from __future__ import annotations

import pytest
import torch

from course_utils.data import Split, digits


def test_shapes_dtypes_and_range():
    split = digits()
    assert isinstance(split, Split)
    x_train, y_train, x_test, y_test = split
    assert x_train.shape == (1198, 64) and x_test.shape == (599, 64)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert 0.0 <= float(x_train.min()) and float(x_train.max()) == 1.0
    assert set(y_train.tolist()) == set(range(10)) == set(y_test.tolist())


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = digits(seed=0), digits(seed=0), digits(seed=1)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a.x_train, c.x_train)


def test_stratified_and_disjoint():
    split = digits()
    train_share = torch.bincount(split.y_train, minlength=10) / len(split.y_train)
    test_share = torch.bincount(split.y_test, minlength=10) / len(split.y_test)
    assert (train_share - test_share).abs().max() < 0.01
    train_rows = {tuple(row.tolist()) for row in split.x_train}
    overlap = sum(tuple(row.tolist()) in train_rows for row in split.x_test)
    assert overlap <= 3  # the UCI set holds a few duplicate images, nothing more


def test_n_train_keeps_the_test_set():
    small, full = digits(n_train=100), digits()
    assert len(small.x_train) == 100 and torch.equal(small.x_train, full.x_train[:100])
    assert torch.equal(small.x_test, full.x_test)


@pytest.mark.parametrize("kwargs", [{"test_fraction": 0.0}, {"test_fraction": 1.0}, {"n_train": 0}, {"n_train": 5000}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        digits(**kwargs)
