"""The course's plotting house style: readable on a laptop screen, safe for colour-blind readers.

Nothing changes on import; a lesson calls `use_house_style()` once in its set-up cell.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl

__all__ = ["PALETTE", "COLORS", "use_house_style", "plot_history", "plain_log_axis"]

#: Okabe & Ito's colour-blind-safe palette (Okabe and Ito, "Color Universal Design", 2008).
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: The order in which lines take colours: the most distinguishable pairs come first.
COLORS = [PALETTE[name] for name in ("blue", "orange", "green", "vermillion", "purple", "sky", "black", "yellow")]


def use_house_style() -> None:
    """Set matplotlib's defaults for this session: figure size, font sizes, grid, colours."""
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 120,
            "figure.constrained_layout.use": True,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=COLORS),
            "lines.linewidth": 2.0,
            "image.cmap": "viridis",
        }
    )


def plot_history(
    history: Any,
    names: list[str],
    *,
    ax: Any = None,
    labels: list[str] | None = None,
    logx: bool = False,
    ylabel: str = "",
    title: str | None = None,
) -> Any:
    """Training curves: each metric in `names` from a `training.History` against the step.

    With `logx=True` the step axis is logarithmic (step 0 is left out), which is how delayed effects such
    as grokking are usually shown. Returns the axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    if ax is None:
        _, ax = plt.subplots()
    steps = np.asarray(history.steps)
    keep = steps > 0 if logx else np.ones_like(steps, dtype=bool)
    for i, name in enumerate(names):
        ax.plot(steps[keep], history[name][keep], label=labels[i] if labels else name.replace("_", " "))
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("training step" + (" (log scale)" if logx else ""))
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plain_log_axis(ax: Any, axis: str = "x") -> None:
    """Put one axis of `ax` on a log scale with ticks at 1, 2, 5, 10, 20, 50… written as plain numbers.

    Matplotlib's default marks every minor tick of a log axis (2×10², 3×10², …), and on a figure sized for a
    laptop those labels run into each other.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if axis not in ("x", "y"):
        raise ValueError(f"plain_log_axis: axis must be 'x' or 'y', got {axis!r}")
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    target.set_minor_formatter(NullFormatter())
