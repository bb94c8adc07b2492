"""Lesson 09's checkers: right answers written several ways pass; each realistic mistake is named by its hint."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from check_helpers import fails_with
from course_utils.checks import (
    check_fit_power_law,
    check_predict_crossing,
    check_predicted_exact_match,
    check_token_metrics,
)
from course_utils.checks import lesson09 as L


# == exercise 1: token accuracy and exact match =================================================================

def token_metrics(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) | ~real
    return right[real].mean(), right.all(axis=1).mean()


def token_metrics_counts(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    hits = ((predictions == targets) & real).sum()
    wrong_per_row = ((predictions != targets) & real).sum(axis=1)
    return hits / real.sum(), np.mean(wrong_per_row == 0)


def token_metrics_torch(predictions, targets, pad=-1):
    predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
    real = targets != pad
    right = (predictions == targets) | ~real
    return right[real].float().mean(), right.all(dim=1).float().mean()


def token_metrics_masked_array(predictions, targets, pad=-1):
    targets = np.ma.masked_equal(np.asarray(targets), pad)
    right = np.asarray(predictions) == targets
    return float(right.mean()), float(right.all(axis=1).filled(True).mean())


def token_metrics_loop(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions).tolist(), np.asarray(targets).tolist()
    tokens = hits = rows = 0
    for p, t in zip(predictions, targets):
        n = t.index(pad) if pad in t else len(t)
        good = sum(a == b for a, b in zip(p[:n], t[:n]))
        tokens, hits, rows = tokens + n, hits + good, rows + (good == n)
    return hits / tokens, rows / len(targets)


@pytest.mark.parametrize("fn", [token_metrics, token_metrics_counts, token_metrics_torch, token_metrics_masked_array,
                                token_metrics_loop])
def test_token_metrics_right_answers_pass(fn, capsys):
    check_token_metrics(fn)
    assert capsys.readouterr().out.startswith("✓ token_metrics:")


def em_over_tokens(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    accuracy = (predictions == targets)[real].mean()
    return accuracy, accuracy  # "exact match": the same average, over tokens


def em_mean_then_threshold(predictions, targets, pad=-1):  # averaged over all positions, pads compared
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    return (predictions == targets)[real].mean(), (predictions == targets).mean()


def pads_compared_for_accuracy(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    right = predictions == targets
    return right.mean(), (right | (targets == pad)).all(axis=1).mean()


def pads_counted_right(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    right = (predictions == targets) | (targets == pad)
    return right.mean(), right.all(axis=1).mean()


def pads_compared_for_exact_match(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    return (predictions == targets)[real].mean(), np.all(predictions == targets, axis=1).mean()


def mask_from_predictions(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = predictions != pad  # where the model answered
    return (predictions == targets)[real].mean(), ((predictions == targets) | ~real).all(axis=1).mean()


def per_row_accuracy(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) & real
    return np.mean(right.sum(axis=1) / real.sum(axis=1)), (right | ~real).all(axis=1).mean()


def any_instead_of_all(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) & real
    return right.sum() / real.sum(), right.any(axis=1).mean()


def all_along_axis_0(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) | ~real
    return right[real].mean(), right.all(axis=0).mean()


def per_position_accuracy(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) & real
    per_position = right.sum(axis=0) / np.maximum(real.sum(axis=0), 1)
    return per_position[real.any(axis=0)].mean(), (right | ~real).all(axis=1).mean()


def percentages(predictions, targets, pad=-1):
    accuracy, exact = token_metrics(predictions, targets, pad)
    return 100 * accuracy, 100 * exact


def counts(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) | ~real
    return right[real].sum(), right.all(axis=1).sum()


def in_place_mask(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    predictions[targets == pad] = pad  # line up the pads, on the caller's array
    return (predictions == targets)[targets != pad].mean(), (predictions == targets).all(axis=1).mean()


def wrong_order(predictions, targets, pad=-1):
    accuracy, exact = token_metrics(predictions, targets, pad)
    return exact, accuracy


def flattened_all(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    return (predictions[real] == targets[real]).mean(), np.all(predictions[real] == targets[real])


def hardcoded_pad(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != -1
    right = (predictions == targets) | ~real
    return right[real].mean(), right.all(axis=1).mean()


def nonnegative_means_real(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets >= 0
    right = (predictions == targets) | ~real
    return right[real].mean(), right.all(axis=1).mean()


def per_row_exact_match(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    right = (predictions == targets) | ~real
    return right[real].mean(), right.all(axis=1)  # forgot the mean over rows


def divided_by_all_positions(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    hits = ((predictions == targets) & real).sum()
    return hits / targets.size, ((predictions == targets) | ~real).all(axis=1).mean()


def matches_counted_with_pads(predictions, targets, pad=-1):
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    real = targets != pad
    accuracy = (predictions == targets)[real].mean()
    return accuracy, np.mean((predictions == targets).sum(axis=1) == real.sum(axis=1))


TOKEN_BUGS = [
    (em_over_tokens, L.EM_OVER_TOKENS),
    (em_mean_then_threshold, L.EM_OVER_TOKENS),
    (pads_compared_for_accuracy, L.ACC_PADS_WRONG),
    (pads_counted_right, L.ACC_PADS_RIGHT),
    (pads_compared_for_exact_match, L.EM_PADS),
    (mask_from_predictions, "padded positions"),
    (per_row_accuracy, L.ACC_PER_ROW),
    (any_instead_of_all, L.EM_ANY),
    (all_along_axis_0, L.EM_AXIS),
    (per_position_accuracy, L.ACC_PER_POSITION),
    (percentages, L.PERCENT),
    (counts, L.COUNTS),
    (in_place_mask, "modified its input in place"),
    (wrong_order, L.SWAPPED_METRICS),
    (flattened_all, L.EM_FLAT),
    (hardcoded_pad, L.IGNORED_PAD),
    (nonnegative_means_real, L.IGNORED_PAD),
    (per_row_exact_match, "take the mean over rows"),
    (divided_by_all_positions, L.ACC_PADS_WRONG),
    (lambda p, t, pad=-1: (100 * token_metrics(p, t, pad)[0], token_metrics(p, t, pad)[1]), L.PERCENT),
    (lambda p, t, pad=-1: token_metrics(p, t, pad)[0], "return both"),
    (lambda p, t, pad=-1: dict(zip(["accuracy", "exact"], token_metrics(p, t, pad))), "return both"),
    (matches_counted_with_pads, ""),
]


@pytest.mark.parametrize("fn, fragment", TOKEN_BUGS)
def test_token_metrics_mistakes_are_named(fn, fragment):
    message = fails_with(check_token_metrics, fn, fragment)
    assert fragment in message.split(" — ")[0], f"the hint, first, should name it: {message}"


def test_token_metrics_in_place_on_a_tensor_is_caught_too():
    def in_place_torch(predictions, targets, pad=-1):
        predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
        predictions[targets == pad] = pad
        return (predictions == targets)[targets != pad].float().mean(), (predictions == targets).all(1).float().mean()

    fails_with(check_token_metrics, in_place_torch, "modified its input in place")


# == exercise 2: exact match predicted from per-position accuracies ============================================

def predicted_exact_match(position_accuracy):
    return np.prod(np.asarray(position_accuracy, dtype=float), axis=-1)


def predicted_exact_match_logs(position_accuracy):
    a = np.asarray(position_accuracy, dtype=float)
    with np.errstate(divide="ignore"):
        return np.exp(np.log(a).sum(axis=-1))


def predicted_exact_match_torch(position_accuracy):
    return torch.as_tensor(position_accuracy).prod(dim=-1)


def predicted_exact_match_loop(position_accuracy):
    a = np.asarray(position_accuracy, dtype=float)
    result = np.ones(a.shape[:-1])
    for i in range(a.shape[-1]):
        result = result * a[..., i]
    return result


def predicted_exact_match_float32(position_accuracy):
    return np.prod(np.asarray(position_accuracy, dtype=np.float32), axis=-1)


@pytest.mark.parametrize("fn", [predicted_exact_match, predicted_exact_match_logs, predicted_exact_match_torch,
                                predicted_exact_match_loop])
def test_predicted_exact_match_right_answers_pass(fn, capsys):
    check_predicted_exact_match(fn)
    assert capsys.readouterr().out.startswith("✓ predicted_exact_match:")


def last(a):
    return np.asarray(a, dtype=float)


PRODUCT_BUGS = [
    (lambda a: last(a).mean(axis=-1) ** last(a).shape[-1], L.MEAN_POWER),
    (lambda a: np.mean(last(a), axis=-1) ** len(last(a)), L.MEAN_POWER),  # named on the first, 1-D, case
    (lambda a: last(a).sum(axis=-1), L.SUMMED),
    (lambda a: last(a).shape[-1] * last(a).mean(axis=-1), L.SUMMED),
    (lambda a: last(a).mean(axis=-1), L.MEAN),
    (lambda a: last(a).min(axis=-1), L.MINIMUM),
    (lambda a: 1 - np.prod(1 - last(a), axis=-1), L.ANY_RIGHT),
    (lambda a: np.exp(last(a).sum(axis=-1)), L.EXP_SUM),
    (lambda a: np.log(last(a)).sum(axis=-1), L.SUM_LOGS),
    (lambda a: np.prod(1 - last(a), axis=-1), L.PROD_ERRORS),
    (lambda a: 1 - (1 - last(a)).sum(axis=-1), L.UNION),
    (lambda a: np.prod(last(a), axis=-1) ** (1 / last(a).shape[-1]), L.GEOMETRIC),
    (lambda a: np.prod(last(a), axis=0), L.WRONG_AXIS),
    (lambda a: np.prod(last(a)), "multiplied over every axis"),
    (lambda a: last(a).max(axis=-1), L.MAXIMUM),
    (lambda a: np.cumprod(last(a), axis=-1), "multiply them"),
    (lambda a: np.prod(last(a), axis=-1, keepdims=True), "keepdims=True"),
    (lambda a: math.prod(last(a)), L.WRONG_AXIS),  # math.prod multiplies the rows of a 2-D array
]


@pytest.mark.parametrize("fn, fragment", PRODUCT_BUGS)
def test_predicted_exact_match_mistakes_are_named(fn, fragment):
    message = fails_with(check_predicted_exact_match, fn, fragment)
    assert fragment in message.split(" — ")[0], message
    if not fragment:  # no mistake of the list gives this: a plain message, no misleading hint
        assert " — " not in message, message


def test_a_log_of_zero_is_named_only_where_a_zero_is():
    def through_logs(position_accuracy):
        a = np.asarray(position_accuracy, dtype=float)
        return np.exp(np.sum(a * np.log(a) / a, axis=-1))  # 0 * -inf / 0 is NaN

    fails_with(check_predicted_exact_match, through_logs, "a log of 0?")
    message = fails_with(check_predicted_exact_match, lambda a: np.full(np.shape(a)[:-1], np.nan))
    assert " — " not in message, message


def test_float32_precision_is_enough():
    check_predicted_exact_match(predicted_exact_match_float32)


# == exercise 3: a power law on log-log axes ====================================================================

def fit_power_law(sizes, errors):
    slope, intercept = np.polyfit(np.log(sizes), np.log(errors), 1)
    return np.exp(intercept), -slope


def fit_power_law_linregress(sizes, errors):
    from scipy.stats import linregress

    fit = linregress(np.log(sizes), np.log(errors))
    return math.exp(fit.intercept), -fit.slope


def fit_power_law_lstsq(sizes, errors):
    x = np.log(np.asarray(sizes, dtype=float))
    A = np.stack([np.ones_like(x), x], axis=1)
    (intercept, slope), *_ = np.linalg.lstsq(A, np.log(errors), rcond=None)
    return np.exp(intercept), -slope


def fit_power_law_closed_form(sizes, errors):
    x, y = np.log(np.asarray(sizes, dtype=float)), np.log(np.asarray(errors, dtype=float))
    beta = -np.cov(x, y, bias=True)[0, 1] / np.var(x)
    return np.exp(y.mean() + beta * x.mean()), beta


def fit_power_law_log10(sizes, errors):
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(errors), 1)
    return 10**intercept, -slope


def fit_power_law_torch(sizes, errors):
    x = torch.log(torch.as_tensor(sizes, dtype=torch.float64))
    y = torch.log(torch.as_tensor(errors, dtype=torch.float64))
    A = torch.stack([x, torch.ones_like(x)], 1)
    slope, intercept = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    return torch.exp(intercept), -slope


def fit_power_law_float32(sizes, errors):
    x, y = np.log(np.asarray(sizes, dtype=np.float32)), np.log(np.asarray(errors, dtype=np.float32))
    slope, intercept = np.polyfit(x, y, 1)
    return np.float32(np.exp(intercept)), np.float32(-slope)


@pytest.mark.parametrize("fn", [fit_power_law, fit_power_law_linregress, fit_power_law_lstsq, fit_power_law_closed_form,
                                fit_power_law_log10, fit_power_law_torch, fit_power_law_float32])
def test_fit_power_law_right_answers_pass(fn, capsys):
    check_fit_power_law(fn)
    assert capsys.readouterr().out.startswith("✓ fit_power_law:")


def curve_fit_linear(sizes, errors):
    from scipy.optimize import curve_fit

    (c, beta), _ = curve_fit(lambda n, c, beta: c * n**-beta, np.asarray(sizes, float), np.asarray(errors, float))
    return c, beta


def curve_fit_with_a_start(sizes, errors):
    from scipy.optimize import curve_fit

    (c, beta), _ = curve_fit(lambda n, c, beta: c * n**-beta, np.asarray(sizes, float), np.asarray(errors, float),
                             p0=[1.0, 0.5], maxfev=10000)
    return c, beta


def straight_line_in_linear_space(sizes, errors):
    slope, intercept = np.polyfit(sizes, errors, 1)
    return intercept, -slope


def slope_as_beta(sizes, errors):
    slope, intercept = np.polyfit(np.log(sizes), np.log(errors), 1)
    return np.exp(intercept), slope


def log_intercept_as_c(sizes, errors):
    slope, intercept = np.polyfit(np.log(sizes), np.log(errors), 1)
    return intercept, -slope


def log10_with_exp(sizes, errors):
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(errors), 1)
    return np.exp(intercept), -slope


def polyfit_swapped(sizes, errors):
    slope, intercept = np.polyfit(np.log(errors), np.log(sizes), 1)
    return np.exp(intercept), -slope


def semi_log(sizes, errors):
    slope, intercept = np.polyfit(sizes, np.log(errors), 1)
    return np.exp(intercept), -slope


def log_of_sizes_only(sizes, errors):
    slope, intercept = np.polyfit(np.log(sizes), errors, 1)
    return intercept, -slope


def unpacked_backwards(sizes, errors):
    intercept, slope = np.polyfit(np.log(sizes), np.log(errors), 1)
    return np.exp(intercept), -slope


def raw_polyfit(sizes, errors):
    return np.polyfit(np.log(sizes), np.log(errors), 1)


def beta_first(sizes, errors):
    c, beta = fit_power_law(sizes, errors)
    return beta, c


def two_points(sizes, errors):  # the slope through the first and last point: exact only on a perfect power law
    beta = -(np.log(errors[-1]) - np.log(errors[0])) / (np.log(sizes[-1]) - np.log(sizes[0]))
    return errors[0] * sizes[0] ** beta, beta


def log2_with_exp(sizes, errors):
    slope, intercept = np.polyfit(np.log2(sizes), np.log2(errors), 1)
    return np.exp(intercept), -slope


def mixed_bases(sizes, errors):
    slope, intercept = np.polyfit(np.log10(sizes), np.log(errors), 1)
    return np.exp(intercept), -slope


def linregress_slope_as_beta(sizes, errors):
    from scipy.stats import linregress

    fit = linregress(np.log(sizes), np.log(errors))
    return np.exp(fit.intercept), fit.slope


FIT_BUGS = [
    (curve_fit_linear, L.LINEAR_SPACE),
    (curve_fit_with_a_start, L.LINEAR_SPACE),
    (straight_line_in_linear_space, L.LINEAR_SPACE),
    (slope_as_beta, L.NEGATIVE_SLOPE),
    (log_intercept_as_c, L.LOG_C),
    (log10_with_exp, L.LOG10_EXP),
    (log2_with_exp, L.LOG2_EXP),
    (mixed_bases, L.MIXED_BASES),
    (linregress_slope_as_beta, L.NEGATIVE_SLOPE),
    (polyfit_swapped, L.POLYFIT_SWAPPED),
    (semi_log, L.SEMILOG),
    (log_of_sizes_only, L.SEMILOG),
    (unpacked_backwards, L.UNPACKED_BACKWARDS),
    (raw_polyfit, L.RAW_LINE),
    (beta_first, L.ORDER),
    (two_points, ""),
]


@pytest.mark.parametrize("fn, fragment", FIT_BUGS, ids=lambda x: getattr(x, "__name__", None))
def test_fit_power_law_mistakes_are_named(fn, fragment):
    message = fails_with(check_fit_power_law, fn, fragment)
    assert fragment in message.split(" — ")[0], message
    if not fragment:
        assert " — " not in message, message


# == exercise 4: the predicted crossing =========================================================================

def predict_crossing(sizes, token_errors, exact_match, length, target=0.5):
    sizes, token_errors, exact_match = (np.asarray(x, dtype=float) for x in (sizes, token_errors, exact_match))
    below = exact_match < target
    c, beta = fit_power_law(sizes[below], token_errors[below])
    error_needed = 1 - target ** (1 / length)
    return (c / error_needed) ** (1 / beta)


def predict_crossing_logs(sizes, token_errors, exact_match, length, target=0.5):
    from scipy.stats import linregress

    keep = [i for i, em in enumerate(exact_match) if em < target]
    fit = linregress(np.log(np.asarray(sizes)[keep]), np.log(np.asarray(token_errors)[keep]))
    log_e = math.log(1 - math.exp(math.log(target) / length))
    return math.exp((log_e - fit.intercept) / fit.slope)


def predict_crossing_root_finding(sizes, token_errors, exact_match, length, target=0.5):
    from scipy.optimize import brentq

    sizes, token_errors, exact_match = (np.asarray(x, dtype=float) for x in (sizes, token_errors, exact_match))
    c, beta = fit_power_law_lstsq(sizes[exact_match < target], token_errors[exact_match < target])
    f = lambda log_n: (1 - c * math.exp(-beta * log_n)) ** length - target  # noqa: E731
    return math.exp(brentq(f, math.log(c) / beta + 1e-9, 40, xtol=1e-14, rtol=1e-14))


@pytest.mark.parametrize("fn", [predict_crossing, predict_crossing_logs, predict_crossing_root_finding])
def test_predict_crossing_right_answers_pass(fn, capsys):
    check_predict_crossing(fn)
    assert capsys.readouterr().out.startswith("✓ predict_crossing:")


def crossing_with(*, keep=None, solve=None):
    """A learner's predict_crossing with one step replaced."""
    def fn(sizes, token_errors, exact_match, length, target=0.5):
        sizes, token_errors, exact_match = (np.asarray(x, dtype=float) for x in (sizes, token_errors, exact_match))
        used = exact_match < target if keep is None else keep(exact_match, target)
        c, beta = fit_power_law(sizes[used], token_errors[used])
        if solve is None:
            return (c / (1 - target ** (1 / length))) ** (1 / beta)
        return solve(c, beta, length, target)
    return fn


