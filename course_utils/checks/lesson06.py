"""Checkers for lesson 06 (L1 against L2): soft-thresholding (the proximal operator of the L1 penalty), one
proximal-gradient (ISTA) step for the lasso, and one AdamW step written by hand.

References are independent of the sheet's code: soft-thresholding is written here in NumPy; the ISTA step is
also judged by where it leads (iterated, it must reach the lasso solution, found here by another algorithm,
coordinate descent, which the tests compare with scikit-learn's `Lasso`); the AdamW step is
compared with `torch.optim.AdamW` in float64. Each common mistake is computed too, so a wrong answer is named.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from course_utils.checks.core import CheckFailed, Checker, _is_tensor, checker, fmt

__all__ = ["check_soft_threshold", "check_ista_step", "check_adamw_step"]


def _soft(z: Any, t: float) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def _as_float_array(c: Checker, value: Any, text: str, shape: tuple[int, ...], what: str = "") -> np.ndarray:
    array = c.to_array(value, text)
    label = f" ({what})" if what else ""
    if array.shape != shape:
        hint = "returned one number, expected an array" if array.ndim == 0 else ""
        raise CheckFailed(f"{text}{label} has shape {array.shape}, expected {shape}", hint=hint)
    if np.isnan(array).any():
        raise CheckFailed(f"{text}{label} holds NaN: {fmt(array)}")
    return array


# -- exercise 1: soft-thresholding -----------------------------------------------------------------------

ONE_NUMBER = "returned one number: threshold each entry of w"


def _soft_mistakes(w: np.ndarray, t: float) -> dict[str, np.ndarray]:
    w = np.asarray(w, dtype=np.float64)
    return {
        "shrank across zero: stop at 0, max(|w| − t, 0)": w - t * np.sign(w),
        "hard threshold: also shrink the kept weights by t": w * (np.abs(w) > t),
        "lost the sign: multiply max(|w| − t, 0) by sign(w)": np.maximum(np.abs(w) - t, 0.0),
        "max(w − t, 0) zeroes negatives: use |w| and sign(w)": np.maximum(w - t, 0.0),
        "subtracted t from every weight: shrink towards 0": w - t,
        "moved weights away from 0: subtract t from |w|": np.sign(w) * (np.abs(w) + t),
        "clipped to [−t, t]: shrink |w| by t instead": np.clip(w, -t, t),
        "threshold t/2? shrink by t itself": _soft(w, t / 2),
    }


@checker
def check_soft_threshold(soft_threshold: Any) -> None:
    """Check `soft_threshold(w, t)`: sign(w) · max(|w| − t, 0), elementwise, for an array w and a number t ≥ 0."""
    c = Checker("soft_threshold", soft_threshold)
    rng = np.random.default_rng(6)
    cases = [
        (np.array([3.0, -0.5, 0.2, -2.0, 0.0]), 1.0),
        (np.array([0.7, -0.7, 0.69, -0.71, 5.0]), 0.7),  # exactly at ±t: zero
        (rng.normal(size=(4, 5)), 0.3),  # any shape, elementwise
        (rng.normal(size=12) * 0.01, 0.05),  # every weight below the threshold
        (np.array([1.5, -0.25, 0.0]), 0.0),  # t = 0 changes nothing
    ]
    for w, t in cases:
        got, text = c.array(w, t, shape=w.shape, nan_hint="NaN: is there a division by |w|? Use np.sign(w)",
                            shape_hints={(): ONE_NUMBER})
        c.close(text, got, _soft(w, t), mistakes=_soft_mistakes(w, t))
    c.require(bool(np.all(got == cases[-1][0])), f"{text} should return w unchanged for t = 0")

    import torch

    w = torch.tensor([2.0, -0.1, 0.4, -1.0], dtype=torch.float64)
    got, text = c.array(w, 0.5, shape=(4,), shape_hints={(): ONE_NUMBER})
    c.close(text + " (a torch tensor)", got, _soft(w.numpy(), 0.5), mistakes=_soft_mistakes(w.numpy(), 0.5))
    big = rng.normal(size=200)
    got, text = c.array(big, 1.0, shape=(200,), shape_hints={(): ONE_NUMBER})
    c.close(text, got, _soft(big, 1.0), mistakes=_soft_mistakes(big, 1.0))
    c.require(bool(np.sum(got == 0) == np.sum(np.abs(big) <= 1.0)),
              f"{text}: {int(np.sum(got == 0))} entries are exactly 0, expected {int(np.sum(np.abs(big) <= 1.0))} "
              "(every |w| ≤ t becomes exactly 0.0)")
    c.done()


# -- exercise 2: one ISTA step for the lasso ------------------------------------------------------------------

def _ista_reference(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float, lr: float) -> np.ndarray:
    grad = X.T @ (X @ w - y) / len(y)
    return _soft(w - lr * grad, lr * lam)


def _ista_mistakes(w: np.ndarray, X: np.ndarray, y: np.ndarray, lam: float, lr: float) -> dict[str, np.ndarray]:
    n, d = X.shape

    def grad(u: np.ndarray) -> np.ndarray:
        return X.T @ (X @ u - y) / n

    z = w - lr * grad(w)
    first = _soft(w, lr * lam)
    return {
        "thresholded by λ instead of η·λ (lr * lam)": _soft(z, lam),
        "shrank across zero: soft-threshold, stop at 0": z - lr * lam * np.sign(z),
        "a subgradient step: soft-threshold instead of λ·sign(w)": w - lr * (grad(w) + lam * np.sign(w)),
        "thresholded before the gradient step: step, then threshold": first - lr * grad(w),
        "thresholded first: take the gradient step first": first - lr * grad(first),
        "forgot the gradient step: soft(w − η∇f(w), ηλ)": first,
        "forgot the threshold: prox needs soft(·, ηλ)": z,
        "gradient sign flipped: residual is X @ w − y": _soft(w + lr * grad(w), lr * lam),
        "sum instead of mean: the gradient is Xᵀ(Xw − y) / n": _soft(w - lr * n * grad(w), lr * lam),
        "divided by d (columns) instead of n (rows): use len(y)": _soft(w - lr * (n / d) * grad(w), lr * lam),
        "gradient doubled: the ½ in the loss cancels the 2": _soft(w - 2 * lr * grad(w), lr * lam),
        "threshold divided by n: the λ term is not averaged": _soft(z, lr * lam / n),
    }


def _lasso_coordinate_descent(X: np.ndarray, y: np.ndarray, lam: float, sweeps: int = 5000) -> np.ndarray:
    """argmin (1/2n)‖Xw − y‖² + lam‖w‖₁ by cyclic coordinate descent (each coordinate minimized exactly)."""
    n, d = X.shape
    w = np.zeros(d)
    residual = y.astype(np.float64).copy()
    scale = (X**2).sum(axis=0) / n
    for _ in range(sweeps):
        largest = 0.0
        for j in range(d):
            rho = X[:, j] @ residual / n + scale[j] * w[j]
            new = np.sign(rho) * max(abs(rho) - lam, 0.0) / scale[j]
            residual += X[:, j] * (w[j] - new)
            largest = max(largest, abs(new - w[j]))
            w[j] = new
        if largest < 1e-15:
            break
    return w


def _ista_shape_hints(w: np.ndarray, X: np.ndarray) -> dict[tuple[int, ...], str]:
    d, n = len(w), len(X)
    return {(): "returned one number: the step returns the new w",
            (n,): "returned n numbers: that is X @ w; return the new w",
            (d, 1): "a column: keep w one-dimensional, shape (d,)",
            (1, d): "a row: keep w one-dimensional, shape (d,)",
            (d, d): "shape (d, d): w must stay one-dimensional"}


@checker
def check_ista_step(ista_step: Any) -> None:
    """Check `ista_step(w, X, y, lam, lr)`: soft_threshold(w − lr · Xᵀ(Xw − y)/n, lr · lam), for the lasso
    (1/2n)‖Xw − y‖² + lam‖w‖₁; iterated, it must reach the lasso solution."""
    c = Checker("ista_step", ista_step)
    # n = 7 rows, d = 3 columns: n is neither 2d nor d/2, so dividing by d is not mistaken for a doubled gradient
    X = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0], [1.0, 1.0, 0.0], [2.0, -1.0, 1.0], [0.5, 0.5, 0.5],
                  [-1.0, 2.0, 0.0], [1.0, -0.5, 1.5]])
    y = np.array([2.0, -1.0, 0.5, 3.0, 1.0, -2.0, 0.5])
    rng = np.random.default_rng(16)
    Xr, yr = rng.normal(size=(50, 8)), rng.normal(size=50)
    cases = [
        (np.array([0.5, 0.0, -0.02]), X, y, 0.5, 0.1),  # a zero and a weight below lr·lam: tells mistakes apart
        (np.array([0.0, 0.0, 0.0]), X, y, 0.2, 0.05),
        (np.array([0.02, -0.01, 1.0]), X, y, 2.0, 0.2),
        (rng.normal(size=8) * 0.3, Xr, yr, 0.1, 0.3),
    ]
    for w, X_, y_, lam, lr in cases:
        got, text = c.array(w, X_, y_, lam, lr, shape=w.shape, shape_hints=_ista_shape_hints(w, X_))
        c.close(text, got, _ista_reference(w, X_, y_, lam, lr), mistakes=_ista_mistakes(w, X_, y_, lam, lr))

    # iterated from zeros, the steps must reach the lasso solution (found by coordinate descent)
    truth = np.zeros(8)
    truth[[1, 5]] = [2.0, -1.5]
    Xs = rng.normal(size=(80, 8))
    ys = Xs @ truth + 0.1 * rng.normal(size=80)
    lam = 0.1
    lr = 1.0 / np.linalg.eigvalsh(Xs.T @ Xs / len(ys)).max()
    w = np.zeros(8)
    for _ in range(300):
        w, text = c.array(w, Xs, ys, lam, lr, shape=(8,), shape_hints=_ista_shape_hints(w, Xs))
    lasso = _lasso_coordinate_descent(Xs, ys, lam)
    c.close(f"300 steps of ista_step(w, X, y, lam={lam}, lr={lr:.3g}) from w = 0", w, lasso, rtol=1e-6, atol=1e-8,
            hint="does not reach the lasso solution")
    c.require(bool(np.array_equal(w == 0, lasso == 0)),
              f"after 300 steps the zero pattern is {fmt((w == 0).astype(int))}, the lasso's is "
              f"{fmt((lasso == 0).astype(int))}: exact zeros come from the soft-threshold")
    c.done()


# -- exercise 3: one AdamW step -------------------------------------------------------------------------------

def _adamw_variant(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float,
                   betas: tuple[float, float], eps: float, wd: float, mistake: str = "") -> tuple[np.ndarray, ...]:
    """One AdamW step as torch computes it, or the step with one named mistake."""
    b1, b2 = betas
    if mistake == "swap":
        b1, b2 = b2, b1
    g = grad + wd * param if mistake == "l2" else grad
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    tt = t + 1 if mistake == "t+1" else t
    if mistake == "no correction":
        m_hat, v_hat = m, v
    else:
        m_hat, v_hat = m / (1 - b1**tt), v / (1 - b2**tt)
    update = m_hat / (np.sqrt(v_hat + eps) if mistake == "eps inside" else np.sqrt(v_hat) + eps)
    if mistake == "l2" or mistake == "no decay":
        new = param - lr * update
    elif mistake == "after":
        new = (param - lr * update) * (1 - lr * wd)
    elif mistake == "lambda":
        new = param * (1 - wd) - lr * update
    elif mistake == "sign":
        new = param * (1 - lr * wd) + lr * update
    else:
        new = param * (1 - lr * wd) - lr * update
    return new, m, v


ADAMW_MISTAKES = {
    "l2": "L2 in the gradient: the decay must bypass m and v",
    "after": "decayed after the Adam step: decay the old weight",
    "lambda": "decayed by λ: multiply by (1 − lr·weight_decay)",
    "no decay": "forgot the weight decay: param · (1 − lr·wd)",
    "no correction": "no bias correction: m/(1 − β1^t), v/(1 − β2^t)",
    "t+1": "off by one in β^t: t counts steps from 1",
    "eps inside": "eps inside the square root: √v̂ + eps",
    "swap": "swapped β1 and β2: m uses β1 = 0.9",
    "sign": "update sign flipped: subtract lr · m̂/(√v̂ + eps)",
}


def _torch_adamw(param: np.ndarray, grads: list[np.ndarray], lr: float, betas: tuple[float, float], eps: float,
                 wd: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(param, m, v) after each step of torch.optim.AdamW, in float64."""
    import torch

    p = torch.tensor(param, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False)
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        state = opt.state[p]
        out.append((p.detach().numpy().copy(), state["exp_avg"].numpy().copy(), state["exp_avg_sq"].numpy().copy()))
    return out


