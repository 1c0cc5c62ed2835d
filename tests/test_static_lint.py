"""The Odoo ecosystem's own linters, pinned from PyPI (OCA's pre-commit hooks are pulled from git,
which is not reachable here): pylint-odoo and oca-checks-odoo-module."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ADDON, REPO

ADDONS = [ADDON.name, "customer_rebate_cn"]

BIN = Path(sys.executable).parent


def run(*command):
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("addon", ADDONS)
def test_pylint_odoo_is_clean(addon):
    result = run(str(BIN / "pylint"), "--rcfile=.pylintrc", "--score=n", addon)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("addon", ADDONS)
def test_oca_checks_odoo_module_is_clean(addon):
    result = run(str(BIN / "oca-checks-odoo-module"), addon)
    assert result.returncode == 0, result.stdout + result.stderr
