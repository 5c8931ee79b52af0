"""The checklist file is data a team edits: a broken one must say where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.checklist import (
    CONTRACT,
    MAX_CHOICES,
    MAX_ID,
    MAX_VALUE,
    Checklist,
    ChecklistError,
    QuestionKind,
    load_checklist,
    parse_checklist,
)

SHIPPED = Path(__file__).resolve().parents[2] / "prompts" / "checklist.yml"


def _shipped_text() -> str:
    return SHIPPED.read_text("utf-8")


def _broken(old: str, new: str) -> str:
    text = _shipped_text()
    assert old in text, f"test fixture drifted: {old!r} not in checklist.yml"
    return text.replace(old, new, 1)


def test_shipped_checklist_holds_every_contract_id_and_value() -> None:
    checklist = load_checklist()
    for qid, values in CONTRACT.items():
        question = checklist.question(qid)
        if values is None:
            assert question.kind is QuestionKind.NUMBER
            assert question.minimum == 0
        else:
            assert set(values) <= set(question.values)


def test_yes_and_no_are_read_as_words_not_booleans() -> None:
    checklist = load_checklist()
    assert checklist.question("scar.previous_attempt").values == ("yes", "no")
    assert checklist.question("scar.failure_mode").ask_if == {"scar.previous_attempt": ("yes",)}


def test_content_hash_changes_with_wording_only_when_wording_changes() -> None:
    first = parse_checklist(_shipped_text())
    again = parse_checklist(_shipped_text())
    reworded = parse_checklist(
        _broken("Where is this deal right now?", "Where does this deal stand?")
    )
    assert first.content_hash == again.content_hash
    assert first.content_hash != reworded.content_hash
    assert reworded.snapshot()["questions"][0]["text"] == "Where does this deal stand?"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    kind: number\n",
            "    kind: numbr\n",
            ["question 'scar.months_since'", "field 'kind'", "unknown kind 'numbr'", "line "],
        ),
        (
            "id: scar.addressable",
            "id: scar.still_present",
            ["question 'scar.still_present'", "field 'id'", "duplicate id"],
        ),
        (
            'ask_if: {terms.guarantee_demanded: ["yes"]}',
            'ask_if: {terms.guarantee_demaned: ["yes"]}',
            ["question 'terms.accepts_measured_pilot'", "field 'ask_if'", "unknown id"],
        ),
        (
            'ask_if: {terms.guarantee_demanded: ["yes"]}',
            'ask_if: {terms.guarantee_demanded: ["maybe"]}',
            ["question 'terms.accepts_measured_pilot'", "field 'ask_if'", "no value(s) maybe"],
        ),
        (
            'ask_if: {terms.guarantee_demanded: ["yes"]}',
            'ask_if: {self.quota_only: ["yes"]}',
            ["question 'terms.accepts_measured_pilot'", "field 'ask_if'", "a later question"],
        ),
        (
            'ask_if: {terms.guarantee_demanded: ["yes"]}',
            "ask_if: {terms.guarantee_demanded: []}",
            ["question 'terms.accepts_measured_pilot'", "field 'ask_if", "lists no values"],
        ),
    ],
)
def test_broken_checklist_names_question_and_field(old: str, new: str, expected: list[str]) -> None:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(_broken(old, new))
    for part in expected:
        assert part in str(caught.value)


def test_empty_value_list_is_rejected_naming_the_question() -> None:
    text = _shipped_text() + (
        "\n  - id: extra.empty\n    kind: choice\n    text: Anything?\n    choices: []\n"
    )
    with pytest.raises(ChecklistError, match=r"question 'extra.empty', field 'choices'.*non-empty"):
        parse_checklist(text)


def test_team_may_add_questions_but_not_drop_contract_values() -> None:
    extended = _shipped_text() + (
        "\n  - id: team.champion\n    kind: text\n    text: Who is your champion?\n"
    )
    assert parse_checklist(extended).question("team.champion").kind is QuestionKind.TEXT
    with pytest.raises(ChecklistError, match=r"'terms.mutual_benefit'.*missing value\(s\) unsure"):
        parse_checklist(
            _broken(
                "      - {value: unsure, label: Not sure}\n\n  - id: dynamics", "\n  - id: dynamics"
            )
        )


def test_missing_or_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ChecklistError, match="cannot read checklist"):
        load_checklist(tmp_path / "nope.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("questions: [unclosed", "utf-8")
    with pytest.raises(ChecklistError, match="not valid YAML"):
        load_checklist(bad)


def test_team_checklist_file_is_loaded_from_its_path(tmp_path: Path) -> None:
    own = tmp_path / "ours.yml"
    own.write_text(_broken("Where is this deal right now?", "Deal stage?"), "utf-8")
    assert load_checklist(own).question("deal.stage").text == "Deal stage?"


def _with_question(qid: str, values: list[str]) -> str:
    """The shipped checklist with one more choice question, first."""
    choices = "".join(f"      - {{value: {v}, label: Option {n}}}\n" for n, v in enumerate(values))
    question = f"  - id: {qid}\n    kind: choice\n    text: Which one?\n    choices:\n{choices}\n"
    return _shipped_text().replace("questions:\n", "questions:\n" + question, 1)


def test_a_question_at_the_slack_limits_loads() -> None:
    qid = ("team." + "x" * MAX_ID)[:MAX_ID]
    values = [f"{n:03d}" + "v" * (MAX_VALUE - 3) for n in range(MAX_CHOICES)]
    question = parse_checklist(_with_question(qid, values)).question(qid)
    assert question.values == tuple(values)


def test_a_question_id_too_long_for_slack_is_refused_naming_question_and_field() -> None:
    qid = ("team." + "x" * MAX_ID)[: MAX_ID + 1]
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(_with_question(qid, ["a", "b"]))
    message = str(caught.value)
    assert f"question '{qid}', field 'id'" in message
    assert f"{MAX_ID + 1} characters; at most {MAX_ID}" in message
    assert "line 16" in message


def test_more_values_than_a_slack_menu_holds_are_refused_naming_question_and_field() -> None:
    values = [f"v{n}" for n in range(MAX_CHOICES + 1)]
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(_with_question("team.region", values))
    message = str(caught.value)
    assert "question 'team.region', field 'choices'" in message
    assert f"has {MAX_CHOICES + 1} values; a Slack menu holds at most {MAX_CHOICES}" in message
    assert " line " in message


def test_a_value_too_long_to_carry_is_refused_naming_question_and_field() -> None:
    with pytest.raises(ChecklistError) as caught:
        parse_checklist(_with_question("team.region", ["a", "v" * (MAX_VALUE + 1)]))
    assert "question 'team.region', field 'choices.1.value'" in str(caught.value)


def test_a_stored_session_checklist_over_the_menu_limit_still_reads() -> None:
    """Sessions keep the checklist they were answered against; the menu limit is new."""
    snapshot = load_checklist().snapshot()
    big = {
        "id": "team.region",
        "kind": "choice",
        "text": "Which one?",
        "choices": [{"value": f"v{n}", "label": f"V{n}"} for n in range(MAX_CHOICES + 1)],
    }
    snapshot["questions"] = [big, *snapshot["questions"]]
    stored = Checklist.model_validate({k: v for k, v in snapshot.items() if k != "hash"})
    assert len(stored.question("team.region").choices) == MAX_CHOICES + 1
