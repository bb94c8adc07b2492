"""Lesson 08's checkers: correct functions pass; each common mistake gets a message that names it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils.checks import (
    CheckFailed,
    check_analytic_weights,
    check_effective_frequencies,
    check_modular_addition_split,
    check_power_spectrum,
)

from check_helpers import fails_with, named
from course_utils.data import modular_addition


# -- exercise 1: the data set and its split ---------------------------------------------------------

def split(p, train_fraction, seed, *, label=None, order=None, size=None, dtype=None, pairs_of=None):
    """A correct split, with one part replaceable by a learner's likely mistake."""
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p)) if pairs_of is None else pairs_of(p)
    a, b = pairs[:, 0], pairs[:, 1]
    labels = (a + b) % p if label is None else label(a, b, p)
    perm = torch.randperm(len(pairs), generator=torch.Generator().manual_seed(seed)) if order is None else order(p, seed)
    n = round(train_fraction * p * p) if size is None else size(train_fraction, p)
    train, test = perm[:n], perm[n:]
    out = pairs[train], labels[train], pairs[test], labels[test]
    return tuple(t.to(dtype) for t in out) if dtype is not None else out


def test_split_passes(capsys):
    check_modular_addition_split(split)
    assert capsys.readouterr().out.startswith("✓ modular_addition_split:")


def test_the_package_data_set_passes():
    check_modular_addition_split(lambda p, f, s: tuple(modular_addition(p, f, s)))


def test_numpy_split_passes():
    def numpy_split(p, train_fraction, seed):
        a, b = np.divmod(np.arange(p * p), p)
        x, y = np.stack([a, b], 1), (a + b) % p
        order = np.random.default_rng(seed).permutation(p * p)
        n = round(train_fraction * p * p)
        return x[order[:n]], y[order[:n]], x[order[n:]], y[order[n:]]
    check_modular_addition_split(numpy_split)


def test_global_seed_split_passes():
    """Seeding the global generator is reproducible too (the sheet prefers a generator of one's own)."""
    def global_seed(p, train_fraction, seed):
        torch.manual_seed(seed)
        return split(p, train_fraction, seed, order=lambda p, s: torch.randperm(p * p))
    check_modular_addition_split(global_seed)


def split_tuples(p, train_fraction, seed):
    """Plain Python: itertools and random.Random(seed)."""
    import itertools
    import random
    pairs = list(itertools.product(range(p), repeat=2))
    random.Random(seed).shuffle(pairs)
    n = round(train_fraction * p * p)
    return ([list(t) for t in pairs[:n]], [(a + b) % p for a, b in pairs[:n]],
            [list(t) for t in pairs[n:]], [(a + b) % p for a, b in pairs[n:]])


def test_plain_python_split_passes():
    check_modular_addition_split(split_tuples)


def split_unshuffled_labels(p, train_fraction, seed):
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    n = round(train_fraction * p * p)
    pairs = pairs[order]
    return pairs[:n], labels[:n], pairs[n:], labels[n:]


def split_randperm_n(p, train_fraction, seed):
    """The sheet's old typo: torch.randperm(n, ...) with n the number of training pairs."""
    pairs = torch.cartesian_prod(torch.arange(p), torch.arange(p))
    labels = (pairs[:, 0] + pairs[:, 1]) % p
    n = round(train_fraction * p * p)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return pairs[order[:n]], labels[order[:n]], pairs[order[n:]], labels[order[n:]]


def split_diagonal(p, train_fraction, seed):
    """a and b both from .repeat(p): every pair (i, i), p times each."""
    a = torch.arange(p).repeat(p)
    return split(p, train_fraction, seed, pairs_of=lambda p: torch.stack([a, a], dim=1))


