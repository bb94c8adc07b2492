"""Interactive explorers for the lessons, built on ipywidgets and matplotlib.

Each builder returns an `Explorer` holding its controls, figure and artists, so a test can move a
slider from Python and assert that the plot changed. Display it by leaving it last in a cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Explorer", "WithStill", "with_still", "distribution_explorer", "curve_explorer", "timeline_explorer"]


@dataclass
class Explorer:
    """A live figure and the controls that drive it."""

    controls: dict[str, Any]
    figure: Any
    axes: Any
    artists: dict[str, Any]
    output: Any
    redraw: Callable[[], None]
    values: dict[str, Any] = field(default_factory=dict)

    def set(self, **values: Any) -> None:
        """Move controls from code, as a learner would with the mouse (each move redraws)."""
        for name, value in values.items():
            if name not in self.controls:
                raise KeyError(f"no control named {name!r}; the controls are {sorted(self.controls)}")
            self.controls[name].value = value

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        import ipywidgets as widgets

        live = widgets.VBox([*self.controls.values(), self.output])
        return with_still(live, figure=self.figure)._repr_mimebundle_(include=include, exclude=exclude)


STILL_NOTE = (
    "A still of this widget as the cell drew it: a web page cannot run widgets. Open the notebook in JupyterLab "
    "(<code>python3 bootstrap.py lab</code>) to move the controls."
)


class WithStill:
    """A widget that also carries a still picture, for pages that cannot run widgets.

    JupyterLab shows the live widget (its view ranks above HTML); a static page (the course website, a code
    host's notebook preview) shows the `text/html` still: the figure as drawn now, or a line of text.
    """

    def __init__(self, widget: Any, *, figure: Any = None, text: str = "") -> None:
        if figure is None and not text:
            raise ValueError("a still needs a figure or a text to show")
        self.widget, self.figure, self.text = widget, figure, text

    def still_html(self) -> str:
        import base64
        import html
        import io

        parts = []
        if self.figure is not None:
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", bbox_inches="tight")
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{data}" alt="the widget\'s figure at its first setting">')
        if self.text:
            parts.append(f"<p>{html.escape(self.text)}</p>")
        return f'<div class="widget-still">{"".join(parts)}<p><em>{STILL_NOTE}</em></p></div>'

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.still_html()
        return bundle


def with_still(widget: Any, *, figure: Any = None, text: str = "") -> WithStill:
    """Display `widget` live where widgets run, and as a still (`figure` and/or `text`) where they cannot."""
    return WithStill(widget, figure=figure, text=text)


def _show(output: Any, figure: Any) -> None:
    """Replace what the explorer's output area shows with the figure as it is now."""
    from IPython.display import display

    with output:
        output.clear_output(wait=True)
        display(figure)


def distribution_explorer(
    distribution: Callable[..., Any],
    controls: dict[str, Any],
    *,
    describe: Callable[[np.ndarray], str] | None = None,
    outcome_labels: list[str] | None = None,
    reference: np.ndarray | None = None,
    reference_label: str = "target",
    xlabel: str = "outcome",
    figsize: tuple[float, float] = (7.0, 3.4),
) -> Explorer:
    """A bar chart of `distribution(**control_values)` that redraws whenever a control moves.

    `describe(p)` gives the title (e.g. the entropy in bits); `reference` is drawn as outlined bars
    behind the distribution (e.g. a target to compare with).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    values = {name: control.value for name, control in controls.items()}
    probs = np.asarray(distribution(**values), dtype=float)
    positions = np.arange(probs.size)
    figure = Figure(figsize=figsize)  # not pyplot: the figure appears only inside the widget's output
    axes = figure.add_subplot()
    artists: dict[str, Any] = {}
    if reference is not None:
        artists["reference"] = axes.bar(positions, np.asarray(reference, dtype=float), width=0.8, fill=False,
                                        edgecolor="#000000", linestyle="--", label=reference_label)
    artists["bars"] = axes.bar(positions, probs, width=0.6, color="#0072B2", label="distribution")
    axes.set_xticks(positions, outcome_labels if outcome_labels is not None else [str(i) for i in positions])
    axes.set_xlabel(xlabel)
    axes.set_ylabel("probability")
    axes.set_ylim(0, 1.05)
    if reference is not None:
        axes.legend(loc="upper right")
    artists["title"] = axes.set_title(describe(probs) if describe else "")
    output = widgets.Output()

    def redraw() -> None:
        current = {name: control.value for name, control in controls.items()}
        values.update(current)
        new = np.asarray(distribution(**current), dtype=float)
        for bar, height in zip(artists["bars"], new):
            bar.set_height(height)
        if describe:
            artists["title"].set_text(describe(new))
        _show(output, figure)

    for control in controls.values():
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"  # show the whole label, not "temperat..."
        control.observe(lambda change: redraw(), names="value")
    redraw()
    return Explorer(controls, figure, axes, artists, output, redraw, values)


def curve_explorer(
    x: Any,
    curves: dict[Any, dict[str, Any]],
    *,
    name: str = "value",
    description: str | None = None,
    value: Any = None,
    format_value: Callable[[Any], str] = str,
    describe: Callable[[Any], str] | None = None,
    styles: dict[str, dict[str, Any]] | None = None,
    xlabel: str = "",
    ylabel: str = "",
    logy: bool = False,
    figsize: tuple[float, float] = (7.0, 3.6),
) -> Explorer:
    """Lines computed in advance for each setting of one knob; a slider switches between them instantly.

    `curves[v][label]` is the line called `label` (its y values over `x`) when the knob is at `v`, e.g.
    `{0.01: {"train": [...], "held-out": [...]}, 0.1: {...}}`. Nothing is recomputed when the slider moves,
    so it never lags, which matters when each setting took seconds to train or count. The y axis is fixed
    over all settings, so a line's movement is real. `describe(v)` gives the title; `styles[label]` passes
    keyword arguments (color, linestyle, marker) to that label's line. The control is `controls[name]`.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if not curves:
        raise ValueError("curve_explorer: curves is empty; give at least one knob setting")
    settings = list(curves)
    labels = list(curves[settings[0]])
    x = np.asarray(x, dtype=float)
    for setting in settings:
        if list(curves[setting]) != labels:
            raise ValueError(f"curve_explorer: the setting {setting!r} has lines {list(curves[setting])}, expected {labels}")
        for label in labels:
            if np.shape(curves[setting][label]) != x.shape:
                raise ValueError(f"curve_explorer: line {label!r} at {setting!r} has shape "
                                 f"{np.shape(curves[setting][label])}, but x has shape {x.shape}")
    if value is None:
        value = settings[0]
    if value not in curves:
        raise ValueError(f"curve_explorer: the starting value {value!r} is not one of the settings {settings}")
    slider = widgets.SelectionSlider(
        options=[(format_value(v), v) for v in settings], value=value,
        description=description if description is not None else name,
        continuous_update=True, style={"description_width": "initial"}, layout=widgets.Layout(width="60%"),
    )
    controls = {name: slider}
    figure = Figure(figsize=figsize)
    axes = figure.add_subplot()
    artists: dict[str, Any] = {}
    for label in labels:
        (artists[label],) = axes.plot(x, np.asarray(curves[value][label], dtype=float), label=label,
                                      **(styles or {}).get(label, {}))
    every = np.concatenate([np.asarray(curves[v][lab], dtype=float).ravel() for v in settings for lab in labels])
    every = every[np.isfinite(every) & ((every > 0) if logy else True)]
    if every.size:
        low, high = float(every.min()), float(every.max())
        if logy:
            from course_utils.plots import plain_log_axis

            plain_log_axis(axes, "y")  # 1, 2, 5, 10, 20…: plain numbers
            axes.set_ylim(low / 1.15, high * 1.15)
        else:
            pad = 0.05 * (high - low or 1.0)
            axes.set_ylim(low - pad, high + pad)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.legend(loc="best")
    artists["title"] = axes.set_title(describe(value) if describe else "")
    output = widgets.Output()
    values = {name: value}

    def redraw() -> None:
        current = slider.value
        values[name] = current
        for label in labels:
            artists[label].set_ydata(np.asarray(curves[current][label], dtype=float))
        if describe:
            artists["title"].set_text(describe(current))
        _show(output, figure)

    slider.observe(lambda change: redraw(), names="value")
    redraw()
    return Explorer(controls, figure, axes, artists, output, redraw, values)


def timeline_explorer(
    steps: Any,
    curves: dict[str, Any],
    snapshots: Any,
    *,
    snapshot_x: Any = None,
    value: int | None = None,
    describe: Callable[[int], str] | None = None,
    styles: dict[str, dict[str, Any]] | None = None,
    logx: bool = True,
    xlabel: str = "training step",
    curve_ylabel: str = "",
    snapshot_xlabel: str = "",
    snapshot_ylabel: str = "",
    snapshot_color: str = "#0072B2",
    legend_loc: str = "above",
    figsize: tuple[float, float] = (10.0, 3.6),
) -> Explorer:
    """Replay a recorded training run with one slider over its steps.

    Left: the `curves` (each a value per recorded step, e.g. train and test accuracy) drawn up to the
    chosen step, with a marker at it; the axes are fixed to the whole run, so the curve grows into them.
    Right: `snapshots[i]`, a bar chart of something measured at `steps[i]` (e.g. a weight spectrum), on a
    fixed y axis. Everything was recorded in advance, so moving the slider only swaps in values. With
    `logx` the step axis is logarithmic and step 0 is left out of the curves (it can still be selected).
    `describe(step)` gives the title. The control is `controls["step"]`. The curves' legend stays where
    `legend_loc` puts it whatever the slider does: "above" (the default) sets it in one row above the left
    axes, clear of the lines; any matplotlib location but "best" puts it inside. ("best" would be worked
    out again at every redraw, so the legend would jump from corner to corner as the curves grow.)
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if legend_loc == "best":
        raise ValueError('timeline_explorer: legend_loc="best" moves the legend at every redraw; give a fixed place')
    step_values = np.asarray(steps)
    if step_values.ndim != 1 or step_values.size == 0:
        raise ValueError(f"timeline_explorer: steps must be a non-empty 1-D sequence, got shape {step_values.shape}")
    if np.any(np.diff(step_values) <= 0):
        raise ValueError("timeline_explorer: steps must be strictly increasing")
    if not curves:
        raise ValueError("timeline_explorer: curves is empty; give at least one line")
    lines = {label: np.asarray(values, dtype=float) for label, values in curves.items()}
    for label, values in lines.items():
        if values.shape != step_values.shape:
            raise ValueError(f"timeline_explorer: curve {label!r} has shape {values.shape}, but steps has shape "
                             f"{step_values.shape}")
    bars = np.asarray(snapshots, dtype=float)
    if bars.ndim != 2 or len(bars) != len(step_values):
        raise ValueError(f"timeline_explorer: snapshots must have one row per step, shape ({len(step_values)}, K); "
                         f"got {bars.shape}")
    positions = np.arange(bars.shape[1]) if snapshot_x is None else np.asarray(snapshot_x, dtype=float)
    if positions.shape != (bars.shape[1],):
        raise ValueError(f"timeline_explorer: snapshot_x has shape {positions.shape}, expected ({bars.shape[1]},)")
    step_list = [int(v) for v in step_values]
    if value is None:
        value = step_list[-1]
    if value not in step_list:
        raise ValueError(f"timeline_explorer: the starting step {value!r} was not recorded")

    slider = widgets.SelectionSlider(
        options=[(str(v), v) for v in step_list], value=value, description="step",
        continuous_update=True, style={"description_width": "initial"}, layout=widgets.Layout(width="70%"),
    )
    controls = {"step": slider}
    figure = Figure(figsize=figsize, layout="constrained")  # leaves room for the title and a legend above
    curve_axes, bar_axes = figure.subplots(1, 2)
    shown = step_values > 0 if logx else np.ones(step_values.shape, dtype=bool)
    artists: dict[str, Any] = {}
    for label, values in lines.items():
        (artists[label],) = curve_axes.plot([], [], label=label, **(styles or {}).get(label, {}))
    every = np.concatenate([values[shown] for values in lines.values()])
    every = every[np.isfinite(every)]
    if logx:
        curve_axes.set_xscale("log")
        curve_axes.set_xlim(step_values[shown].min() / 1.2, step_values.max() * 1.2)
    else:
        span = float(step_values.max() - step_values.min()) or 1.0
        curve_axes.set_xlim(step_values.min() - 0.02 * span, step_values.max() + 0.02 * span)
    if every.size:
        low, high = float(every.min()), float(every.max())
        pad = 0.05 * (high - low or 1.0)
        curve_axes.set_ylim(low - pad, high + pad)
    artists["marker"] = curve_axes.axvline(max(value, 1) if logx else value, color="#000000", lw=1, alpha=0.5)
    curve_axes.set_xlabel(xlabel + (" (log scale)" if logx else ""))
    curve_axes.set_ylabel(curve_ylabel)
    if legend_loc == "above":
        artists["legend"] = curve_axes.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(lines),
                                              frameon=False, borderaxespad=0.2)
    else:
        artists["legend"] = curve_axes.legend(loc=legend_loc)
    width = 0.8 * (float(np.min(np.diff(positions))) if len(positions) > 1 else 1.0)
    artists["bars"] = bar_axes.bar(positions, bars[step_list.index(value)], width=width, color=snapshot_color)
    top = float(np.nanmax(bars)) if np.isfinite(bars).any() else 1.0
    bar_axes.set_ylim(min(0.0, float(np.nanmin(bars))), (top or 1.0) * 1.05)
    bar_axes.set_xlabel(snapshot_xlabel)
    bar_axes.set_ylabel(snapshot_ylabel)
    artists["title"] = figure.suptitle(describe(value) if describe else "")
    output = widgets.Output()
    values = {"step": value}

    def redraw() -> None:
        current = slider.value
        values["step"] = current
        index = step_list.index(current)
        upto = shown & (step_values <= current)
        for label, series in lines.items():
            artists[label].set_data(step_values[upto], series[upto])
        x = max(current, 1) if logx else current
        artists["marker"].set_xdata([x, x])
        for bar, height in zip(artists["bars"], bars[index]):
            bar.set_height(height)
        if describe:
            artists["title"].set_text(describe(current))
        _show(output, figure)

    slider.observe(lambda change: redraw(), names="value")
    redraw()
    return Explorer(controls, figure, (curve_axes, bar_axes), artists, output, redraw, values)
