"""Checkers for lesson 08 (grokking): the modular-addition data set and its split, the Fourier power spectrum
of a weight matrix, the weights of the analytic (Fourier) solution, and the effective number of frequencies.

References are written here with NumPy's FFT, independently of the lesson's PyTorch code. The analytic weights
are also judged by what they do: the quadratic network built from them must add mod p, and when it does not,
the message says what it computes instead (a − b, −(a + b), ...).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, _is_complex, _is_tensor, checker, diff_summary, fmt

__all__ = ["check_modular_addition_split", "check_power_spectrum", "check_analytic_weights",
           "check_effective_frequencies"]


def _is_integer(value: Any) -> bool:
    if _is_tensor(value):
        return not value.is_floating_point() and not value.is_complex()
    return np.issubdtype(np.asarray(value).dtype, np.integer)


def _parts(c: Checker, value: Any, text: str, names: list[str]) -> list[Any]:
    """The learner's tuple of results, or a CheckFailed saying what came back instead."""
    if not isinstance(value, (tuple, list)):
        if value is None or isinstance(value, (str, bytes)) or _is_complex(value):
            c.to_array(value, text)  # the core's message for None, a string, complex numbers
        c.fail(f"{text} returned a {type(value).__name__}; return {len(names)} things: {', '.join(names)}",
               f"return a tuple: {', '.join(names)}")
    if len(value) != len(names):
        c.fail(f"{text} returned {len(value)} things; return {len(names)}: {', '.join(names)}",
               f"return {len(names)} things: {', '.join(names)}")
    return list(value)


# -- exercise 1: the data set and its split ---------------------------------------------------------

def _unpack_split(c: Checker, value: Any, text: str) -> tuple[np.ndarray, ...]:
    names = ["x_train", "y_train", "x_test", "y_test"]
    parts = _parts(c, value, text, names)
    dims = [np.ndim(part) for part in parts]
    if dims != [2, 1, 2, 1] and sorted(dims) == [1, 1, 2, 2]:
        c.fail(f"{text} returned arrays of {', '.join(f'{d}-D' for d in dims)}; the order is x_train, y_train, x_test, "
               "y_test: 2-D, 1-D, 2-D, 1-D (sklearn's train_test_split returns x_train, x_test, y_train, y_test)",
               "order: x_train, y_train, x_test, y_test")
    arrays = []
    for name, part in zip(names, parts):
        array = c.to_array(part, f"{text} ({name})")
        if np.isnan(array).any():
            c.fail(f"{text}: {name} holds NaN", "NaN in the data: residues are whole numbers")
        if not _is_integer(part) and not np.all(array == np.round(array)):
            c.fail(f"{text}: {name} holds non-integers such as {fmt(array.ravel()[:4])}; residues and labels are "
                   "whole numbers", f"{name} holds non-integers")
        if not _is_integer(part):
            c.fail(f"{text}: {name} has a floating-point dtype; residues and labels must be integers (torch.int64), or "
                   "cross_entropy will refuse the labels and indexing the inputs", f"{name} is float; use integers (int64)")
        arrays.append(array.astype(np.int64))
    return tuple(arrays)


def _check_shapes(c: Checker, text: str, x: np.ndarray, y: np.ndarray, side: str) -> None:
    if x.ndim == 2 and x.shape[0] == 2 and x.shape[1] != 2:
        c.fail(f"{text}: x_{side} has shape {x.shape}; it needs one row per pair, shape (n, 2)",
               f"x_{side} is transposed: one row per pair, (n, 2)")
    if x.ndim != 2 or x.shape[1] != 2:
        c.fail(f"{text}: x_{side} has shape {x.shape}; each row must hold one pair (a, b): shape (n, 2)",
               f"x_{side} needs one row (a, b) per pair: (n, 2)")
    if y.shape != (len(x),):
        c.fail(f"{text}: y_{side} has shape {y.shape} but x_{side} has {len(x)} rows; one label per pair, shape "
               f"({len(x)},)", "one label per pair: y has shape (n,)")


def _label_mistakes(a: np.ndarray, b: np.ndarray, p: int) -> dict[str, np.ndarray]:
    return {
        "forgot the `% p`? The label is (a + b) mod p": a + b,
        "multiplied instead of adding: the label is (a + b) mod p": (a * b) % p,
        "subtracted instead of adding: the label is (a + b) mod p": (a - b) % p,
        f"wrong modulus: % (p + 1); the label is (a + b) % p": (a + b) % (p + 1),
        f"wrong modulus: % (p - 1); the label is (a + b) % p": (a + b) % (p - 1),
    }


