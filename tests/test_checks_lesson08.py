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

from check_helpers import fails_with
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


@pytest.mark.parametrize("kwargs, fragments", [
    ({"label": lambda a, b, p: a + b}, ["forgot the `% p`"]),
    ({"label": lambda a, b, p: (a * b) % p}, ["multiplied"]),
    ({"label": lambda a, b, p: (a - b) % p}, ["subtracted"]),
    ({"label": lambda a, b, p: (a + b) % (p + 1)}, ["wrong modulus", "p + 1"]),
    ({"label": lambda a, b, p: (a + b) % (p - 1)}, ["wrong modulus", "p - 1"]),
    ({"order": lambda p, seed: torch.arange(p * p)}, ["first", "in order", "shuffle"]),
    ({"order": lambda p, seed: torch.randperm(p * p)}, ["same seed", "generator"]),
    ({"order": lambda p, seed: torch.randperm(p * p, generator=torch.Generator().manual_seed(0))}, ["depend on the seed"]),
    ({"order": lambda p, seed: torch.randint(0, p * p, (p * p,), generator=torch.Generator().manual_seed(seed))},
     ["more than once", "without replacement"]),
    ({"size": lambda f, p: int(f * p * p)}, ["int() rounds", "round("]),
    ({"size": lambda f, p: p * p - round(f * p * p)}, ["swapped"]),
    ({"dtype": torch.float32}, ["floating-point", "int64"]),
    ({"pairs_of": lambda p: torch.cartesian_prod(torch.arange(1, p + 1), torch.arange(1, p + 1))}, ["0 to"]),
])
def test_split_mistakes_are_named(kwargs, fragments):
    fails_with(check_modular_addition_split, lambda p, f, s: split(p, f, s, **kwargs), *fragments)


