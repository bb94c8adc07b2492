"""How long lesson 08's grokking run takes, against the published one-layer transformer set-up.

    python benchmarks/grokking.py                        # median of 3 lesson runs; 200 timed transformer epochs
    python benchmarks/grokking.py --repeats 5 --epochs 300

**The lesson's run** (notebooks/08_grokking.ipynb, section 3): `ModularMLP(97, hidden=64, embed_dim=96)`, full-batch
AdamW (learning rate 2e-2, weight decay 1, betas (0.9, 0.98)) on 30% of the 9,409 pairs, evaluated every 5 steps.
It is timed until the test accuracy first reaches 95% (step S2), evaluations included; then the same run is
repeated for exactly S2 steps without evaluations, to time the training steps alone.

**The reference**: the one-layer transformer of Nanda et al., "Progress Measures for Grokking via Mechanistic
Interpretability" (ICLR 2023): p = 113, 30% of the pairs, input tokens [a, b, =], d_model 128, 4 heads of 32,
an MLP of 512 ReLU units, no LayerNorm, learned positional embeddings, AdamW (learning rate 1e-3, weight decay 1,
betas (0.9, 0.98)), full batch, every position pushed through the model as usual implementations do. A few hundred
epochs are timed after a warm-up; the median seconds per epoch are multiplied by the epoch at which that set-up
groks. We use 10,000 epochs, the point at which the test loss of Nanda et al.'s mainline run collapses (their
training runs for tens of thousands of epochs); `--grok-epoch` takes another figure.

Both run on one CPU thread (`course_utils.repro.fast_cpu`), as the lessons do; `--threads 2` gives both two. The machine may be shared, so read
the times as rough; nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from course_utils.data import modular_addition
from course_utils.models import ModularMLP
from course_utils.repro import fast_cpu
from course_utils.training import evaluator, train

NANDA_GROK_EPOCH = 10_000


# -- the lesson's run ----------------------------------------------------------------------------------

def lesson_run(max_steps: int = 1_000, seed: int = 0, target: float = 0.95) -> dict[str, Any]:
    """Train the lesson's network until test accuracy >= target; returns S1, S2 and the seconds it took."""
    x_train, y_train, x_test, y_test = modular_addition(97, 0.3, seed=seed)

    def fresh() -> tuple[ModularMLP, torch.optim.Optimizer]:
        net = ModularMLP(97, hidden=64, embed_dim=96, seed=seed)
        return net, torch.optim.AdamW(net.parameters(), lr=2e-2, weight_decay=1.0, betas=(0.9, 0.98))

    net, optimizer = fresh()
    history = train(net, (x_train, y_train), steps=max_steps, optimizer=optimizer, eval_every=5, progress=False,
                    evaluate=evaluator({"train": (x_train, y_train), "test": (x_test, y_test)}),
                    stop_when=lambda metrics: metrics["test_acc"] >= target)
    s1 = history.first_step("train_acc", lambda acc: acc == 1.0)
    s2 = history.first_step("test_acc", lambda acc: acc >= target)
    steps = s2 if s2 is not None else history.steps[-1]
    net, optimizer = fresh()
    bare = train(net, (x_train, y_train), steps=steps, optimizer=optimizer, eval_every=steps, progress=False)
    return {"S1": s1, "S2": s2, "steps": steps, "seconds": history.seconds, "train_seconds": bare.seconds,
            "test_at_S1": history["test_acc"][history.steps.index(s1)] if s1 is not None else None}


# -- the reference transformer ---------------------------------------------------------------------------