def _unpack_step(c: Checker, value: Any, text: str, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        if isinstance(value, (tuple, list)):
            got = f"{len(value)} things"
        elif value is None:
            got = "None"
        elif isinstance(value, np.ndarray) or _is_tensor(value):
            got = f"one array of shape {tuple(value.shape)}"
        else:
            got = f"a {type(value).__name__}"
        raise CheckFailed(f"{text} returned {got}; return three arrays: the new param, m and v",
                          hint="return (param, m, v)")
    return tuple(_as_float_array(c, part, text, shape, name) for part, name in zip(value, ("param", "m", "v")))


def _judge_step(c: Checker, text: str, got: tuple[np.ndarray, ...], expected: tuple[np.ndarray, ...],
                inputs: tuple[Any, ...]) -> None:
    param, grad, m, v, t, lr, betas, eps, wd = inputs
    for index, name, old in ((1, "m", m), (2, "v", v)):
        if np.array_equal(got[index], old) and not np.allclose(old, expected[index], rtol=1e-9, atol=1e-12):
            c.fail(f"{text} returned {name} = {fmt(got[index])} unchanged, expected {fmt(expected[index])}",
                   hint=f"returned the old {name}: return the updated one")
    wrong = {key: _adamw_variant(param, grad, m, v, t, lr, betas, eps, wd, key) for key in ADAMW_MISTAKES}
    for index, name in ((1, "m"), (2, "v"), (0, "param")):
        mistakes = {ADAMW_MISTAKES[key]: w[index] for key, w in wrong.items()
                    if not np.allclose(w[index], expected[index], rtol=1e-9, atol=1e-12)}
        c.close(f"{text}, the new {name}", got[index], expected[index], rtol=1e-7, atol=1e-12,
                unit="(torch.optim.AdamW)", mistakes=mistakes)


@checker
def check_adamw_step(adamw_step: Any) -> None:
    """Check `adamw_step(param, grad, m, v, t, lr, betas, eps, weight_decay)` -> (param, m, v): one step of AdamW
    as `torch.optim.AdamW` takes it (decoupled decay of the old weight, bias-corrected Adam step)."""
    c = Checker("adamw_step", adamw_step)
    rng = np.random.default_rng(60)
    settings = [
        (0.1, (0.9, 0.999), 1e-8, 0.5),
        (0.05, (0.8, 0.99), 1e-3, 2.0),  # a large eps: where it sits matters
        (1e-3, (0.9, 0.999), 1e-8, 1e-2),  # PyTorch's defaults for AdamW
    ]
    for lr, betas, eps, wd in settings:
        param = rng.normal(size=5)
        grads = [rng.normal(size=5) * 0.05 for _ in range(4)]
        for g in grads:
            g[4] = 0.0  # one weight with no gradient: AdamW only decays it
        expected = _torch_adamw(param, grads, lr, betas, eps, wd)
        p, m, v = param, np.zeros(5), np.zeros(5)
        for t, (g, right) in enumerate(zip(grads, expected), start=1):
            inputs = (p, g, m, v, t, lr, betas, eps, wd)
            value, text = c.call(*inputs)
            got = _unpack_step(c, value, text, (5,))
            _judge_step(c, text, got, right, inputs)
            p, m, v = got
    # the weight with no gradient follows (1 − lr·wd)^t exactly
    lr, wd = 0.01, 0.1
    p, m, v = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 51):
        value, text = c.call(p, np.zeros(2), m, v, t, lr, (0.9, 0.999), 1e-8, wd)
        p, m, v = _unpack_step(c, value, text, (2,))
    c.close("50 steps with grad = 0 from param = [1, -2]", p, np.array([1.0, -2.0]) * (1 - lr * wd) ** 50,
            rtol=1e-9, hint="a weight with no gradient must decay by (1 − lr·wd)")
    c.done()
