"""Shared test set-up: a notebook cell that prints a warning fails, since lessons show no warnings (CONTRIBUTING.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's start-up notice is not the lesson's


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield
    outputs = getattr(item, "test_outputs", None) or []  # set by nbval on each notebook cell it ran
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stderr" and "Warning" in output.get("text", ""):
            pytest.fail(f"the cell printed a warning:\n{output['text'][:600]}", pytrace=False)
    return result
