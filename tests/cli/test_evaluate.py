"""`walkaway evaluate` is for scripts: JSON out, one clear line and exit 2 on a bad file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.domain.checklist import load_checklist
from bot.domain.drafts import Draft, Length
from bot.domain.model import Outcome
from bot.domain.verdict import decide
from bot.qualification.evaluate import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    AnswersFileError,
    evaluate,
    read_answers_file,
)
from tests.unit.test_drafts import (
    CASES,
    DANA,
    DEAL,
    SAM,
    TODAY,
    assert_five_qualities,
    assert_sendable,
)

WALK = {
    "deal": "Acme renewal",
    "answers": {
        "deal.stage": "negotiation",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "unclear_ownership",
        "scar.still_present": "yes",
        "scar.addressable": "no",
        "scar.months_since": 14,
        "buyer.evidence_receptive": "yes",
        "terms.guarantee_demanded": "no",
        "terms.values_compromised": "no",
        "terms.mutual_benefit": "yes",
        "dynamics.deadlock": "no",
        "dynamics.better_alternative": "no",
        "self.quota_only": "no",
    },
}


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    env.pop("WALKAWAY_CHECKLIST", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def _answers_file(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def test_evaluate_prints_the_verdict_as_json_for_scripts(tmp_path: Path) -> None:
    path = _answers_file(tmp_path, WALK)
    done = _run(tmp_path, "evaluate", "--answers", str(path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "walk"
    assert [r["signal"] for r in result["reasons"]] == ["scar_not_removable"]
    assert any("owner" in c["text"] for c in result["conditions"])
    assert result["recheck_on"] is None
    assert "unclear ownership" in result["record_line"]
    assert result["draft"] and "Acme renewal" not in result["draft"], "the internal name"
    assert "the project we've been shaping" in result["draft"]
    assert result["subject"] == "An honest view on the plan as it stands"
    assert result["draft_short"] and "operational owner" in result["draft_short"]
    assert result["ignored"] == []
    assert set(result) >= {
        "outcome",
        "reasons",
        "conditions",
        "cautions",
        "recheck_on",
        "record_line",
        "draft",
        "draft_short",
        "subject",
    }


def test_contact_organisation_and_rep_address_and_sign_both_lengths(tmp_path: Path) -> None:
    named = {**WALK, "contact": "Dana", "organisation": "Globex", "rep": "Sam Ortiz, AE"}
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, named)), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subject"] == "Globex: an honest view on the plan as it stands"
    assert result["draft"].startswith("Hi Dana,\n") and "your team at Globex" in result["draft"]
    assert result["draft"].endswith("Sam Ortiz\nAE\n")
    assert result["draft_short"].startswith("Hi Dana,\n")
    assert result["draft_short"].endswith("Sam Ortiz\n")


@pytest.mark.parametrize(("outcome", "answers"), CASES.values(), ids=CASES.keys())
def test_every_outcome_with_a_draft_gives_two_good_sendable_lengths(
    outcome: Outcome, answers: dict[str, Any]
) -> None:
    checklist = load_checklist()
    result = evaluate(
        DEAL,
        answers,
        checklist=checklist,
        today=TODAY,
        recipient=DANA,
        signature=SAM,
    )
    verdict = decide(answers, today=TODAY, checklist=checklist)
    assert result["outcome"] == outcome.value == verdict.outcome.value
    draft = Draft(subject=result["subject"], email=result["draft"], short=result["draft_short"])
    assert_five_qualities(verdict, draft.email, answers, length=Length.EMAIL)
    assert_five_qualities(verdict, draft.short, answers, length=Length.SHORT)
    assert_sendable(draft)


def test_a_contact_that_is_not_a_string_is_one_line(tmp_path: Path) -> None:
    path = _answers_file(tmp_path, {**WALK, "contact": 7})
    done = _run(tmp_path, "evaluate", "--answers", str(path), "--json")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "contact" in done.stderr


def test_partial_answers_are_valid_and_off_branch_answers_are_ignored(tmp_path: Path) -> None:
    path = _answers_file(
        tmp_path,
        {"deal": "Beta", "answers": {"deal.stage": "evaluation", "pilot.in_flight": "yes"}},
    )
    done = _run(tmp_path, "evaluate", "--answers", str(path), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"] == "proceed"
    assert result["ignored"] == ["pilot.in_flight"]
    assert any(c["code"] == "not_answered" for c in result["cautions"])
    assert result["draft"] is None


def test_evaluate_without_json_prints_a_readable_verdict(tmp_path: Path) -> None:
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, WALK)))
    assert done.returncode == 0, done.stderr
    assert "Verdict for Acme renewal: WALK AWAY" in done.stdout
    assert "Draft email to the buyer\nSubject: " in done.stdout
    assert "Short note (chat or LinkedIn)" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "Input should be a valid dictionary"),
        ({"deal": "x"}, "answers: Field required"),
        ({"deal": "x", "answers": {"deal.stag": "pilot"}}, "unknown question id 'deal.stag'"),
        ({"deal": "x", "answers": {"deal.stage": "later"}}, "'later' is not one of the answers"),
        ({"deal": "x", "answers": {"scar.months_since": -2}}, "cannot be below 0"),
        ({"deal": "x", "answers": {"deal.stage": ["pilot"]}}, "answers.deal.stage"),
        ({"deal": "x", "answers": {}, "extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_answers_file_gets_one_clear_line_and_exit_2(
    tmp_path: Path, content: Any, message: str
) -> None:
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, content)), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_answers_file_is_a_clear_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "evaluate", "--answers", str(tmp_path / "nope.json"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr and "Traceback" not in done.stderr


def test_broken_team_checklist_stops_with_the_question_and_field(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[2] / "prompts" / "checklist.yml"
    broken = tmp_path / "ours.yml"
    broken.write_text(shipped.read_text("utf-8").replace("    kind: number\n", "    kind: count\n"))
    env_file = tmp_path / ".env"
    env_file.write_text(f"WALKAWAY_CHECKLIST={broken}\n")
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, WALK)))
    assert done.returncode == 2
    assert "question 'scar.months_since', field 'kind'" in done.stderr
    assert "Traceback" not in done.stderr


def _refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr[:2000]
    assert message in lines[0]
    assert "Traceback" not in done.stderr


def test_an_endless_file_is_refused_after_1_mb_not_read_into_memory(tmp_path: Path) -> None:
    done = _run(tmp_path, "evaluate", "--answers", "/dev/zero", "--json")
    _refused(done, "/dev/zero: larger than 1 MB")


def test_100000_nested_brackets_are_one_line_not_a_recursion_error(tmp_path: Path) -> None:
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, "[" * 100_000)))
    _refused(done, "nested deeper than 20 levels")


def test_a_huge_integer_is_not_valid_json_here_not_a_traceback(tmp_path: Path) -> None:
    content = '{"answers": {"scar.months_since": ' + "9" * 5000 + "}}"
    done = _run(tmp_path, "evaluate", "--answers", str(_answers_file(tmp_path, content)))
    _refused(done, "not valid JSON")


def _padded(size: int) -> str:
    """WALK as JSON, padded with trailing spaces to exactly `size` bytes."""
    text = json.dumps(WALK)
    return text + " " * (size - len(text.encode("utf-8")))


def test_the_size_limit_is_exactly_1_mb(tmp_path: Path) -> None:
    checklist = load_checklist()
    at_limit = _answers_file(tmp_path, _padded(MAX_FILE_BYTES))
    assert read_answers_file(at_limit, checklist).deal == "Acme renewal"

    over = _answers_file(tmp_path, _padded(MAX_FILE_BYTES + 1))
    with pytest.raises(AnswersFileError, match="larger than 1 MB"):
        read_answers_file(over, checklist)


def _nested(levels: int) -> str:
    """A valid answers file whose JSON goes `levels` deep (the answers themselves are two)."""
    return '{"answers": {}, "extra": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


def test_the_nesting_limit_counts_arrays_and_objects_but_not_brackets_in_strings(
    tmp_path: Path,
) -> None:
    checklist = load_checklist()
    # 20 levels pass the depth check and reach validation (which refuses the extra field).
    with pytest.raises(AnswersFileError, match="extra: Extra inputs are not permitted"):
        read_answers_file(_answers_file(tmp_path, _nested(MAX_NESTING)), checklist)
    with pytest.raises(AnswersFileError, match="nested deeper than 20 levels"):
        read_answers_file(_answers_file(tmp_path, _nested(MAX_NESTING + 1)), checklist)

    bracketed = {**WALK, "deal": 'Acme "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" {{{{{{{{{{{{{{{{{{{{{{{{'}
    given = read_answers_file(_answers_file(tmp_path, bracketed), checklist)
    assert given.deal == bracketed["deal"]