def first_measured_above(sizes, token_errors, exact_match, length, target=0.5):
    sizes, exact_match = np.asarray(sizes), np.asarray(exact_match)
    order = np.argsort(sizes)
    return sizes[order][np.argmax(exact_match[order] >= target)]


def interpolated_measurement(sizes, token_errors, exact_match, length, target=0.5):
    order = np.argsort(sizes)
    return float(np.exp(np.interp(target, np.asarray(exact_match)[order], np.log(np.asarray(sizes)[order]))))


def hardcoded_half(sizes, token_errors, exact_match, length, target=0.5):
    return predict_crossing(sizes, token_errors, exact_match, length, 0.5)


def hardcoded_length(sizes, token_errors, exact_match, length, target=0.5):
    return predict_crossing(sizes, token_errors, exact_match, 20, target)


def first_k_sizes(sizes, token_errors, exact_match, length, target=0.5):  # right when the sizes come sorted
    k = int(np.argmax(np.asarray(exact_match) >= target))
    c, beta = fit_power_law(np.asarray(sizes)[:k], np.asarray(token_errors)[:k])
    return (c / (1 - target ** (1 / length))) ** (1 / beta)


def first_k_below(sizes, token_errors, exact_match, length, target=0.5):  # k = how many are below target
    k = int((np.asarray(exact_match) < target).sum())
    c, beta = fit_power_law(np.asarray(sizes)[:k], np.asarray(token_errors)[:k])
    return (c / (1 - target ** (1 / length))) ** (1 / beta)


