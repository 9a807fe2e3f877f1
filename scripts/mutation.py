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
            "x_lapse_key", "x_decide", "x_decide_one", "x_details", "x_journal_entry", "x_decision_to_json",
            "x_decision_from_json", "x_apply_to_list", "x_count_rule_lapses",
        )
    ],
    "messages": ["bot.messages.*"],
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

# Mutants that change nothing a caller can observe, with the reason; left out of the score. The
# names follow mutmut's numbering of the code as it is: an entry that a change to the code turns
# into a killed mutant is reported below, so the list cannot quietly go stale.
_EQUIVALENT_GROUPS: dict[str, list[str]] = {
    "'UTF-8' and 'utf-8' ('ASCII' and 'ascii') name the same codec; the schema files are ASCII": [
        "bot.rules.x_schema__mutmut_2", "bot.rules.x_schema__mutmut_8",
        "bot.reports.coverage.x__check_header__mutmut_12", "bot.reports.coverage.x__exact_registrations__mutmut_16",
        "bot.reports.coverage.x__registration_chunks__mutmut_44", "bot.dump.x__snippet__mutmut_8",
        "bot.dump.x__text__mutmut_8", "bot.dump.x__unquote_name__mutmut_12",
        "bot.dump.xǁ_Parserǁ_convert__mutmut_61", "bot.dump.xǁ_Parserǁ_convert__mutmut_71",
        "bot.dump.xǁ_Parserǁ_convert__mutmut_81",
    ],
    "None is as false as False where the value is only tested for truth or set before it is read": [
        "bot.rules.x_load_checked__mutmut_4", "bot.reports.coverage.x__registration_chunks__mutmut_5",
        "bot.dump.xǁ_Parserǁ__init____mutmut_11", "bot.dump.xǁ_Parserǁ__init____mutmut_13",
        "bot.dump.xǁ_Parserǁ__init____mutmut_15", "bot.dump.x__pieces__mutmut_14",
    ],
    "numpy infers the dtype given (int64 from Python ints, bool from bools; the lists are never empty)": [
        *[f"bot.reports.coverage.x__exact_registrations__mutmut_{n}" for n in (40, 42, 44, 46)],
        *[f"bot.reports.coverage.x__fast_registrations__mutmut_{n}" for n in (83, 85, 327, 329, 333, 335)],
        *[f"bot.reports.coverage.x__numbers__mutmut_{n}" for n in (3, 18, 20)],
        *[f"bot.reports.coverage.x_registration_batches__mutmut_{n}" for n in (54, 56, 65, 67)],
        *[f"bot.dump.xǁ_Parserǁ_general_batch__mutmut_{n}" for n in (201, 203, 205, 207, 209, 211, 213, 215)],
    ],
    "zip over the columns of one table: the lengths are always equal, so strict= changes nothing": [
        *[f"bot.reports.coverage.x_registration_batches__mutmut_{n}" for n in (18, 20, 21)],
        *[f"bot.reports.coverage.x_count__mutmut_{n}" for n in (33, 36, 37)],
        *[f"bot.reports.coverage.x__fast_registrations__mutmut_{n}" for n in (294, 297, 298)],
        *[f"bot.dump.xǁMentorBatchǁ__iter____mutmut_{n}" for n in (5, 10, 15)],
    ],
    "a size that tunes speed only (batch size, a preallocation hint, padding, when numpy counts lines)": [
        "bot.reports.coverage.x_registration_batches__mutmut_1",
        "bot.reports.coverage.x_registration_batches__mutmut_33",
        "bot.reports.coverage.x__fast_registrations__mutmut_7", "bot.reports.coverage.x__fast_registrations__mutmut_75",
        "bot.reports.coverage.x__fast_registrations__mutmut_166",
        *[f"bot.dump.x__line_breaks__mutmut_{n}" for n in (1, 2, 3, 4)],
    ],
    "the file is cut into chunks at other line breaks, or all of it read in one: the same rows are read": [
        "bot.reports.coverage.x__registration_chunks__mutmut_16",
        "bot.reports.coverage.x__registration_chunks__mutmut_17",
        "bot.reports.coverage.x__registration_chunks__mutmut_48",
    ],
    "a page without messages gives no overrides, whatever stands in for the missing key": [
        "bot.rules.x_parse_rules__mutmut_221", "bot.rules.x_parse_rules__mutmut_223",
    ],
    "the away stage comes only for a mentor not away, or away past the mark's end (an own date up to it "
    "makes the stage unneeded): there >= decides as > does, and 'capped or away' as 'capped and away'": [
        "bot.sweep.x_decide_one__mutmut_275", "bot.sweep.x_decide_one__mutmut_279",
    ],
    "a journaled decision with a next date always carries its next stage": [
        *[f"bot.sweep.x_decision_from_json__mutmut_{n}" for n in (42, 44, 47)],
    ],
    "a language without a message file falls back to English, as the default 'en' does": [
        "bot.messages.xǁMessagesǁ__init____mutmut_1", "bot.messages.xǁMessagesǁ__init____mutmut_2",
    ],
    "the first line's number is set after the header before it is used": [
        "bot.reports.coverage.x__registration_chunks__mutmut_3",
        "bot.reports.coverage.x__registration_chunks__mutmut_4",
    ],
    "the numpy path gives up more often (or never takes a chunk); the exact path then reads the same rows": [
        "bot.reports.coverage.x__registration_chunks__mutmut_58",
        *[f"bot.dump.xǁ_Parserǁ_fast_batch__mutmut_{n}" for n in (20, 22, 23, 26, 28, 29, 31, 34, 35)],
    ],
    "inside the numpy path an error is caught and the chunk given to the exact path, so its text is never shown": [
        *[f"bot.reports.coverage.x__fast_registrations__mutmut_{n}" for n in (301, 302, 307, 308, 311, 313)],
    ],
    "a check numpy makes twice: an all() over each line, then over all lines, is one all() over both": [
        "bot.reports.coverage.x__fast_registrations__mutmut_196",
    ],
    "a name shorter than two bytes cannot hold '~2' anyway: the length check is redundant": [
        "bot.reports.coverage.x__fast_registrations__mutmut_266",
        "bot.reports.coverage.x__fast_registrations__mutmut_267",
    ],
    "timestamps have a day of 01 or more, so dividing by 10**8 + 1 (or / then int64) gives the same month": [
        "bot.reports.coverage.x__exact_registrations__mutmut_27",
        "bot.reports.coverage.x__exact_registrations__mutmut_28",
        "bot.reports.coverage.x__fast_registrations__mutmut_338",
        "bot.reports.coverage.x_registration_batches__mutmut_57",
    ],
    "'temporary' is only read as true or false": ["bot.reports.coverage.x__registration_row__mutmut_24"],
    "csv.reader over one line always yields a row, so next()'s default is never used": [
        "bot.reports.coverage.x__check_header__mutmut_3", "bot.reports.coverage.x__check_header__mutmut_5",
    ],
    "warnings.simplefilter's category only narrows which warning is silenced in a block that raises none else": [
        "bot.dump.x__read_numbers__mutmut_2", "bot.dump.x__read_numbers__mutmut_4",
    ],
}
EQUIVALENT: dict[str, str] = {name: reason for reason, names in _EQUIVALENT_GROUPS.items() for name in names}


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
