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

from course_utils.checks.core import CheckFailed, Checker, _is_tensor, checker, fmt

__all__ = ["check_modular_addition_split", "check_power_spectrum", "check_analytic_weights",
           "check_effective_frequencies"]


def _is_complex(value: Any) -> bool:
    if _is_tensor(value):
        return bool(value.is_complex())
    return bool(np.iscomplexobj(value))


def _is_integer(value: Any) -> bool:
    if _is_tensor(value):
        return not value.is_floating_point() and not value.is_complex()
    return np.issubdtype(np.asarray(value).dtype, np.integer)


# -- exercise 1: the data set and its split ---------------------------------------------------------

def _unpack_split(c: Checker, value: Any, text: str) -> tuple[np.ndarray, ...]:
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        got = f"{type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list)) else _kind(value)
        raise CheckFailed(f"{text} returned {got}; return four things: x_train, y_train, x_test, y_test")
    names = ["x_train", "y_train", "x_test", "y_test"]
    arrays = []
    for name, part in zip(names, value):
        array = c.to_array(part, f"{text} ({name})")
        if not _is_integer(part) and not np.all(array == np.round(array)):
            raise CheckFailed(f"{text}: {name} holds non-integers such as {fmt(array.ravel()[:4])}; residues and "
                              "labels are whole numbers")
        if not _is_integer(part):
            raise CheckFailed(f"{text}: {name} has a floating-point dtype; residues and labels must be integers "
                              "(torch.int64), or cross_entropy will refuse the labels and indexing the inputs")
        arrays.append(array.astype(np.int64))
    return tuple(arrays)


def _kind(value: Any) -> str:
    if value is None:
        return "None (is the `return` statement missing?)"
    if isinstance(value, (str, bytes)):
        return f"a string {fmt(value)}"
    return f"a {type(value).__name__}"


def _check_shapes(text: str, x: np.ndarray, y: np.ndarray, side: str) -> None:
    if x.ndim == 2 and x.shape[0] == 2 and x.shape[1] != 2:
        raise CheckFailed(f"{text}: x_{side} has shape {x.shape}; it needs one row per pair, shape (n, 2): transpose it")
    if x.ndim != 2 or x.shape[1] != 2:
        raise CheckFailed(f"{text}: x_{side} has shape {x.shape}; each row must hold one pair (a, b): shape (n, 2)")
    if y.shape != (len(x),):
        raise CheckFailed(f"{text}: y_{side} has shape {y.shape} but x_{side} has {len(x)} rows; one label per pair, "
                          f"shape ({len(x)},)")


def _label_mistakes(a: np.ndarray, b: np.ndarray, p: int) -> dict[str, np.ndarray]:
    return {
        "forgot the `% p`? The label is (a + b) mod p, a residue 0..p-1": a + b,
        "multiplied instead of adding: the label is (a + b) mod p": (a * b) % p,
        "subtracted instead of adding: the label is (a + b) mod p": (a - b) % p,
        f"wrong modulus: take (a + b) % p with p = {p}, not % (p + 1)": (a + b) % (p + 1),
        f"wrong modulus: take (a + b) % p with p = {p}, not % (p - 1)": (a + b) % (p - 1),
    }


def _judge_labels(text: str, x: np.ndarray, y: np.ndarray, p: int, side: str) -> None:
    a, b = x[:, 0], x[:, 1]
    right = (a + b) % p
    if np.array_equal(y, right):
        return
    bad = int(np.flatnonzero(y != right)[0])
    pair = (int(x[bad][0]), int(x[bad][1]))
    for why, wrong in _label_mistakes(a, b, p).items():
        if np.array_equal(y, wrong):
            raise CheckFailed(f"{text}: y_{side} is wrong, e.g. the pair {pair} has label {int(y[bad])}, expected "
                              f"{int(right[bad])}: {why}")
    if np.array_equal(np.sort(y), np.sort(right)):
        raise CheckFailed(f"{text}: y_{side} holds the right labels in the wrong rows: shuffle the pairs and their labels "
                          "with the same permutation, so each label stays with its pair")
    raise CheckFailed(f"{text}: the pair {pair} in the {side} set has label {int(y[bad])}, expected "
                      f"({pair[0]} + {pair[1]}) mod {p} = {int(right[bad])}")


def _split_of(c: Checker, p: int, fraction: float, seed: int) -> tuple[str, tuple[np.ndarray, ...]]:
    value, text = c.call(p, fraction, seed)
    parts = _unpack_split(c, value, text)
    return text, parts


