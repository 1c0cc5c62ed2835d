"""The Chinese translation is complete and safe to format: every template entry is translated and
keeps exactly the placeholders of its source."""

import re

import polib

from conftest import ADDON

I18N = ADDON / "i18n"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%%")


def test_zh_cn_translates_every_template_entry():
    pot = polib.pofile(str(I18N / "customer_rebate.pot"))
    po = {entry.msgid: entry.msgstr for entry in polib.pofile(str(I18N / "zh_CN.po"))}
    missing = [entry.msgid for entry in pot if not po.get(entry.msgid)]
    assert not missing


def test_zh_cn_keeps_the_placeholders():
    wrong = [
        entry.msgid for entry in polib.pofile(str(I18N / "zh_CN.po"))
        if entry.msgstr and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr))
    ]
    assert not wrong
