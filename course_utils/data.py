"""Data sets of the course, all built offline from what Python and its packages ship."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["prose", "Split", "digits", "MarkovSource", "markov_source", "context_windows", "modular_addition"]


class Split(NamedTuple):
    """A train/test split as tensors: unpack it (`x_train, y_train, x_test, y_test = digits()`) or use names."""

    x_train: "torch.Tensor"
    y_train: "torch.Tensor"
    x_test: "torch.Tensor"
    y_test: "torch.Tensor"


def prose(max_chars: int | None = None) -> str:
    """Real English prose: the topic pages of Python's own documentation, as ASCII text.

    They come from `pydoc_data.topics`, which every CPython installation ships (it is what
    `help("assert")` prints), so no download is needed. The pages are joined in sorted order,
    so the text is the same on every run; it differs slightly between Python versions, which is
    why lessons assert ranges rather than exact figures. About 460,000 characters on Python 3.11.
    The few non-ASCII characters are dropped so the alphabet stays small (about 100 symbols).
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[key] for key in sorted(topics))
    text = text.encode("ascii", errors="ignore").decode("ascii")
    if max_chars is not None:
        if max_chars < 1:
            raise ValueError(f"prose: max_chars must be positive, got {max_chars}")
        text = text[:max_chars]
    return text


def digits(test_fraction: float = 1 / 3, seed: int = 0, n_train: int | None = None) -> Split:
    """Handwritten digits 0-9 as 8×8 images: scikit-learn's bundled copy of the UCI set, 1,797 images.

    Returns a `Split` of float32 inputs of shape (n, 64), pixels scaled from 0..16 to [0, 1], and int64
    labels of shape (n,), ready for `torch.nn.functional.cross_entropy`. The split is stratified (each
    digit in the same proportion on both sides) and fixed by `seed`, so every lesson that asks for the
    same arguments gets the same examples: 1,198 train and 599 test images by default.
    `n_train` keeps only the first `n_train` training images (a random subset, as the split is
    shuffled), for experiments on small training sets; the test set does not change.
    """
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    images, labels = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        images / 16.0, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    if n_train is not None:
        if not 1 <= n_train <= len(x_train):
            raise ValueError(f"digits: n_train must be between 1 and {len(x_train)}, got {n_train}")
        x_train, y_train = x_train[:n_train], y_train[:n_train]

    def inputs(x: np.ndarray) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.float32)

    def targets(y: np.ndarray) -> torch.Tensor:
        return torch.tensor(y, dtype=torch.int64)

    return Split(inputs(x_train), targets(y_train), inputs(x_test), targets(y_test))