def test_split_overlap_and_unaligned_labels_are_named():
    def overlapping(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train, torch.cat([x_test[1:], x_train[:1]]), torch.cat([y_test[1:], y_train[:1]])
    fails_with(check_modular_addition_split, overlapping, "in both the training and the test set")

    def shuffled_labels(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train[torch.randperm(len(y_train), generator=torch.Generator().manual_seed(1))], x_test, y_test
    fails_with(check_modular_addition_split, shuffled_labels, "wrong rows", "same permutation")

    def missing(p, f, s):
        x_train, y_train, x_test, y_test = split(p, f, s)
        return x_train, y_train, x_test[1:], y_test[1:]
    fails_with(check_modular_addition_split, missing, "exactly one of them")


def test_split_shapes_and_return_values_are_explained():
    fails_with(check_modular_addition_split, lambda p, f, s: split(p, f, s)[:2], "return four things")
    fails_with(check_modular_addition_split, lambda p, f, s: (lambda x, y, u, v: (x.T, y, u, v))(*split(p, f, s)),
               "transpose")
    fails_with(check_modular_addition_split, lambda p, f, s: (lambda x, y, u, v: (x, y[:-1], u, v))(*split(p, f, s)),
               "one label per pair")


# -- exercise 2: the power spectrum --------------------------------------------------------------

def power(W, *, axis=0, square=True, double_from=1, normalise=True, full=False, complex_out=False, subtract_mean=False):
    W = torch.as_tensor(W, dtype=torch.float64)
    if subtract_mean:
        W = W - W.mean(0)
    n = W.shape[0]
    F = torch.fft.fft(W, dim=axis) if full else torch.fft.rfft(W, dim=axis)
    if complex_out:
        return F
    out = F.abs() ** 2 if square else F.abs()
    out = out.clone()
    out[double_from:] *= 2
    return out / n if normalise else out


def test_power_spectrum_passes(capsys):
    check_power_spectrum(power)
    assert capsys.readouterr().out.startswith("✓ power_spectrum:")


def test_power_spectrum_accepts_numpy_code():
    def numpy_power(W):
        W = np.asarray(W, dtype=float)
        P = np.abs(np.fft.rfft(W, axis=0)) ** 2
        P[1:] *= 2
        return P / W.shape[0]
    check_power_spectrum(numpy_power)


@pytest.mark.parametrize("kwargs, fragments", [
    ({"axis": -1}, ["wrong axis", "axis 0"]),
    ({"square": False, "double_from": 100, "normalise": False}, ["amplitude"]),
    ({"square": False}, ["amplitude"]),
    ({"double_from": 100}, ["k and p − k are the same real wave"]),
    ({"double_from": 0}, ["k = 0", "no partner"]),
    ({"normalise": False}, ["divide by p", "Parseval"]),
    ({"double_from": 100, "normalise": False}, ["divide by p"]),
    ({"full": True}, ["only k = 0..(p-1)/2"]),
    ({"complex_out": True}, ["complex", "|F_k|²"]),
    ({"subtract_mean": True}, ["mean"]),
])
def test_power_spectrum_mistakes_are_named(kwargs, fragments):
    fails_with(check_power_spectrum, lambda W: power(W, **kwargs), *fragments)


def test_power_spectrum_shape_mistakes_are_named():
    fails_with(check_power_spectrum, lambda W: power(W).T, "transposed")
    fails_with(check_power_spectrum, lambda W: power(W)[1:], "keep k = 0")
    fails_with(check_power_spectrum, lambda W: power(W).sum(1), "one spectrum per column")


# -- exercise 3: the analytic solution ---------------------------------------------------------------

def weights(p, freqs, phi, psi, *, out_phase=lambda phi, psi: phi + psi, u_phase=None, v_phase=None, wave=torch.cos,
            transpose_out=True, per_p=True):
    a = torch.arange(p, dtype=torch.float64)[:, None]
    f, phi, psi = (torch.as_tensor(np.asarray(v, dtype=float)) for v in (freqs, phi, psi))
    theta = 2 * math.pi * a * f / (p if per_p else 1)
    U = wave(theta + (phi if u_phase is None else u_phase(phi, psi)))
    V = wave(theta + (psi if v_phase is None else v_phase(phi, psi)))
    W = wave(theta + out_phase(phi, psi))
    return U, V, W.T if transpose_out else W


def test_analytic_weights_pass(capsys):
    check_analytic_weights(weights)
    assert capsys.readouterr().out.startswith("✓ analytic_weights:")


@pytest.mark.parametrize("kwargs, fragments", [
    ({"out_phase": lambda phi, psi: -(phi + psi)}, ["+(φ + ψ)", "sign error", "−(a + b) mod p"]),
    ({"out_phase": lambda phi, psi: phi - psi}, ["not the difference"]),
    ({"out_phase": lambda phi, psi: 0 * phi}, ["W_out needs the phase φ + ψ"]),
    ({"u_phase": lambda phi, psi: psi, "v_phase": lambda phi, psi: phi}, ["swapped"]),
    ({"v_phase": lambda phi, psi: -psi}, ["(a − b) mod p"]),
    ({"u_phase": lambda phi, psi: 0 * phi}, ["U needs the phase φ"]),
    ({"wave": torch.sin}, ["cosines, not sines"]),
    ({"per_p": False}, ["divide by p"]),
    ({"transpose_out": False}, ["W_out", "shape (n, p)", "transpose"]),
])
def test_analytic_weights_mistakes_are_named(kwargs, fragments):
    fails_with(check_analytic_weights, lambda p, f, phi, psi: weights(p, f, phi, psi, **kwargs), *fragments)


def test_analytic_weights_behaviour_is_judged_too():
    """Weights that match no known mistake but break the network: the message says what the network computes."""
    def odd(p, f, phi, psi):
        U, V, W = weights(p, f, phi, psi)
        return U, V, -W
    message = fails_with(check_analytic_weights, odd, "W_out")
    assert "expected" in message
    fails_with(check_analytic_weights, lambda p, f, phi, psi: weights(p, f, phi, psi)[:2], "return three matrices")


# -- exercise 4: the effective number of frequencies -------------------------------------------------

def effective(W, *, keep_dc=False, finish=lambda bits: 2**bits, amplitude=False, per_column=False, participation=False):
    P = power(W)
    if amplitude:
        P = P.sqrt()
    if per_column:
        return float(np.mean([effective(W[:, j:j + 1]) for j in range(W.shape[1])]))
    total = P.sum(1) if keep_dc else P.sum(1)[1:]
    share = total / total.sum()
    if participation:
        return float(1 / (share**2).sum())
    share = share[share > 0]
    return float(finish(-(share * torch.log2(share)).sum()))


def test_effective_frequencies_pass(capsys):
    check_effective_frequencies(effective)
    assert capsys.readouterr().out.startswith("✓ effective_frequencies:")


@pytest.mark.parametrize("kwargs, fragments", [
    ({"keep_dc": True}, ["leave out k = 0"]),
    ({"finish": lambda bits: bits}, ["entropy in bits", "2 ** entropy"]),
    ({"finish": lambda bits: math.exp(bits)}, ["mixing bases", "e ** (entropy in bits)"]),
    ({"finish": lambda bits: 2 ** (bits * math.log(2))}, ["mixing bases", "2 ** (entropy in nats)"]),
    ({"amplitude": True}, ["not of the amplitude"]),
    ({"per_column": True}, ["add up the columns"]),
    ({"participation": True}, ["participation ratio"]),
])
def test_effective_frequencies_mistakes_are_named(kwargs, fragments):
    fails_with(check_effective_frequencies, lambda W: effective(np.asarray(W), **kwargs), *fragments)


def test_effective_frequencies_nan_is_explained():
    fails_with(check_effective_frequencies, lambda W: float("nan"), "NaN", "0 · log 0")


# -- what every checker survives -------------------------------------------------------------------

CHECKS = [check_modular_addition_split, check_power_spectrum, check_analytic_weights, check_effective_frequencies]


def raise_not_implemented(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("fn, fragment", [
    (raise_not_implemented, "not implemented yet"),
    (lambda *a, **k: None, "None"),
    (lambda *a, **k: "4.0", "string"),
    (lambda *a, **k: 1 / 0, "ZeroDivisionError"),
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
    message = fails_with(check, fn)
    assert "NaN" in message or "non-integers" in message, message


@pytest.mark.parametrize("check, fn, fragment", [
    (check_power_spectrum, lambda W: np.zeros((2, 2, 2)), "shape"),
    (check_effective_frequencies, lambda W: [1.0, 2.0], "2 numbers"),
    (check_analytic_weights, lambda p, f, phi, psi: (np.zeros((p, 1)),) * 3, "shape"),
])
def test_wrong_shapes_are_explained(check, fn, fragment):
    fails_with(check, fn, fragment)
