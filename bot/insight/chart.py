"""The digest's picture: twelve weeks of verdicts, one stacked bar a week, comebacks marked.

Drawn with matplotlib on its Agg canvas (no display, no pyplot's global state, so threads and
worker processes each draw their own figure safely) and returned as PNG bytes in memory for the
upload; nothing touches the disk. Sized for a phone: about 1000 px wide, large labels.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.model import Outcome
from storage.digest_info import WeekMix

COLOURS = {
    Outcome.PROCEED: "#2e7d32",
    Outcome.REDIRECT: "#0277bd",
    Outcome.DEFER: "#f9a825",
    Outcome.WALK: "#c62828",
    Outcome.STOP_PILOT: "#6a1b9a",
}
"""Bottom to top: the deals kept, then the ones stepped back from."""
COMEBACK = "#000000"


def week_label(week: WeekMix) -> str:
    return f"{week.starts.day} {week.starts.strftime('%b')}"


def chart_png(weeks: Sequence[WeekMix], *, title: str = "Verdicts per week") -> bytes:
    """The stacked bars as PNG bytes; a week with no checks is an empty slot, not a gap."""
    figure = Figure(figsize=(6.4, 4.0), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    slots = list(range(len(weeks)))
    bottoms = [0] * len(weeks)
    for outcome, colour in COLOURS.items():
        heights = [w.outcomes.get(outcome, 0) for w in weeks]
        if any(heights):
            axes.bar(slots, heights, bottom=bottoms, color=colour, label=outcome.label, width=0.7)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    top = max(bottoms, default=0)
    lift = max(1.0, top * 0.06)
    marked = [(n, w.comebacks) for n, w in zip(slots, weeks, strict=True) if w.comebacks]
    if marked:
        axes.scatter(
            [n for n, _ in marked],
            [bottoms[n] + lift for n, _ in marked],
            marker="v",
            s=60,
            color=COMEBACK,
            label="Came back",
            zorder=3,
        )
        for n, count in marked:
            axes.annotate(
                str(count),
                (n, bottoms[n] + lift),
                xytext=(0, 6),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    axes.set_ylim(0, top + 3 * lift)
    axes.set_xticks(slots, [week_label(w) for w in weeks], rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("checks")
    axes.set_title(title, fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if top == 0:
        axes.text(0.5, 0.5, "No checks in these weeks", transform=axes.transAxes, ha="center")
    else:
        axes.legend(
            fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3
        )
    figure.subplots_adjust(left=0.1, right=0.98, top=0.92, bottom=0.29)  # fixed: no layout pass
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