@checker
def check_modular_addition_split(modular_addition_split: Any) -> None:
    """Check `modular_addition_split(p, train_fraction, seed)`: every pair once, (a + b) mod p, a seeded random split."""
    c = Checker("modular_addition_split", modular_addition_split)
    for p, fraction, seed in [(7, 0.3, 0), (11, 0.5, 3), (13, 0.25, 1), (17, 0.7, 2)]:
        text, (x_train, y_train, x_test, y_test) = _split_of(c, p, fraction, seed)
        _check_shapes(text, x_train, y_train, "train")
        _check_shapes(text, x_test, y_test, "test")
        everything = np.concatenate([x_train, x_test])
        low, high = int(everything.min(initial=0)), int(everything.max(initial=0))
        if high >= p or low < 0:
            raise CheckFailed(f"{text}: the pairs hold residues from {low} to {high}; residues mod {p} run from 0 to "
                              f"{p - 1} (np.arange(p), torch.arange(p))")
        if high < p - 1 and low >= 0 and len(everything) == (p - 1) ** 2:
            raise CheckFailed(f"{text}: the pairs use only the residues {low}..{high}; every residue 0..{p - 1} must "
                              f"appear, for {p * p} pairs in all")
        _judge_labels(text, x_train, y_train, p, "train")
        _judge_labels(text, x_test, y_test, p, "test")
        c.passed += 1

        codes_train = x_train[:, 0] * p + x_train[:, 1]
        codes_test = x_test[:, 0] * p + x_test[:, 1]
        if len(np.unique(codes_train)) < len(codes_train):
            raise CheckFailed(f"{text}: some pairs appear more than once in the training set: draw the training pairs "
                              "without replacement, e.g. the first n of a random permutation (torch.randperm)")
        if len(np.unique(codes_test)) < len(codes_test):
            raise CheckFailed(f"{text}: some pairs appear more than once in the test set: the test set is the rest of "
                              "one permutation of all p² pairs")
        both = np.intersect1d(codes_train, codes_test)
        if both.size:
            a, b = divmod(int(both[0]), p)
            raise CheckFailed(f"{text}: {both.size} pairs, e.g. {(a, b)}, are in both the training and the test set: "
                              "the test set must be exactly the pairs not used for training (split one permutation)")
        if len(codes_train) + len(codes_test) != p * p:
            raise CheckFailed(f"{text}: the two sets hold {len(codes_train) + len(codes_test)} pairs, but there are "
                              f"p² = {p * p}: every pair (a, b) must be in exactly one of them")
        c.passed += 1

        n_train = round(fraction * p * p)
        if len(x_train) != n_train:
            if len(x_train) == p * p - n_train:
                why = "train and test swapped? The training set is the first round(train_fraction·p²) pairs"
            elif len(x_train) == int(fraction * p * p):
                why = f"int() rounds {fraction * p * p:g} down; use round(train_fraction * p * p)"
            else:
                why = "use round(train_fraction * p * p) pairs for training"
            raise CheckFailed(f"{text}: {len(x_train)} training pairs, expected round({fraction} · {p * p}) = "
                              f"{n_train}: {why}")
        first_n = np.arange(n_train)
        if np.array_equal(np.sort(codes_train), first_n):
            raise CheckFailed(f"{text}: the training set is the first {n_train} pairs of the table in order (a = 0, 1, "
                              "... only): shuffle the pairs with a seeded permutation before splitting")
        c.passed += 1

        _, again = _split_of(c, p, fraction, seed)
        if not all(np.array_equal(u, v) for u, v in zip((x_train, y_train, x_test, y_test), again)):
            raise CheckFailed(f"{text} gave a different split when called again with the same seed: draw the permutation "
                              "from a generator seeded with `seed`, e.g. "
                              "torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))")
        other_text, other = _split_of(c, p, fraction, seed + 10)
        if np.array_equal(np.sort(codes_train), np.sort(other[0][:, 0] * p + other[0][:, 1])):
            raise CheckFailed(f"{text} and {other_text} chose the same training pairs: the split must depend on the seed")
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
    undoubled = raw / p
    dc_doubled = right.copy()
    dc_doubled[0] *= 2
    no_dc = right.copy()
    no_dc[0] = 0
    amplitude = np.abs(F).copy()
    amplitude[1:] *= 2
    return {
        "k and p − k are the same real wave: add their power (double the rfft bins k ≥ 1, not k = 0)": undoubled,
        "k = 0, the constant part, has no partner p − k: double only the bins k ≥ 1": dc_doubled,
        "divide by p: then the powers of each column add up to its squared norm (Parseval)": right * p,
        "k and p − k are the same real wave (double the bins k ≥ 1), and divide by p (Parseval)": raw,
        "did you subtract the mean? Keep it: k = 0 is the constant part of the weights": no_dc,
        "that is the amplitude |F_k|; power is its square, |F_k|²": np.abs(F),
        "that is the amplitude |F_k| (doubled); power is the square, |F_k|² (then double k ≥ 1, divide by p)": amplitude,
        "that is the amplitude, sqrt of the power; power is |F_k|² (doubled for k ≥ 1, over p)": np.sqrt(right),
        "only the real part? Power is |F_k|² = real² + imag²": 2 * F.real**2 / p,
    }


