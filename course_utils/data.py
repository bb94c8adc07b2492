"""Data sets of the course, all built offline from what Python and its packages ship."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import torch

__all__ = ["prose", "Split", "digits"]


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
    import numpy as np
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