class MarkovSource:
    """A first-order Markov chain over the symbols 0..S-1: a source of text whose entropy rate is known exactly.

    `transition[i, j]` is the probability that symbol j follows symbol i. Sequences start from the
    stationary distribution π (πP = π), so every position has the same distribution, and the entropy
    rate, the bits per symbol that no model of the source can beat on average, is

        H = Σ_i π_i · H(P[i, :])        (Cover & Thomas, Elements of Information Theory, 2nd ed., Theorem 4.2.4)

    which makes the chain a yardstick: a model's perplexity on its output can approach 2^H, never go below it.
    """

    def __init__(self, transition: Any):
        P = np.array(transition, dtype=np.float64)
        if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] < 1:
            raise ValueError(f"MarkovSource: transition must be a square matrix (S x S), got shape {P.shape}")
        if not np.isfinite(P).all() or (P < 0).any():
            raise ValueError("MarkovSource: transition probabilities must be finite and non-negative")
        sums = P.sum(axis=1)
        if np.abs(sums - 1).max() > 1e-9:
            raise ValueError(f"MarkovSource: every row must sum to 1 (row {int(np.argmax(np.abs(sums - 1)))} sums to "
                             f"{sums[np.argmax(np.abs(sums - 1))]:.6g})")
        self.transition = P / sums[:, None]
        self.transition.setflags(write=False)
        self.stationary = self._stationary(self.transition)
        self.stationary.setflags(write=False)

    @staticmethod
    def _stationary(P: np.ndarray) -> np.ndarray:
        """Solve πP = π with Σπ = 1 (one equation of the singular system replaced by the normalisation)."""
        S = len(P)
        A = P.T - np.eye(S)
        A[-1] = 1.0
        b = np.zeros(S)
        b[-1] = 1.0
        try:
            pi = np.linalg.solve(A, b)
        except np.linalg.LinAlgError:
            raise ValueError("MarkovSource: the chain has no unique stationary distribution "
                             "(some states cannot reach each other)") from None
        if not np.allclose(pi @ P, pi, atol=1e-9) or (pi < -1e-12).any():
            raise ValueError("MarkovSource: the chain has no unique stationary distribution")
        pi = np.clip(pi, 0.0, None)
        return pi / pi.sum()

    @property
    def states(self) -> int:
        """The number of symbols S."""
        return len(self.transition)

    def entropy_rate(self, base: float = 2) -> float:
        """The exact entropy rate H = Σ_i π_i H(P[i]), in bits for base 2 (nats for math.e)."""
        from course_utils.info import entropy

        return float(self.stationary @ np.asarray(entropy(self.transition, base=base)))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n symbols of the chain (int64), the first drawn from π; the same seed gives the same sequence."""
        if n < 0:
            raise ValueError(f"MarkovSource.sample: n must be non-negative, got {n}")
        from bisect import bisect_right

        rng = np.random.default_rng(seed)
        u = rng.random(n).tolist()
        cumulative = np.cumsum(self.transition, axis=1)
        cumulative[:, -1] = 1.0  # u < 1 always lands inside the row, whatever the rounding
        rows = cumulative.tolist()
        start = np.cumsum(self.stationary)
        start[-1] = 1.0
        out = [0] * n
        if n:
            state = bisect_right(start.tolist(), u[0])
            out[0] = state
            for t in range(1, n):  # a plain loop over lists: ~0.3 s per million symbols
                state = bisect_right(rows[state], u[t])
                out[t] = state
        return np.array(out, dtype=np.int64)

    def log_probs(self, sequence: Any, base: float = 2) -> np.ndarray:
        """The true log-probability of each symbol after the first, given the one before it: the best any model can do."""
        seq = np.asarray(sequence)
        if seq.ndim != 1 or (seq.size and (seq.min() < 0 or seq.max() >= self.states)):
            raise ValueError(f"MarkovSource.log_probs: sequence must be a 1-D array of symbols 0..{self.states - 1}")
        with np.errstate(divide="ignore"):
            return np.log(self.transition[seq[:-1], seq[1:]]) / np.log(base)

    def __repr__(self) -> str:
        return f"MarkovSource(states={self.states}, entropy_rate={self.entropy_rate():.4f} bits)"


def markov_source(states: int = 5, *, concentration: float = 1.0, seed: int = 0) -> MarkovSource:
    """A random Markov chain: each row of the transition matrix drawn from a Dirichlet(concentration).

    Small concentrations (e.g. 0.3) give peaked rows and a low entropy rate; large ones approach the
    uniform chain, whose entropy rate is log2(states). Every entry is positive, so the chain has a unique
    stationary distribution. The same arguments give the same chain.
    """
    if states < 1:
        raise ValueError(f"markov_source: states must be at least 1, got {states}")
    if not concentration > 0:
        raise ValueError(f"markov_source: concentration must be positive, got {concentration}")
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(states, float(concentration)), size=states)
    P = np.clip(P, 1e-12, None)  # a Dirichlet draw can underflow to 0; keep every state reachable
    return MarkovSource(P / P.sum(axis=1, keepdims=True))


def context_windows(codes: Any, context: int) -> tuple[Any, Any]:
    """Every (previous `context` symbols, next symbol) pair of a sequence, for next-symbol prediction.

    Returns `(inputs, targets)` as int64 tensors of shapes (N - context, context) and (N - context,):
    row t of `inputs` is `codes[t : t + context]` and `targets[t]` is `codes[t + context]`.
    """
    import torch

    seq = torch.as_tensor(np.asarray(codes) if not isinstance(codes, torch.Tensor) else codes).long()
    if seq.ndim != 1:
        raise ValueError(f"context_windows: codes must be 1-D, got shape {tuple(seq.shape)}")
    if context < 1 or len(seq) <= context:
        raise ValueError(f"context_windows: need 1 <= context < len(codes), got context={context}, len={len(seq)}")
    windows = seq.unfold(0, context + 1, 1)
    return windows[:, :context].contiguous(), windows[:, context].contiguous()


def modular_addition(p: int = 97, train_fraction: float = 0.3, seed: int = 0) -> Split:
    """Every pair (a, b) of residues mod p, labelled (a + b) mod p, split at random into train and test.

    This is the task on which grokking was found (Power et al., "Grokking: Generalization Beyond
    Overfitting on Small Algorithmic Datasets", 2022). There are p² pairs in all; `round(train_fraction·p²)`
    of them, chosen by a random permutation drawn from `seed`, are for training and the rest for testing, so
    each pair lies on exactly one side and the same seed gives the same split. Returns a `Split` of int64
    tensors: inputs of shape (n, 2) holding (a, b), and labels of shape (n,), ready for
    `torch.nn.functional.cross_entropy` over p classes.
    """
    import torch

    if not isinstance(p, int) or p < 2:
        raise ValueError(f"modular_addition: p must be an integer of at least 2, got {p!r}")
    n_train = round(train_fraction * p * p)
    if not 0 < train_fraction < 1 or not 0 < n_train < p * p:
        raise ValueError(f"modular_addition: train_fraction must leave pairs on both sides, got {train_fraction}")
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))  # row a·p + b holds (a, b)
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    train, test = order[:n_train], order[n_train:]
    return Split(pairs[train], labels[train], pairs[test], labels[test])
