"""Lesson 06's checkers: they pass right answers written several ways and name each realistic mistake."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from check_helpers import fails_with
from course_utils.checks import check_adamw_step, check_ista_step, check_soft_threshold


# -- right answers, written as learners would ------------------------------------------------------------------
def soft_threshold(w, t):
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def soft_threshold_where(w, t):
    w = np.asarray(w, dtype=float)
    return np.where(np.abs(w) > t, w - t * np.sign(w), 0.0)


def soft_threshold_torch(w, t):
    w = torch.as_tensor(w, dtype=torch.float64)
    return torch.sign(w) * torch.clamp(w.abs() - t, min=0.0)


def soft_threshold_clip(w, t):  # shrink, then clip at zero from the right side
    w = np.asarray(w, dtype=float)
    return np.clip(w - t, 0, None) + np.clip(w + t, None, 0)


def ista_step(w, X, y, lam, lr):
    w, X, y = (np.asarray(a, dtype=float) for a in (w, X, y))
    grad = X.T @ (X @ w - y) / len(y)
    return soft_threshold(w - lr * grad, lr * lam)


def ista_step_torch(w, X, y, lam, lr):
    w, X, y = (torch.as_tensor(a, dtype=torch.float64) for a in (w, X, y))
    w = w.clone().requires_grad_()
    loss = ((X @ w - y) ** 2).sum() / (2 * len(y))
    (grad,) = torch.autograd.grad(loss, w)
    z = w.detach() - lr * grad
    return torch.sign(z) * torch.clamp(z.abs() - lr * lam, min=0.0)


def adamw_step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    beta1, beta2 = betas
    param = param * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return param - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adamw_step_torch_order(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """PyTorch's own arithmetic: step size lr / (1 - β1^t), denominator √v / √(1 - β2^t) + eps."""
    beta1, beta2 = betas
    p, g = torch.as_tensor(param, dtype=torch.float64), torch.as_tensor(grad, dtype=torch.float64)
    m = torch.as_tensor(m, dtype=torch.float64) * beta1 + (1 - beta1) * g
    v = torch.as_tensor(v, dtype=torch.float64) * beta2 + (1 - beta2) * g * g
    p = p * (1 - lr * weight_decay)
    denom = v.sqrt() / (1 - beta2**t) ** 0.5 + eps
    return p - (lr / (1 - beta1**t)) * m / denom, m, v


