"""Put the license header on every Python file of the addons that lacks it (OCA's convention):

    python3 scripts/license_headers.py          # add where missing
    python3 scripts/license_headers.py --check  # list the files without it, exit 1 if any
"""
import sys
from pathlib import Path

HEADER = "# Copyright 2026 customer_rebate developers\n# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).\n"
ADDONS = ("customer_rebate", "customer_rebate_cn")


def python_files(root):
    for addon in ADDONS:
        yield from sorted((root / addon).rglob("*.py"))


def main(argv):
    root = Path(__file__).resolve().parent.parent
    missing = [path for path in python_files(root) if not path.read_text(encoding="utf-8").startswith(HEADER)]
    if "--check" in argv:
        for path in missing:
            print(path.relative_to(root))
        return 1 if missing else 0
    for path in missing:
        text = path.read_text(encoding="utf-8")
        path.write_text(HEADER + ("\n" if text.strip() else "") + text if text.strip() else HEADER, encoding="utf-8")
    print(f"{len(missing)} file(s) given the header")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
