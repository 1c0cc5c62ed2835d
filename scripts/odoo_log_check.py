"""Read an Odoo test log and print "<passed> <failed>".

Exit 1 when a test failed, when no test ran, or when the log has an ERROR, CRITICAL or WARNING
line that is not one of the machine's own (listed below, each with why it is not the addon's).
"""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<msg>.*)")
# odoo/service/server.py logs it after the run: "0 failed, 0 error(s) of 34 tests when loading database"
SUMMARY = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<total>\d+) tests")

MACHINE_NOISE = (
    # CI and the sessions run as root on their own machine
    re.compile(r"Running as user 'root'"),
    # no wkhtmltopdf here: report tests render HTML, Odoo warns it cannot make PDFs
    re.compile(r"You need Wkhtmltopdf to print a pdf version of the reports"),
    # the test database is made with --skip-auto-install, which leaves out partner_autocomplete:
    # the sale order form names its res_partner_many2one widget, and the browser of the tours says so
    re.compile(r"Missing widget: res_partner_many2one for field of type many2one"),
)


def main(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    bad, summary = [], None
    for line in lines:
        match = LINE.match(line)
        if not match:
            continue
        if match["logger"] == "odoo.tests.result" and SUMMARY.search(match["msg"]):
            summary = SUMMARY.search(match["msg"])
            continue
        if match["level"] in ("WARNING", "ERROR", "CRITICAL") and \
                not any(pattern.search(match["msg"]) for pattern in MACHINE_NOISE):
            bad.append(line)
    for line in bad:
        print(f"odoo log: {line}", file=sys.stderr)
    if summary is None or not int(summary["total"]):
        print("odoo log: no Odoo test ran (no result line)", file=sys.stderr)
        print("0 1")
        return 1
    failed = int(summary["failed"]) + int(summary["errors"])
    passed = int(summary["total"]) - failed
    if bad and not failed:
        print(f"odoo log: {len(bad)} ERROR/WARNING line(s) above fail the run", file=sys.stderr)
        failed = 1
    print(f"{passed} {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
