"""repro and training: seeding reproduces runs; the loop records what it says; bad arguments are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils.repro import fast_cpu, get_device, seed_everything
from course_utils.training import History, evaluator, train


def blobs(n: int = 300, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.randn(n, 2, generator=g) + 3 * torch.nn.functional.one_hot(y, 3)[:, :2].float()
    return x, y


def run(seed: int, batch_size=None) -> History:
    seed_everything(seed)
    x, y = blobs()
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    return train(model, (x, y), steps=60, optimizer=torch.optim.Adam(model.parameters(), lr=0.05), batch_size=batch_size,
                 evaluate=evaluator({"train": (x, y)}), eval_every=20, progress=False,
                 generator=torch.Generator().manual_seed(seed))


def test_same_seed_same_history_and_learning_happens():
    a, b = run(0), run(0)
    assert a.steps == [0, 20, 40, 60] and a.metrics == b.metrics
    assert a["train_loss"][-1] < 0.5 * a["train_loss"][0] and a.last("train_acc") > 0.8
    assert math.isnan(a["train_batch_loss"][0]) and not math.isnan(a["train_batch_loss"][-1])
    assert run(1).metrics != a.metrics


def test_minibatches_and_continuing_a_history():
    history = run(0, batch_size=32)
    assert history.first_step("train_acc", lambda v: v > 0.8) is not None
    x, y = blobs()
    model = torch.nn.Linear(2, 3)
    train(model, (x, y), steps=10, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), eval_every=5,
          progress=False, history=history)
    assert history.steps[-2:] == [65, 70] and np.isnan(history["train_acc"][-1])


def test_stop_when_ends_early():
    x, y = blobs()
    model = torch.nn.Linear(2, 3)
    history = train(model, (x, y), steps=1000, optimizer=torch.optim.Adam(model.parameters(), lr=0.1),
                    evaluate=evaluator({"train": (x, y)}), eval_every=10, stop_when=lambda m: m["train_acc"] > 0.7,
                    progress=False)
    assert history.steps[-1] < 1000 and history.last("train_acc") > 0.7


def test_bad_arguments():
    x, y = blobs()
    model = torch.nn.Linear(2, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="differ in length"):
        train(model, (x, y[:10]), steps=1, optimizer=opt, progress=False)
    with pytest.raises(ValueError, match="eval_every"):
        train(model, (x, y), steps=1, optimizer=opt, eval_every=0, progress=False)
    with pytest.raises(KeyError, match="no metric 'test_acc'"):
        History()["test_acc"]


def test_repro_helpers():
    assert get_device() == torch.device("cpu") and get_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="prefer"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA device"):
            get_device("cuda")
    before = torch.get_num_threads()
    try:
        assert fast_cpu() == 1 and torch.get_num_threads() == 1
        with pytest.raises(ValueError):
            fast_cpu(0)
    finally:
        torch.set_num_threads(before)
        torch.set_flush_denormal(False)  # process-wide: left on, it would upset hypothesis in later tests
