"""The few small models that several lessons share.

- `CharMLP`: a tiny character language model (lesson 03 trains it in seconds on one CPU thread;
  later lessons reuse it to overfit text and to watch loss curves).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["CharMLP"]


class CharMLP(nn.Module):
    """Predict the next character from the previous `context` ones: embed, concatenate, one hidden layer.

    This is Bengio et al.'s neural probabilistic language model ("A Neural Probabilistic Language
    Model", JMLR 3, 2003, §2) at the level of characters. Unlike an n-gram table it shares statistical
    strength between similar contexts, because similar characters get similar embeddings, so it can use a
    longer context without needing to have seen every context before.

    Input: int64 tensor (batch, context) of symbol ids. Output: logits (batch, vocab_size); softmax
    them for probabilities, or pass them to `torch.nn.functional.cross_entropy` (which reports nats).
    """

    def __init__(self, vocab_size: int, context: int, embed_dim: int = 24, hidden: int = 256):
        super().__init__()
        if min(vocab_size, context, embed_dim, hidden) < 1:
            raise ValueError("CharMLP: vocab_size, context, embed_dim and hidden must all be positive")
        self.vocab_size, self.context = vocab_size, context
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.hidden = nn.Linear(context * embed_dim, hidden)
        self.out = nn.Linear(hidden, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.context:
            raise ValueError(f"CharMLP expects input of shape (batch, {self.context}), got {tuple(x.shape)}")
        return self.out(torch.tanh(self.hidden(self.embed(x).flatten(1))))
