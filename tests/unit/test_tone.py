"""The tone checker a rep's edited draft goes through before it is posted."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.drafts import render_draft
from bot.domain.model import AnswerValue, Outcome
from bot.domain.tone import (
    FaultCode,
    ToneRulesError,
    check_tone,
    default_tone_rules,
    load_tone_rules,
    parse_tone_rules,
)
from bot.domain.tone_report import EXCERPT_LIMIT, fault_line, shorten, tone_issues
from bot.domain.verdict import decide

GOOD_DRAFTS = {
    "declining an automated blocking rule": (
        "Hi Priya,\n\n"
        "I want your fraud review programme to pay off, and after last week's workshop I don't "
        "think a fully automated blocking rule gets you there: a wrong block on a good customer "
        "cannot be reversed, and any model will make some.\n\n"
        "If you're open to starting with flagged payments that an analyst confirms, I'd be glad "
        "to pick this back up next quarter. Either way, I've attached the list of questions I "
        "would put to any vendor in this space.\n\nBest,\nTom\n"
    ),
    "stopping a forecasting pilot": (
        "Hi Marco, the pilot did the job we set it up for: it showed, on your own numbers, that "
        "the forecast accuracy is not yet where your planners need it. We agreed in March that a "
        "miss of this size would end it, so I recommend we stop here. When the new warehouse "
        "feed is live, we would happily run a fresh pilot against it. I'll send a short "
        "read-out of what we learned in the meantime."
    ),
    "deferring after a recent failed rollout": (
        "Hello Anne,\nyour team's results this year matter more than any timeline of ours. Given "
        "how recently the last rollout ended, a pause makes sense. Once you feel ready to look "
        "at a small measured trial, I\u2019d love to help; until then, here is an introduction to "
        "a peer who went through a similar reset."
    ),
    "idioms that look like faults but are not": (
        "Nothing is foolproof, and you never know how a model behaves on new data until it is "
        "measured. If a measured pilot suits you, we'd be glad to set one up."
    ),
    "a redirect to assisted review": (
        "Hi Sam,\n\nTo get the claims backlog down safely, I'd suggest starting with assisted "
        "review, where an adjuster approves each recommendation. If that first step works for "
        "you, I would be delighted to widen it as the results come in."
    ),
}

BAD_DRAFTS = {
    "blame": (
        "Hi Joe, honestly your team failed to give the last project an owner, which is why it "
        "went nowhere. If you name one this time, I'd be glad to restart.",
        {"blame"},
    ),
    "guilt": (
        "After all we've done for you this year, I hoped for more. If you find the budget, we'd "
        "be glad to continue.",
        {"guilt"},
    ),
    "threat": (
        "You'll regret going with the cheaper tool. If you change your mind, I'd be happy to talk.",
        {"threat"},
    ),
    "bluff": (
        "Other customers are lining up for this slot and the price goes up on Friday. If you want "
        "to go ahead, I'd be glad to send the contract.",
        {"bluff"},
    ),
    "self_centred": (
        "We can't support a project this small, and frankly it is not worth our time. If the "
        "scope grows, we'd be glad to look again.",
        {"self_centred"},
    ),
    "missing_conditions": (
        "Hi Lee, I don't think this is the right move for you right now. Thanks for your time and "
        "all the best.",
        {"missing_conditions"},
    ),
    "mixed": (
        "You people never read what we send. After everything we've put in, this is your last "
        "chance: other clients are waiting, and frankly this is not worth our time.",
        {"blame", "guilt", "ultimatum", "bluff", "self_centred", "missing_conditions"},
    ),
    # In the spirit of the seeds' cautionary lines, written fresh.
    "calling the buyer a non-believer": (
        "You're a non-believer. You hired our expertise and ignored it. If that changes, we'd be "
        "happy to talk.",
        {"blame"},
    ),
    "sinking-ship swagger": (
        "We don't bail water out of a sinking ship. When you're ready to sail, we'd be glad to "
        "hear from you.",
        {"blame"},
    ),
    "name-calling at the table": (
        "Frankly you numbskulls wasted my time. Once you have a real budget, I'll listen.",
        {"blame", "guilt"},
    ),
    "slow-walkaway bluff": (
        "This is my final offer, and it expires today only. If it suits, I'd be glad to sign.",
        {"ultimatum", "bluff"},
    ),
}


@pytest.mark.parametrize("text", GOOD_DRAFTS.values(), ids=GOOD_DRAFTS.keys())
def test_good_drafts_pass(text: str) -> None:
    assert check_tone(text) == []


@pytest.mark.parametrize(("text", "codes"), BAD_DRAFTS.values(), ids=BAD_DRAFTS.keys())
def test_bad_drafts_get_exactly_the_expected_faults(text: str, codes: set[str]) -> None:
    faults = check_tone(text)
    assert {f.code for f in faults} == codes
    for fault in faults:
        assert fault.suggestion and fault.message
        if fault.code == "missing_conditions":
            assert fault.excerpt == ""
        else:
            assert fault.excerpt and fault.excerpt in text


def test_fault_shows_the_words_that_tripped_it() -> None:
    faults = check_tone(BAD_DRAFTS["bluff"][0])
    assert [(f.code, f.excerpt) for f in faults] == [
        ("bluff", "Other customers are lining up"),
        ("bluff", "price goes up"),
    ]
    assert "real reason" in faults[0].suggestion


def test_faults_come_in_reading_order_with_missing_ones_last() -> None:
    codes = [f.code for f in check_tone(BAD_DRAFTS["mixed"][0])]
    assert codes == ["blame", "guilt", "ultimatum", "bluff", "self_centred", "missing_conditions"]


def test_matching_ignores_case_curly_quotes_and_line_breaks() -> None:
    text = "AFTER ALL\nWE\u2019VE DONE, I\u2019d be glad to talk again if you are."
    faults = check_tone(text)
    assert [(f.code, f.excerpt) for f in faults] == [("guilt", "AFTER ALL\nWE\u2019VE DONE")]


def test_patterns_match_whole_words_only() -> None:
    text = "The foolproofing, the jerkiness, and our quotation are fine. If so, I'd be glad to."
    assert check_tone(text) == []


def test_conditions_can_be_waived_for_a_message_that_is_not_a_no() -> None:
    text = BAD_DRAFTS["missing_conditions"][0]
    assert check_tone(text, expect_conditions=False) == []
    mixed = check_tone(BAD_DRAFTS["mixed"][0], expect_conditions=False)
    assert "missing_conditions" not in {f.code for f in mixed}


def test_condition_must_sit_in_one_sentence_with_the_offer_to_return() -> None:
    # The rule alone: the path reader after it reads "I'd be glad to." as a path back.
    alone = check_tone("I'd be glad to. Thanks. If only.", learned=False)
    assert alone[0].code == "missing_conditions"
    assert check_tone("If you name an owner, I'd be glad to restart.") == []
    assert check_tone("We would happily pick this up again once the data is ready.") == []


ANSWERS: dict[Outcome, dict[str, AnswerValue]] = {
    Outcome.STOP_PILOT: {
        "deal.stage": "pilot",
        "pilot.in_flight": "yes",
        "pilot.kill_criteria_written": "yes",
        "pilot.kill_criteria_met": "yes",
    },
    Outcome.WALK: {
        "use_case.autonomous_irreversible": "yes",
        "use_case.buyer_will_move": "no",
        "terms.guarantee_demanded": "yes",
        "terms.accepts_measured_pilot": "no",
        "terms.values_compromised": "yes",
        "terms.mutual_benefit": "no",
    },
    Outcome.DEFER: {
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "decision_path_ignored",
        "scar.still_present": "yes",
        "scar.addressable": "yes",
        "scar.months_since": 1,
        "buyer.evidence_receptive": "no",
    },
    Outcome.REDIRECT: {"use_case.autonomous_irreversible": "partly"},
}


@pytest.mark.parametrize("outcome", ANSWERS, ids=[o.value for o in ANSWERS])
def test_rendered_drafts_of_every_outcome_pass(outcome: Outcome) -> None:
    answers = ANSWERS[outcome]
    v = decide(answers, today=date(2025, 3, 10))
    assert v.outcome is outcome
    draft = render_draft(v, deal_name="the rollout", answers=answers, rep_name="Sam")
    assert draft is not None
    assert check_tone(draft) == []


# --- the rules file ----------------------------------------------------------------------------


def test_shipped_rules_cover_every_code_and_are_compiled_once() -> None:
    rules = default_tone_rules()
    assert rules is default_tone_rules()
    codes = {r.code for r in rules.faults} | {r.code for r in rules.required}
    assert codes == set(FaultCode)


RULE = """
faults:
  - code: {code}
    message: Blames the buyer.
    suggestion: Describe the situation.
    patterns: {patterns}