def fitted_exact_match(sizes, token_errors, exact_match, length, target=0.5):
    """Fit the sharp metric itself: 1 - exact match, then solve c N^-beta = 1 - target."""
    sizes, exact_match = np.asarray(sizes, dtype=float), np.asarray(exact_match, dtype=float)
    below = exact_match < target
    c, beta = fit_power_law(sizes[below], 1 - exact_match[below])
    return (c / (1 - target)) ** (1 / beta)


CROSSING_BUGS = [
    (crossing_with(keep=lambda em, t: np.ones_like(em, dtype=bool)), L.ALL_SIZES),
    (crossing_with(keep=lambda em, t: em >= t), L.PAST_TARGET),
    (crossing_with(keep=lambda em, t: em <= t), L.AT_OR_BELOW),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t)) ** (1 / b)), L.NO_LENGTH),
    (crossing_with(solve=lambda c, b, n, t: (c * n / (1 - t)) ** (1 / b)), L.LINEARIZED),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t**n)) ** (1 / b)), L.TARGET_POWER_L),
    (crossing_with(solve=lambda c, b, n, t: c / (1 - t ** (1 / n))), L.NO_ROOT),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t ** (1 / n))) ** (-1 / b)), L.NEGATIVE_ROOT),
    (crossing_with(solve=lambda c, b, n, t: math.log((c / (1 - t ** (1 / n))) ** (1 / b))), L.LOG_SIZE),
    (crossing_with(solve=lambda c, b, n, t: math.log(c / (1 - t ** (1 / n))) / b), L.LOG_SIZE),
    (first_measured_above, L.MEASURED),
    (interpolated_measurement, L.MEASURED),
    (hardcoded_half, L.IGNORED_TARGET),
    (hardcoded_length, L.IGNORED_LENGTH),
    (first_k_sizes, ""),
    (fitted_exact_match, L.FITTED_EXACT_MATCH),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t ** 1 / n)) ** (1 / b)), L.PRECEDENCE_TARGET),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t ** (1 / n))) ** 1 / b), L.PRECEDENCE_ROOT),
    (crossing_with(solve=lambda c, b, n, t: (c / (1 - t) ** (1 / n)) ** (1 / b)), L.ONE_MINUS_TARGET),
    (crossing_with(solve=lambda c, b, n, t: (c / t ** (1 / n)) ** (1 / b)), L.ONE_MINUS_TARGET),  # blind tester
    (first_k_below, L.FIRST_K),  # blind tester: the sheet's hint warns about it
]


