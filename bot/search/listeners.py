"""`/walkaway search` and its buttons: result pages, sharing, and a record's history modal.

Results are private to the searcher (the command's response_url); paging re-runs the query
carried in the button, in the clicker's own workspace, so a page is never stale and a crafted
value can at most search what its sender could search anyway. Every record id that arrives in
a button or a modal is looked up within the clicker's workspace: another workspace's record is
"not found", whatever the payload says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View

from bot.domain.labels import status_label
from bot.domain.model import Actor
from bot.domain.search_query import QueryError, SearchQuery, parse
from bot.search import blocks as search_blocks
from bot.search import details, people
from bot.search.payloads import SearchRecordRef, SearchRef
from bot.slack.deps import Deps, Subcommand, actor_from, homes_changed
from bot.slack.effects import post_for_job
from bot.slack.errors import Refusal, tell
from bot.slack.ids import Action, Block, Field
from bot.slack.ids import View as ViewId
from bot.slack.jobs import deferred
from bot.slack.names import Naming, names_for
from bot.slack.payloads import BadPayload
from storage.search import SearchCriteria, SearchHit, SearchPage

NOT_FOUND = "I can't find that walk-away record in this workspace."
STALE = "That button is out of date. Run the search again."
NOT_ALLOWED = "Only the rep who owns this record, or their manager, can change its status."
_FALL_BACK_TO_RESPONSE_URL = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
)
"""chat.postMessage errors meaning the bot cannot post there itself; the command's
response_url can still post visibly in the channel the search ran in."""


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "search.page", stale=STALE)
    def turn_page(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = SearchRef.load(body["actions"][0].get("value"))
        query = _reparse(ref.q)
        page = _search(deps, client, actor_from(body), query, ref.page)
        channel = _channel(body, ref.channel)
        text, blocks = search_blocks.results(
            query, page, _links(client, page.hits), channel=channel
        )
        respond(text=text, blocks=blocks, replace_original=True)

    @app.action(re.compile(f"^{Action.SEARCH_PAGE}:(prev|next)$"), middleware=[turn_page.first])
    def page_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @deferred(deps, "search.share", stale=STALE)
    def share(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = actor_from(body)
        ref = SearchRef.load(body["actions"][0].get("value"))
        query = _reparse(ref.q)
        page = _search(deps, client, actor, query, ref.page)
        if not page.hits:
            raise Refusal("Nothing to share: that search finds no records now.")
        channel = _channel(body, ref.channel)
        text, blocks = search_blocks.shared(
            query,
            page,
            _links(client, page.hits),
            shared_by=actor.user_id,
            channel=channel,
            who=_names(client, deps, actor, page.hits),
        )
        _post_in_channel(client, deps, respond, channel, text, blocks)

    @app.action(Action.SEARCH_SHARE, middleware=[share.first])
    def share_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @deferred(deps, "search.share_one", stale=STALE)
    def share_one(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = actor_from(body)
        ref = SearchRecordRef.load(body["actions"][0].get("value"))
        hit = _hit(deps, actor, ref.record)
        channel = _channel(body, ref.channel)
        text, blocks = search_blocks.shared_one(
            hit,
            _links(client, [hit]).get(hit.id),
            shared_by=actor.user_id,
            channel=channel,
            who=_names(client, deps, actor, [hit]),
        )
        _post_in_channel(client, deps, respond, channel, text, blocks)

    @app.action(Action.SEARCH_SHARE_ONE, middleware=[share_one.first])
    def share_one_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

    @app.action(Action.SEARCH_DETAILS)
    def details_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

        def open_details() -> None:
            actor = actor_from(body)
            ref = SearchRecordRef.load(body["actions"][0].get("value"))
            meta = SearchRecordRef(record=ref.record, channel=_channel(body, ref.channel))
            client.views_open(trigger_id=body["trigger_id"], view=_details(deps, actor, meta))

        tell(body, client, respond, open_details, stale=STALE)

    @app.view(ViewId.RECORD_DETAILS)
    def status_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        values = view["state"]["values"]
        status = (
            values.get(Block.RECORD_STATUS, {}).get(Field.STATUS, {}).get("selected_option") or {}
        ).get("value")
        note = (values.get(Block.RECORD_STATUS_NOTE, {}).get(Field.NOTE, {}).get("value")) or ""
        try:
            meta = SearchRecordRef.load(view.get("private_metadata"))
            actor = actor_from(body)
            hit = _hit(deps, actor, meta.record)
        except (BadPayload, Refusal) as problem:
            message = STALE if isinstance(problem, BadPayload) else str(problem)
            ack(response_action="errors", errors={Block.RECORD_STATUS: message})
            return
        if not _may_change(actor, hit):
            ack(response_action="errors", errors={Block.RECORD_STATUS: NOT_ALLOWED})
            return
        if status not in {s.value for s in search_blocks.STATUS_CHOICES}:
            ack(response_action="errors", errors={Block.RECORD_STATUS: "Pick a status."})
            return
        if not note.strip():
            ack(
                response_action="errors",
                errors={Block.RECORD_STATUS_NOTE: "Say what happened, for the record's history."},
            )
            return
        deps.store.set_status(
            record_id=hit.id,
            status=status,
            note=note.strip()[: search_blocks.STATUS_NOTE_LIMIT],
            by_user_id=deps.user_id(actor),
        )
        homes_changed(deps, team_id=actor.team_id, users=[hit.rep_slack_user_id])
        label = status_label(status)
        ack(
            response_action="update",
            view=_details(deps, actor, meta, notice=f":white_check_mark: Status set to *{label}*."),
        )


def search_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway search …`: the first page, privately."""
    if not rest.strip():
        text, blocks = search_blocks.usage()
        respond(text=text, blocks=blocks, response_type="ephemeral")
        return
    try:
        query = parse(rest)
    except QueryError as problem:
        text, blocks = search_blocks.problem(str(problem))
        respond(text=text, blocks=blocks, response_type="ephemeral")
        return

    def first_page() -> None:
        page = _search(deps, client, actor_from(body), query, 0)
        channel = body.get("channel_id") if isinstance(body.get("channel_id"), str) else None
        text, blocks = search_blocks.results(
            query, page, _links(client, page.hits), channel=channel
        )
        respond(text=text, blocks=blocks, response_type="ephemeral")

    tell(body, client, respond, first_page, stale=STALE)


