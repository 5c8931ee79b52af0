"""The team numbers as App Home shows them: a text-bar picture of the verdict mix and a few
short lines, readable at phone width (bars and labels fit 26 monospace characters).

Plain builders from storage.insight.Numbers to blocks; bot/insight/home_section.py decides whose
numbers to read. Every empty case is a sentence, never a bare heading.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.domain.labels import outcome_label, signal_label
from bot.domain.model import Outcome
from bot.slack.dates import slack_day
from bot.slack.text import safe_mrkdwn
from storage.insight import NamedRecord, Numbers

BAR = 10
"""Characters in the longest bar."""
SHORT: dict[Outcome, str] = {
    Outcome.WALK: "Walk away",
    Outcome.STOP_PILOT: "Stop pilot",
    Outcome.DEFER: "Defer",
    Outcome.REDIRECT: "Redirect",
    Outcome.PROCEED: "Proceed",
}
"""Labels short enough for a phone's code block (outcome_label says "Stop the pilot")."""
SHOWN_ORDER = (Outcome.WALK, Outcome.STOP_PILOT, Outcome.DEFER, Outcome.REDIRECT, Outcome.PROCEED)
DEAL_LIMIT = 80


def bars(numbers: Numbers) -> str:
    """One line per verdict: label, a bar scaled to the most frequent, the count."""
    counts = dict(numbers.verdict_mix)
    top = max(counts.values(), default=0)
    width = max(len(label) for label in SHORT.values())
    lines = []
    for outcome in SHOWN_ORDER:
        n = counts.get(outcome, 0)
        filled = round(BAR * n / top) if top else 0
        if n and not filled:
            filled = 1  # a verdict that happened never looks like none
        lines.append(f"{SHORT[outcome]:<{width}} {'█' * filled}{'·' * (BAR - filled)} {n}")
    return "```\n" + "\n".join(lines) + "\n```"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _days(value: float) -> str:
    if value < 1:
        return "under a day"
    shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")
    return f"{shown} day" if shown == "1" else f"{shown} days"


def activity_line(numbers: Numbers, *, outcomes: bool = True) -> str:
    """Checks and re-checks; with `outcomes`, the comeback and win counts too."""
    started, finished = numbers.checks_started, numbers.checks_finished
    checks = f"*Checks* {started} started, {finished} finished"
    rechecks = f"*Re-checks* {numbers.rechecks_done} done, {numbers.rechecks_due} due"
    back = f"*Came back* {numbers.comebacks} · *Won after a walk* {numbers.wins_after_walk}"
    return f"{checks}\n{rechecks}\n{back}" if outcomes else f"{checks}\n{rechecks}"


def positions_line(numbers: Numbers) -> str:
    if not numbers.positions:
        return "*Manager positions* none given on these checks yet"
    share = numbers.override_share or 0.0
    line = (
        f"*Manager positions* {numbers.positions} given, "
        f"{_plural(numbers.overrides, 'override')} ({share:.0%})"
    )
    if numbers.overridden_to:
        line += ", to " + ", ".join(f"{outcome_label(o)} ({n})" for o, n in numbers.overridden_to)
    if numbers.median_days_to_position is not None:
        line += (
            f"\nMedian {_days(numbers.median_days_to_position)} from a check's start "
            "to its position"
        )
    return line


def signals_line(numbers: Numbers, *, limit: int) -> str:
    if not numbers.top_signals:
        return "*Most frequent signals* none fired on these checks"
    shown = ", ".join(f"{signal_label(s)} ({n})" for s, n in numbers.top_signals[:limit])
    return f"*Most frequent signals* {shown}"


def _named(title: str, total: int, records: tuple[NamedRecord, ...]) -> str:
    lines = [f"*{title}* ({total})"]
    for r in records:
        deal = safe_mrkdwn(r.deal_name, DEAL_LIMIT)
        lines.append(f"• *{deal}* · <@{r.rep_slack_id}> · {slack_day(r.at)}")
    if total > len(records):
        lines.append(f"…and {total - len(records)} more")
    return "\n".join(lines)


def mine(numbers: Numbers, days: int) -> list[Block]:
    """A rep's own numbers."""
    title = f"*Your numbers, last {days} days*"
    if numbers.is_empty:
        return [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{title}\nNo checks of yours in the last {days} days, so nothing "
                    "to count yet. Your verdict mix, signals and comebacks show here after "
                    "your first check."
                )
            )
        ]
    return [
        SectionBlock(text=MarkdownTextObject(text=f"{title}\n{bars(numbers)}")),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{activity_line(numbers)}\n{positions_line(numbers)}\n"
                f"{signals_line(numbers, limit=3)}"
            )
        ),
    ]


def team(numbers: Numbers, days: int, reps: int) -> list[Block]:
    """A manager's team: the same numbers, with the top signals and the comebacks named."""
    title = f"*Your team's numbers, last {days} days* · {_plural(reps, 'rep')}"
    if numbers.is_empty:
        return [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{title}\nYour reps ran no checks in the last {days} days, and "
                    "nothing of theirs came back or is due: nothing to count yet."
                )
            )
        ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{title}\n{bars(numbers)}")),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{activity_line(numbers, outcomes=False)}\n{positions_line(numbers)}"
            )
        ),
    ]
    if numbers.top_signals:
        ranked = "\n".join(
            f"{n}. {signal_label(s)} · {count}"
            for n, (s, count) in enumerate(numbers.top_signals, start=1)
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*Top signals*\n{ranked}")))
    named = []
    if numbers.comebacks:
        named.append(_named("Came back", numbers.comebacks, numbers.comeback_records))
    if numbers.wins_after_walk:
        named.append(_named("Won after a walk", numbers.wins_after_walk, numbers.win_records))
    if named:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n\n".join(named))))
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"No walk-away came back or was won in the last {days} days."
                    )
                ]
            )
        )
    return blocks


def no_team(days: int) -> list[Block]:
    """Someone who was asked for positions before, whom nobody names as manager now."""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text="*Your team's numbers*\nNobody names you as their manager right now, so "
                f"there is no team to count for the last {days} days. A rep sets it with "
                "`/walkaway manager @you`."
            )
        )
    ]