@pytest.mark.parametrize("fn, fragment", [
    (lambda p, f, s: split(p, f, s, label=lambda a, b, p: a + b), "forgot the `% p`"),
    (lambda p, f, s: split(p, f, s, label=lambda a, b, p: (a * b) % p), "multiplied"),
    (lambda p, f, s: split(p, f, s, label=lambda a, b, p: (a - b) % p), "subtracted"),
    (lambda p, f, s: split(p, f, s, label=lambda a, b, p: (a + b) % (p + 1)), "wrong modulus: % (p + 1)"),
    (lambda p, f, s: split(p, f, s, label=lambda a, b, p: (a + b) % (p - 1)), "wrong modulus: % (p - 1)"),
    (lambda p, f, s: split(p, f, s, order=lambda p, seed: torch.arange(p * p)), "pairs not shuffled"),
    (lambda p, f, s: split(p, f, s, order=lambda p, seed: torch.randperm(p * p)), "same seed, different split"),
    (lambda p, f, s: split(p, f, s, order=lambda p, seed: torch.randperm(p * p, generator=torch.Generator().manual_seed(0))),
     "the split ignores `seed`"),
    (lambda p, f, s: split(p, f, s, order=lambda p, seed: torch.randint(0, p * p, (p * p,), generator=torch.Generator().manual_seed(seed))),
     "draw without replacement"),
    (lambda p, f, s: split(p, f, s, size=lambda f, p: int(f * p * p)), "int() rounds down"),
    (lambda p, f, s: split(p, f, s, size=lambda f, p: math.ceil(f * p * p)), "ceil rounds up"),
    (lambda p, f, s: split(p, f, s, size=lambda f, p: p * p - round(f * p * p)), "swapped"),
    (lambda p, f, s: split(p, f, s, size=lambda f, p: round(f * p)), "share of p² pairs, not of p"),
    (lambda p, f, s: split(p, f, s, dtype=torch.float32), "is float; use integers"),
    (lambda p, f, s: split(p, f, s, pairs_of=lambda p: torch.cartesian_prod(torch.arange(1, p + 1), torch.arange(1, p + 1))),
     "residues run 0..p-1"),
    (lambda p, f, s: split(p, f, s, pairs_of=lambda p: torch.cartesian_prod(torch.arange(p - 1), torch.arange(p - 1))),
     "residues run 0..p-1"),
    (split_unshuffled_labels, "labels not shuffled with the pairs"),
    (split_randperm_n, "randperm(n)"),
    (split_diagonal, "every pair has a = b"),
    (lambda p, f, s: (lambda x, y, u, v: (x, u, y, v))(*split(p, f, s)), "order: x_train, y_train, x_test, y_test"),
    (lambda p, f, s: split(p, f, s)[::-1], "order: x_train, y_train, x_test, y_test"),
    (lambda p, f, s: split(p, f, s)[:2], "return 4 things"),
    (lambda p, f, s: torch.cat([split(p, f, s)[0], split(p, f, s)[2]]), "return a tuple"),
    (lambda p, f, s: (lambda x, y, u, v: (x.T, y, u, v))(*split(p, f, s)), "transposed"),
    (lambda p, f, s: (lambda x, y, u, v: (x, y[:-1], u, v))(*split(p, f, s)), "one label per pair"),
], ids=lambda x: None)
def test_split_mistakes_are_named(fn, fragment):
    named(check_modular_addition_split, fn, fragment)


