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
