"""Who a `rep:` filter names when it is a name (`rep:dana`, `rep:@dana`), not a mention.

People type the name they see in Slack, not an id. The database knows the names of the people
it has met (storage.people.find_people matches them forgivingly); a name it does not know yet
sends it to Slack for the names of the reps who have records here, once each, and they are kept
for the next search. A name that fits one person is that person; one that fits several, or
nobody, is answered with the people to choose from, never with an empty result.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.deps import Deps
from bot.slack.errors import Refusal, is_transient
from bot.slack.text import escape, safe_mrkdwn

LEARN_AT_MOST = 30
"""Names asked of Slack per search at most (users.info is a tier 4 method: plenty)."""
CHOICES_SHOWN = 10


def one_named(deps: Deps, client: WebClient, workspace_id: int, name: str) -> str:
    """The Slack id of the one person `name` means here (raises Refusal with the choices)."""
    store = deps.store
    found = store.find_people(workspace_id=workspace_id, name=name)
    if not found and learn_names(deps, client, workspace_id):
        found = store.find_people(workspace_id=workspace_id, name=name)
    if len(found) == 1:
        return found[0][0]
    typed = escape(name)
    if found:
        raise Refusal(
            f"`rep:@{typed}` could be {len(found)} people. Which one?\n"
            + _choices(found)
            + "\nOr type `rep:@` and pick the person from Slack's list."
        )
    known = [(i, n) for i, n in store.reps_with_records(workspace_id=workspace_id) if n]
    if not known:
        raise Refusal(
            f"I don't know anyone called @{typed} here. Type `rep:@` and pick the person from "
            "Slack's list, so I get who you mean."
        )
    raise Refusal(
        f"I don't know anyone called @{typed} here. The people with walk-away records:\n"
        + _choices(known)
        + "\nOr type `rep:@` and pick the person from Slack's list."
    )


def _choices(people: list[tuple[str, Any]]) -> str:
    """Names in plain words, each with what to type: no mention, so nobody is notified."""
    shown = people[:CHOICES_SHOWN]
    lines = [f"• {safe_mrkdwn(str(n), 80)}: `rep:{escape(i)}`" for i, n in shown]
    if len(people) > len(shown):
        lines.append(f"• …and {len(people) - len(shown)} more")
    return "\n".join(lines)


def learn_names(deps: Deps, client: WebClient, workspace_id: int) -> bool:
    """Ask Slack the names of the reps with records here whose name we lack; True if any new.

    A passing failure (rate limit, outage) raises, so the job behind the search is retried; a
    person Slack no longer knows is skipped.
    """
    store = deps.store
    learned = False
    unnamed = [i for i, n in store.reps_with_records(workspace_id=workspace_id) if not n]
    for slack_id in unnamed[:LEARN_AT_MOST]:
        try:
            user: dict[str, Any] = client.users_info(user=slack_id)["user"]
        except SlackApiError as error:
            if is_transient(error):
                raise
            continue
        profile = user.get("profile") or {}
        shown = str(profile.get("display_name") or "").strip()
        real = str(profile.get("real_name") or user.get("real_name") or "").strip()
        name = real or shown  # "Dana Reyes" answers rep:dana, rep:reyes and rep:"Dana Reyes"
        if name:
            store.ensure_user(workspace_id=workspace_id, slack_user_id=slack_id, display_name=name)
            learned = True
    return learned
