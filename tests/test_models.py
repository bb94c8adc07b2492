"""models.CharMLP: shapes, errors, and that it learns a pattern an n-gram of its context length can."""

from __future__ import annotations

import pytest
import torch

from course_utils.data import context_windows
from course_utils.models import CharMLP
from course_utils.training import train


def test_shapes_and_gradients():
    torch.manual_seed(0)
    model = CharMLP(vocab_size=7, context=3, embed_dim=4, hidden=8)
    logits = model(torch.randint(0, 7, (5, 3)))
    assert logits.shape == (5, 7)
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert sum(p.numel() for p in model.parameters()) == 7 * 4 + (3 * 4 * 8 + 8) + (8 * 7 + 7)


def test_bad_input_and_arguments():
    model = CharMLP(5, 2)
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        model(torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="positive"):
        CharMLP(0, 2)


def test_learns_a_pattern_that_needs_its_whole_context():
    """The next symbol is the sum of the previous two, mod 5: certain given the context, so the loss -> 0."""
    torch.manual_seed(0)
    seq = [0, 1]
    for _ in range(3000):
        seq.append((seq[-1] + seq[-2]) % 5)
    x, y = context_windows(torch.tensor(seq), 2)
    model = CharMLP(5, 2, embed_dim=8, hidden=32)
    history = train(model, (x, y), steps=300, optimizer=torch.optim.Adam(model.parameters(), lr=1e-2), progress=False)
    assert history.last("train_batch_loss") < 0.05  # nats; a unigram model would need log 5 = 1.6
