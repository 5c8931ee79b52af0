"""Manager approval in Slack: ask the manager (or deal desk), open a discussion both sides can
see when they ask for one, take the first final answer, tell everyone, hold the draft when the
workspace wants that, and remind once per stage (waiting, then under discussion).

Every step writes the database first and posts second, and reads state back from the database
rather than from the click, so any process can take the next step and a retried or duplicated
click finds the work already done. Listeners stay short by calling these functions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals import (
    SLACKBOT,
    BadMention,
    OverrideInput,
    OverrideMeta,
    add_business_days,
    draft_excerpt,
    needs_position,
    parse_mention,
    reminder_days,
)
from bot.blocks import approvals as approval_blocks
from bot.blocks import verdict as verdict_blocks
from bot.blocks.text import LIMITS
from bot.domain.model import Verdict
from bot.service import Actor, Finished
from bot.slack_flow import Deps, Refusal
from storage.approvals import ApprovalInfo, Decision
from storage.columns import utcnow
from storage.records import RecordDetail, SessionInfo
from storage.repository import Store

log = logging.getLogger(__name__)

REMINDER_POLL_SECONDS = 600.0
"""How often a serving process looks for due reminders; the database claim makes any number
of processes (and cron's `walkaway remind`) safe together."""


class ApprovalRefusal(Refusal):
    """A refusal that may be shown in a modal, where Slack prints mrkdwn and mentions raw."""

    def __init__(self, text: str, *, plain: str | None = None) -> None:
        super().__init__(text)
        self.plain = plain or text.replace("*", "")


# -- after the verdict --------------------------------------------------------------------


def after_verdict(
    client: WebClient,
    deps: Deps,
    *,
    session: SessionInfo,
    finished: Finished,
    card_ts: str,
) -> None:
    """Open the approval for a walk, stop-pilot or defer verdict and send the ping.

    The manager comes first, then the workspace's deal desk; with neither, the card asks the
    rep to pick a manager. Only the call that created the approval pings, so a retried finish
    never pings twice.
    """
    if not needs_position(finished.verdict.outcome):
        return
    approvals = deps.store.approvals
    settings = approvals.settings(workspace_id=session.workspace_id)
    manager = approvals.manager_of(rep_user_id=session.rep_user_id)
    approval, created = approvals.open(
        record_id=finished.record_id,
        approver_user_id=manager.user_id if manager else None,
        approver_channel_id=None if manager else settings.deal_desk_channel_id,
        hold_until_agreed=settings.hold_until_agreed,
        card_ts=card_ts,
    )
    if not created:
        return
    note = send_ping(client, deps, approval) if approval.routed else None
    refresh_card(client, deps, record_id=finished.record_id, note=note)


def send_ping(client: WebClient, deps: Deps, approval: ApprovalInfo) -> str | None:
    """Post the ping and remember where it is; on failure, a note for the card (and the
    approval goes back to 'pick a manager', so the rep is never left waiting on nobody)."""
    record = deps.store.get_record(record_id=approval.record_id)
    if record is None:
        raise LookupError(f"record {approval.record_id} vanished")
    text, blocks = approval_blocks.ping_message(
        approval, verdict=record.verdict, draft=draft_excerpt(record.draft_text)
    )
    try:
        channel = approval.approver_channel_id or _dm(client, approval.approver_slack_id)
        posted = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except (SlackApiError, OSError) as error:  # OSError: the network, after the SDK's retry
        if isinstance(error, SlackApiError):
            why = f"Slack said `{error.response.get('error', 'unknown_error')}`"
        else:
            why = "the connection to Slack failed"
        log.warning("ping for record %s failed: %s", approval.record_id, why, exc_info=error)
        deps.store.approvals.unroute(record_id=approval.record_id)
        invite = " Invite @walkaway to that channel, or" if approval.approver_channel_id else ""
        return (
            f":warning: I couldn't reach {approval_blocks.approver_words(approval)} "
            f"({why}).{invite} pick your manager above and I'll ask them."
        )
    now = utcnow()
    deps.store.approvals.mark_pinged(
        record_id=approval.record_id,
        channel_id=str(posted["channel"]),
        ts=str(posted["ts"]),
        at=now,
        remind_after=_remind_after(deps, approval, now),
    )
    return None


def _remind_after(deps: Deps, approval: ApprovalInfo, now: datetime) -> datetime:
    days = reminder_days(
        deps.store.approvals.settings(workspace_id=approval.workspace_id),
        deps.settings.walkaway_reminder_business_days,
    )
    return add_business_days(now, days, holidays=deps.settings.holidays)


def _dm(client: WebClient, user_id: str | None) -> str:
    if user_id is None:
        raise ValueError("a DM ping needs a manager")
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def refresh_card(client: WebClient, deps: Deps, *, record_id: int, note: str | None = None) -> None:
    """Re-render the rep's verdict card with the approval's current state under it."""
    approval = deps.store.approvals.get(record_id=record_id)
    record = deps.store.get_record(record_id=record_id)
    if approval is None or record is None or not approval.card_ts or not record.channel_id:
        return
    text, blocks = verdict_blocks.verdict_card(
        record.verdict, deal_name=record.deal_name, record_id=record.id
    )
    extra = approval_blocks.card_blocks(approval, note=note)
    client.chat_update(
        channel=record.channel_id,
        ts=approval.card_ts,
        text=text,
        blocks=[*blocks, *extra][: LIMITS.BLOCKS_PER_MESSAGE],
    )


# -- who the manager is -------------------------------------------------------------------


def check_manager(client: WebClient, *, rep: str, candidate: str) -> None:
    """A manager is another, active, human member of the workspace."""
    if candidate == rep:
        raise Refusal(
            "You can't be your own manager here: pick the person who signs off your deals."
        )
    if candidate == SLACKBOT:
        raise Refusal("Slackbot can't take a position on a deal: pick a person.")
    try:
        user: dict[str, Any] = client.users_info(user=candidate)["user"]
    except SlackApiError as error:
        if error.response.get("error") in ("user_not_found", "user_not_visible"):
            raise Refusal("I can't find that person in this workspace.") from None
        raise
    if user.get("is_bot") or user.get("is_app_user"):
        raise Refusal(f"<@{candidate}> is an app, not a person: pick your manager.")
    if user.get("deleted"):
        raise Refusal(f"<@{candidate}> has been deactivated: pick someone active.")


def set_manager(client: WebClient, deps: Deps, *, actor: Actor, text: str) -> str:
    """`/walkaway manager …`: show, set or clear the rep's manager; returns the reply."""
    approvals = deps.store.approvals
    rep_id = deps.service.user_id(actor)
    words = text.strip()
    if not words:
        current = approvals.manager_of(rep_user_id=rep_id)
        if current is None:
            return (
                "You have no manager set, so walk, stop-pilot and defer verdicts go to the "
                "deal desk (if your workspace has one). Set one with `/walkaway manager @name`."
            )
        return (
            f"Your manager for walk-away decisions is <@{current.slack_user_id}>. Change it "
            "with `/walkaway manager @name`, or `/walkaway manager none` to clear it."
        )
    if words.casefold() in ("none", "clear", "remove"):
        approvals.set_manager(rep_user_id=rep_id, manager_user_id=None)
        return "Cleared. Your walk-away verdicts will go to the deal desk, if there is one."
    try:
        candidate = parse_mention(words)
    except BadMention as problem:
        raise Refusal(str(problem)) from None
    check_manager(client, rep=actor.user_id, candidate=candidate)
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    manager_id = deps.store.ensure_user(workspace_id=workspace_id, slack_user_id=candidate)
    approvals.set_manager(rep_user_id=rep_id, manager_user_id=manager_id)
    return (
        f"Done: <@{candidate}> is your manager. I'll ask them for a position on your walk, "
        "stop-pilot and defer verdicts before anything goes to the buyer."
    )


def pick_manager(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, picked: str
) -> str:
    """The user select on a verdict card: save the manager, then send them the ping."""
    approvals = deps.store.approvals
    approval = _in_workspace(deps, actor=actor, record_id=record_id)
    if actor.user_id != approval.rep_slack_id:
        raise Refusal("Only the rep who owns this verdict can pick their manager.")
    check_manager(client, rep=actor.user_id, candidate=picked)
    manager_id = deps.store.ensure_user(workspace_id=approval.workspace_id, slack_user_id=picked)
    approvals.set_manager(rep_user_id=approval.rep_user_id, manager_user_id=manager_id)
    if not approvals.route(record_id=record_id, approver_user_id=manager_id):
        refresh_card(client, deps, record_id=record_id)
        return "This verdict has already gone to someone for a position; see the card."
    routed = approvals.get(record_id=record_id)
    assert routed is not None
    note = send_ping(client, deps, routed)
    refresh_card(client, deps, record_id=record_id, note=note)
    if note is not None:
        return f"I saved <@{picked}> as your manager, but couldn't message them."
    return f"Saved <@{picked}> as your manager and asked for their position."


# -- answering ----------------------------------------------------------------------------


def _in_workspace(deps: Deps, *, actor: Actor, record_id: int) -> ApprovalInfo:
    approval = deps.store.approvals.get(record_id=record_id)
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    if approval is None or approval.workspace_id != workspace_id:
        raise ApprovalRefusal("I can't find that walk-away record in this workspace.")
    return approval


def authorize(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> ApprovalInfo:
    """Only the rep's manager, or a member of the deal-desk channel the ping went to."""
    approval = _in_workspace(deps, actor=actor, record_id=record_id)
    if actor.user_id == approval.rep_slack_id:
        raise ApprovalRefusal(
            "This is your own verdict: it needs your manager's position, not yours."
        )
    if approval.approver_slack_id:
        if actor.user_id != approval.approver_slack_id:
            raise ApprovalRefusal(
                f"Only <@{approval.approver_slack_id}>, <@{approval.rep_slack_id}>'s manager, "
                "can answer this. Nothing was changed.",
                plain="Only the rep's manager can answer this. Nothing was changed.",
            )
    elif approval.approver_channel_id:
        if not _is_member(client, approval.approver_channel_id, actor.user_id):
            raise ApprovalRefusal(
                f"Only members of the deal desk (<#{approval.approver_channel_id}>) can answer "
                "this. Nothing was changed.",
                plain="Only members of the deal-desk channel can answer this. Nothing was changed.",
            )
    else:
        raise ApprovalRefusal("Nobody has been asked for a position on this verdict yet.")
    return approval


def _is_member(client: WebClient, channel: str, user_id: str) -> bool:
    cursor: str | None = None
    try:
        while True:
            page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return False
    except SlackApiError as error:
        log.warning("members of %s unreadable: %s", channel, error.response.get("error"))
        raise ApprovalRefusal(
            f"I couldn't check who is in <#{channel}>, so I can't take this answer yet.",
            plain="I couldn't check the deal-desk channel's members, so I can't take this yet.",
        ) from None


def open_override(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, trigger_id: str
) -> None:
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    if approval.decision is not None:
        raise ApprovalRefusal(approval_blocks.already_decided(approval))
    view = approval_blocks.override_modal(approval, meta=OverrideMeta(record=record_id))
    client.views_open(trigger_id=trigger_id, view=view)


def record_decision(
    client: WebClient,
    deps: Deps,
    *,
    actor: Actor,
    record_id: int,
    decision: Decision,
    override: OverrideInput | None = None,
) -> ApprovalInfo:
    """Store a final answer (Agree or Override) if it is the first; raises ApprovalRefusal
    (with who and when) if not. A discussion in progress does not block it."""
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    if approval.decision is None:
        result = deps.store.approvals.decide(
            record_id=record_id,
            decision=decision,
            by_user_id=deps.service.user_id(actor),
            override_outcome=override.outcome if override else None,
            reason=override.reason if override else None,
        )
        if result.won:
            return result.approval
        approval = result.approval
    raise ApprovalRefusal(
        approval_blocks.already_decided(approval),
        plain=approval_blocks.already_decided_plain(approval),
    )


def agree(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> None:
    """The Agree button: store it if it is the first final answer, then tell everyone."""
    approval = record_decision(
        client, deps, actor=actor, record_id=record_id, decision=Decision.AGREE
    )
    announce(client, deps, approval)


def discuss(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> None:
    """The Discuss button: a request to talk before taking a position, not a position.

    The first Discuss marks the approval as under discussion (who, when) in the database, then
    opens a conversation the rep and the manager can both see, posts the context there, leaves
    Agree and Override on the manager's message and tells the rep where to talk. A later
    Discuss (a stale copy of the message, a second desk member) only points to the existing
    discussion; after a final answer it shows that answer.
    """
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    if approval.decision is None and not approval.discussing:
        now = utcnow()
        started = deps.store.approvals.start_discussion(
            record_id=record_id,
            by_user_id=deps.service.user_id(actor),
            at=now,
            remind_after=_remind_after(deps, approval, now),
        )
        if started.won:
            _open_discussion(client, deps, started.approval)
            return
        approval = started.approval
    if approval.decision is not None:
        raise ApprovalRefusal(
            approval_blocks.already_decided(approval),
            plain=approval_blocks.already_decided_plain(approval),
        )
    raise ApprovalRefusal(approval_blocks.already_discussing(approval))


def _open_discussion(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """Set up the discussion the database says was just started, then tell both sides."""
    record = _record(deps, approval.record_id)
    no_group = _post_opener(client, deps, approval, verdict=record.verdict)
    current = deps.store.approvals.get(record_id=approval.record_id) or approval
    _update_ping(client, current, record)
    if current.decision is not None:  # an answer raced in while the talk was being set up
        _close_discussion(client, deps, current)
    elif current.rep_channel_id and current.rep_thread_ts:
        text, blocks = approval_blocks.discussion_notice(current, no_group=no_group)
        client.chat_postMessage(
            channel=current.rep_channel_id,
            thread_ts=current.rep_thread_ts,
            text=text,
            blocks=blocks,
        )
    refresh_card(client, deps, record_id=approval.record_id)


def _post_opener(
    client: WebClient, deps: Deps, approval: ApprovalInfo, *, verdict: Verdict
) -> str | None:
    """Post the discussion's first message and remember where it is; returns Slack's error
    when a group DM was wanted and could not be had (the caller tells the rep so).

    A DM ping lives in the bot's DM with the manager, which the rep cannot open, so the talk
    goes to a group DM of the two (mpim:write). A deal-desk ping is in a public channel: its
    thread serves, and the rep is sent the link. If the group DM fails (a workspace that has
    not granted mpim:write yet, a deactivated rep), the thread on the manager's ping takes its
    place and both are told plainly; its link is kept from the rep, who could not open it.
    """
    ping_channel, ping_ts = approval.ping_channel_id, approval.ping_ts
    no_group: str | None = None
    if approval.approver_slack_id:
        request = _permalink(client, ping_channel, ping_ts) if ping_channel and ping_ts else None
        text, blocks = approval_blocks.discuss_opener(
            approval, verdict=verdict, request_link=request
        )
        try:
            users = f"{approval.rep_slack_id},{approval.approver_slack_id}"
            group = str(client.conversations_open(users=users)["channel"]["id"])
            posted = client.chat_postMessage(channel=group, text=text, blocks=blocks)
        except SlackApiError as error:
            no_group = str(error.response.get("error", "unknown_error"))
            log.warning("group DM for record %s failed: %s", approval.record_id, no_group)
        else:
            deps.store.approvals.set_discussion_place(
                record_id=approval.record_id,
                channel_id=group,
                link=_permalink(client, group, str(posted["ts"])),
            )
            return None
    if not ping_channel or not ping_ts:
        return no_group
    text, blocks = approval_blocks.discuss_opener(approval, verdict=verdict, no_group=no_group)
    try:
        posted = client.chat_postMessage(
            channel=ping_channel, thread_ts=ping_ts, text=text, blocks=blocks
        )
    except SlackApiError as error:
        log.warning(
            "discussion thread for record %s failed: %s",
            approval.record_id,
            error.response.get("error"),
        )
        return no_group or str(error.response.get("error", "unknown_error"))
    visible_to_rep = approval.approver_channel_id is not None
    deps.store.approvals.set_discussion_place(
        record_id=approval.record_id,
        channel_id=ping_channel,
        link=_permalink(client, ping_channel, str(posted["ts"])) if visible_to_rep else None,
    )
    return no_group


def _record(deps: Deps, record_id: int) -> RecordDetail:
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        raise LookupError(f"record {record_id} vanished")
    return record


def _update_ping(client: WebClient, approval: ApprovalInfo, record: RecordDetail) -> None:
    """Re-render the manager's (or desk's) message from the approval's current state."""
    if not approval.ping_channel_id or not approval.ping_ts:
        return
    text, blocks = approval_blocks.ping_message(
        approval, verdict=record.verdict, draft=draft_excerpt(record.draft_text)
    )
    client.chat_update(
        channel=approval.ping_channel_id, ts=approval.ping_ts, text=text, blocks=blocks
    )


def announce(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """After a final answer is stored: update the ping, close the discussion if there was one,
    tell the rep, refresh their card."""
    record = deps.store.get_record(record_id=approval.record_id)
    if record is None:
        return
    _update_ping(client, approval, record)
    _close_discussion(client, deps, approval)
    if approval.rep_channel_id and approval.rep_thread_ts:
        text, blocks = approval_blocks.rep_notice(approval)
        client.chat_postMessage(
            channel=approval.rep_channel_id,
            thread_ts=approval.rep_thread_ts,
            text=text,
            blocks=blocks,
        )
    refresh_card(client, deps, record_id=approval.record_id)


def _close_discussion(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """End the talk on the answer, where both sides talked (the group DM or the desk thread).

    Best effort: the answer is stored and the rep hears of it in their own thread anyway. A
    fallback thread on the manager's DM is skipped, as the manager just answered there. Both
    the answer and a Discuss that raced it may get here; the claim lets one of them post.
    """
    channel = approval.discussion_channel_id
    if channel is None or approval.decision is None:
        return
    in_thread = approval.discussion_in_thread
    if in_thread and approval.approver_channel_id is None:
        return
    if not deps.store.claim_once(key=f"discussion-closed:{approval.record_id}"):
        return
    text, blocks = approval_blocks.discussion_closed(approval)
    try:
        client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=approval.ping_ts if in_thread else None,
        )
    except SlackApiError as error:
        log.warning(
            "closing the discussion of record %s failed: %s",
            approval.record_id,
            error.response.get("error"),
        )


def _permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """Slack's link to a message, or None: a missing link costs a convenience, not the step."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None


# -- hold until agreed --------------------------------------------------------------------


def check_send_allowed(deps: Deps, *, record_id: int) -> None:
    """Refuse `Mark as sent` while a held draft lacks the manager's Agree.

    The refusal is plain text: the draft buttons' handler escapes whatever it shows.
    """
    approval = deps.store.approvals.get(record_id=record_id)
    if approval is None or not approval.hold_until_agreed:
        return
    decision = approval.decision
    if decision is Decision.AGREE:
        return
    who = "the deal desk" if approval.approver_channel_id else "your manager"
    if not approval.routed:
        raise Refusal(
            "This draft is on hold until your manager agrees, and nobody has been asked yet: "
            "pick your manager on the verdict card first."
        )
    if decision is None and approval.discussing:
        raise Refusal(
            f"This draft is on hold until {who} agrees. They asked to talk it over first, which "
            "is not an answer yet; once they agree, Mark as sent unlocks."
        )
    if decision is None:
        raise Refusal(
            f"This draft is on hold until {who} agrees. They have been asked; I'll tell you in "
            "this thread when they answer."
        )
    again = " Once you've talked it through, run the check again for a fresh verdict and answer."
    wanted = approval.override_outcome.label if approval.override_outcome else "another outcome"
    raise Refusal(
        f"This draft stays unsent: {who} overrode the verdict and wants {wanted} instead.{again}"
    )


# -- settings -----------------------------------------------------------------------------


def is_admin(client: WebClient, deps: Deps, user_id: str) -> bool:
    """Workspace admins and owners, plus anyone listed in WALKAWAY_ADMINS."""
    if user_id in deps.settings.admin_user_ids:
        return True
    user: dict[str, Any] = client.users_info(user=user_id)["user"]
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


NOT_ADMIN = (
    "Only workspace admins and owners (or people listed in WALKAWAY_ADMINS) can change the "
    "walk-away settings. Ask one of them to run `/walkaway settings`."
)


# -- reminders ----------------------------------------------------------------------------


def send_due_reminders(client: WebClient, store: Store, *, now: datetime) -> int:
    """Remind once per stage whose time has come; returns how many were sent.

    A request nobody answered is reminded under the request. A discussion with no position
    yet is a different situation (someone looked), so it gets its own single nudge, counted
    from the Discuss, in the discussion itself where both sides see it. Each reminder is
    claimed in the database before it is posted, so several processes (or cron runs that
    overlap) never send one twice. A reminder Slack refused is released for the next run
    rather than lost.
    """
    sent = 0
    for approval in store.approvals.claim_due_reminders(now=now):
        if not approval.ping_channel_id or not approval.ping_ts:
            continue
        try:
            if approval.discussing:
                _remind_discussion(client, store, approval)
            else:
                text, blocks = approval_blocks.reminder_message(approval)
                client.chat_postMessage(
                    channel=approval.ping_channel_id,
                    thread_ts=approval.ping_ts,
                    reply_broadcast=True,
                    text=text,
                    blocks=blocks,
                )
        except SlackApiError as error:
            log.warning(
                "reminder for record %s failed: %s",
                approval.record_id,
                error.response.get("error"),
            )
            store.approvals.release_reminder(record_id=approval.record_id)
            continue
        sent += 1
    return sent


def _remind_discussion(client: WebClient, store: Store, approval: ApprovalInfo) -> None:
    """Nudge a discussion that has not reached a position, where the two talk.

    The manager's message is re-rendered first (best effort), so its Agree and Override
    buttons are there to press: a ping answered with Discuss before migration 0005 lost them.
    """
    assert approval.ping_channel_id and approval.ping_ts
    record = store.get_record(record_id=approval.record_id)
    if record is not None:
        try:
            _update_ping(client, approval, record)
        except SlackApiError as error:
            log.warning(
                "could not refresh ping %s: %s", approval.ping_ts, error.response.get("error")
            )
    channel = approval.discussion_channel_id or approval.ping_channel_id
    in_thread = channel == approval.ping_channel_id
    request = None if in_thread else _permalink(client, approval.ping_channel_id, approval.ping_ts)
    text, blocks = approval_blocks.discussion_reminder(approval, request_link=request)
    client.chat_postMessage(
        channel=channel,
        text=text,
        blocks=blocks,
        thread_ts=approval.ping_ts if in_thread else None,
        reply_broadcast=True if in_thread else None,
    )


class ReminderLoop:
    """Looks for due reminders every few minutes while the app serves.

    The schedule lives in the database (remind_after, reminder_claimed_at); this thread only
    decides when to look, so losing the process loses nothing and several processes are safe.
    """

    def __init__(
        self,
        client: WebClient,
        store: Store,
        *,
        every: float = REMINDER_POLL_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = client
        self._store = store
        self._every = every
        self._clock = clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="walkaway-reminders", daemon=True)

    def start(self) -> ReminderLoop:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                send_due_reminders(self._client, self._store, now=self._clock())
            except Exception:  # a database or network blip must not end reminders for good
                log.exception("reminder run failed; trying again in %.0f s", self._every)
            self._stopped.wait(self._every)