def _judge_labels(c: Checker, text: str, x: np.ndarray, y: np.ndarray, p: int, side: str, n_train: int) -> None:
    a, b = x[:, 0], x[:, 1]
    right = (a + b) % p
    if np.array_equal(y, right):
        return
    bad = int(np.flatnonzero(y != right)[0])
    pair = (int(x[bad][0]), int(x[bad][1]))
    said = (f"{text}: y_{side} is wrong, e.g. the pair {pair} has label {int(y[bad])}, expected ({pair[0]} + {pair[1]}) "
            f"mod {p} = {int(right[bad])}")
    for hint, wrong in _label_mistakes(a, b, p).items():
        if np.array_equal(y, wrong):
            c.fail(said, hint)
    table = (np.arange(p * p) // p + np.arange(p * p) % p) % p  # the labels in the order of the table of pairs
    unshuffled = table[:n_train] if side == "train" else table[n_train:]
    if y.shape == unshuffled.shape and np.array_equal(y, unshuffled):
        c.fail(f"{said}: the labels are those of the table in its original order, so they no longer match the "
               "shuffled pairs; index pairs and labels with the same permutation", "labels not shuffled with the pairs")
    if np.array_equal(np.sort(y), np.sort(right)):
        c.fail(f"{said}: the right labels in the wrong rows; shuffle the pairs and their labels with the same "
               "permutation, so each label stays with its pair", "labels in the wrong rows: one permutation for both")
    c.fail(said)


def _split_of(c: Checker, p: int, fraction: float, seed: int) -> tuple[str, tuple[np.ndarray, ...]]:
    value, text = c.call(p, fraction, seed)
    parts = _unpack_split(c, value, text)
    return text, parts


@checker
def check_modular_addition_split(modular_addition_split: Any) -> None:
    """Check `modular_addition_split(p, train_fraction, seed)`: every pair once, (a + b) mod p, a seeded random split."""
    c = Checker("modular_addition_split", modular_addition_split)
    for p, fraction, seed in [(7, 0.3, 0), (11, 0.4, 3), (13, 0.25, 1), (17, 0.7, 2)]:  # no ties at .5 to round
        text, (x_train, y_train, x_test, y_test) = _split_of(c, p, fraction, seed)
        n_train = round(fraction * p * p)
        _check_shapes(c, text, x_train, y_train, "train")
        _check_shapes(c, text, x_test, y_test, "test")
        everything = np.concatenate([x_train, x_test])
        codes_train = x_train[:, 0] * p + x_train[:, 1]
        codes_test = x_test[:, 0] * p + x_test[:, 1]
        if len(x_test) == 0 and len(x_train) == n_train and np.array_equal(np.sort(codes_train), np.arange(n_train)):
            c.fail(f"{text}: the training set is the first {n_train} pairs of the table and the test set is empty: "
                   f"the permutation ran over n = {n_train} positions; permute all p² = {p * p} pairs, "
                   "torch.randperm(p * p, generator=...), and cut it", "randperm(n) permutes n_train rows: use p * p")
        low, high = int(everything.min(initial=p)), int(everything.max(initial=0))
        if high >= p or low < 0:
            c.fail(f"{text}: the pairs hold residues from {low} to {high}; residues mod {p} run from 0 to {p - 1} "
                   "(np.arange(p), torch.arange(p))", f"residues run 0..p-1 (torch.arange(p)), not {low}..{high}")
        if len(everything) and np.all(everything[:, 0] == everything[:, 1]):
            c.fail(f"{text}: every pair has a = b, e.g. {tuple(int(v) for v in everything[0])}; the two columns must run "
                   "over all combinations: torch.cartesian_prod(torch.arange(p), torch.arange(p))",
                   "every pair has a = b: list all p² combinations")
        if high < p - 1 and low >= 0 and len(everything) == (p - 1) ** 2:
            c.fail(f"{text}: the pairs use only the residues {low}..{high}; every residue 0..{p - 1} must appear, for "
                   f"{p * p} pairs in all", f"residues run 0..p-1: range(p), not range(p - 1)")
        _judge_labels(c, text, x_train, y_train, p, "train", n_train)
        _judge_labels(c, text, x_test, y_test, p, "test", n_train)
        c.passed += 1

        if len(np.unique(codes_train)) < len(codes_train):
            c.fail(f"{text}: some pairs appear more than once in the training set: draw the training pairs without "
                   "replacement, e.g. the first n of a random permutation (torch.randperm)",
                   "pairs repeat: draw without replacement (randperm)")
        if len(np.unique(codes_test)) < len(codes_test):
            c.fail(f"{text}: some pairs appear more than once in the test set: the test set is the rest of one "
                   "permutation of all p² pairs", "test pairs repeat: split one permutation")
        both = np.intersect1d(codes_train, codes_test)
        if both.size:
            a, b = divmod(int(both[0]), p)
            c.fail(f"{text}: {both.size} pairs, e.g. {(a, b)}, are in both the training and the test set: the test set "
                   "must be exactly the pairs not used for training (split one permutation)",
                   "pairs in both sets: test = the rest of one permutation")
        if len(codes_train) + len(codes_test) != p * p:
            c.fail(f"{text}: the two sets hold {len(codes_train) + len(codes_test)} pairs, but there are p² = {p * p}: "
                   "every pair (a, b) must be in exactly one of them", f"pairs missing: the sets must hold all p² = {p * p}")
        c.passed += 1

        if len(x_train) != n_train:
            said = f"{text}: {len(x_train)} training pairs, expected round({fraction} · {p * p}) = {n_train}"
            if len(x_train) == p * p - n_train:
                c.fail(f"{said}: the training set is the first round(train_fraction·p²) pairs of the permutation",
                       "train and test swapped?")
            if len(x_train) == int(fraction * p * p):
                c.fail(f"{said}: int() rounds {fraction * p * p:g} down", "int() rounds down; use round(fraction * p * p)")
            if len(x_train) == math.ceil(fraction * p * p):
                c.fail(f"{said}: math.ceil rounds {fraction * p * p:g} up", "ceil rounds up; use round(fraction * p * p)")
            if len(x_train) == round(fraction * p):
                c.fail(f"{said}: train_fraction is a share of all p² pairs, not of p",
                       "train_fraction is a share of p² pairs, not of p")
            c.fail(said, "use round(train_fraction * p * p) training pairs")
        if np.array_equal(np.sort(codes_train), np.arange(n_train)):
            c.fail(f"{text}: the training set is the first {n_train} pairs of the table in order (a = 0, 1, ... only): "
                   "shuffle the pairs with a seeded permutation before splitting", "pairs not shuffled before the cut")
        c.passed += 1

        _, again = _split_of(c, p, fraction, seed)
        if not all(np.array_equal(u, v) for u, v in zip((x_train, y_train, x_test, y_test), again)):
            c.fail(f"{text} gave a different split when called again with the same seed: draw the permutation from a "
                   "generator seeded with `seed`, e.g. torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))",
                   "same seed, different split: seed a torch.Generator")
        other_text, other = _split_of(c, p, fraction, seed + 10)
        if np.array_equal(np.sort(codes_train), np.sort(other[0][:, 0] * p + other[0][:, 1])):
            c.fail(f"{text} and {other_text} chose the same training pairs: the split must depend on the seed",
                   "the split ignores `seed`: seed the generator with it")
        c.passed += 1
    c.done()


# -- exercise 2: the power spectrum --------------------------------------------------------------

def _reference_power(W: np.ndarray) -> np.ndarray:
    """Power per frequency k = 0..(p-1)/2 of each column (p odd): |F_k|²/p, doubled for k >= 1 (k and p - k)."""
    coefficients = np.fft.rfft(W, axis=0)
    power = np.abs(coefficients) ** 2
    power[1:] *= 2
    return power / W.shape[0]


def _power_mistakes(W: np.ndarray) -> dict[str, np.ndarray]:
    p = W.shape[0]
    F = np.fft.rfft(W, axis=0)
    raw = np.abs(F) ** 2
    right = _reference_power(W)
    dc_doubled = right.copy()
    dc_doubled[0] *= 2
    no_dc = right.copy()
    no_dc[0] = 0
    amplitude = np.abs(F).copy()
    amplitude[1:] *= 2
    real_square = (F**2).real.copy()
    real_square[1:] *= 2
    full = np.abs(np.fft.fft(W, axis=0)) ** 2 / p
    K = p // 2 + 1
    unreversed = full[:K].copy()
    unreversed[1:] += full[K:]  # partners taken in the wrong order: p - k is full[p - k], counted from the end
    nyquist = raw.copy()
    nyquist[1:-1] *= 2  # the even-length habit: the last bin left single
    m = W.shape[1]
    mistakes = {}
    if m != p:
        mistakes["divided by W.shape[1] (columns)? Divide by p = W.shape[0]"] = right * p / m
    return mistakes | {
        "odd p has no Nyquist bin: double the last row (p−1)/2 too": nyquist / p,
        "the partner of k is p − k: add the second half reversed": unreversed,
        "normalised each column to sum 1? Return the power itself": right / right.sum(0, keepdims=True),
        "normalised to shares? Return the power itself": right / right.sum(),
        "k and p − k are one wave: double the bins k ≥ 1": raw / p,
        "k = 0 has no partner p − k: double only k ≥ 1": dc_doubled,
        "divide by p (then the powers add up to the squared norm)": right * p,
        "double the bins k ≥ 1 and divide by p": raw,
        "divided by p twice? norm='ortho'/'forward' already scale": right / p,
        "subtracted the mean? Keep it: k = 0 is the constant part": no_dc,
        "that is the amplitude |F_k|; power is its square": np.abs(F),
        "that is the amplitude |F_k| (doubled); power is |F_k|²": amplitude,
        "that is sqrt(power); power is |F_k|², doubled, over p": np.sqrt(right),
        "(F ** 2).real is re² − im²; power is |F|² = re² + im²": real_square / p,
        "only the real part squared? Power is re² + im²": 2 * F.real**2 / p,
    }


def _proportional(x: np.ndarray, y: np.ndarray) -> bool:
    """Is x = c·y for one constant c > 0, on the entries where y is not negligible?"""
    mask = y > 1e-9 * max(float(y.max(initial=0.0)), 1e-300)
    if mask.sum() < 2:
        return False
    ratio = x[mask] / y[mask]
    return bool(ratio.min() > 0 and np.allclose(ratio, ratio.mean(), rtol=1e-4))


def _power_shape(c: Checker, text: str, got: np.ndarray, W: np.ndarray) -> None:
    """A result of the wrong shape: say which mistake gives that shape (by its values where two could)."""
    p, m = W.shape
    K = p // 2 + 1
    expected = _reference_power(W)
    said = f"{text} returned shape {got.shape} for W of shape {W.shape}, expected {expected.shape}"
    hints = {
        (p, m // 2 + 1): ("FFT over the wrong axis? The residues are axis 0",
                          "the residues a are the rows (axis 0): transform each column, rfft(W, dim=0)"),
        (m, K): ("transposed: one row per frequency k, one column per unit", "return shape ((p+1)/2, m)"),
        (p, m): ("a full FFT: keep k = 0..(p-1)/2 and add p − k to k",
                 "rfft returns k = 0..(p-1)/2; the power at p − k belongs to k"),
        (K,): ("one spectrum per column: do not add the columns up", "return one column of powers per column of W"),
        (m,): ("one spectrum per column, one row per frequency", "return one column of powers per column of W"),
    }
    if got.shape == (K - 1, m):
        if _proportional(got, expected[:-1]) or np.allclose(got, expected[:-1], rtol=1e-4):
            c.fail(f"{said}: it stops at k = (p − 3)/2; for odd p the last frequency is p // 2 = (p − 1)/2: slice "
                   "[: p // 2 + 1], or use rfft", "missing k = (p−1)/2: a full FFT needs [: p // 2 + 1]")
        if _proportional(got, expected[1:]) or np.allclose(got, expected[1:], rtol=1e-4):
            c.fail(f"{said}: k = 0, the constant part of each column, is the first row", "keep k = 0, the first row")
        c.fail(f"{said}: one row per frequency k = 0..(p − 1)/2, {K} rows", f"one row too few: k = 0..(p-1)/2 is {K} rows")
    hint, why = hints.get(got.shape, ("", f"one row per frequency k = 0..(p − 1)/2 and one column per column of W"))
    c.fail(f"{said}: {why}", hint)


def _judge_power(c: Checker, text: str, value: Any, W: np.ndarray) -> np.ndarray:
    if _is_complex(value):
        z = value.detach().cpu().numpy() if _is_tensor(value) else np.asarray(value)
        if np.allclose(z.imag, 0, atol=1e-9 * max(float(np.abs(z).max(initial=0)), 1.0)):
            c.fail(f"{text} returned complex numbers whose imaginary parts are all 0 (F * F.conj() is real but keeps a "
                   "complex dtype): return .real, or compute F.abs() ** 2", "complex dtype: take .real of F * F.conj()")
        c.fail(f"{text} returned complex numbers: those are the Fourier coefficients F_k; power is |F_k|², a real "
               "number (.abs() ** 2), doubled for k ≥ 1 and divided by p", "returned F itself; power is |F_k|² (.abs()**2)")
    got = c.to_array(value, text)
    expected = _reference_power(W)
    if got.shape != expected.shape:
        _power_shape(c, text, got, W)
    if np.isnan(got).any():
        c.fail(f"{text} returned NaN in {fmt(got)}")
    atol = 1e-5 * float(expected.max())  # float32 is precise enough for a spectrum
    if not np.allclose(got, expected, rtol=1e-4, atol=atol) and _proportional(got[1:] ** 2, expected[1:]):
        c.fail(f"{text} returned the amplitude (or a multiple of it): {diff_summary(got, expected)}; power is |F_k|², "
               "doubled for k ≥ 1 and divided by p", "that is (a multiple of) the amplitude; power is |F_k|²")
    c.close(text, got, expected, unit="(power per frequency and column)", mistakes=_power_mistakes(W), rtol=1e-4,
            atol=atol)
    return got


@checker
def check_power_spectrum(power_spectrum: Any) -> None:
    """Check `power_spectrum(W)`: per-column power at k = 0..(p-1)/2, k and p - k combined, summing to the squared norm."""
    import torch

    c = Checker("power_spectrum", power_spectrum)
    rng = np.random.default_rng(8)
    a7 = np.arange(7)
    waves = np.stack([np.cos(2 * np.pi * 2 * a7 / 7 + 0.3), np.full(7, 0.5), rng.normal(size=7)], axis=1)
    cases = [waves, rng.normal(size=(11, 4)), rng.normal(size=(13, 1)) + 1.0, rng.normal(size=(5, 6))]
    for W in cases:
        value, text = c.call(W.copy())
        _judge_power(c, text, value, W)

    value, text = c.call(waves.copy())
    got = c.to_array(value, text)
    c.require(got[2, 0] > 0.999 * 3.5 and got[0, 1] > 0.999 * 7 * 0.25,
              f"{text}: a cosine of amplitude 1 over 7 residues puts all its power, 7/2, at its frequency, and a "
              "constant 0.5 puts 7 · 0.25 at k = 0")

    # A torch tensor, as the lesson passes (float32, like a network's weights), and a rotated copy of it.
    torch_input = torch.tensor(rng.normal(size=(97, 5)), dtype=torch.float32)
    value, text = c.call(torch_input.clone())
    W = torch_input.double().numpy()
    got = _judge_power(c, text, value, W)
    shifted = torch.roll(torch_input, 13, dims=0)
    value, text_shift = c.call(shifted)
    c.require(np.allclose(c.to_array(value, text_shift), got, rtol=1e-4, atol=1e-5 * float(got.max())),
              f"{text_shift}: rotating the residues (a -> a + 13) changes only the phases, so the power must not change")
    c.done()


# -- exercise 3: the analytic solution ---------------------------------------------------------------

def _reference_weights(p: int, freqs: Any, phi: Any, psi: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.arange(p)[:, None]
    f, phi, psi = (np.asarray(v, dtype=float)[None, :] for v in (freqs, phi, psi))
    theta = 2 * np.pi * f * a / p
    return np.cos(theta + phi), np.cos(theta + psi), np.cos(theta + phi + psi).T


def _grid(freqs: list[int], size: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    phases = 2 * np.pi * np.arange(size) / size
    f = np.repeat(np.asarray(freqs, dtype=float), size * size)
    phi = np.tile(np.repeat(phases, size), len(freqs))
    psi = np.tile(np.tile(phases, size), len(freqs))
    return f, phi, psi


OPERATIONS = {
    "(a + b) mod p": lambda a, b, p: (a + b) % p,
    "−(a + b) mod p": lambda a, b, p: (-(a + b)) % p,
    "(a − b) mod p": lambda a, b, p: (a - b) % p,
    "(b − a) mod p": lambda a, b, p: (b - a) % p,
    "2a mod p": lambda a, b, p: (2 * a) % p,
    "2b mod p": lambda a, b, p: (2 * b) % p,
}


def _network_computes(U: np.ndarray, V: np.ndarray, W: np.ndarray, p: int) -> tuple[str, float]:
    """Which operation the quadratic network with these weights computes best, and on what share of pairs."""
    a = np.repeat(np.arange(p), p)
    b = np.tile(np.arange(p), p)
    h = U[a] + V[b]
    predicted = ((h * h) @ W).argmax(1)
    scores = {name: float(np.mean(predicted == op(a, b, p))) for name, op in OPERATIONS.items()}
    best = max(scores, key=scores.get)
    return best, scores[best]


def _weight_mistakes(p: int, freqs: Any, phi: Any, psi: Any, which: str) -> dict[str, np.ndarray]:
    a = np.arange(p)[:, None]
    f, ph, ps = (np.asarray(v, dtype=float)[None, :] for v in (freqs, phi, psi))
    theta = 2 * np.pi * f * a / p
    shifted = theta + 2 * np.pi * f / p  # residues 1..p instead of 0..p-1
    if which == "U":
        return {"U needs the phase φ: cos(2π·f·a/p + φ)": np.cos(theta),
                "U and V swapped their phases? U uses φ, V uses ψ": np.cos(theta + ps),
                "cosines, not sines: U = cos(2π·f·a/p + φ)": np.sin(theta + ph),
                "the angle 2π·f·a/p: /p missing, or an integer division?": np.cos(2 * np.pi * f * a + ph),
                "the angle is 2π·f·a/p: did you forget the 2π?": np.cos(f * a / p + ph),
                "residues run 0..p-1 (torch.arange(p)), not 1..p": np.cos(shifted + ph),
                "U's phase is φ alone; φ + ψ belongs to W_out": np.cos(theta + ph + ps),
                "the phase goes inside the cosine: cos(2π·f·a/p + φ)": np.cos(theta) + ph}
    if which == "V":
        return {"V needs the phase ψ: cos(2π·f·b/p + ψ)": np.cos(theta),
                "U and V swapped their phases? U uses φ, V uses ψ": np.cos(theta + ph),
                "V needs +ψ; with −ψ the network computes (a − b) mod p": np.cos(theta - ps),
                "cosines, not sines: V = cos(2π·f·b/p + ψ)": np.sin(theta + ps),
                "residues run 0..p-1 (torch.arange(p)), not 1..p": np.cos(shifted + ps),
                "V's phase is ψ alone; φ + ψ belongs to W_out": np.cos(theta + ph + ps),
                "the phase goes inside the cosine: cos(2π·f·b/p + ψ)": np.cos(theta) + ps}
    return {"sign error: W_out's phase is +(φ + ψ), not −(φ + ψ)": np.cos(theta - ph - ps).T,
            "W_out's phase is the sum φ + ψ, not the difference φ − ψ": np.cos(theta + ph - ps).T,
            "W_out's phase is the sum φ + ψ, not the difference ψ − φ": np.cos(theta - ph + ps).T,
            "W_out needs the phase φ + ψ, the sum of the input phases": np.cos(theta).T,
            "W_out needs both phases, φ + ψ, not φ alone": np.cos(theta + ph).T,
            "W_out needs both phases, φ + ψ, not ψ alone": np.cos(theta + ps).T,
            "cosines, not sines: W_out = cos(2π·f·c/p + φ + ψ)": np.sin(theta + ph + ps).T,
            "a minus sign too many: W_out = +cos(2π·f·c/p + φ + ψ)": -np.cos(theta + ph + ps).T,
            "residues run 0..p-1 (torch.arange(p)), not 1..p": np.cos(shifted + ph + ps).T,
            "the phase goes inside the cosine: cos(2π·f·c/p + φ + ψ)": (np.cos(theta) + ph + ps).T}


def _weights_of(c: Checker, value: Any, text: str, p: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = _parts(c, value, text, ["U", "V", "W_out"])
    U, V, W = (c.to_array(part, f"{text} ({name})") for part, name in zip(parts, ["U", "V", "W_out"]))
    for name, M, shape in [("U", U, (p, n)), ("V", V, (p, n)), ("W_out", W, (n, p))]:
        if M.shape == shape:
            continue
        said = f"{text}: {name} has shape {M.shape}, expected {shape} (p = {p} residues, n = {n} units)"
        if M.shape == shape[::-1] and name == "W_out":
            c.fail(f"{said}: W_out maps the n hidden units to the p logits, so it has one row per unit",
                   "W_out is (n, p), one row per unit: transpose it")
        if M.shape == shape[::-1]:
            c.fail(f"{said}: one row per residue and one column per unit", f"{name} is (p, n), one row per residue: transpose")
        c.fail(said)
    for name, M in [("U", U), ("V", V), ("W_out", W)]:
        if np.isnan(M).any():
            c.fail(f"{text}: {name} contains NaN", f"NaN in {name}")
    return U, V, W


FORMULAS = {"U": "U[a, j] = cos(2π·f_j·a/p + φ_j)", "V": "V[b, j] = cos(2π·f_j·b/p + ψ_j)",
            "W_out": "W_out[j, c] = cos(2π·f_j·c/p + φ_j + ψ_j)"}
WEIGHT_ATOL = 1e-4  # float32 weights (errors near 1e-6) are as good as float64 ones: the lesson casts to float32


def _judge_weights(c: Checker, text: str, name: str, got: np.ndarray, expected: np.ndarray,
                   mistakes: dict[str, np.ndarray]) -> None:
    """Compare a whole matrix; on a mismatch, name the mistake that explains all of it and say where it differs most."""
    if np.allclose(got, expected, rtol=0, atol=WEIGHT_ATOL):
        c.passed += 1
        return
    hint = next((why for why, wrong in mistakes.items() if np.allclose(got, wrong, rtol=1e-4, atol=WEIGHT_ATOL)), "")
    if not hint and _proportional(np.abs(got), np.abs(expected)) and np.all(np.sign(got) * np.sign(expected) >= 0):
        scale = float(np.median(got[np.abs(expected) > 0.1] / expected[np.abs(expected) > 0.1]))
        hint = f"{name} is {scale:.3g} × the expected weights: no scale factor"
    units = np.abs(got - expected).max(axis=1 if name == "W_out" else 0)
    j = int(np.argmax(units))
    mine, right = (got[j], expected[j]) if name == "W_out" else (got[:, j], expected[:, j])
    where = f"W_out[{j}, :]" if name == "W_out" else f"{name}[:, {j}]"
    c.fail(f"{text}: {where} (unit {j}) is {fmt(mine, 3)}, expected {fmt(right, 3)} ({FORMULAS[name]}); "
           f"{diff_summary(got, expected, 3)}", hint)


LISTS = "freqs, phi, psi may be lists: convert them (torch.as_tensor)"


@checker
def check_analytic_weights(analytic_weights: Any) -> None:
    """Check `analytic_weights(p, freqs, phi, psi)`: U, V and W_out of the hand-built network that adds mod p."""
    c = Checker("analytic_weights", analytic_weights)
    cases = [
        (7, [1, 2, 3], [0.0, 0.5, 1.0], [0.3, 0.2, 2.0]),
        (11, [4, 4], [2.0, -1.0], [0.7, 1.5]),
        (13, [6, 1, 5, 2], [0.1, 0.2, 0.3, 0.4], [3.0, -2.0, 1.0, 0.0]),
    ]
    for i, (p, freqs, phi, psi) in enumerate(cases):
        if i == 0:  # the sheet allows lists, NumPy arrays or tensors: the first case passes plain lists
            try:
                value, text = c.call(p, list(freqs), list(phi), list(psi))
            except CheckFailed as exc:
                if not exc.hint and "TypeError" in exc.message:
                    raise CheckFailed(exc.message, hint=LISTS) from None
                raise
        else:
            value, text = c.call(p, np.array(freqs), np.array(phi), np.array(psi))
        got = _weights_of(c, value, text, p, len(freqs))
        expected = _reference_weights(p, freqs, phi, psi)
        for name, mine, right in zip(["U", "V", "W_out"], got, expected):
            _judge_weights(c, text, name, mine, right, _weight_mistakes(p, freqs, phi, psi, name))

    for p, freqs in [(11, [2, 5]), (13, [1]), (31, [3, 7, 11])]:
        f, phi, psi = _grid(freqs)
        value, text = c.call(p, f, phi, psi)
        U, V, W = _weights_of(c, value, text, p, len(f))
        operation, share = _network_computes(U, V, W, p)
        c.require(operation == "(a + b) mod p" and share == 1.0,
                  f"with the 3×3 grid of phases at frequencies {freqs} and p = {p}, the network built from your weights "
                  f"computes {operation} on {100 * share:.0f}% of the pairs, not (a + b) mod p on all of them",
                  hint=f"the network computes {operation}, not (a + b) mod p" if operation != "(a + b) mod p" else "")
    c.done()


# -- exercise 4: the effective number of frequencies -------------------------------------------------

def _shares(power: np.ndarray) -> np.ndarray:
    total = power.sum()
    return power / total if total > 0 else power


def _perplexity(share: np.ndarray) -> float:
    nonzero = share[share > 0]
    return float(2 ** -(nonzero * np.log2(nonzero)).sum())


def _reference_effective(W: np.ndarray) -> float:
    return _perplexity(_shares(_reference_power(W).sum(1)[1:]))


def _effective_mistakes(W: np.ndarray) -> dict[str, float]:
    power = _reference_power(W)
    share = _shares(power.sum(1)[1:])
    nonzero = share[share > 0]
    bits = float(-(nonzero * np.log2(nonzero)).sum())
    early = power.sum(1) / power.sum()  # normalised with k = 0 still in, then k = 0 dropped
    early_bits = float(-(early[1:][early[1:] > 0] * np.log2(early[1:][early[1:] > 0])).sum())
    mistakes = {
        "leave out k = 0: the constant part says nothing": _perplexity(_shares(power.sum(1))),
        "that is the entropy in bits; the number is 2 ** entropy": bits,
        "that is the entropy in nats; the number is e ** it": bits * math.log(2),
        "mixing bases: 2 ** (entropy in nats); use 2 ** (bits)": 2 ** (bits * math.log(2)),
        "mixing bases: e ** (entropy in bits); use 2 ** (bits)": math.exp(bits),
        "shares of the power, not of the amplitude": _perplexity(_shares(np.sqrt(power).sum(1)[1:])),
        "mean instead of sum in the entropy: H = −Σ s_k log2 s_k":
            2 ** float(-(nonzero * np.log2(nonzero)).sum() / len(share)),
        "that is 1 / Σ s_k², a participation ratio; use 2 ** H": float(1 / np.sum(share**2)) if share.sum() > 0 else 0.0,
        "normalised before dropping k = 0: shares must sum to 1": 2 ** early_bits,
        "summed over frequencies (axis 0); add up the columns, axis 1": _perplexity(_shares(power.sum(0)[1:])),
        "dropped column 0, not k = 0: drop the first row": _perplexity(_shares(power[:, 1:].sum(1))),
        "summed over frequencies (axis 0); add up the columns, axis=1": _perplexity(_shares(power[1:].sum(0))),
    }
    if W.shape[1] > 1:
        per_column = [_perplexity(_shares(power[1:, j])) for j in range(W.shape[1])]
        mistakes["averaged per-column numbers; add up the spectra first"] = float(np.mean(per_column))
        mistakes["used only the first column; add up all columns' spectra"] = per_column[0]
    return mistakes


@checker
def check_effective_frequencies(effective_frequencies: Any) -> None:
    """Check `effective_frequencies(W)`: 2 ** (entropy in bits of W's power shares over k = 1..(p-1)/2)."""
    c = Checker("effective_frequencies", effective_frequencies)
    rng = np.random.default_rng(5)
    a = np.arange(11)
    cases = [
        (np.stack([np.cos(2 * np.pi * 1 * a / 11) + 2.0,
                   3 * np.cos(2 * np.pi * 4 * a / 11 + 1) + 1.5 * np.cos(2 * np.pi * 5 * a / 11),
                   np.cos(2 * np.pi * 2 * a / 11) - 1.0], axis=1), None),
        (np.cos(2 * np.pi * 3 * a / 11 + 0.4)[:, None], 1.0),
        (np.stack([np.cos(2 * np.pi * 2 * a / 11), np.sin(2 * np.pi * 5 * a / 11)], axis=1), 2.0),
        (rng.normal(size=(13, 6)), None),
        (rng.normal(size=(97, 3)) + np.cos(2 * np.pi * 20 * np.arange(97) / 97)[:, None] * 4, None),
    ]
    for W, known in cases:
        got, text = c.number(W.copy(), many_hint="one number for the whole matrix: add up the columns")
        expected = _reference_effective(W)
        if known is not None:
            assert abs(expected - known) < 1e-9
        c.close(text, got, expected, unit="frequencies", mistakes=_effective_mistakes(W), rtol=1e-5)
        c.require(1 - 1e-9 <= got <= (W.shape[0] - 1) / 2 + 1e-9,
                  f"{text} returned {got:.4g}: it must lie between 1 (one wave) and (p − 1)/2 (white noise)")

    # One wave so small that every other frequency has exactly zero power (its rounding error underflows to 0):
    # the shares are 1 and 0s, and 0 · log 0 must count as 0.
    W = 1e-150 * np.cos(2 * np.pi * 3 * a / 11 + 0.4)[:, None]
    try:
        got, text = c.number(W.copy(), nan_hint="0 · log 0 gave NaN? Count it as 0: drop zero shares")
    except CheckFailed as failure:
        if failure.message.endswith("returned NaN"):
            raise CheckFailed(f"{failure.message} for W = 1e-150 · cos(2π·3a/11 + 0.4), one wave so small that every "
                              "other frequency has exactly 0 power: their shares are 0, and 0 · log 0 must count as 0 "
                              "(keep only the shares > 0)", failure.hint) from None
        raise
    c.close(text, got, 1.0, unit="frequencies (W is one wave: the other frequencies have exactly 0 power)",
                  mistakes=_effective_mistakes(W), rtol=1e-5)
    c.done()
