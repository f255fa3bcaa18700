#!/usr/bin/env python3
"""Checks machine-readable zones with an implementation other than cancuoc-icao's: the
checker of the PyPI package `mrz` (pip install mrz), plus the few checks of the
Vietnamese layout that no generic checker knows.

Input, on standard input, either:
  - zones of 2 or 3 lines, separated by one or more blank lines (what
    `cargo run -p cancuoc-icao --example generate_mrz -- COUNT SEED` prints); or
  - a JSON array of zones, each an array of lines: [["IDVNM…", "…", "…"], …].
Three-line zones are read as TD1 (mrz.checker.td1.TD1CodeChecker), two-line zones as TD3
(mrz.checker.td3.TD3CodeChecker).

Output: each failing zone with the reasons, then exit status 1; otherwise
`checked N MRZs, all valid` and exit status 0.

What the PyPI checker verifies on a Vietnamese TD1 (line 1 `IDVNM` + the last 9 digits of
the personal ID + check digit + the 12 digits + `<<` + a check digit over the 12 digits):
the document number check digit over positions 6-14, the birth and expiry check digits,
and the composite check digit over line 1 positions 6-30 and line 2 positions 1-7, 9-15,
19-29 (Doc 9303-5 §4.2.4); the formats of the codes, dates, sex and name. Positions 16-30
are to it only "optional data" (it checks that they are MRZ characters), so it does not
know that they hold a check digit of their own: this script checks that apart, with the
package's own check digit function, along with the rest of the Vietnamese layout (the 9
digits are the last 9 of the 12; `<<` at 28-29; nationality VNM; fillers at 19-29 of line 2).

Where the PyPI checker and Doc 9303 disagree, Doc 9303 wins, in one place only: a birth
date with unknown parts written as fillers (`90<<<<`, `9005<<`) is allowed by Doc 9303-3
§4.8, but the checker parses dates with strptime("%y%m%d") and reports "false birth date".
For such a date this script accepts that report when the checker found the birth date
check digit right and the date is two digits of year followed by either `<<<<` or a month
01-12 and `<<`. Every other report of the checker fails the zone. (Its other date checks
guess the century: %y reads 00-68 as 20xx, so a card with the no-expiry value 991231 held
by someone born in 2000 or later would be flagged "expiry date before than birth date";
no real card is like that, since only people aged 60 and over get cards without expiry.)
"""

import json
import re
import sys

try:
    from mrz.base.functions import hash_string
    from mrz.checker.td1 import TD1CodeChecker
    from mrz.checker.td3 import TD3CodeChecker
except ImportError:
    sys.exit("check_mrz.py needs the PyPI package mrz: pip install mrz")

PARTIAL_BIRTH = re.compile(r"^[0-9]{2}(<<<<|(0[1-9]|1[0-2])<<)$")


def zones(text):
    """The zones in the input, each a list of lines."""
    if text.lstrip().startswith("["):
        return [[str(line).rstrip() for line in zone] for zone in json.loads(text)]
    found, current = [], []
    for line in text.splitlines():
        line = line.rstrip()
        if line:
            current.append(line)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def vietnamese(lines):
    """What the Vietnamese layout adds to TD1, which the PyPI checker does not know."""
    line1, line2 = lines[0], lines[1]
    short, personal_id = line1[5:14], line1[15:27]
    problems = []
    if not re.fullmatch(r"[0-9]{12}", personal_id):
        problems.append("personal ID (line 1, 16-27) is not 12 digits")
    elif personal_id[3:] != short:
        problems.append("document number is not the last 9 digits of the personal ID")
    if line1[27:29] != "<<":
        problems.append("line 1 positions 28-29 are not <<")
    if hash_string(personal_id) != line1[29]:
        problems.append(
            "personal ID check digit is %s, expected %s" % (line1[29], hash_string(personal_id))
        )
    if line2[15:18] != "VNM":
        problems.append("nationality is not VNM")
    if line2[18:29] != "<" * 11:
        problems.append("line 2 positions 19-29 are not fillers")
    return problems


def check(lines):
    """Problems with one zone (empty when valid), and whether a partial birth date was
    accepted against the checker's report."""
    if len(lines) == 3:
        checker = TD1CodeChecker("\n".join(lines))
        birth = lines[1][0:6]
    elif len(lines) == 2:
        checker = TD3CodeChecker("\n".join(lines))
        birth = lines[1][13:19]
    else:
        return ["%d lines: neither TD1 (3) nor TD3 (2)" % len(lines)], False
    failed = {name for name, ok in checker.report.fields if not ok}
    errors = list(checker.report.errors)
    partial = False
    if (
        failed == {"birth date"}
        and PARTIAL_BIRTH.match(birth)
        and ("birth date hash", True) in checker.report.fields
    ):
        # Doc 9303-3 §4.8: unknown parts of a birth date are fillers. See the docstring.
        failed, errors, partial = set(), [], True
    problems = ["PyPI mrz checker: %s" % e for e in errors]
    problems += ["PyPI mrz checker: false %s" % name for name in sorted(failed) if
                 "false %s" % name not in errors]
    if len(lines) == 3 and lines[0].startswith("IDVNM"):
        problems += vietnamese(lines)
    return problems, partial


def main():
    try:
        found = zones(sys.stdin.read())
    except (ValueError, TypeError) as error:
        sys.exit("check_mrz.py: input is neither blank-line separated zones nor JSON: %s" % error)
    failures = partials = 0
    for lines in found:
        try:
            problems, partial = check(lines)
        except Exception as error:  # the checker raises on lengths and characters
            problems, partial = ["PyPI mrz checker refused it: %s" % error], False
        partials += partial
        if problems:
            failures += 1
            print("invalid MRZ:")
            for line in lines:
                print("  " + line)
            for problem in problems:
                print("  - " + problem)
    if failures:
        print("checked %d MRZs, %d invalid" % (len(found), failures))
        return 1
    if partials:
        print(
            "note: %d of them have a partial birth date (Doc 9303-3 §4.8), which the PyPI "
            "checker cannot read; their birth date check digits it verified" % partials
        )
    print("checked %d MRZs, all valid" % len(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
