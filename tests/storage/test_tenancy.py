"""Migration 0018's tables serve slack_sdk's own stores, and a workspace's rows can be deleted
whole, on SQLite and PostgreSQL (where every foreign key is enforced)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import func, select

from storage import Store
from storage.models import Base
from storage.search.results import SearchCriteria
from tests.storage.builders import Team, make_team
from tests.storage.search_builders import SCAR_WALK, make_record


def test_slack_sdks_stores_save_find_rotate_and_delete_on_the_migrated_tables(
    store: Store,
) -> None:
    installations = store.tenancy.installation_store(client_id="1111.2222")
    team_id = f"T{time.time_ns()}"[:20]
    installations.save(
        Installation(
            app_id="A1",
            team_id=team_id,
            team_name="Acme",
            user_id="U1",
            bot_token="xoxe.xoxb-1",
            bot_id="B1",
            bot_user_id="UB1",
            bot_scopes="commands,chat:write",
            bot_refresh_token="xoxe-1-r",
            bot_token_expires_in=3600,
            installed_at=datetime.now(UTC).timestamp(),
        )
    )
    bot = installations.find_bot(enterprise_id=None, team_id=team_id)
    found = installations.find_installation(enterprise_id=None, team_id=team_id)
    assert bot is not None and bot.bot_token == "xoxe.xoxb-1" and bot.bot_refresh_token
    assert bot.bot_token_expires_at is not None and bot.bot_scopes == ["commands", "chat:write"]
    assert found is not None and found.user_id == "U1"

    installations.delete_all(enterprise_id=None, team_id=team_id)
    assert installations.find_bot(enterprise_id=None, team_id=team_id) is None

    states = store.tenancy.state_store(expiration_seconds=600)
    state = states.issue()
    assert states.consume(state) is True
    assert states.consume(state) is False, "a state works once"
    assert store.tenancy.state_expired(state=state) is False
    stale = store.tenancy.state_store(expiration_seconds=-1).issue()
    assert states.consume(stale) is False
    assert store.tenancy.state_expired(state=stale) is True


def _rows(store: Store) -> dict[str, int]:
    with store._reads() as s:
        return {
            name: int(s.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
        }


def _fill(store: Store, team: Team) -> int:
    record = make_record(
        store,
        workspace_id=team.workspace_id,
        rep_id=team.rep_id,
        deal="Globex renewal",
        answers=SCAR_WALK,
        notes={"scar.still_present": "Okafor still refuses to name an owner"},
    )
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    return record


def test_deleting_a_workspace_leaves_the_others_rows_and_search_as_they_were(
    store: Store,
) -> None:
    keep = make_team(store)
    kept_record = _fill(store, keep)
    before = _rows(store)
    gone = make_team(store)
    _fill(store, gone)
    gone_team = store.team_id_of(workspace_id=gone.workspace_id)
    assert gone_team is not None

    deleted = store.tenancy.delete_workspace(team_id=gone_team)

    assert {"workspaces", "users", "walkaway_records", "answers", "record_search"} <= set(deleted)
    assert _rows(store) == before
    assert store.tenancy.summary(team_id=gone_team) is None
    found = store.search_records(
        workspace_id=keep.workspace_id, criteria=SearchCriteria(words=("okafor",))
    )
    assert [hit.id for hit in found.hits] == [kept_record]
