"""Keep the translations in step with the code.

1. With Odoo at hand, export the template: ``odoo-bin i18n export -d DB customer_rebate`` writes
   customer_rebate/i18n/customer_rebate.pot (scripts/test's database can be kept with KEEP_TEST_DB=1).
2. ``python3 scripts/i18n_update.py [--addon customer_rebate_cn] [extra.json]`` merges the template into zh_CN.po: entries the
   template dropped go, new ones come in empty (or from ``extra.json``, a {msgid: msgstr} map), and
   existing translations stay. It prints how many entries are still untranslated.
"""

import json
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent


def main(argv):
    addon = "customer_rebate"
    if argv[:1] == ["--addon"]:
        addon, argv = argv[1], argv[2:]
    i18n = REPO / addon / "i18n"
    extra = json.loads(Path(argv[0]).read_text(encoding="utf-8")) if argv else {}
    pot = polib.pofile(str(i18n / f"{addon}.pot"), wrapwidth=0)
    po_path = i18n / "zh_CN.po"
    old = {entry.msgid: entry.msgstr for entry in polib.pofile(str(po_path))} if po_path.exists() else {}
    po = polib.POFile(wrapwidth=0)
    po.metadata = dict(pot.metadata, Language="zh_CN", **{"Plural-Forms": ""})
    po.header = pot.header
    for entry in pot:
        entry.msgstr = old.get(entry.msgid) or extra.get(entry.msgid, "")
        po.append(entry)
    po.save(str(po_path))
    missing = [entry.msgid for entry in po if not entry.msgstr]
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    print(f"{len(po)} entries, {len(missing)} untranslated")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
