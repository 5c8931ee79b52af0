"""Who a deal's drafts are for: kept on the deal for its later checks, and the record's drafts
(email, short note, subject) written afresh for them, never once sent."""

from __future__ import annotations

import pytest

from storage import Store
from storage.errors import InvalidValueError
from tests.storage.builders import Team, defer_verdict, open_deal


def _record(store: Store, team: Team, deal: str = "Acme Corp", *, addressed: bool) -> int:
    session = open_deal(store, team, deal)
    return store.complete_session(
        session_id=session.id,
        verdict=defer_verdict(),
        draft_text="Hello, the email.",
        subject="Why a later start may serve you better",
        draft_short="Hello, the note.",
        addressed=addressed,
    )


def test_a_record_waits_to_be_addressed_and_the_deal_remembers_who_it_was_for(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team, addressed=False)
    record = store.get_record(record_id=record_id)
    assert record is not None and record.addressed_at is None
    assert (record.subject, record.draft_short) == (
        "Why a later start may serve you better",
        "Hello, the note.",
    )

    first = store.address_record(
        record_id=record_id, organisation="Globex", contact="Dana", remember=True
    )
    again = store.address_record(
        record_id=record_id, organisation="Globex Ltd", contact="Dana", remember=True
    )

    assert (first, again) == (True, False)
    addressed = store.get_record(record_id=record_id)
    assert addressed is not None and addressed.addressed_at is not None
    assert (addressed.organisation, addressed.contact) == ("Globex Ltd", "Dana")
    assert store.deal_recipient(deal_id=store.deal_of_session(session_id=addressed.session_id)) == (
        "Globex Ltd",
        "Dana",
    )


def test_skipping_addresses_the_record_and_leaves_the_deal_as_it_was(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team, addressed=False)
    assert store.address_record(
        record_id=record_id, organisation=None, contact=None, remember=False
    )
    record = store.get_record(record_id=record_id)
    assert record is not None and record.addressed_at is not None
    assert (record.organisation, record.contact) == (None, None)


def test_drafts_are_rewritten_until_sent_and_the_card_length_is_kept(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team, addressed=True)
    store.set_draft_length(record_id=record_id, length="short")
    assert store.replace_drafts(
        record_id=record_id, subject="Globex: later", email="Hi Dana, email.", short="Hi Dana."
    )
    record = store.get_record(record_id=record_id)
    assert record is not None and record.draft_length == "short"
    assert record.shown_draft == "Hi Dana." and record.subject == "Globex: later"
    store.update_draft(record_id=record_id, text="Hi Dana, edited.", length="short")
    edited = store.get_record(record_id=record_id)
    assert edited is not None and edited.shown_draft == "Hi Dana, edited."

    assert store.mark_sent(record_id=record_id, text="Hi Dana, edited.", by_user_id=team.rep_id)
    assert not store.replace_drafts(record_id=record_id, subject="x", email="y", short="z")
    with pytest.raises(InvalidValueError):
        store.set_draft_length(record_id=record_id, length="tweet")