def adamw_step_via_torch(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """Let torch.optim.AdamW do it, loading the state by hand."""
    p = torch.tensor(np.asarray(param, dtype=float), requires_grad=True)
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    opt.state[p] = {"step": torch.tensor(float(t - 1)), "exp_avg": torch.tensor(np.asarray(m, dtype=float)),
                    "exp_avg_sq": torch.tensor(np.asarray(v, dtype=float))}
    p.grad = torch.tensor(np.asarray(grad, dtype=float))
    opt.step()
    return p.detach().numpy(), opt.state[p]["exp_avg"].numpy(), opt.state[p]["exp_avg_sq"].numpy()


@pytest.mark.parametrize("fn", [soft_threshold, soft_threshold_where, soft_threshold_torch, soft_threshold_clip])
def test_right_soft_thresholds_pass(fn, capsys):
    check_soft_threshold(fn)
    assert capsys.readouterr().out.startswith("✓ soft_threshold:")


@pytest.mark.parametrize("fn", [ista_step, ista_step_torch])
def test_right_ista_steps_pass(fn, capsys):
    check_ista_step(fn)
    assert capsys.readouterr().out.startswith("✓ ista_step:")


@pytest.mark.parametrize("fn", [adamw_step, adamw_step_torch_order, adamw_step_via_torch])
def test_right_adamw_steps_pass(fn, capsys):
    check_adamw_step(fn)
    assert capsys.readouterr().out.startswith("✓ adamw_step:")


def test_a_list_result_passes_too(capsys):
    check_adamw_step(lambda *a, **k: list(adamw_step(*a, **k)))
    assert "✓" in capsys.readouterr().out


# -- soft-thresholding: what learners write ------------------------------------------------------------------
def across_zero(w, t):
    w = np.asarray(w, dtype=float)
    return w - t * np.sign(w)


def hard(w, t):
    w = np.asarray(w, dtype=float)
    return w * (np.abs(w) > t)


def no_sign(w, t):
    return np.maximum(np.abs(np.asarray(w, dtype=float)) - t, 0)


def relu_shift(w, t):
    return np.maximum(np.asarray(w, dtype=float) - t, 0)


def minus_t(w, t):
    return np.asarray(w, dtype=float) - t


def plus_t(w, t):
    w = np.asarray(w, dtype=float)
    return np.sign(w) * (np.abs(w) + t)


def clip(w, t):
    return np.clip(w, -t, t)


def half(w, t):
    return soft_threshold(w, t / 2)


def in_place(w, t):
    w[np.abs(w) <= t] = 0.0
    w -= t * np.sign(w)
    return w


def divides(w, t):
    w = np.asarray(w, dtype=float)
    return w / np.abs(w) * np.maximum(np.abs(w) - t, 0)


SOFT_BUGS = [
    (across_zero, "shrank across zero"),
    (hard, "hard threshold"),
    (no_sign, "lost the sign"),
    (relu_shift, "zeroes negatives"),
    (minus_t, "subtracted t from every weight"),
    (plus_t, "moved weights away from 0"),
    (clip, "clipped to [−t, t]"),
    (half, "threshold t/2?"),
    (in_place, "modified its input in place"),
    (divides, "NaN: is there a division by |w|?"),
    (lambda w, t: float(np.sum(soft_threshold(w, t))), "returned one number"),
]


@pytest.mark.parametrize("fn, fragment", SOFT_BUGS, ids=[m for _, m in SOFT_BUGS])
def test_soft_threshold_mistakes_are_named(fn, fragment):
    message = fails_with(check_soft_threshold, fn, fragment)
    assert message.startswith(fragment) or fragment in message.split(" — ")[0], message


# -- ISTA: what learners write --------------------------------------------------------------------------------
def _grad(w, X, y):
    return X.T @ (X @ w - y) / len(y)


ISTA_BUGS = [
    (lambda w, X, y, lam, lr: soft_threshold(w - lr * _grad(w, X, y), lam), "thresholded by λ instead of η·λ"),
    (lambda w, X, y, lam, lr: across_zero(w - lr * _grad(w, X, y), lr * lam), "shrank across zero"),
    (lambda w, X, y, lam, lr: w - lr * (_grad(w, X, y) + lam * np.sign(w)), "a subgradient step"),
    (lambda w, X, y, lam, lr: soft_threshold(w, lr * lam) - lr * _grad(w, X, y), "thresholded before the gradient step"),
    (lambda w, X, y, lam, lr: (lambda u: u - lr * _grad(u, X, y))(soft_threshold(w, lr * lam)), "thresholded first"),
    (lambda w, X, y, lam, lr: soft_threshold(w, lr * lam), "forgot the gradient step"),
    (lambda w, X, y, lam, lr: w - lr * _grad(w, X, y), "forgot the threshold"),
    (lambda w, X, y, lam, lr: soft_threshold(w - lr * X.T @ (y - X @ w) / len(y), lr * lam), "gradient sign flipped"),
    (lambda w, X, y, lam, lr: soft_threshold(w - lr * X.T @ (X @ w - y), lr * lam), "sum instead of mean"),
    (lambda w, X, y, lam, lr: soft_threshold(w - 2 * lr * _grad(w, X, y), lr * lam), "gradient doubled"),
    (lambda w, X, y, lam, lr: soft_threshold(w - lr * X.T @ (X @ w - y) / X.shape[1], lr * lam),
     "divided by d (columns) instead of n (rows)"),
    (lambda w, X, y, lam, lr: soft_threshold(w - lr * _grad(w, X, y), lr * lam / len(y)), "threshold divided by n"),
]


def ista_in_place(w, X, y, lam, lr):
    w -= lr * _grad(w, X, y)
    return soft_threshold(w, lr * lam)


def ista_wrong_shape(w, X, y, lam, lr):
    return ista_step(w, X, y, lam, lr)[:, None]


@pytest.mark.parametrize("fn, fragment", ISTA_BUGS + [(ista_in_place, "modified its input in place"),
                                                      (ista_wrong_shape, "a column")],
                         ids=[m for _, m in ISTA_BUGS] + ["in place", "shape"])
def test_ista_mistakes_are_named(fn, fragment):
    fails_with(check_ista_step, fn, fragment)


def test_the_lasso_reference_agrees_with_scikit_learn():
    from sklearn.linear_model import Lasso

    from course_utils.checks.lesson06 import _lasso_coordinate_descent

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 7))
    y = X @ np.array([0, 1.5, 0, 0, -2, 0, 0.3]) + 0.2 * rng.normal(size=60)
    for lam in (0.01, 0.1, 0.5):
        ours = _lasso_coordinate_descent(X, y, lam)
        theirs = Lasso(alpha=lam, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-9)
        assert np.array_equal(ours == 0, theirs == 0)


