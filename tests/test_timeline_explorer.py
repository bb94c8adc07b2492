"""widgets.timeline_explorer: a recorded run replayed by one slider over its steps."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.widgets import timeline_explorer

STEPS = [0, 10, 20, 40, 80]
CURVES = {"train": [0.01, 0.5, 1.0, 1.0, 1.0], "test": [0.01, 0.01, 0.02, 0.3, 0.99]}
SNAPSHOTS = np.array([[1.0, 1.0, 1.0], [1.0, 1.2, 0.9], [0.5, 2.0, 0.5], [0.2, 3.0, 0.1], [0.0, 4.0, 0.0]])


def heights(explorer):
    return np.array([bar.get_height() for bar in explorer.artists["bars"]])


def test_moving_the_slider_grows_the_curves_and_swaps_the_bars():
    explorer = timeline_explorer(STEPS, CURVES, SNAPSHOTS, value=20, describe=lambda s: f"step {s}",
                                 styles={"test": {"color": "#D55E00"}}, snapshot_x=[1, 2, 3])
    assert set(explorer.controls) == {"step"}
    x, y = explorer.artists["test"].get_data()
    assert list(x) == [10, 20] and list(y) == [0.01, 0.02]  # step 0 is left out on a log axis
    np.testing.assert_allclose(heights(explorer), SNAPSHOTS[2])
    assert explorer.artists["title"].get_text() == "step 20"
    assert explorer.artists["test"].get_color() == "#D55E00"
    curve_axes, bar_axes = explorer.axes
    limits = curve_axes.get_xlim(), curve_axes.get_ylim(), bar_axes.get_ylim()
    assert curve_axes.get_xscale() == "log" and limits[1][1] >= 1.0 and limits[2][1] >= 4.0

    explorer.set(step=80)
    x, y = explorer.artists["train"].get_data()
    assert list(x) == [10, 20, 40, 80] and list(y) == [0.5, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(heights(explorer), SNAPSHOTS[4])
    assert list(explorer.artists["marker"].get_xdata()) == [80, 80]
    assert explorer.values == {"step": 80}
    assert (curve_axes.get_xlim(), curve_axes.get_ylim(), bar_axes.get_ylim()) == limits  # the axes never jump

    explorer.set(step=0)
    assert len(explorer.artists["train"].get_data()[0]) == 0
    np.testing.assert_allclose(heights(explorer), SNAPSHOTS[0])


def test_linear_axis_keeps_step_zero_and_defaults_to_the_last_step():
    explorer = timeline_explorer(STEPS, CURVES, SNAPSHOTS, logx=False)
    assert explorer.controls["step"].value == 80
    assert list(explorer.artists["test"].get_data()[0]) == STEPS
    with pytest.raises(KeyError):
        explorer.set(epoch=3)


@pytest.mark.parametrize("steps, curves, snapshots, value, message", [
    ([], CURVES, SNAPSHOTS, None, "non-empty"),
    ([0, 10, 10, 40, 80], CURVES, SNAPSHOTS, None, "increasing"),
    (STEPS, {}, SNAPSHOTS, None, "curves is empty"),
    (STEPS, {"train": [1, 2, 3]}, SNAPSHOTS, None, "curve 'train'"),
    (STEPS, CURVES, SNAPSHOTS[:3], None, "one row per step"),
    (STEPS, CURVES, SNAPSHOTS, 15, "starting step"),
])
def test_bad_inputs_are_refused(steps, curves, snapshots, value, message):
    with pytest.raises(ValueError, match=message):
        timeline_explorer(steps, curves, snapshots, value=value)


def test_the_legend_stays_put_and_clear_of_the_curves_as_the_slider_moves():
    explorer = timeline_explorer(STEPS, CURVES, SNAPSHOTS, value=10)
    curve_axes, _ = explorer.axes
    figure = explorer.figure
    places = []
    for step in STEPS:
        explorer.set(step=step)
        figure.canvas.draw()
        box = explorer.artists["legend"].get_window_extent()
        places.append((round(box.x0, 3), round(box.y0, 3)))
        assert box.y0 >= curve_axes.get_window_extent().y1 - 1  # above the axes, never over a line
    assert len(set(places)) == 1  # "best" would move it as the curves grow


def test_a_legend_that_would_move_is_refused():
    with pytest.raises(ValueError, match="moves the legend"):
        timeline_explorer(STEPS, CURVES, SNAPSHOTS, legend_loc="best")