class OneLayerTransformer(nn.Module):
    """Nanda et al.'s model: embed [a, b, =], one attention layer (4 heads), one ReLU MLP, unembed the last position."""

    def __init__(self, p: int = 113, d_model: int = 128, heads: int = 4, d_mlp: int = 512, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        d_head = d_model // heads

        def normal(*shape: int, fan_in: int) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=g) / fan_in**0.5)

        self.embed = normal(p + 1, d_model, fan_in=d_model)
        self.position = normal(3, d_model, fan_in=d_model)
        self.query = normal(heads, d_model, d_head, fan_in=d_model)
        self.key = normal(heads, d_model, d_head, fan_in=d_model)
        self.value = normal(heads, d_model, d_head, fan_in=d_model)
        self.out = normal(heads, d_head, d_model, fan_in=d_model)
        self.mlp_in, self.mlp_in_bias = normal(d_model, d_mlp, fan_in=d_model), nn.Parameter(torch.zeros(d_mlp))
        self.mlp_out, self.mlp_out_bias = normal(d_mlp, d_model, fan_in=d_mlp), nn.Parameter(torch.zeros(d_model))
        self.unembed = normal(d_model, p, fan_in=d_model)
        self.register_buffer("causal", torch.tril(torch.ones(3, 3, dtype=torch.bool)))
        self.scale = d_head**-0.5

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embed[tokens] + self.position  # (batch, 3, d_model)
        q, k, v = (torch.einsum("bpd,hde->bhpe", x, w) for w in (self.query, self.key, self.value))
        scores = torch.einsum("bhqe,bhke->bhqk", q, k) * self.scale
        attention = scores.masked_fill(~self.causal, float("-inf")).softmax(-1)
        mixed = torch.einsum("bhqk,bhke->bhqe", attention, v)
        x = x + torch.einsum("bhqe,hed->bqd", mixed, self.out)
        x = x + torch.relu(x @ self.mlp_in + self.mlp_in_bias) @ self.mlp_out + self.mlp_out_bias
        return (x @ self.unembed)[:, -1]  # logits at the '=' position


def transformer_seconds_per_epoch(epochs: int = 200, warmup: int = 10, p: int = 113, seed: int = 0) -> float:
    """Median wall-clock seconds of one full-batch AdamW epoch of the reference set-up."""
    x_train, y_train, _, _ = modular_addition(p, 0.3, seed=seed)
    tokens = torch.cat([x_train, torch.full((len(x_train), 1), p)], dim=1)  # [a, b, =]
    model = OneLayerTransformer(p, seed=seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    times = []
    for epoch in range(warmup + epochs):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(tokens), y_train).backward()
        optimizer.step()
        if epoch >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- the comparison ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="lesson runs; the median is reported (default 3)")
    parser.add_argument("--epochs", type=int, default=200, help="transformer epochs to time (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed transformer epochs first (default 10)")
    parser.add_argument("--grok-epoch", type=int, default=NANDA_GROK_EPOCH,
                        help=f"epoch at which the transformer groks (default {NANDA_GROK_EPOCH:,}, Nanda et al. 2023)")
    parser.add_argument("--max-steps", type=int, default=1_000, help="give the lesson run up to this many steps")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for both (default 1, as in the lessons)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.epochs < 1:
        parser.error("--repeats and --epochs must be at least 1")
    fast_cpu(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")

    runs = [lesson_run(args.max_steps) for _ in range(args.repeats)]
    for i, run in enumerate(runs, 1):
        reached = f"S2 = {run['S2']}" if run["S2"] is not None else f"95% not reached in {run['steps']} steps"
        print(f"lesson run {i}: S1 = {run['S1']}, {reached}; {run['seconds']:.2f} s with evaluations, "
              f"{run['train_seconds']:.2f} s of training steps alone")
    lesson_seconds = statistics.median(run["seconds"] for run in runs)
    lesson_train_seconds = statistics.median(run["train_seconds"] for run in runs)

    per_epoch = transformer_seconds_per_epoch(args.epochs, args.warmup)
    transformer_seconds = per_epoch * args.grok_epoch
    ratio = transformer_seconds / lesson_seconds
    print(f"transformer: {1000 * per_epoch:.0f} ms per epoch (median of {args.epochs}) x {args.grok_epoch:,} epochs "
          f"= {transformer_seconds:,.0f} s ({transformer_seconds / 60:.1f} min)")
    print(f"lesson: {lesson_seconds:.2f} s to 95% test accuracy with evaluations (median of {args.repeats}), "
          f"{lesson_train_seconds:.2f} s of training steps alone")
    print(f"ratio: the transformer takes {ratio:,.0f} times as long ({transformer_seconds / lesson_train_seconds:,.0f} "
          "times, counting training steps alone)")
    return {"lesson_seconds": lesson_seconds, "lesson_train_seconds": lesson_train_seconds, "runs": runs,
            "transformer_seconds_per_epoch": per_epoch, "transformer_seconds": transformer_seconds, "ratio": ratio}


if __name__ == "__main__":
    main()