def test_an_ista_that_never_makes_exact_zeros_is_caught():
    def almost(w, X, y, lam, lr):  # a smooth approximation of the threshold: close, but never exactly 0
        z = w - lr * _grad(w, X, y)
        return z * np.maximum(np.abs(z) - lr * lam, 0) / (np.abs(z) + 1e-3)

    fails_with(check_ista_step, almost, "ista_step")


# -- AdamW: what learners write ---------------------------------------------------------------------------------
def adamw_variant(kind):
    def step(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        b1, b2 = betas
        if kind == "swap":
            b1, b2 = b2, b1
        g = grad + weight_decay * param if kind == "l2" else grad
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        tt = t + 1 if kind == "t+1" else (t - 1 if kind == "t-1" else t)
        m_hat, v_hat = (m, v) if kind == "no correction" else (m / (1 - b1**tt), v / (1 - b2**tt))
        u = m_hat / (np.sqrt(v_hat + eps) if kind == "eps inside" else np.sqrt(v_hat) + eps)
        if kind == "after":
            return (param - lr * u) * (1 - lr * weight_decay), m, v
        if kind == "lambda":
            return param * (1 - weight_decay) - lr * u, m, v
        if kind in ("no decay", "l2"):
            return param - lr * u, m, v
        if kind == "sign":
            return param * (1 - lr * weight_decay) + lr * u, m, v
        return param * (1 - lr * weight_decay) - lr * u, m, v
    return step


def adamw_in_place(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    param *= 1 - lr * weight_decay
    m *= betas[0]
    m += (1 - betas[0]) * grad
    v *= betas[1]
    v += (1 - betas[1]) * grad**2
    param -= lr * (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    return param, m, v


def adamw_returns_param_only(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    return adamw_step(param, grad, m, v, t, lr, betas, eps, weight_decay)[0]


def adamw_old_state(param, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    new_param, _, _ = adamw_step(param, grad, m, v, t, lr, betas, eps, weight_decay)
    return new_param, m, v  # forgot to return the updated moments


ADAMW_BUGS = [
    (adamw_variant("l2"), "L2 in the gradient"),
    (adamw_variant("after"), "decayed after the Adam step"),
    (adamw_variant("lambda"), "decayed by λ"),
    (adamw_variant("no decay"), "forgot the weight decay"),
    (adamw_variant("no correction"), "no bias correction"),
    (adamw_variant("t+1"), "off by one in β^t"),
    (adamw_variant("eps inside"), "eps inside the square root"),
    (adamw_variant("swap"), "swapped β1 and β2"),
    (adamw_variant("sign"), "update sign flipped"),
    (adamw_in_place, "modified its input in place"),
    (adamw_returns_param_only, "return (param, m, v)"),
    (adamw_old_state, "returned the old m"),
]


@pytest.mark.parametrize("fn, fragment", ADAMW_BUGS, ids=[m for _, m in ADAMW_BUGS])
def test_adamw_mistakes_are_named(fn, fragment):
    fails_with(check_adamw_step, fn, fragment)


def test_t_minus_one_is_reported_not_crashed():
    # t counted from 0: the first bias correction divides by 1 - β^0 = 0, so the step is NaN or inf
    message = fails_with(check_adamw_step, adamw_variant("t-1"), "adamw_step")
    assert "NaN" in message or "inf" in message or "off by one" in message, message


def test_dividing_by_d_is_not_called_a_doubled_gradient():
    # the blind test's i7: with n = 2d in the first case, X.shape[1] looked like a doubled gradient
    def by_d(w, X, y, lam, lr):
        return soft_threshold(w - lr * X.T @ (X @ w - y) / X.shape[1], lr * lam)

    message = fails_with(check_ista_step, by_d, "divided by d (columns) instead of n (rows)")
    assert "doubled" not in message, message


def test_every_hint_is_short_enough_for_a_grader():
    # every hint the sheet can show fits in the ~60 characters a grader shows before the message
    from course_utils.checks import lesson06

    hints = list(lesson06.ADAMW_MISTAKES.values())
    hints += list(lesson06._soft_mistakes(np.ones(2), 0.5))
    hints += list(lesson06._ista_mistakes(np.ones(2), np.eye(2), np.ones(2), 0.1, 0.1))
    assert all(len(h) <= 60 for h in hints), [h for h in hints if len(h) > 60]