@pytest.mark.parametrize("fn, fragment", CROSSING_BUGS)
def test_predict_crossing_mistakes_are_named(fn, fragment):
    message = fails_with(check_predict_crossing, fn, fragment)
    assert fragment in message.split(" — ")[0], message
    if not fragment:
        assert " — " not in message, message


def test_a_wrong_power_law_fit_shows_in_the_crossing_too():
    def with_linear_fit(sizes, token_errors, exact_match, length, target=0.5):
        sizes, token_errors, exact_match = (np.asarray(x, dtype=float) for x in (sizes, token_errors, exact_match))
        c, beta = curve_fit_with_a_start(sizes[exact_match < target], token_errors[exact_match < target])
        return (c / (1 - target ** (1 / length))) ** (1 / beta)

    message = fails_with(check_predict_crossing, with_linear_fit)
    assert " — " not in message, message  # nothing in the list gives this: no hint rather than a wrong one


# == every hint is short, comes first, and the cases keep the mistakes apart ====================================

HINTS = [v for k, v in vars(L).items() if k.isupper() and isinstance(v, str) and not k.startswith("LESSON")]


@pytest.mark.parametrize("hint", HINTS)
def test_hints_are_short(hint):
    assert len(hint) <= 60, hint


def _distinct(expected, mistakes, rtol):
    """No two different hints share a value unless neither is the expected... (then _name gives no hint)."""
    clashes = []
    for i, (h, v) in enumerate(mistakes):
        for h2, v2 in mistakes[i + 1:]:
            if h != h2 and L._matches(v, v2, rtol) and not L._matches(v, expected, rtol):
                clashes.append((h, h2))
    return clashes