SUBCOMMANDS = (Subcommand("search", search_command),)


# -- steps ----------------------------------------------------------------------------------


def _reparse(canonical: str) -> SearchQuery:
    """A query from a button: we wrote it, so failing to parse means it was tampered with."""
    try:
        return parse(canonical)
    except QueryError:
        raise BadPayload("search query in a button no longer parses") from None


def _search(
    deps: Deps, client: WebClient, actor: Actor, query: SearchQuery, page: int
) -> SearchPage:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    criteria = SearchCriteria(
        words=query.words,
        outcomes=tuple(o.value for o in query.outcomes),
        tags=query.signals,
        rep_slack_ids=_reps(deps, client, workspace_id, actor, query),
        statuses=query.statuses,
        since=query.since,
        until=query.until,
    )
    return deps.store.search_records(workspace_id=workspace_id, criteria=criteria, page=page)


def _reps(
    deps: Deps, client: WebClient, workspace_id: int, actor: Actor, query: SearchQuery
) -> tuple[str, ...]:
    """Slack ids for the rep filters: mentions as they are, `me`, or names looked up.

    A name is matched forgivingly (bot/search/people.py); one that fits several people, or
    nobody, is answered with the people to choose from rather than an empty result.
    """
    found: list[str] = []
    for rep in query.reps:
        if rep.me:
            found.append(actor.user_id)
        elif rep.slack_id:
            found.append(rep.slack_id)
        else:
            found.append(people.one_named(deps, client, workspace_id, rep.name or ""))
    return tuple(dict.fromkeys(found))


def _hit(deps: Deps, actor: Actor, record_id: int) -> SearchHit:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    hit = deps.store.search_hit(record_id=record_id, workspace_id=workspace_id)
    if hit is None:
        raise Refusal(NOT_FOUND)
    return hit


def _may_change(actor: Actor, hit: SearchHit) -> bool:
    return actor.user_id in (hit.rep_slack_user_id, hit.rep_manager_slack_id)


def _details(deps: Deps, actor: Actor, meta: SearchRecordRef, *, notice: str | None = None) -> View:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    hit = deps.store.search_hit(record_id=meta.record, workspace_id=workspace_id)
    record = deps.store.get_record(record_id=meta.record, workspace_id=workspace_id)
    if hit is None or record is None:
        raise Refusal(NOT_FOUND)
    current = {(q.id, c.value): c.label for q in deps.checklist.questions for c in q.choices}
    sections = [b for section in deps.hooks.details_sections for b in section(deps, actor, record)]
    return details.details_modal(
        record,
        hit,
        can_change=_may_change(actor, hit),
        meta=meta,
        notice=notice,
        labels=current,
        sections=sections,
        conditions_listed=deps.hooks.lists_conditions,
    )


def _links(client: WebClient, hits: tuple[SearchHit, ...] | list[SearchHit]) -> dict[int, str]:
    """Permalinks to each record's qualification thread; a record without one just has none."""
    links: dict[int, str] = {}
    for hit in hits:
        if not (hit.channel_id and hit.thread_ts):
            continue
        try:
            url = client.chat_getPermalink(channel=hit.channel_id, message_ts=hit.thread_ts).get(
                "permalink"
            )
        except SlackApiError:
            continue
        if search_blocks.permalink_ok(url):
            links[hit.id] = str(url)
    return links


def _names(client: WebClient, deps: Deps, actor: Actor, hits: Sequence[SearchHit]) -> Naming:
    """Names for everyone a shared post shows: the sharer, each rep, whoever answered or
    started a discussion. Shared results are for the channel to read, not to ping people."""
    people: list[str | None] = [actor.user_id]
    for hit in hits:
        people.append(hit.rep_slack_user_id)
        people.append(hit.decision.decided_by if hit.decision else None)
        people.append(hit.discussion.started_by if hit.discussion else None)
    return names_for(
        client,
        deps.store,
        workspace_id=deps.store.ensure_workspace(team_id=actor.team_id),
        slack_ids=people,
    )


def _channel(body: dict[str, Any], carried: str | None) -> str | None:
    """Where the search ran: Slack's own record of the clicked message's channel first."""
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    return str(channel) if channel else carried


def _post_in_channel(
    client: WebClient,
    deps: Deps,
    respond: Respond,
    channel: str | None,
    text: str,
    blocks: list[Any],
) -> None:
    """Post visibly where the search ran: as the bot if it may, else through the response_url.

    Once per click (bot/slack/effects.py), however often the job behind it runs.
    """
    if channel:
        try:
            post_for_job(
                client, deps.store, what="share", channel=channel, text=text, blocks=blocks
            )
            return
        except SlackApiError as error:
            if error.response.get("error") not in _FALL_BACK_TO_RESPONSE_URL:
                raise
    respond(text=text, blocks=blocks, response_type="in_channel", replace_original=False)
