"""The few small models that several lessons share.

- `CharMLP`: a tiny character language model (lesson 03 trains it in seconds on one CPU thread;
  later lessons reuse it to overfit text and to watch loss curves).
- `MLP`: a plain fully connected classifier (lessons 04-07 train it on the digits: to overfit, with
  dropout, with L1 or L2 penalties, and to prune it).
- `ModularMLP`: a two-layer network with a quadratic activation for arithmetic mod p (lesson 08 watches it
  grok in seconds; lesson 09 reuses it for a capability that appears suddenly).
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["MLP", "CharMLP", "ModularMLP"]


class MLP(nn.Module):
    """Linear → ReLU → ... → Linear: `sizes = [inputs, hidden..., outputs]`, output logits (nats for
    `torch.nn.functional.cross_entropy`).

    `dropout` zeroes each hidden unit with that probability in training mode (PyTorch's inverted dropout:
    survivors are scaled by 1 / (1 - p), and eval mode uses every unit unscaled); 0 adds no dropout layer.
    `seed` fixes the initial weights (PyTorch's default initialization) without touching the global
    generator, so two models built with the same seed start identical. `linears` lists the weight layers in
    order, for code that inspects, penalises or prunes them.
    """

    def __init__(self, sizes: list[int] | tuple[int, ...], *, dropout: float = 0.0, seed: int | None = None):
        super().__init__()
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, all positive; got {sizes}")
        if not 0 <= dropout < 1:
            raise ValueError(f"MLP: dropout must lie in [0, 1), got {dropout}")
        self.sizes, self.dropout = list(sizes), dropout
        if seed is None:
            self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.sizes[0]:
            raise ValueError(f"MLP expects inputs with {self.sizes[0]} features, got shape {tuple(x.shape)}")
        for layer in self.linears[:-1]:
            x = self.drop(torch.relu(layer(x)))
        return self.linears[-1](x)


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


class ModularMLP(nn.Module):
    """A two-layer network for (a, b) -> (a ∘ b) mod p with a quadratic activation, after Gromov
    ("Grokking modular arithmetic", 2023):

        h = U[a] + V[b]                (hidden pre-activations, `hidden` units; U, V are p x hidden)
        logits = (h * h) @ w_out       (w_out is hidden x p: one logit per residue)

    The first layer acts on the one-hot codes of a and b, so row a of U is simply a's weights. With
    `embed_dim=None` U and V are free parameters (`w_in`, shape 2p x hidden, U its first p rows): Gromov's
    network. With `embed_dim=d` each residue first gets one learned embedding, shared by both inputs
    (`embedding`, p x d, as in the transformers of Power et al. 2022 and Nanda et al. 2023), and
    `w_in` (2d x hidden) maps [E[a], E[b]] to h, so U = E @ w_in[:d] and V = E @ w_in[d:].
    `first_layer()` returns U and V either way: the weights a Fourier analysis of the network reads.

    The square is what makes the network able to add: cos(x)·cos(y) contains cos(x + y), so squared
    sums of waves in a and in b contain waves in a + b. Weights are drawn with standard deviation
    `init_scale / sqrt(fan_in)` (the embedding with `init_scale`); `seed` fixes them without touching
    the global generator. Input: int64 tensor (n, 2) of pairs. Output: logits (n, p), in nats for
    `torch.nn.functional.cross_entropy`.
    """

    def __init__(self, p: int, hidden: int = 128, embed_dim: int | None = 64, *, init_scale: float = 1.0,
                 seed: int | None = None):
        super().__init__()
        if min(p, hidden) < 1 or (embed_dim is not None and embed_dim < 1):
            raise ValueError("ModularMLP: p, hidden and embed_dim must be positive")
        if not init_scale > 0:
            raise ValueError(f"ModularMLP: init_scale must be positive, got {init_scale}")
        self.p, self.hidden, self.embed_dim = p, hidden, embed_dim
        generator = torch.Generator().manual_seed(seed) if seed is not None else None

        def normal(*shape: int, std: float) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=generator) * std)

        if embed_dim is None:
            self.register_parameter("embedding", None)
            width = p
        else:
            self.embedding = normal(p, embed_dim, std=init_scale)
            width = embed_dim
        self.w_in = normal(2 * width, hidden, std=init_scale / math.sqrt(2 * width))
        self.w_out = normal(hidden, p, std=init_scale / math.sqrt(hidden))

    def first_layer(self) -> tuple[torch.Tensor, torch.Tensor]:
        """U and V (each p x hidden): the hidden pre-activation for the pair (a, b) is U[a] + V[b]."""
        if self.embedding is None:
            return self.w_in[: self.p], self.w_in[self.p :]
        d = self.embed_dim
        return self.embedding @ self.w_in[:d], self.embedding @ self.w_in[d:]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"ModularMLP expects input pairs of shape (batch, 2), got {tuple(x.shape)}")
        U, V = self.first_layer()  # p x hidden each: cheaper than mapping every pair's embeddings
        h = U.index_select(0, x[:, 0]) + V.index_select(0, x[:, 1])  # on a CPU several times faster than U[x[:, 0]]
        return (h * h) @ self.w_out
