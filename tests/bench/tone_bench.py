"""How well the tone check separates good walk-away messages from faulty ones.

Run from the repository root:

    .venv/bin/python -m tests.bench.tone_bench [--verbose]

It checks every message of tests/unit/tone_corpus.yml with the shipped check (the phrase rules
and the learned reader after them) and prints, for the whole corpus and for each set (dev:
written alongside the rules; round1 to round5: each written after the rules were frozen,
measured as held out, then used to widen them; blind and blind2: written by other authors from
the kinds' definitions alone, never used to change the rules, and the learned reader's
validation set; blind3: written the same way after the learned reader was frozen; the corpus
header has each round's figures):
recall (faulty messages flagged at all), exact kinds (faulty messages showing exactly the
expected kinds), and false alarms (good messages flagged), then per kind of fault how many
messages that should show it do, and how many show it that should not. Issue 11's targets: at
least 95% of faulty messages flagged, at most 5% of good ones. `--verbose` lists every message
scored wrong, with what was expected and found. The exit code is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tests.unit.tone_corpus import (
    FALSE_ALARM_TARGET,
    RECALL_TARGET,
    SETS,
    Scored,
    load_corpus,
    per_kind,
    rates,
    score,
)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def report(scored: Sequence[Scored], *, verbose: bool) -> bool:
    groups = [("all", list(scored))] + [
        (name, [s for s in scored if s.message.set == name]) for name in SETS
    ]
    print(f"{'set':<9} {'recall (flagged)':<18} {'exact kinds':<16} {'false alarms':<14}")
    for name, group in groups:
        r = rates(group)
        print(
            f"{name:<9} {_pct(r.flagged, r.faulty):<18} {_pct(r.exact, r.faulty):<16} "
            f"{_pct(r.false_alarms, r.good):<14}"
        )
    print(f"\n{'kind':<20} {'found where expected':<22} {'found where not expected'}")
    for k in per_kind(scored):
        print(f"{k.kind:<20} {_pct(k.found, k.expected):<22} {k.false_alarms}")
    wrong = [s for s in scored if not s.exact]
    if verbose and wrong:
        print("\nScored wrong:")
        for s in wrong:
            expected = ", ".join(sorted(s.message.kinds)) or "nothing"
            found = ", ".join(sorted(s.found)) or "nothing"
            note = " (known miss)" if s.message.miss else ""
            print(f"  [{s.message.set}] {s.message.id}: expected {expected}; found {found}{note}")
    total = rates(scored)
    met = total.recall >= RECALL_TARGET and total.false_alarm_rate <= FALSE_ALARM_TARGET
    print(
        f"\nTargets: recall >= {RECALL_TARGET:.0%}, false alarms <= {FALSE_ALARM_TARGET:.0%}: "
        + ("met" if met else "NOT met")
    )
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list messages scored wrong")
    args = parser.parse_args(argv)
    return 0 if report(score(load_corpus()), verbose=args.verbose) else 1


if __name__ == "__main__":
    sys.exit(main())
