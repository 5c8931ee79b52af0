"""The terminal front end: the same qualification as Slack, one question at a time.

Input and output are injected so tests can drive a whole conversation; every answer is stored
before the next question is printed, so Ctrl-C or a closed terminal loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.domain.checklist import Question
from bot.domain.conversation import InvalidAnswer
from bot.domain.drafts import Recipient, Signature
from bot.domain.model import Actor, AnswerValue, Verdict
from bot.domain.recheck import STILL_TRUE
from bot.qualification.service import Progress, Qualifications

NOTE_MARK = " // "
HELP = (
    "Answer with a number or the answer's name. Type `back` to change the previous answer, "
    "`restart` to begin again, `quit` to stop (your answers are saved).\n"
    f"Add a note to any answer after '{NOTE_MARK.strip()}', e.g.  2 {NOTE_MARK.strip()} "
    "CFO said so on the call"
)


def run_console(
    service: Qualifications,
    *,
    actor: Actor,
    deal_name: str,
    read: Callable[[str], str],
    out: TextIO,
    rep: Signature | None = None,
    after: Callable[[int], str] | None = None,
) -> int:
    """Run (or resume) a qualification for one deal. Returns the process exit code.

    `rep` signs the draft (and is remembered for this console user); without it, the one
    remembered is used, or the rep is asked once, before the first draft. A re-check's
    questions each show last time's answer (`s` or Enter keeps it), and `after` gets the new
    record's id to say what changed (bot/qualification/recheck_console.py)."""
    progress = service.start(actor, deal_name)
    earlier = service.store.earlier_answers(session_id=progress.session.id)
    _say_hello(progress, out)
    try:
        while (question := progress.next_question) is not None:
            progress = _ask(
                service,
                progress,
                question,
                actor=actor,
                read=read,
                out=out,
                last=earlier.get(question.id),
            )
    except (KeyboardInterrupt, EOFError):
        # Read back, not remembered: Ctrl-C can land after an answer is stored and before
        # the loop has taken the progress that holds it.
        stored = service.progress(progress.session.id) or progress
        out.write(
            f"\n\nSaved {len(stored.conversation.answers)} answer(s). "
            f'Run `walkaway console "{deal_name}"` to pick up where you stopped.\n'
        )
        return 130
    except _Quit:
        out.write(f'Saved. Run `walkaway console "{deal_name}"` to pick up where you stopped.\n')
        return 0
    signature, recipient = None, None
    if service.verdict(progress).outcome.has_buyer_draft:  # a proceed asks nothing more
        signature = _signature(service, actor, rep=rep, read=read, out=out)
        recipient = _recipient(service, progress, read=read, out=out)
    finished = service.finish(progress.session.id, signature=signature, recipient=recipient)
    out.write(format_verdict(finished.verdict, deal_name=progress.session.deal_name))
    if finished.full:
        out.write("\nDraft email to the buyer (edit before sending):\n")
        out.write(f"    Subject: {finished.full.subject}\n\n")
        out.write(_indent(finished.full.email) + "\n")
        out.write("\nShort note, for chat or LinkedIn:\n")
        out.write(_indent(finished.full.short) + "\n")
    out.write(
        f"\nStored as record #{finished.record_id} "
        f"(`walkaway records show {finished.record_id}`).\n"
    )
    if after is not None:
        out.write(after(finished.record_id))
    return 0


def _line(read: Callable[[str], str], prompt: str) -> str | None:
    """One line, or None when input has ended (a script piping the answers)."""
    try:
        return read(prompt).strip()
    except EOFError:
        return None


def _signature(
    service: Qualifications,
    actor: Actor,
    *,
    rep: Signature | None,
    read: Callable[[str], str],
    out: TextIO,
) -> Signature:
    """--rep, else the signature this console user gave before, else asked (once)."""
    store = service.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    if rep is None:
        stored = store.display_name_of(workspace_id=workspace_id, slack_user_id=actor.user_id)
        if stored:
            return Signature.parse(stored)
        out.write(
            "\nHow should the draft be signed? Your name, and your title after a comma "
            "(e.g. Sam Ortiz, Account Executive). I'll remember it. Enter leaves it unsigned.\n"
        )
        rep = Signature.parse(_line(read, "> "))
    if rep.name:
        line = f"{rep.name}, {rep.title}" if rep.title else rep.name
        store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id, display_name=line)
    return rep


