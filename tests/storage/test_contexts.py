"""The check_contexts table: the message a check was started from, kept once per session, its
link set once (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from storage import Store
from storage.errors import InvalidValueError, NotFoundError
from tests.storage.builders import Team, open_deal

LINK = "https://acme.slack.com/archives/C0DEALS/p1700000000000100"


def test_the_first_message_stays_and_its_link_is_set_once(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    assert store.contexts.of_session(session_id=session.id) is None

    kept = store.contexts.keep(
        session_id=session.id, channel_id="C0DEALS", message_ts="1700000000.000100"
    )
    again = store.contexts.keep(
        session_id=session.id, channel_id="C0OTHER", message_ts="1700000001.000200"
    )
    assert (kept.channel_id, kept.message_ts, kept.permalink) == (
        "C0DEALS",
        "1700000000.000100",
        None,
    )
    assert again == kept  # a second shortcut on the open check does not repoint it

    store.contexts.set_link(session_id=session.id, permalink=LINK)
    store.contexts.set_link(session_id=session.id, permalink=LINK + "?again")
    found = store.contexts.of_session(session_id=session.id)
    assert found is not None and found.permalink == LINK


def test_bad_values_are_refused_before_anything_is_written(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    with pytest.raises(InvalidValueError):
        store.contexts.keep(session_id=session.id, channel_id="", message_ts="1.2")
    with pytest.raises(InvalidValueError):
        store.contexts.keep(session_id=session.id, channel_id="C1", message_ts="9" * 65)
    with pytest.raises(NotFoundError):
        store.contexts.keep(session_id=session.id + 999, channel_id="C1", message_ts="1.2")
    with pytest.raises(InvalidValueError):
        store.contexts.set_link(session_id=session.id, permalink="x" * 501)
    assert store.contexts.of_session(session_id=session.id) is None
