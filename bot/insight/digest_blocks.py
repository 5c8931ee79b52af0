"""The weekly digest's Block Kit: a manager's team in one DM, read on a phone in a minute.

Written as a prompt for the week's pipeline review, not a scorecard: walk-aways are clean exits
(time freed for deals that can close) and are listed with their reasons, comebacks and wins
after a walk are celebrated, and reps whose every check kept going are named as a question to
look at together, never as a fault. Every list says so in a sentence when it is empty, so the
message never shows a bare heading. Deal names are the reps' own text, escaped; reps are
mentioned (the DM is the manager's alone, and a mention in it notifies nobody else).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.model import Outcome
from bot.slack.dates import calendar_day, slack_day
from bot.slack.text import plain_text, safe_mrkdwn, truncate
from storage.digest_info import DigestLists, Line, Listed
from storage.digest_lists import WALKS
from storage.insight import NamedRecord, Numbers

TITLE = "Your team's week in Walk-away"
REASONS_SHOWN = 2
REASON_LIMIT = 120
DEAL_LIMIT = 60
SECTION_LIMIT = 2900


def _deal(line: Line | NamedRecord) -> str:
    return f"*{safe_mrkdwn(line.deal_name, DEAL_LIMIT)}*"


def _more(listed: Listed) -> str:
    hidden = listed.total - len(listed.lines)
    return f"\n…and {hidden} more." if hidden > 0 else ""


def _section(heading: str, body: str) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=truncate(f"*{heading}*\n{body}", SECTION_LIMIT))
    )


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def waiting(listed: Listed) -> str:
    if not listed.total:
        return "No positions waiting for you: every walk-away has your view on it."
    lines = [
        f"• {_deal(line)} · {line.outcome.label} · <@{line.rep_slack_id}> · "
        f"asked {slack_day(line.at)}"
        for line in listed.lines
    ]
    return "\n".join(lines) + _more(listed)


def walkaways(listed: Listed, others: dict[Outcome, int]) -> str:
    if not listed.total:
        said = "No walk-aways this week."
    else:
        lines = [
            f"• {_deal(line)} · {line.outcome.label} · <@{line.rep_slack_id}>"
            + "".join(
                f"\n    ◦ {safe_mrkdwn(reason, REASON_LIMIT)}"
                for reason in line.reasons[:REASONS_SHOWN]
            )
            for line in listed.lines
        ]
        said = (
            f"{_plural(listed.total, 'clean exit')}: time back for the deals that can close.\n"
            + "\n".join(lines)
            + _more(listed)
        )
    if others:
        counted = ", ".join(f"{n} {o.label.lower()}" for o, n in others.items())
        said += f"\nOther checks this week: {counted}."
    return said


def rechecks(listed: Listed, today: date) -> str:
    if not listed.total:
        return "No re-checks due in the coming week."
    lines = []
    for line in listed.lines:
        due = line.recheck_on
        when = "" if due is None else calendar_day(due)
        late = " (overdue)" if due is not None and due < today else ""
        lines.append(f"• {_deal(line)} · <@{line.rep_slack_id}> · {when}{late}")
    return "\n".join(lines) + _more(listed)


def comebacks(numbers: Numbers) -> str:
    """The week's comebacks and wins after a walk, from the team numbers (storage/insight.py)."""
    if not numbers.comebacks and not numbers.wins_after_walk:
        return (
            "No comebacks or wins after a walk this week. The doors were closed kindly; "
            "the re-check dates keep them in view."
        )
    lines = [
        f"• :tada: {_deal(record)} came back · <@{record.rep_slack_id}> · {slack_day(record.at)}"
        for record in numbers.comeback_records
    ]
    lines += [
        f"• :trophy: {_deal(record)} won after a {record.outcome.label.lower()} · "
        f"<@{record.rep_slack_id}> · {slack_day(record.at)}"
        for record in numbers.win_records
    ]
    hidden = (
        numbers.comebacks
        - len(numbers.comeback_records)
        + numbers.wins_after_walk
        - len(numbers.win_records)
    )
    return "\n".join(lines) + (f"\n…and {hidden} more." if hidden > 0 else "")


def others(numbers: Numbers) -> dict[Outcome, int]:
    """The week's checks other than walk-aways, by outcome (zeros left out)."""
    return {o: n for o, n in numbers.verdict_mix if n and o not in WALKS}


def review(quiet: Iterable[tuple[str, int]]) -> str:
    named = [
        f"• <@{rep}>: {_plural(checks, 'check')}, every one kept going" for rep, checks in quiet
    ]
    if not named:
        return (
            "Every rep with several checks in the last 90 days has stepped back from at least "
            "one deal."
        )
    return (
        "Worth a look together in your pipeline review: many checks in 90 days and no walk "
        "or defer. Maybe these deals are all strong, or maybe one deserves a harder look.\n"
        + "\n".join(named[:10])
        + (f"\n…and {len(named) - 10} more." if len(named) > 10 else "")
    )


def digest_message(
    lists: DigestLists,
    numbers: Numbers,
    *,
    end: datetime,
    today: date,
    chart_follows: bool,
) -> tuple[str, list[Block]]:
    """The notification text and the blocks of one manager's digest: `lists` are the digest's
    own, `numbers` the team's for the seven days to `end`."""
    week = f"The 7 days to {slack_day(end)}"
    good = numbers.comebacks + numbers.wins_after_walk
    text = (
        f"{TITLE}: {_plural(lists.walkaways.total, 'walk-away')}, "
        f"{_plural(lists.waiting.total, 'position')} waiting, "
        f"{_plural(good, 'comeback or win', 'comebacks or wins')}."
    )
    quiet = [(q.slack_user_id, q.checks) for q in lists.quiet_reps]
    blocks: list[Block] = [
        HeaderBlock(text=plain_text(TITLE, 150)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"{week} · {_plural(lists.reps, 'rep')} · a prompt for your pipeline "
                    "review"
                )
            ]
        ),
        _section("Positions waiting for you", waiting(lists.waiting)),
        _section("This week's walk-aways", walkaways(lists.walkaways, others(numbers))),
        _section("Re-checks due", rechecks(lists.rechecks_due, today)),
        _section("Comebacks and wins after a walk", comebacks(numbers)),
        DividerBlock(),
        _section("For your pipeline review", review(quiet)),
    ]
    if chart_follows:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="The chart below: the last 12 weeks of verdicts, comebacks marked ▼."
                    )
                ]
            )
        )
    return text, blocks
