"""benchmarks/grokking.py runs end to end with tiny settings (its timings are printed, never asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def restore_cpu_settings():
    """The benchmark calls fast_cpu(), which changes process-wide state: put it back for the tests that follow
    (hypothesis refuses to run while denormals are flushed to zero)."""
    threads = torch.get_num_threads()
    yield
    torch.set_flush_denormal(False)
    torch.set_num_threads(threads)


def load_benchmark():
    spec = importlib.util.spec_from_file_location("grokking_benchmark", ROOT / "benchmarks" / "grokking.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_transformer_shapes():
    benchmark = load_benchmark()
    model = benchmark.OneLayerTransformer(p=7, d_model=16, heads=4, d_mlp=32)
    tokens = torch.tensor([[1, 2, 7], [6, 6, 7]])
    assert model(tokens).shape == (2, 7)
    assert benchmark.transformer_seconds_per_epoch(epochs=1, warmup=0, p=7) > 0


def test_benchmark_runs_with_tiny_settings(capsys):
    benchmark = load_benchmark()
    result = benchmark.main(["--repeats", "1", "--epochs", "2", "--warmup", "1"])
    out = capsys.readouterr().out
    assert "ratio" in out and "ms per epoch" in out
    (run,) = result["runs"]
    assert run["S2"] is not None and run["S2"] >= 5 * run["S1"]  # the lesson's set-up groks, as the lesson says
    assert result["transformer_seconds"] == result["transformer_seconds_per_epoch"] * benchmark.NANDA_GROK_EPOCH
    assert result["ratio"] > 0
