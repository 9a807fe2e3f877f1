"""Mutation testing of the decision and parsing modules against the fast lane (tests marked unit).

mutmut makes one-line changes ("mutants") to the functions below and runs the unit tests that call
them; a mutant no test notices is a bug the tests would let through. This prints the share of
mutants killed per module and exits 1 when a module is under the target, so it can be a habit.
Only the functions that decide or parse are in scope: code that talks to a wiki is tested by the
wiki tests, which are too slow to run once per mutant. Equivalent mutants (changes no caller can
observe) are listed in EQUIVALENT with the reason, and left out of the score.

    scripts/mutation            # every module in scope
    scripts/mutation rules      # one module; prints each surviving mutant's diff
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

TARGET = 0.85
ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [str(ROOT / ".venv" / "bin" / "mutmut")]

# Module -> mutmut's names of the functions in scope (x_<function>, xǁ<Class>ǁ<method>).
SCOPE: dict[str, list[str]] = {
    "rules": ["bot.rules.*"],
    "sweep (decide and measures)": [
        f"bot.sweep.{name}__mutmut_*" for name in (
            "xǁDecisionǁ*", "x_days_between", "x_measure_inactivity", "x_count_rule_fails", "x_inactivity",
            "x_lapse_key", "x_next_stage_text", "x_upcoming", "x_decide", "x_decide_one", "x_away_decision",
            "x_journal_entry", "x_decision_to_json", "x_decision_from_json", "x_format_text", "x_apply_to_list",
            "x_count_rule_lapses",
        )
    ],
    "mentors (parsing)": [
        f"bot.mentors.{name}__mutmut_*" for name in (
            "xǁMentorǁ*", "xǁAnomalyǁ*", "xǁMentorListǁ*", "x_with_true_away_states", "x_away_date", "x__entry",
            "x__entries", "x_parse_mentor_page", "x_parse_mentor_api",
        )
    ],
    "dump": ["bot.dump.*"],
    "coverage (counting)": [
        f"bot.reports.coverage.{name}__mutmut_*" for name in (
            "xǁUserFlagsǁ*", "x_is_temporary", "x_mediawiki_time", "x_registration_batches",
            "x__registration_chunks", "x__check_header", "x__exact_registrations", "x__registration_row",
            "x__fast_registrations", "x__numbers", "x_read_states_file", "x_count", "x_why_no_mentor",
            "x_cohorts", "x_share", "x_month_text", "x_kind_order",
        )
    ],
}

# Mutants that change nothing a caller can observe, with the reason; left out of the score.
EQUIVALENT: dict[str, str] = {
    "bot.rules.x_load_checked__mutmut_4": "object_root=None is as false as object_root=False",
    "bot.rules.x_schema__mutmut_2": "the schema files are ASCII, the same in any locale's encoding",
    "bot.rules.x_schema__mutmut_8": "'UTF-8' and 'utf-8' name the same codec",
}


def in_scope(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def results() -> dict[str, str]:
    listing = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    return dict(re.findall(r"^\s+(\S+): (.+)$", listing, re.MULTILINE))


def main(argv: list[str]) -> int:
    chosen = {module: patterns for module, patterns in SCOPE.items()
              if not argv or any(module.startswith(arg) for arg in argv)}
    if not chosen:
        print(f"mutation: no module named {' or '.join(argv)}; in scope: {', '.join(SCOPE)}", file=sys.stderr)
        return 2
    patterns = [pattern for module_patterns in chosen.values() for pattern in module_patterns]
    run = subprocess.run([*MUTMUT, "run", *patterns], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:  # mutmut's own progress display is noise, except when it fails
        print(run.stdout[-5000:], run.stderr[-5000:], sep="\n", file=sys.stderr)
        print(f"mutation: mutmut failed (exit {run.returncode})", file=sys.stderr)
        return 1
    status = results()
    below = []
    print(f"{'module':<30}{'mutants':>8}{'killed':>8}{'equivalent':>11}{'score':>8}")
    for module, module_patterns in chosen.items():
        names = [name for name in status if in_scope(name, module_patterns)]
        counted = Counter(status[name] for name in names if name not in EQUIVALENT)
        judged = sum(counted.values())
        killed = counted["killed"] + counted["timeout"]
        score = killed / judged if judged else 1.0
        print(f"{module:<30}{len(names):>8}{killed:>8}{len(names) - judged:>11}{score:>8.0%}")
        survivors = sorted(name for name in names
                           if name not in EQUIVALENT and status[name] not in ("killed", "timeout"))
        for name in survivors:
            print(f"    {status[name]}: {name}")
            if argv:
                shown = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True).stdout
                print("\n".join("        " + line for line in shown.splitlines()))
        if score < TARGET:
            below.append(module)
    stale = [name for name in EQUIVALENT if name in status and status[name] in ("killed", "timeout")]
    for name in stale:  # the code changed under the list: the entry no longer means what it says
        print(f"mutation: {name} is listed as equivalent but was killed; remove it from EQUIVALENT", file=sys.stderr)
    if below:
        print(f"mutation: under {TARGET:.0%} in {', '.join(below)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
