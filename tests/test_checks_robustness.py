"""Every checker of every lesson survives whatever a learner's function does: it ends in a CheckFailed with a
message (never a crash, a hang, an escape from the notebook, or "the checker itself failed"), and a failure
message starts with its hint. New lessons' checkers are covered automatically: they are read from
`course_utils.checks.__all__`."""

from __future__ import annotations

import time

import numpy as np
import pytest

import course_utils.checks as checks
from course_utils.checks import CheckFailed
from course_utils.checks import core
from course_utils.checks.core import Checker, checker, diff_summary

CHECKERS = sorted(name for name in checks.__all__ if name.startswith("check_"))


def _stub(*args, **kwargs):
    raise NotImplementedError()


def _exits(*args, **kwargs):
    raise SystemExit(0)


def _loops(*args, **kwargs):
    while True:
        pass


def _complex(*args, **kwargs):
    return np.array([1 + 2j, 3 - 1j])


def _none(*args, **kwargs):
    return None


def _text(*args, **kwargs):
    return "42"


def _wrong_shape(*args, **kwargs):
    return np.zeros((3, 5, 7))


def _raises(*args, **kwargs):
    return {}["missing"]


LEARNERS = {
    "stub": (_stub, "not implemented yet"),
    "SystemExit": (_exits, ""),
    "endless loop": (_loops, ""),
    "complex": (_complex, ""),
    "None": (_none, ""),
    "string": (_text, ""),
    "wrong shape": (_wrong_shape, ""),
    "KeyError": (_raises, ""),
}


@pytest.fixture
def short_time_limit(monkeypatch):
    monkeypatch.setattr(core, "TIME_LIMIT", 0.3)


@pytest.mark.parametrize("learner", list(LEARNERS), ids=str)
@pytest.mark.parametrize("name", CHECKERS)
def test_every_checker_ends_in_one_checkfailed(name, learner, short_time_limit):
    fn, fragment = LEARNERS[learner]
    start = time.perf_counter()
    with pytest.raises(CheckFailed) as info:
        getattr(checks, name)(fn)
    message = str(info.value)
    assert "checker itself failed" not in message, message
    assert fragment in message, message
    assert time.perf_counter() - start < 30, f"{name} took too long on {learner}"


@pytest.mark.parametrize("name", CHECKERS)
def test_every_checker_wants_a_function(name):
    with pytest.raises(CheckFailed, match="needs your function itself"):
        getattr(checks, name)(3.0)


def test_an_endless_loop_is_stopped_with_a_message_that_says_so():
    c = Checker("f", _loops, time_limit=0.2)
    start = time.perf_counter()
    with pytest.raises(CheckFailed) as info:
        c.call(1)
    assert time.perf_counter() - start < 5
    assert str(info.value).startswith("an endless loop? — f(1) did not return within 0.2 s")


def test_a_slow_call_under_the_limit_passes_and_leaves_no_interrupt_behind():
    c = Checker("f", lambda x: (time.sleep(0.05), x)[1], time_limit=1.0)
    assert c.call(2)[0] == 2
    time.sleep(1.2)  # a timer that had not been cancelled would interrupt us here


def test_system_exit_is_reported_not_propagated():
    with pytest.raises(CheckFailed, match="raised SystemExit"):
        Checker("f", _exits).call(1)


def test_complex_results_are_named():
    c = Checker("f", _complex)
    value, text = c.call()
    with pytest.raises(CheckFailed, match="^complex result, expected real numbers — f\\(\\) returned complex"):
        c.to_array(value, text)


def test_in_place_changes_are_detected_for_numpy_torch_lists_and_modules():
    import torch

    def scribble(x):
        if isinstance(x, list):
            x.append(0)
        elif isinstance(x, torch.nn.Module):
            with torch.no_grad():
                x.weight.zero_()
        else:
            x[0] = 99
        return 1.0

    for value in (np.arange(3.0), torch.arange(3.0), [1, 2], torch.nn.Linear(2, 2)):
        with pytest.raises(CheckFailed, match="^modified its input in place"):
            Checker("f", scribble).call(value)
    assert Checker("f", scribble, allow_in_place=True).call(np.arange(3.0))[0] == 1.0
    assert Checker("f", lambda x: float(np.nansum(x))).call(np.array([np.nan, 1.0]))[0] == 1.0  # NaN == NaN here


def test_hint_comes_first_and_the_message_keeps_the_details():
    error = CheckFailed("f(1) returned 2, expected 1", hint="off by one?")
    assert str(error) == "off by one? — f(1) returned 2, expected 1"
    assert (error.hint, error.message) == ("off by one?", "f(1) returned 2, expected 1")
    assert str(CheckFailed("plain")) == "plain"
    assert error._render_traceback_()[0].startswith("\x1b[31m✗ off by one? — ")


def test_close_names_the_mistake_first():
    c = Checker("entropy", lambda p: 0.0)
    with pytest.raises(CheckFailed) as info:
        c.close("entropy([0.5, 0.5])", 0.6931, 1.0, unit="bits", mistakes=core.log_base_mistakes(1.0))
    assert str(info.value).startswith("natural log instead of log2?")
    assert "returned 0.6931, expected 1 bit" in str(info.value)


def test_close_never_shows_two_identical_looking_arrays():
    c = Checker("f", lambda: 0)
    expected = np.linspace(0, 1, 6).reshape(2, 3)
    got = expected.copy()
    got[1, 2] += 1e-5  # invisible at the digits a message prints
    with pytest.raises(CheckFailed) as info:
        c.close("f()", got, expected)
    assert "the largest at [1, 2]" in str(info.value)
    big = np.zeros((40, 40))
    with pytest.raises(CheckFailed, match=r"1 of 1600 entries differ, by up to 1; the largest at \[7, 3\]"):
        c.close("f()", big + np.eye(40)[7:8].T @ np.eye(40)[3:4], big)


def test_diff_summary_counts_nan_as_a_difference():
    assert "at [1]" in diff_summary(np.array([0.0, np.nan]), np.array([0.0, 1.0]))


def test_a_checker_defect_is_reported_as_such():
    @checker
    def check_broken(fn):
        raise ZeroDivisionError("oops")

    with pytest.raises(CheckFailed, match="the checker itself failed"):
        check_broken(lambda: 0)


def test_numbers_that_print_alike_are_shown_with_digits_enough_to_differ():
    c = Checker("f", lambda: 0)
    with pytest.raises(CheckFailed) as info:
        c.close("f()", -2.4076101, -2.4076132, rtol=1e-7)
    assert "returned -2.40761, expected -2.407613" in str(info.value)
    with pytest.raises(CheckFailed) as info:
        c.close("f()", np.array([1.0, -2.4076101]), np.array([1.0, -2.4076132]), rtol=1e-7)
    assert "1 of 2 entries differ" in str(info.value) and "got -2.40761, expected -2.407613" in str(info.value)
