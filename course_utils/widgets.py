"""Interactive explorers for the lessons, built on ipywidgets and matplotlib.

Each builder returns an `Explorer` holding its controls, figure and artists, so a test can move a
slider from Python and assert that the plot changed. Display it by leaving it last in a cell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Explorer", "distribution_explorer"]


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

    def _ipython_display_(self) -> None:
        from IPython.display import display
        import ipywidgets as widgets

        display(widgets.VBox([*self.controls.values(), self.output]))


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
    from IPython.display import display
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
        with output:
            output.clear_output(wait=True)
            display(figure)

    for control in controls.values():
        control.observe(lambda change: redraw(), names="value")
    redraw()
    return Explorer(controls, figure, axes, artists, output, redraw, values)
