"""widgets.curve_explorer: moving the slider swaps in the precomputed lines and the title, instantly."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.widgets import curve_explorer

X = [0, 1, 2, 3]
CURVES = {
    0.01: {"train": [9.0, 4.0, 2.0, 1.2], "held-out": [9.5, 5.0, 6.0, 11.0]},
    0.1: {"train": [9.0, 4.2, 2.6, 2.0], "held-out": [9.4, 4.8, 4.5, 6.0]},
    1.0: {"train": [9.1, 5.0, 4.0, 4.5], "held-out": [9.3, 5.5, 5.9, 8.0]},
}


def describe(k):
    return f"k = {k}: best held-out {min(CURVES[k]['held-out']):.1f}"


def test_moving_the_slider_redraws_from_the_precomputed_values():
    explorer = curve_explorer(X, CURVES, name="k", value=0.1, describe=describe, logy=True,
                              styles={"train": {"color": "#0072B2"}}, xlabel="context", ylabel="perplexity")
    assert set(explorer.controls) == {"k"}
    assert np.allclose(explorer.artists["held-out"].get_ydata(), CURVES[0.1]["held-out"])
    assert explorer.artists["title"].get_text() == describe(0.1)
    explorer.set(k=0.01)
    assert explorer.values["k"] == 0.01
    assert np.allclose(explorer.artists["train"].get_ydata(), CURVES[0.01]["train"])
    assert np.allclose(explorer.artists["held-out"].get_ydata(), CURVES[0.01]["held-out"])
    assert explorer.artists["title"].get_text() == describe(0.01)
    assert explorer.artists["train"].get_color() == "#0072B2"
    low, high = explorer.axes.get_ylim()  # fixed over every setting, so lines move against a still axis
    assert low < 1.2 and high > 11.0
    assert explorer.axes.get_yscale() == "log"
    explorer.set(k=1.0)
    assert np.allclose(explorer.artists["train"].get_ydata(), CURVES[1.0]["train"])
    assert explorer.axes.get_ylim() == (low, high)


def test_slider_labels_and_default_value():
    explorer = curve_explorer(X, CURVES, format_value=lambda k: f"k={k:g}")
    slider = explorer.controls["value"]
    assert [label for label, _ in slider.options] == ["k=0.01", "k=0.1", "k=1"]
    assert slider.value == 0.01
    with pytest.raises(KeyError):
        explorer.set(smoothing=0.1)


@pytest.mark.parametrize("curves, value, message", [
    ({}, None, "empty"),
    ({1: {"a": [1, 2, 3, 4]}, 2: {"b": [1, 2, 3, 4]}}, None, "lines"),
    ({1: {"a": [1, 2, 3]}}, None, "shape"),
    ({1: {"a": [1, 2, 3, 4]}}, 5, "starting value"),
])
def test_bad_curves_are_refused(curves, value, message):
    with pytest.raises(ValueError, match=message):
        curve_explorer(X, curves, value=value)
