"""Shared by the checker tests: run a checker on a buggy function and return its message."""

from __future__ import annotations

import pytest

from course_utils.checks import CheckFailed


def fails_with(check, fn, *fragments: str) -> str:
    """Assert that `check(fn)` raises CheckFailed whose message holds every fragment; return the message."""
    with pytest.raises(CheckFailed) as info:
        check(fn)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "checker itself failed" not in message, message
    return message


def named(check, fn, fragment: str) -> str:
    """The check fails, and its hint (the text before " — ", at most 60 characters) contains the fragment."""
    message = fails_with(check, fn, fragment)
    hint, dash, _ = message.partition(" — ")
    assert dash, f"no hint: {message!r}"
    assert fragment in hint, f"{fragment!r} is not in the hint {hint!r} (message {message!r})"
    assert len(hint) <= 60, f"hint longer than 60 characters: {hint!r}"
    return message
