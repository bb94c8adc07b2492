"""One training loop for every lesson: full-batch or minibatch, a History of metrics, a progress bar.

    history = train(model, (x_train, y_train), steps=2000, optimizer=torch.optim.AdamW(model.parameters()),
                    evaluate=evaluator({"train": (x_train, y_train), "test": (x_test, y_test)}), eval_every=50)
    history["test_acc"], history.steps, history.first_step("test_acc", lambda a: a >= 0.95)

Data stay as tensors; with `batch_size=None` every step sees the whole training set (the fastest
choice on a CPU for the course's small data sets). Losses are in nats, as PyTorch reports them;
`History` and `evaluator` say so in their metric names' docs, and `info`'s units apply.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["History", "train", "evaluator", "accuracy"]

Batch = tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """Metrics recorded during training: `steps[i]` is the step at which each `metrics[name][i]` was taken."""

    steps: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0  # wall-clock time spent in `train`, evaluation included

    def log(self, step: int, **values: float) -> None:
        """Record the metrics measured at `step`; a metric not measured this time is recorded as NaN."""
        self.steps.append(int(step))
        for name in self.metrics.keys() - values.keys():
            self.metrics[name].append(math.nan)
        for name, value in values.items():
            self.metrics.setdefault(name, [math.nan] * (len(self.steps) - 1)).append(float(value))

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "step":
            return np.asarray(self.steps)
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r}; recorded: {sorted(self.metrics)}")
        return np.asarray(self.metrics[name])

    def __contains__(self, name: str) -> bool:
        return name in self.metrics

    def __len__(self) -> int:
        return len(self.steps)

    def last(self, name: str) -> float:
        """The most recent value of a metric."""
        return float(self[name][-1])

    def first_step(self, name: str, condition: Callable[[float], bool]) -> int | None:
        """The first recorded step at which `condition(metric)` holds, or None if it never did."""
        for step, value in zip(self.steps, self[name]):
            if condition(value):
                return step
        return None


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose largest logit is at the target class."""
    return (logits.argmax(dim=-1) == targets).float().mean().item()


def evaluator(
    datasets: dict[str, Batch], *, loss: bool = True, acc: bool = True, chunk: int | None = None
) -> Callable[[nn.Module], dict[str, float]]:
    """Build an `evaluate(model)` for classification: `<name>_loss` (mean cross-entropy, nats) and `<name>_acc`.

    `chunk` evaluates in pieces of that many rows, to bound memory on large sets.
    """

    def evaluate(model: nn.Module) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, (x, y) in datasets.items():
            size = len(x) if chunk is None else chunk
            logits = torch.cat([model(x[i : i + size]) for i in range(0, len(x), size)])
            if loss:
                out[f"{name}_loss"] = F.cross_entropy(logits, y).item()
            if acc:
                out[f"{name}_acc"] = accuracy(logits, y)
        return out

    return evaluate


def _default_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(model(x), y)


def train(
    model: nn.Module,
    data: Batch,
    *,
    steps: int,
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn | None = None,
    batch_size: int | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int = 100,
    stop_when: Callable[[dict[str, float]], bool] | None = None,
    progress: bool = True,
    description: str = "training",
    generator: torch.Generator | None = None,
    history: History | None = None,
) -> History:
    """Take `steps` optimizer steps on `data = (inputs, targets)` and return the recorded History.

    - `loss_fn(model, x, y)` gives the loss to minimise (default: cross-entropy of `model(x)` against `y`).
    - `batch_size=None` trains full-batch; otherwise minibatches from a reshuffle each epoch (`generator`
      makes the order reproducible).
    - Every `eval_every` steps (and at step 0 and the last step) the History records `train_batch_loss`
      (mean loss of the steps since the last record) and whatever `evaluate(model)` returns, measured
      under `torch.no_grad()` in eval mode.
    - `stop_when(metrics)` ends training early once it returns True at an evaluation.
    - `history` continues an earlier History, counting steps on from its last one.
    """
    if steps < 0:
        raise ValueError(f"train: steps must be non-negative, got {steps}")
    if eval_every < 1:
        raise ValueError(f"train: eval_every must be at least 1, got {eval_every}")
    x, y = data
    if len(x) != len(y):
        raise ValueError(f"train: inputs and targets differ in length ({len(x)} vs {len(y)})")
    loss_fn = loss_fn or _default_loss
    history = history if history is not None else History()
    offset = history.steps[-1] if history.steps else 0
    full_batch = batch_size is None or batch_size >= len(x)
    order, position = None, len(x)
    running, count = 0.0, 0

    def record(step: int) -> dict[str, float]:
        nonlocal running, count
        metrics = {"train_batch_loss": running / count if count else math.nan}
        if evaluate is not None:
            was_training = model.training
            model.eval()
            with torch.no_grad():
                metrics.update(evaluate(model))
            model.train(was_training)
        history.log(offset + step, **metrics)
        running, count = 0.0, 0
        return metrics

    from tqdm.auto import tqdm

    start = time.perf_counter()
    model.train()
    if not history.steps:
        record(0)
    bar = tqdm(total=steps, desc=description, disable=not progress, leave=False, mininterval=0.25)
    for step in range(1, steps + 1):
        if full_batch:
            xb, yb = x, y
        else:
            if position + batch_size > len(x):
                order, position = torch.randperm(len(x), generator=generator), 0
            index = order[position : position + batch_size]
            position += batch_size
            xb, yb = x[index], y[index]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model, xb, yb)
        loss.backward()
        optimizer.step()
        running += loss.item()
        count += 1
        bar.update(1)
        if step % eval_every == 0 or step == steps:
            metrics = record(step)
            bar.set_postfix({k: f"{v:.3g}" for k, v in list(metrics.items())[:4]}, refresh=False)
            if stop_when is not None and stop_when(metrics):
                break
    bar.close()
    history.seconds += time.perf_counter() - start
    return history
