"""Widgets driven from Python: moving a control redraws the plot with new values."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import pytest

from course_utils.info import entropy
from course_utils.widgets import distribution_explorer


def peaked(sharpness: float) -> np.ndarray:
    w = np.exp(-sharpness * np.arange(8))
    return w / w.sum()


def test_moving_the_slider_redraws_bars_and_title():
    slider = widgets.FloatSlider(value=0.0, min=0.0, max=5.0)
    explorer = distribution_explorer(peaked, {"sharpness": slider}, describe=lambda p: f"H = {entropy(p):.3f} bits")
    heights = lambda: np.array([bar.get_height() for bar in explorer.artists["bars"]])  # noqa: E731
    np.testing.assert_allclose(heights(), np.full(8, 1 / 8))
    assert explorer.artists["title"].get_text() == f"H = {math.log2(8):.3f} bits"

    explorer.set(sharpness=3.0)
    np.testing.assert_allclose(heights(), peaked(3.0))
    assert heights()[0] > 0.9
    assert explorer.artists["title"].get_text() == f"H = {entropy(peaked(3.0)):.3f} bits"
    assert explorer.values == {"sharpness": 3.0}


def test_reference_is_drawn_and_unknown_controls_are_refused():
    explorer = distribution_explorer(peaked, {"sharpness": widgets.FloatSlider(value=1.0)}, reference=np.full(8, 0.125))
    assert len(explorer.artists["reference"]) == 8
    with pytest.raises(KeyError, match="no control named 'temperature'"):
        explorer.set(temperature=2.0)


def test_labels_are_shown_whole():
    slider = widgets.FloatSlider(value=1.0, description="a long description")
    distribution_explorer(peaked, {"sharpness": slider})
    assert slider.style.description_width == "initial"


def test_plain_log_axis_labels_only_1_2_5_as_plain_numbers():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from course_utils.plots import plain_log_axis

    ax = Figure().add_subplot()
    ax.plot([100, 6000], [0.001, 1])
    plain_log_axis(ax, "x")
    plain_log_axis(ax, "y")
    ax.figure.canvas.draw()
    xlabels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert {"100", "200", "500", "1,000", "2,000", "5,000"} <= set(xlabels), xlabels
    assert not [t for t in ax.xaxis.get_minorticklabels() if t.get_text()]
    assert "0.01" in [t.get_text() for t in ax.get_yticklabels()]
    with pytest.raises(ValueError, match="axis must be"):
        plain_log_axis(ax, "z")


def test_an_explorer_carries_a_still_for_pages_that_cannot_run_widgets():
    explorer = distribution_explorer(peaked, {"sharpness": widgets.FloatSlider(value=1.0, min=0.0, max=3.0)})
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # JupyterLab still gets the live widget
    still = bundle["text/html"]
    assert still.count('<img src="data:image/png;base64,') == 1 and "bootstrap.py lab" in still


def test_with_still_shows_text_escaped_and_needs_something_to_show():
    from course_utils.widgets import with_still

    html = with_still(widgets.IntSlider(), text="K < 3 & more")._repr_mimebundle_()["text/html"]
    assert "K &lt; 3 &amp; more" in html and "<img" not in html
    with pytest.raises(ValueError, match="figure or a text"):
        with_still(widgets.IntSlider())