def test_the_first_cases_keep_every_mistake_apart():
    predictions, targets, _, _ = L.token_metrics_cases()[0]
    parts = L._token_parts(predictions, targets, -1)
    _, acc, em = L.token_metrics_mistakes(predictions, targets, -1)
    assert not _distinct(parts["acc"], acc, 1e-4) and not _distinct(parts["em"], em, 1e-4)
    a, _ = L.predicted_exact_match_cases()[0]
    assert not _distinct(np.prod(a), L.predicted_exact_match_mistakes(a), 1e-4)
    for sizes, errors in L.fit_power_law_cases()[1:3]:
        sizes, errors = np.asarray(sizes), np.asarray(errors)
        assert not _distinct(L.power_law(sizes, errors), L.fit_power_law_mistakes(sizes, errors), 1e-3)
    for sizes, errors, em, length, target in L.predict_crossing_cases():
        target = 0.5 if target is None else target
        mistakes = L.predict_crossing_mistakes(sizes, errors, em, length, target)
        assert not _distinct(L.crossing(sizes, errors, em, length, target), mistakes, 1e-3)


def test_the_lesson_numbers_give_the_lesson_prediction():
    """The rounded numbers the checker uses still predict what the lesson printed (1,068, from unrounded ones)."""
    n50 = L.crossing(L.LESSON_SIZES, 1 - L.LESSON_ACCURACY, L.LESSON_EXACT_MATCH, L.LESSON_LENGTH)
    assert 1000 < n50 < 1150
