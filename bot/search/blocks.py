"""Block Kit for `/walkaway search`: result pages, shared results, and a record's history modal.

Everything a person typed (deal names, notes, drafts, the query itself) goes through
bot.slack.text before it reaches Slack; everything else here is our own wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.dates import day_words
from bot.domain.labels import STATUS_LABELS
from bot.domain.model import Outcome
from bot.domain.search_query import SearchQuery
from bot.search.payloads import SearchRecordRef, SearchRef
from bot.slack.card import sentence_case
from bot.slack.dates import calendar_day, slack_day
from bot.slack.ids import COMMAND, Action
from bot.slack.names import MENTIONS, Naming
from bot.slack.text import LIMITS, escape, safe_mrkdwn, truncate
from storage.records import RecordStatus
from storage.search import WINDOW, ManagerDecision, ManagerDiscussion, SearchHit, SearchPage

Message = tuple[str, list[Block]]

STATUS_CHOICES = (
    RecordStatus.RE_ENGAGED,
    RecordStatus.WON,
    RecordStatus.LOST,
    RecordStatus.CLOSED,
)
"""What a record can move to from the Details modal; every record starts open."""
STATUS_NOTE_LIMIT = 1000

EMOJI = {
    Outcome.PROCEED: ":large_green_circle:",
    Outcome.REDIRECT: ":twisted_rightwards_arrows:",
    Outcome.DEFER: ":hourglass_flowing_sand:",
    Outcome.WALK: ":door:",
    Outcome.STOP_PILOT: ":octagonal_sign:",
}
_DECISION_WORDS = {
    "agree": ":white_check_mark: Manager agreed",
    "override": ":leftwards_arrow_with_hook: Manager overrode",
}
_ITEMS = 8
"""Reasons or conditions shown per result; the rules fire at most eight signals."""

SYNTAX = (
    f"`{COMMAND} search &lt;words&gt; [outcome:walked] [signal:ownership] [rep:@someone] "
    "[status:open] [since:2026-01-01] [until:2026-03-31]`"
)
USAGE = (
    f"*Search your team's walk-away records*\n{SYNTAX}\n"
    "• Words are searched in deal names, reasons, conditions, notes and the messages sent; "
    "every word must match.\n"
    "• Filters narrow: `outcome:` walked, stopped, deferred, redirected, proceeding · "
    "`signal:` a word of the reason, such as `signal:ownership` or `signal:guarantee` · "
    '`rep:@someone`, a name (`rep:"Dana Reyes"` in quotes), or `rep:me` · '
    "`status:` open, re-engaged, won, lost, closed · "
    "`since:` / `until:` a date (YYYY-MM-DD).\n"
    "• Repeat a filter, or use commas, to accept any of several values: "
    "`outcome:walked,deferred`. If a word fits several, I'll ask which one you mean.\n"
    "Results are shown only to you, with a button to share them in the channel."
)


def usage() -> Message:
    return "How to search walk-away records", [section(USAGE)]


def problem(message: str) -> Message:
    """A query the user must fix: the parser's sentence (it may quote their input), then help."""
    return (
        truncate(escape(message), LIMITS.MESSAGE_TEXT),
        [section(safe_mrkdwn(message, 1500)), context(f"Search syntax: {SYNTAX}")],
    )


def notice(text: str) -> Message:
    """A short reply in our own words (callers escape any user text they put in)."""
    return text, [section(text)]


def results(
    query: SearchQuery,
    page: SearchPage,
    links: Mapping[int, str],
    *,
    channel: str | None,
) -> Message:
    """The searcher's private page: results with Details / Share, then paging and Share all."""
    if not page.hits:
        return _nothing_found(query, page)
    first = page.page * page.page_size + 1
    last = first + len(page.hits) - 1
    shown = _query_words(query)
    total = f"{page.total:,}{'+' if page.capped else ''}"
    summary = f"*{first}-{last} of {total}* walk-away records for {shown}"
    summary += ", best match first" if query.words else ", newest first"
    blocks: list[Block] = [section(summary)]
    notes = _query_notes(query, page)
    if notes:
        blocks.append(context(notes))
    for hit in page.hits:
        blocks.append(DividerBlock())
        blocks += _hit_blocks(hit, links.get(hit.id))
        ref = SearchRecordRef(record=hit.id, channel=channel).dump()
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Details", action_id=Action.SEARCH_DETAILS, value=ref),
                    ButtonElement(
                        text="Share this one", action_id=Action.SEARCH_SHARE_ONE, value=ref
                    ),
                ]
            )
        )
    blocks.append(DividerBlock())
    blocks.append(ActionsBlock(elements=_paging(query, page, channel)))
    text = f"{first}-{last} of {total} walk-away records for {_plain(shown)}"
    return truncate(text, LIMITS.MESSAGE_TEXT), blocks[: LIMITS.BLOCKS_PER_MESSAGE]