def _proportional(x: np.ndarray, y: np.ndarray) -> bool:
    """Is x = c·y for one constant c > 0, on the entries where y is not negligible?"""
    mask = y > 1e-9 * max(float(y.max(initial=0.0)), 1e-300)
    if mask.sum() < 2:
        return False
    ratio = x[mask] / y[mask]
    return bool(ratio.min() > 0 and np.allclose(ratio, ratio.mean(), rtol=1e-6))


def _power_shape_hints(p: int, m: int) -> dict[tuple[int, ...], str]:
    K = p // 2 + 1
    return {
        (p, m // 2 + 1): "the FFT ran over the wrong axis: the residues a are the rows (axis 0); transform each column",
        (m, K): "transposed: return one row per frequency k and one column per column of W, shape ((p+1)/2, m)",
        (p, m): "return only k = 0..(p-1)/2 (np.fft.rfft), adding the power at p − k to k",
        (K - 1, m): "keep k = 0, the constant part: the first row is the power of the column means",
        (K,): "one spectrum per column: do not add the columns up",
        (m,): "one spectrum per column, with one entry per frequency k = 0..(p-1)/2",
    }


def _judge_power(c: Checker, text: str, value: Any, W: np.ndarray) -> None:
    p, m = W.shape
    if _is_complex(value):
        raise CheckFailed(f"{text} returned complex numbers: power is |F_k|², a real number (.abs() ** 2)")
    got = c.to_array(value, text)
    expected = _reference_power(W)
    if got.shape != expected.shape:
        hint = _power_shape_hints(p, m).get(got.shape, f"expected one row per frequency k = 0..{p // 2}")
        raise CheckFailed(f"{text} returned shape {got.shape} for W of shape {W.shape}, expected {expected.shape}: {hint}")
    if np.isnan(got).any():
        raise CheckFailed(f"{text} returned NaN in {fmt(got)}")
    if not np.allclose(got, expected, rtol=1e-5, atol=1e-8) and _proportional(got[1:] ** 2, expected[1:]):
        raise CheckFailed(f"{text} returned {fmt(got)}, expected {fmt(expected)}: that is (a multiple of) the amplitude "
                          "|F_k|; power is its square, |F_k|², doubled for k ≥ 1 and divided by p")
    c.close(text, got, expected, unit="(power per frequency and column)", mistakes=_power_mistakes(W), rtol=1e-5,
            atol=1e-8, hint="power_k = |F_k|² / p, doubled for k ≥ 1, with F = rfft along the rows (axis 0)")


@checker
def check_power_spectrum(power_spectrum: Any) -> None:
    """Check `power_spectrum(W)`: per-column power at k = 0..(p-1)/2, k and p - k combined, summing to the squared norm."""
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

    torch_input = None
    try:
        import torch

        torch_input = torch.tensor(rng.normal(size=(97, 5)), dtype=torch.float32)
    except ImportError:  # pragma: no cover - torch is a dependency of the course
        pass
    if torch_input is not None:
        value, text = c.call(torch_input.clone())
        W = torch_input.double().numpy()
        if _is_complex(value):
            raise CheckFailed(f"{text} returned complex numbers: power is |F_k|², a real number (.abs() ** 2)")
        got = c.to_array(value, text)
        if got.shape != (49, 5):
            raise CheckFailed(f"{text} returned shape {got.shape} for a torch tensor of shape (97, 5), expected (49, 5)"
                              + (f": {_power_shape_hints(97, 5)[got.shape]}" if got.shape in _power_shape_hints(97, 5) else ""))
        c.require(np.allclose(got.sum(0), (W**2).sum(0), rtol=1e-4),
                  f"{text}: the powers of each column should add up to its squared norm (Parseval), got "
                  f"{fmt(got.sum(0))} for squared norms {fmt((W**2).sum(0))}")
        shifted = torch.roll(torch_input, 13, dims=0)
        value, text_shift = c.call(shifted)
        c.require(np.allclose(c.to_array(value, text_shift), got, rtol=1e-4, atol=1e-6),
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
    if which == "U":
        return {"U needs the phase φ: cos(2π·f·a/p + φ)": np.cos(theta),
                "U and V swapped their phases? U uses φ, V uses ψ": np.cos(theta + ps),
                "cosines, not sines: U = cos(2π·f·a/p + φ)": np.sin(theta + ph),
                "the angle is 2π·f·a/p: did you forget to divide by p?": np.cos(2 * np.pi * f * a + ph),
                "the angle is 2π·f·a/p: did you forget the 2π?": np.cos(f * a / p + ph)}
    if which == "V":
        return {"V needs the phase ψ: cos(2π·f·b/p + ψ)": np.cos(theta),
                "U and V swapped their phases? U uses φ, V uses ψ": np.cos(theta + ph),
                "V needs +ψ; with −ψ (or −b) the network computes (a − b) mod p": np.cos(theta - ps),
                "cosines, not sines: V = cos(2π·f·b/p + ψ)": np.sin(theta + ps)}
    return {"the phase of W_out must be +(φ + ψ), the sum of the input phases; with −(φ + ψ) (a sign error) the "
            "network computes −(a + b) mod p": np.cos(theta - ph - ps).T,
            "the phase of W_out is the sum φ + ψ, not the difference φ − ψ": np.cos(theta + ph - ps).T,
            "the phase of W_out is the sum φ + ψ, not the difference ψ − φ": np.cos(theta - ph + ps).T,
            "W_out needs the phase φ + ψ: without it the products of different units do not line up":
                np.cos(theta).T,
            "W_out needs both phases, φ + ψ": np.cos(theta + ph).T,
            "cosines, not sines: W_out[j, c] = cos(2π·f·c/p + φ + ψ)": np.sin(theta + ph + ps).T}


def _weights_of(c: Checker, value: Any, text: str, p: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        got = f"{type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list)) else _kind(value)
        raise CheckFailed(f"{text} returned {got}; return three matrices: U, V, W_out")
    U, V, W = (c.to_array(part, f"{text} ({name})") for part, name in zip(value, ["U", "V", "W_out"]))
    for name, M, shape in [("U", U, (p, n)), ("V", V, (p, n)), ("W_out", W, (n, p))]:
        if M.shape == shape:
            continue
        if M.shape == shape[::-1]:
            if name == "W_out":
                hint = "W_out maps the n hidden units to the p logits, so it has one row per unit: shape (n, p); transpose it"
            else:
                hint = f"{name} has one row per residue and one column per unit: shape (p, n); transpose it"
        else:
            hint = f"expected shape {shape} (p = {p}, n = {n} units)"
        raise CheckFailed(f"{text}: {name} has shape {M.shape}: {hint}")
    for name, M in [("U", U), ("V", V), ("W_out", W)]:
        if np.isnan(M).any():
            raise CheckFailed(f"{text}: {name} contains NaN")
    return U, V, W


FORMULAS = {"U": "U[a, j] = cos(2π·f_j·a/p + φ_j)", "V": "V[b, j] = cos(2π·f_j·b/p + ψ_j)",
            "W_out": "W_out[j, c] = cos(2π·f_j·c/p + φ_j + ψ_j)"}


def _judge_weights(c: Checker, text: str, name: str, got: np.ndarray, expected: np.ndarray,
                   mistakes: dict[str, np.ndarray]) -> None:
    """Compare a whole matrix; on a mismatch, name the mistake that explains all of it and show one unit's weights."""
    if np.allclose(got, expected, rtol=1e-5, atol=1e-6):
        c.passed += 1
        return
    reason = next((why for why, wrong in mistakes.items() if np.allclose(got, wrong, rtol=1e-4, atol=1e-6)),
                  f"expected {FORMULAS[name]}")
    units = np.abs(got - expected).max(axis=1 if name == "W_out" else 0)
    j = int(np.argmax(units))
    mine, right = (got[j], expected[j]) if name == "W_out" else (got[:, j], expected[:, j])
    where = f"W_out[{j}, :]" if name == "W_out" else f"{name}[:, {j}]"
    raise CheckFailed(f"{text}: {where} (unit {j}) is {fmt(mine, 3)}, expected {fmt(right, 3)}: {reason}")


@checker
def check_analytic_weights(analytic_weights: Any) -> None:
    """Check `analytic_weights(p, freqs, phi, psi)`: U, V and W_out of the hand-built network that adds mod p."""
    c = Checker("analytic_weights", analytic_weights)
    cases = [
        (7, [1, 2, 3], [0.0, 0.5, 1.0], [0.3, 0.2, 2.0]),
        (11, [4, 4], [2.0, -1.0], [0.7, 1.5]),
        (13, [6, 1, 5, 2], [0.1, 0.2, 0.3, 0.4], [3.0, -2.0, 1.0, 0.0]),
    ]
    for p, freqs, phi, psi in cases:
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
        if operation != "(a + b) mod p" or share < 1.0:
            raise CheckFailed(f"with the 3×3 grid of phases at frequencies {freqs} and p = {p}, the network built from "
                              f"your weights computes {operation} on {100 * share:.0f}% of the pairs, not (a + b) mod p "
                              "on all of them: check the signs of the phases (W_out needs +(φ + ψ))")
        c.passed += 1
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
    mistakes = {
        "leave out k = 0: the constant part says nothing about which residue it is": _perplexity(_shares(power.sum(1))),
        "that is the entropy in bits; the effective number of frequencies is 2 ** entropy": bits,
        "that is the entropy in nats; the effective number of frequencies is e ** (entropy in nats) = 2 ** (bits)":
            bits * math.log(2),
        "mixing bases: 2 ** (entropy in nats); use 2 ** (entropy in bits), or e ** (entropy in nats)":
            2 ** (bits * math.log(2)),
        "mixing bases: e ** (entropy in bits); use 2 ** (entropy in bits)": math.exp(bits),
        "shares of the power, not of the amplitude: p_k = P_k / Σ P_j": _perplexity(_shares(np.sqrt(power).sum(1)[1:])),
        "that is 1 / Σ p_k² (a participation ratio); use the entropy: 2 ** (−Σ p_k log2 p_k)":
            float(1 / np.sum(share**2)) if share.sum() > 0 else 0.0,
    }
    if W.shape[1] > 1:
        per_column = [_perplexity(_shares(power[1:, j])) for j in range(W.shape[1])]
        mistakes["one number for the whole matrix: add up the columns' power spectra first, then take the entropy "
                 "(this is the mean over columns)"] = float(np.mean(per_column))
    return mistakes


@checker
def check_effective_frequencies(effective_frequencies: Any) -> None:
    """Check `effective_frequencies(W)`: 2 ** (entropy in bits of W's power shares over k = 1..(p-1)/2)."""
    c = Checker("effective_frequencies", effective_frequencies)
    rng = np.random.default_rng(5)
    a = np.arange(11)
    cases = [
        (np.cos(2 * np.pi * 3 * a / 11 + 0.4)[:, None], 1.0),
        (np.stack([np.cos(2 * np.pi * 1 * a / 11) + 2.0, 3 * np.cos(2 * np.pi * 4 * a / 11 + 1)], axis=1), None),
        (np.stack([np.cos(2 * np.pi * 2 * a / 11), np.sin(2 * np.pi * 5 * a / 11)], axis=1), 2.0),
        (rng.normal(size=(13, 6)), None),
        (rng.normal(size=(97, 3)) + np.cos(2 * np.pi * 20 * np.arange(97) / 97)[:, None] * 4, None),
    ]
    for W, known in cases:
        got, text = c.number(W.copy(), nan_hint="0 · log 0 counts as 0: leave out the frequencies with no power")
        expected = _reference_effective(W)
        if known is not None:
            assert abs(expected - known) < 1e-9
        c.close(text, got, expected, unit="frequencies", mistakes=_effective_mistakes(W), rtol=1e-5,
                hint="p_k = P_k / Σ_j P_j over k = 1..(p-1)/2 (columns added up), then 2 ** (−Σ p_k log2 p_k)")
        c.require(1 - 1e-9 <= got <= (W.shape[0] - 1) / 2 + 1e-9,
                  f"{text} returned {got:.4g}: it must lie between 1 (one wave) and (p − 1)/2 (white noise)")
    c.done()