def test_split_overlap_and_unaligned_labels_are_named():
    def overlapping(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train, torch.cat([x_test[1:], x_train[:1]]), torch.cat([y_test[1:], y_train[:1]])
    named(check_modular_addition_split, overlapping, "pairs in both sets")

    def shuffled_labels(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train[torch.randperm(len(y_train), generator=torch.Generator().manual_seed(1))], x_test, y_test
    named(check_modular_addition_split, shuffled_labels, "labels in the wrong rows")

    def missing(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train, x_test[1:], y_test[1:]
    named(check_modular_addition_split, missing, "pairs missing")


# -- exercise 2: the power spectrum --------------------------------------------------------------

def power(W, *, axis=0, square=True, double_from=1, normalise=True, full=False, complex_out=False, subtract_mean=False,
          dtype=torch.float64, norm=None):
    W = torch.as_tensor(W, dtype=dtype)
    if subtract_mean:
        W = W - W.mean(0)
    n = W.shape[0]
    F = torch.fft.fft(W, dim=axis, norm=norm) if full else torch.fft.rfft(W, dim=axis, norm=norm)
    if complex_out:
        return F
    out = F.abs() ** 2 if square else F.abs()
    out = out.clone()
    out[double_from:] *= 2
    return out / n if normalise else out


def power_numpy(W):
    W = np.asarray(W, dtype=float)
    P = np.abs(np.fft.rfft(W, axis=0)) ** 2
    P[1:] *= 2
    return P / W.shape[0]


def power_full_fft(W):
    """A full FFT, adding the power at p − k to k by hand."""
    W = np.asarray(W, dtype=float)
    p = W.shape[0]
    P = np.abs(np.fft.fft(W, axis=0)) ** 2 / p
    return np.concatenate([P[:1], P[1:p // 2 + 1] + P[p - 1:p // 2:-1]])


def power_ortho(W):
    F = torch.fft.rfft(torch.as_tensor(W, dtype=torch.float64), dim=0, norm="ortho")
    P = F.real ** 2 + F.imag ** 2
    P[1:] *= 2
    return P


@pytest.mark.parametrize("fn", [power, power_numpy, power_full_fft, power_ortho, lambda W: power(W, dtype=torch.float32)],
                         ids=["torch", "numpy", "full-fft", "ortho", "float32"])
def test_power_spectrum_correct_variants_pass(fn, capsys):
    check_power_spectrum(fn)
    assert capsys.readouterr().out.startswith("✓ power_spectrum:")


def power_full_sliced(W):
    """The issue's example: a full FFT, doubled, kept to [:p//2], which drops k = (p-1)/2."""
    W = torch.as_tensor(W, dtype=torch.float64)
    p = W.shape[0]
    P = torch.fft.fft(W, dim=0).abs() ** 2 / p
    P[1:] *= 2
    return P[:p // 2]


def power_squared_complex(W):
    F = torch.fft.rfft(torch.as_tensor(W, dtype=torch.float64), dim=0)
    P = (F ** 2).real
    P[1:] *= 2
    return P / W.shape[0]


def power_conj(W):
    F = torch.fft.rfft(torch.as_tensor(W, dtype=torch.float64), dim=0)
    P = F * F.conj()
    P[1:] *= 2
    return P / W.shape[0]


def power_nyquist(W):
    """A signal-processing habit from even lengths: the last rfft bin (Nyquist) is not doubled."""
    F = torch.fft.rfft(torch.as_tensor(W, dtype=torch.float64), dim=0)
    P = F.abs() ** 2
    P[1:-1] *= 2
    return P / W.shape[0]


def power_unreversed(W):
    """A full FFT, adding the second half to the first without reversing it (k meets p - K + k, not p - k)."""
    W = np.asarray(W, dtype=float)
    p, K = W.shape[0], W.shape[0] // 2 + 1
    P = np.abs(np.fft.fft(W, axis=0)) ** 2 / p
    out = P[:K].copy()
    out[1:] += P[K:]
    return out


def power_in_place(W):
    W = torch.as_tensor(W, dtype=torch.float64)  # shares memory with a float64 input
    W -= W.mean(0)
    return power(W)


@pytest.mark.parametrize("fn, fragment", [
    (lambda W: power(W, axis=-1), "wrong axis"),
    (lambda W: power(W, square=False, double_from=100, normalise=False), "amplitude"),
    (lambda W: power(W, square=False), "amplitude"),
    (lambda W: power(W, double_from=100), "k and p − k are one wave"),
    (lambda W: power(W, double_from=0), "k = 0 has no partner"),
    (lambda W: power(W, normalise=False), "divide by p"),
    (lambda W: power(W, double_from=100, normalise=False), "double the bins k ≥ 1 and divide by p"),
    (lambda W: power(W, norm="ortho"), "divided by p twice"),
    (lambda W: power(W, norm="forward", normalise=False), "divided by p twice"),
    (lambda W: power(W, full=True), "a full FFT"),
    (power_full_sliced, "missing k = (p−1)/2"),
    (lambda W: power(W)[1:], "keep k = 0"),
    (lambda W: power(W, complex_out=True), "returned F itself"),
    (power_conj, "complex dtype"),
    (power_squared_complex, "(F ** 2).real"),
    (lambda W: power(W, subtract_mean=True), "subtracted the mean"),
    (power_in_place, "modified its input in place"),
    (lambda W: power(W).T, "transposed"),
    (lambda W: power(W).sum(1), "one spectrum per column"),
    (power_nyquist, "no Nyquist bin"),
    (power_unreversed, "add the second half reversed"),
    (lambda W: power(W, normalise=False) / W.shape[1], "divided by W.shape[1]"),
    (lambda W: power(W) / power(W).sum(0), "normalised each column"),
    (lambda W: power(W) / power(W).sum(), "normalised to shares"),
], ids=lambda x: None)
def test_power_spectrum_mistakes_are_named(fn, fragment):
    named(check_power_spectrum, fn, fragment)


def test_power_spectrum_message_shows_where_arrays_differ():
    message = named(check_power_spectrum, lambda W: power(W, double_from=100), "one wave")
    assert "the largest at" in message or "returned [[" in message, message


# -- exercise 3: the analytic solution ---------------------------------------------------------------

def weights(p, freqs, phi, psi, *, out_phase=lambda phi, psi: phi + psi, u_phase=None, v_phase=None, wave=torch.cos,
            transpose_out=True, per_p=True, dtype=torch.float64, start=0, out_scale=1.0, phase_outside=False):
    a = torch.arange(start, p + start, dtype=dtype)[:, None]
    f, phi, psi = (torch.as_tensor(np.asarray(v, dtype=float), dtype=dtype) for v in (freqs, phi, psi))
    theta = 2 * math.pi * a * f / (p if per_p else 1)
    if phase_outside:  # cos(angle) + phase: the phase added after the cosine
        return torch.cos(theta) + phi, torch.cos(theta) + psi, (torch.cos(theta) + phi + psi).T
    U = wave(theta + (phi if u_phase is None else u_phase(phi, psi)))
    V = wave(theta + (psi if v_phase is None else v_phase(phi, psi)))
    W = out_scale * wave(theta + out_phase(phi, psi))
    return U, V, W.T if transpose_out else W


def weights_numpy(p, freqs, phi, psi):
    angle = 2 * np.pi * np.outer(np.arange(p), freqs) / p
    return np.cos(angle + phi), np.cos(angle + psi), np.cos(angle + phi + psi).T


@pytest.mark.parametrize("fn", [weights, weights_numpy, lambda p, f, phi, psi: weights(p, f, phi, psi, dtype=torch.float32)],
                         ids=["torch", "numpy", "float32"])
def test_analytic_weights_correct_variants_pass(fn, capsys):
    check_analytic_weights(fn)
    assert capsys.readouterr().out.startswith("✓ analytic_weights:")


@pytest.mark.parametrize("kwargs, fragment", [
    ({"out_phase": lambda phi, psi: -(phi + psi)}, "sign error"),
    ({"out_phase": lambda phi, psi: phi - psi}, "not the difference φ − ψ"),
    ({"out_phase": lambda phi, psi: psi - phi}, "not the difference ψ − φ"),
    ({"out_phase": lambda phi, psi: 0 * phi}, "W_out needs the phase φ + ψ"),
    ({"out_phase": lambda phi, psi: psi}, "not ψ alone"),
    ({"u_phase": lambda phi, psi: psi, "v_phase": lambda phi, psi: phi}, "swapped"),
    ({"v_phase": lambda phi, psi: -psi}, "(a − b) mod p"),
    ({"u_phase": lambda phi, psi: 0 * phi}, "U needs the phase φ"),
    ({"wave": torch.sin}, "cosines, not sines"),
    ({"per_p": False}, "/p missing, or an integer division?"),
    ({"start": 1}, "residues run 0..p-1"),
    ({"transpose_out": False}, "W_out is (n, p), one row per unit"),
    ({"out_scale": 0.5}, "0.5 × the expected weights"),
    ({"phase_outside": True}, "the phase goes inside the cosine"),
    ({"u_phase": lambda phi, psi: phi + psi}, "U's phase is φ alone"),
], ids=lambda x: None)
def test_analytic_weights_mistakes_are_named(kwargs, fragment):
    named(check_analytic_weights, lambda p, f, phi, psi: weights(p, f, phi, psi, **kwargs), fragment)


def test_analytic_weights_integer_division_and_lists():
    def floor_division(p, freqs, phi, psi):  # 2π·floor(f·a/p): an integer division, the same as no division
        a = torch.arange(p)[:, None]
        f, phi, psi = (torch.as_tensor(np.asarray(v, dtype=float)) for v in (freqs, phi, psi))
        angle = 2 * math.pi * torch.div(a * f.long(), p, rounding_mode="floor")
        right = 2 * math.pi * a * f / p
        return torch.cos(angle + phi), torch.cos(right + psi), torch.cos(right + phi + psi).T

    def unconverted(p, freqs, phi, psi):  # works for arrays and tensors, raises for plain lists
        angle = 2 * math.pi * torch.arange(p)[:, None] * freqs / p
        return torch.cos(angle + phi), torch.cos(angle + psi), torch.cos(angle + phi + psi).T

    named(check_analytic_weights, floor_division, "an integer division?")
    assert "TypeError" in named(check_analytic_weights, unconverted, "may be lists: convert them")


def test_analytic_weights_messages():
    """No two identical-looking arrays, the largest difference shown; a wrong return named."""
    message = named(check_analytic_weights, lambda p, f, phi, psi: weights(p, f, phi, psi, wave=torch.sin), "sines")
    assert "the largest at" in message, message
    named(check_analytic_weights, lambda p, f, phi, psi: weights(p, f, phi, psi)[:2], "return 3 things")
    named(check_analytic_weights, lambda p, f, phi, psi: (lambda U, V, W: (U.T, V, W))(*weights(p, f, phi, psi)),
          "U is (p, n)")

    def odd(p, f, phi, psi):
        U, V, W = weights(p, f, phi, psi)
        return U, V, -W
    message = named(check_analytic_weights, odd, "a minus sign too many")
    assert "the largest at" in message, message


# -- exercise 4: the effective number of frequencies -------------------------------------------------

def effective(W, *, keep_dc=False, finish=lambda bits: 2**bits, amplitude=False, per_column=False, participation=False,
              zero_log_zero=True, normalise_first=False, axis=1, drop="row", first_column=False):
    P = power(W[:, :1] if first_column else W)
    if amplitude:
        P = P.sqrt()
    if per_column:
        return float(np.mean([effective(W[:, j:j + 1]) for j in range(W.shape[1])]))
    if drop == "column":
        total = P[:, 1:].sum(1)
    elif drop == "after-sum":
        total = P.sum(axis) if keep_dc else P.sum(axis)[1:]
    else:
        total = P[1:].sum(axis) if not keep_dc else P.sum(axis)
    share = total / total.sum()
    if normalise_first:
        share = P.sum(1) / P.sum()
        share = share[1:]
    if participation:
        return float(1 / (share**2).sum())
    if zero_log_zero:
        share = share[share > 0]
    if finish is None:  # the entropy written with a mean
        return float(2 ** -(share * torch.log2(share)).mean())
    return float(finish(-(share * torch.log2(share)).sum()))


def effective_scipy(W):
    from scipy.stats import entropy
    P = power_numpy(W).sum(1)[1:]
    return 2 ** entropy(P, base=2)  # scipy normalises and handles 0 · log 0


def effective_epsilon(W):
    share = power(W).sum(1)[1:]
    share = share / share.sum()
    return float(2 ** -(share * torch.log2(share + 1e-12)).sum())


def effective_nats(W):
    share = power(W).sum(1)[1:]
    share = share / share.sum()
    return float(torch.exp(-torch.special.xlogy(share, share).sum()))


@pytest.mark.parametrize("fn", [lambda W: effective(np.asarray(W)), effective_scipy, effective_epsilon, effective_nats],
                         ids=["torch", "scipy", "epsilon", "nats"])
def test_effective_frequencies_correct_variants_pass(fn, capsys):
    check_effective_frequencies(fn)
    assert capsys.readouterr().out.startswith("✓ effective_frequencies:")


@pytest.mark.parametrize("kwargs, fragment", [
    ({"keep_dc": True}, "leave out k = 0"),
    ({"finish": lambda bits: bits}, "that is the entropy in bits"),
    ({"finish": lambda bits: bits * math.log(2)}, "entropy in nats"),
    ({"finish": lambda bits: math.exp(bits)}, "e ** (entropy in bits)"),
    ({"finish": lambda bits: 2 ** (bits * math.log(2))}, "2 ** (entropy in nats)"),
    ({"amplitude": True}, "not of the amplitude"),
    ({"per_column": True}, "averaged per-column numbers"),
    ({"participation": True}, "participation ratio"),
    ({"zero_log_zero": False}, "0 · log 0"),
    ({"normalise_first": True}, "normalised before dropping k = 0"),
    ({"axis": 0, "drop": "after-sum"}, "summed over frequencies (axis 0)"),
    ({"axis": 0}, "summed over frequencies (axis 0)"),
    ({"drop": "column"}, "dropped column 0, not k = 0"),
    ({"finish": None}, "mean instead of sum"),
    ({"first_column": True}, "used only the first column"),
], ids=lambda x: None)
def test_effective_frequencies_mistakes_are_named(kwargs, fragment):
    named(check_effective_frequencies, lambda W: effective(np.asarray(W), **kwargs), fragment)


def test_effective_frequencies_whole_spectrum_is_explained():
    named(check_effective_frequencies, lambda W: power(W).sum(1)[1:], "one number for the whole matrix")


# -- what every checker survives (the core's handling, seen from these checkers) --------------------

CHECKS = [check_modular_addition_split, check_power_spectrum, check_analytic_weights, check_effective_frequencies]


def raise_not_implemented(*args, **kwargs):
    raise NotImplementedError()


def raise_system_exit(*args, **kwargs):
    raise SystemExit(0)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn, fragment", [
    (raise_not_implemented, "not implemented yet"),
    (raise_system_exit, "SystemExit"),
    (lambda *a, **k: None, "None"),
    (lambda *a, **k: "4.0", "string"),
    (lambda *a, **k: 1 / 0, "ZeroDivisionError"),
    (lambda *a, **k: np.ones(3) * 1j, "complex"),
    (42, "needs your function itself"),
    (None, "needs your function itself"),
])
def test_every_checker_survives_bad_functions(check, fn, fragment):
    fails_with(check, fn, fragment)


@pytest.mark.parametrize("check, fn", [
    (check_modular_addition_split, lambda p, f, s: tuple(np.full((3, 2), np.nan) for _ in range(4))),
    (check_power_spectrum, lambda W: np.full((np.shape(W)[0] // 2 + 1, np.shape(W)[1]), np.nan)),
    (check_analytic_weights, lambda p, f, phi, psi: (np.full((p, len(f)), np.nan),) * 2 + (np.full((len(f), p), np.nan),)),
    (check_effective_frequencies, lambda W: float("nan")),
])
def test_nan_results_are_explained(check, fn):
    fails_with(check, fn, "NaN")


@pytest.mark.parametrize("check, fn, fragment", [
    (check_power_spectrum, lambda W: np.zeros((2, 2, 2)), "shape"),
    (check_effective_frequencies, lambda W: [1.0, 2.0], "2 numbers"),
    (check_analytic_weights, lambda p, f, phi, psi: (np.zeros((p, 1)),) * 3, "shape"),
    (check_modular_addition_split, lambda p, f, s: (np.zeros((3, 3), dtype=int),) * 4, "(n, 2)"),
])
def test_wrong_shapes_are_explained(check, fn, fragment):
    fails_with(check, fn, fragment)