def _paging(query: SearchQuery, page: SearchPage, channel: str | None) -> list[ButtonElement]:
    canonical = query.canonical()

    def ref(to_page: int) -> str:
        return SearchRef(q=canonical, page=to_page, channel=channel).dump()

    buttons: list[ButtonElement] = []
    if page.page > 0:
        buttons.append(
            ButtonElement(
                text="Previous", action_id=f"{Action.SEARCH_PAGE}:prev", value=ref(page.page - 1)
            )
        )
    if page.has_next:
        buttons.append(
            ButtonElement(
                text="Next", action_id=f"{Action.SEARCH_PAGE}:next", value=ref(page.page + 1)
            )
        )
    buttons.append(
        ButtonElement(
            text="Share in channel",
            action_id=Action.SEARCH_SHARE,
            value=ref(page.page),
            style="primary",
        )
    )
    return buttons


def _nothing_found(query: SearchQuery, page: SearchPage) -> Message:
    shown = _query_words(query)
    lines = [f"No walk-away records match {shown}."]
    filters = query.filters()
    if filters:
        listed = ", ".join(f"`{safe_mrkdwn(f, 200)}`" for f in filters)
        lines.append(f"Try dropping a filter ({listed}).")
    if len(query.words) > 1:
        lines.append("Every word has to match: try fewer words.")
    elif query.words and not filters:
        lines.append("Try another word, or a filter such as `outcome:walk` on its own.")
    notes = _query_notes(query, page)
    blocks: list[Block] = [section("\n".join(lines))]
    if notes:
        blocks.append(context(notes))
    return truncate(f"No walk-away records match {_plain(shown)}", LIMITS.MESSAGE_TEXT), blocks


def _query_words(query: SearchQuery) -> str:
    """What was searched for, in the words a person reads: "*acme* · Walk away · rep <@U…>"."""
    parts = []
    if query.words:
        parts.append("*" + safe_mrkdwn(" ".join(query.words), 600) + "*")
    parts += [safe_mrkdwn(f, 200) for f in query.described()]
    parts += [_rep_words(r.canonical()) for r in query.reps]
    return " · ".join(parts) if parts else "everything"


def _rep_words(canonical: str) -> str:
    if canonical == "me":
        return "your own"
    if canonical.startswith("<@"):
        return f"rep {mention(canonical[2:-1])}"
    return f"rep {safe_mrkdwn(canonical, 100)}"


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "").replace("`", "")


def _query_notes(query: SearchQuery, page: SearchPage) -> str:
    notes = []
    if page.capped and page.ranked_all:
        notes.append(
            f"More than {page.total:,} records match; the best are first: add a word, a filter "
            "or a date to narrow them."
        )
    elif page.capped:
        notes.append(
            f"More than {WINDOW:,} records match, so I ranked the newest {WINDOW:,}: add a word, "
            "a filter or a date to reach older ones."
        )
    if query.trimmed:
        notes.append("Your search was long, so I used its first words.")
    if query.ignored:
        skipped = ", ".join(query.ignored[:10])
        notes.append(f"Left out words too common to search for: {safe_mrkdwn(skipped, 300)}.")
    return " ".join(notes)


def _hit_blocks(hit: SearchHit, link: str | None, who: Naming = MENTIONS) -> list[Block]:
    title = (
        f"*{safe_mrkdwn(hit.deal_name, 300)}*  ·  {EMOJI[hit.outcome]} {hit.outcome.label}"
        f"  ·  {STATUS_LABELS[hit.status]}"
    )
    where = f"{slack_day(hit.created_at)} · rep {who(hit.rep_slack_user_id)}"
    nudged = hit.status is RecordStatus.OPEN  # only an open record is nudged on its date
    if hit.recheck_on and nudged and not recheck_stated(hit.recheck_on, hit.conditions):
        where += f" · re-check on {calendar_day(hit.recheck_on)}"
    if link:
        where += f" · <{link}|the check's thread>"
    why = (
        bullets("Why", hit.reasons)
        if hit.reasons
        else "*Why* Nothing in the answers called for walking away."
    )
    change = bullets("What would change it", hit.conditions) if hit.conditions else ""
    body = "\n".join(part for part in (why, change) if part)
    return [
        section(f"{title}\n{where}"),
        section(body),
        context(decision_line(hit.decision, hit.discussion, who)),
    ]