def _recipient(
    service: Qualifications, progress: Progress, *, read: Callable[[str], str], out: TextIO
) -> Recipient:
    """Who the draft is for, offered as the deal last had it: Enter keeps, '-' clears."""
    known = service.recipient_of(progress.session.deal_id)
    out.write(
        "\nWho is this message for? Enter keeps what is shown in brackets, '-' leaves it out.\n"
    )

    def ask(label: str, current: str | None) -> str | None:
        given = _line(read, f"  {label}{f' [{current}]' if current else ''}: ")
        if given is None or given == "":
            return current
        return None if given == "-" else given

    recipient = Recipient.of(
        ask("Buyer's organisation", known.organisation), ask("Contact's first name", known.contact)
    )
    service.store.remember_recipient(
        deal_id=progress.session.deal_id,
        organisation=recipient.organisation,
        contact=recipient.contact,
    )
    return recipient


class _Quit(Exception):
    """The rep asked to stop; everything answered is already stored."""


def _say_hello(progress: Progress, out: TextIO) -> None:
    steps = progress.conversation.progress()
    deal = progress.session.deal_name
    if progress.session.resumed and steps.answered:
        out.write(f"Resuming '{deal}': {steps.answered} answer(s) already saved.\n")
    elif steps.exact:
        out.write(f"Qualifying '{deal}'. {steps.most} short questions.\n")
    else:
        out.write(f"Qualifying '{deal}'. {steps.fewest} to {steps.most} short questions.\n")
    out.write(HELP + "\n")


def _ask(
    service: Qualifications,
    progress: Progress,
    question: Question,
    *,
    actor: Actor,
    read: Callable[[str], str],
    out: TextIO,
    last: AnswerValue | None = None,
) -> Progress:
    out.write(f"\n({progress.conversation.progress().shown()}) {question.text}\n")
    if question.help:
        out.write(f"    {question.help}\n")
    if last is not None:
        out.write(f"  Last time: {question.label_for(last)}\n  s. {STILL_TRUE} (or Enter)\n")
    for number, choice in enumerate(question.choices, start=1):
        out.write(f"  {number}. {choice.label}\n")
    line = read("> ").strip()
    command = line.casefold()
    if last is not None and command in ("", "s", STILL_TRUE.casefold()):
        line = str(last)
    if command in ("quit", "exit"):
        raise _Quit
    if command == "back":
        if not progress.conversation.answers:
            out.write("Nothing to go back to yet.\n")
            return progress
        return service.back(progress.session.id)
    if command == "restart":
        return service.restart(progress.session.id)
    if command in ("help", "?"):
        out.write(HELP + "\n")
        return progress
    raw, _, note = line.partition(NOTE_MARK.strip())
    try:
        updated = service.answer(
            progress.session.id,
            actor=actor,
            question_id=question.id,
            raw=raw.strip(),
            note=note.strip() or None,
        )
    except InvalidAnswer as problem:
        out.write(f"  {problem}\n")
        return progress
    assert updated is not None, "without a claim key every valid answer is recorded"
    return updated


def format_verdict(verdict: Verdict, *, deal_name: str) -> str:
    """The verdict as plain text for a terminal or an email-minded rep."""
    lines = [f"\n== Verdict for {deal_name}: {verdict.outcome.label.upper()} =="]
    sections = [
        ("Why", [r.text for r in verdict.reasons]),
        ("What would change it", [c.text for c in verdict.conditions]),
        ("Cautions", [c.text for c in verdict.cautions]),
    ]
    for title, items in sections:
        if items:
            lines.append(f"\n{title}:")
            lines.extend(f"  - {item}" for item in items)
    if verdict.recheck_on:
        lines.append(f"\nRe-check on {verdict.recheck_on.isoformat()}.")
    lines.append(f"\nRecord: {verdict.record_line}")
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())