"""


def test_a_bad_regex_names_the_rule_and_the_pattern() -> None:
    text = RULE.format(code="blame", patterns="['you people', 'your (team']")
    with pytest.raises(ToneRulesError) as caught:
        parse_tone_rules(text)
    message = str(caught.value)
    assert "rule 'blame'" in message
    assert "pattern 2 'your (team'" in message
    assert "not a valid regular expression" in message


def test_an_unknown_code_is_refused() -> None:
    with pytest.raises(ToneRulesError, match="unknown code 'blam'"):
        parse_tone_rules(RULE.format(code="blam", patterns="['x']"))


def test_a_pattern_that_matches_nothing_at_all_is_refused() -> None:
    with pytest.raises(ToneRulesError, match="matches empty text"):
        parse_tone_rules(RULE.format(code="blame", patterns="['(you)?']"))


def test_a_rule_without_a_suggestion_is_refused() -> None:
    text = "faults:\n  - code: guilt\n    message: m\n    patterns: ['x']\n"
    with pytest.raises(ToneRulesError, match=r"rule 'guilt'.*'suggestion'"):
        parse_tone_rules(text)


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ToneRulesError, match="expected a mapping"):
        parse_tone_rules("- just a list\n")


def test_a_team_file_can_be_loaded_and_used(tmp_path: Path) -> None:
    path = tmp_path / "tone.yml"
    path.write_text(RULE.format(code="blame", patterns="['bespoke insult']"), "utf-8")
    rules = load_tone_rules(path)
    faults = check_tone("What a bespoke insult.", rules=rules)
    assert [(f.code, f.excerpt) for f in faults] == [("blame", "bespoke insult")]
    with pytest.raises(ToneRulesError, match="cannot read"):
        load_tone_rules(tmp_path / "missing.yml")


def test_terms_name_a_pattern_once_for_several_rules() -> None:
    text = (
        "terms:\n  people: 'your (team|board)'\n  blamed: '{{people}} failed'\n"
        "faults:\n  - code: blame\n    message: m\n    suggestion: s\n"
        "    patterns: ['{{blamed}}', 'so did {{ people }}']\n"
    )
    rules = parse_tone_rules(text)
    faults = check_tone("Your board failed, and so did your team.", rules=rules)
    assert [f.excerpt for f in faults] == ["Your board failed", "so did your team"]


def test_an_unknown_or_unclosed_term_names_the_rule() -> None:
    with pytest.raises(ToneRulesError, match=r"rule 'blame': unknown term \{\{nobody\}\}"):
        parse_tone_rules(RULE.format(code="blame", patterns="['{{nobody}} failed']"))
    with pytest.raises(ToneRulesError, match=r"rule 'blame': a \{\{term\}\} is not closed"):
        parse_tone_rules(RULE.format(code="blame", patterns="['{{nobody} failed']"))


# --- what a rep is shown: one grammatical line per kind of fault --------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "If you don't sign by Friday we will walk.",
        "Unless your board approves it this month, we'll have to move on.",
        "This is our final offer.",
        "Consider it your last chance to join the cohort.",
        "Sign by Friday, or we walk.",
        "You have until Wednesday to decide.",
        "We need your decision by end of day Thursday.",
    ],
)
def test_ultimatums_and_deadlines_used_as_threats_are_caught(text: str) -> None:
    assert "ultimatum" in {issue.kind for issue in tone_issues(text)}


def test_each_kind_is_one_issue_with_every_place_it_occurs_once() -> None:
    text = (
        "This is our final offer. It is your last chance, your LAST CHANCE. You people never "
        "listened, and honestly you should have listened."
    )
    issues = tone_issues(text)
    assert [(i.kind, i.excerpts) for i in issues] == [
        ("ultimatum", ("This is our final offer", "last chance")),
        ("blame", ("You people", "you should have listened")),
        ("missing_conditions", ()),
    ]


def test_lines_are_grammatical_with_and_without_words_to_quote() -> None:
    lines = [fault_line(i) for i in tone_issues("If you don't sign by Friday we will walk.")]
    assert lines == [
        "Pressures with an ultimatum or a deadline: “If you don't sign by Friday we will walk”. "
        "Drop the deadline and the “or else”; say what you recommend and why, and let them "
        "decide in their own time."
    ]
    missing = fault_line(tone_issues("Thanks for your time.")[0])
    assert missing.startswith("Never says what would change the decision. Add what would")
    for issue in tone_issues(BAD_DRAFTS["mixed"][0]):
        line = fault_line(issue)
        assert ".:" not in line and ". ." not in line and ".." not in line
        assert line.endswith((".", ".”"))


def test_a_rule_without_a_label_is_headed_by_its_message_without_the_full_stop() -> None:
    rules = parse_tone_rules(RULE.format(code="blame", patterns="['bespoke insult']"))
    issue = tone_issues("What a bespoke insult.", rules=rules, expect_conditions=False)[0]
    assert fault_line(issue) == "Blames the buyer: “bespoke insult”. Describe the situation."


def test_a_long_excerpt_keeps_both_ends_and_lines_escape_and_bold_their_parts() -> None:
    long = "If you don't " + "get every single approver in the building to agree " * 3 + "we walk"
    cut = shorten(long)
    assert (
        len(cut) <= EXCERPT_LIMIT
        and "…" in cut
        and cut.startswith("If you don't")
        and cut.endswith("we walk")
    )
    sentence = (
        "Honestly your team sat on our security questionnaire for seven weeks, which is why "
        "we never got to a real test."
    )
    assert shorten(sentence) == (
        "Honestly your team sat on our security…which is why we never got to a real test"
    )
    for width in range(30, 81):  # wherever the middle falls, both ends are whole words
        head, tail = shorten(sentence, limit=width).split("…")
        assert sentence.startswith(head + " ") and sentence.endswith(" " + tail + ".")
    issue = tone_issues("You people <@U1> are idiots & fools.", expect_conditions=False)[0]
    line = fault_line(issue, escape=lambda t: t.replace("<", "&lt;"), bold=lambda t: f"*{t}*")
    assert line.startswith("*Blames or judges the buyer*: “You people”, “idiots”, “fools”.")