def recheck_stated(day: date, conditions: Sequence[str]) -> bool:
    """Whether a condition already names the re-check day (a deferral's always does): then it
    is not said a second time on the same result."""
    return any(day_words(day) in condition for condition in conditions)


def decision_line(
    decision: ManagerDecision | None,
    discussion: ManagerDiscussion | None = None,
    person: Naming = MENTIONS,
) -> str:
    """The manager's final position; else the discussion that is open; else that none is yet."""
    if decision is None and discussion is not None:
        who = f" (started by {person(discussion.started_by)})" if discussion.started_by else ""
        return f":speech_balloon: Under discussion since {slack_day(discussion.started_at)}{who}"
    if decision is None:
        return "No manager decision yet."
    words = _DECISION_WORDS.get(decision.decision, f"Manager: {escape(decision.decision)}")
    if decision.decision == "override" and decision.override_outcome is not None:
        words += f" to *{decision.override_outcome.label}*"
    who = f" — {person(decision.decided_by)}" if decision.decided_by else ""
    when = f", {slack_day(decision.decided_at)}" if decision.decided_at else ""
    why = f": “{safe_mrkdwn(decision.reason, 600)}”" if decision.reason else ""
    return f"{words}{who}{when}{why}"


def bullets(heading: str, items: Sequence[str]) -> str:
    shown = list(items[:_ITEMS])
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    budget = (1400 - len(heading)) // max(len(shown), 1)
    lines = "\n".join(f"• {safe_mrkdwn(sentence_case(item), budget)}" for item in shown)
    return f"*{heading}*\n{lines}{more}"


def mention(slack_id: str | None) -> str:
    return f"<@{escape(slack_id)}>" if slack_id else "someone"


def permalink_ok(url: object) -> bool:
    """Only a plain https URL goes into <url|label>: anything else could break the link."""
    return (
        isinstance(url, str)
        and url.startswith("https://")
        and len(url) < 500
        and not any(ch in url for ch in "|<> \n")
    )


def shared(
    query: SearchQuery,
    page: SearchPage,
    links: Mapping[int, str],
    *,
    shared_by: str,
    channel: str | None,
    who: Naming,
) -> Message:
    """The same page, visible to the channel, saying who shared it; only Details to click.

    Everyone in it (the sharer, the reps, their managers) is shown by name through `who`: a
    mention would ping each rep, in public, about their walk-aways."""
    shown = _query_words(query)
    total = f"{page.total:,}{'+' if page.capped else ''}"
    head = f"{who(shared_by)} shared {len(page.hits)} of {total} walk-away records for {shown}:"
    blocks: list[Block] = [section(head)]
    for hit in page.hits:
        blocks.append(DividerBlock())
        blocks += _hit_blocks(hit, links.get(hit.id), who)
        blocks.append(_details_button(hit.id, channel))
    text = f"{who(shared_by)} shared walk-away records for {_plain(shown)}"
    return truncate(text, LIMITS.MESSAGE_TEXT), blocks[: LIMITS.BLOCKS_PER_MESSAGE]


def shared_one(
    hit: SearchHit, link: str | None, *, shared_by: str, channel: str | None, who: Naming
) -> Message:
    """One record, visible to the channel; people by name, as in `shared`."""
    head = f"{who(shared_by)} shared a walk-away record:"
    blocks: list[Block] = [
        section(head),
        *_hit_blocks(hit, link, who),
        _details_button(hit.id, channel),
    ]
    text = f"{who(shared_by)} shared the walk-away record for {escape(hit.deal_name)}"
    return truncate(text, LIMITS.MESSAGE_TEXT), blocks


def _details_button(record_id: int, channel: str | None) -> ActionsBlock:
    ref = SearchRecordRef(record=record_id, channel=channel).dump()
    return ActionsBlock(
        elements=[ButtonElement(text="Details", action_id=Action.SEARCH_DETAILS, value=ref)]
    )


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])
