"""Static checks of the addon that need no Odoo: manifest, data files, access rights, and the
Odoo 19 API changes that neither pylint-odoo nor the OCA hooks catch."""

import ast
import csv
import re

import pytest
from lxml import etree

from conftest import ADDON

MANIFEST = ast.literal_eval((ADDON / "__manifest__.py").read_text(encoding="utf-8"))
PY_FILES = sorted(p for p in ADDON.rglob("*.py") if "__pycache__" not in p.parts)
XML_FILES = sorted(ADDON.rglob("*.xml"))
CSV_FILES = sorted(ADDON.rglob("*.csv"))


def test_manifest_shape():
    assert re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", MANIFEST["version"])
    assert {"sale_management", "sale_stock", "account"} <= set(MANIFEST["depends"])
    assert {"xlsxwriter", "num2words"} <= set(MANIFEST["external_dependencies"]["python"])
    assert MANIFEST["license"] in {"LGPL-3", "AGPL-3", "OPL-1"}
    assert (ADDON / "static/description/icon.png").is_file()
    assert (ADDON / "static/description/index.html").is_file()
    assert (ADDON / "README.rst").is_file()


@pytest.mark.parametrize("key", ["data", "demo"])
def test_every_manifest_file_exists(key):
    missing = [name for name in MANIFEST.get(key, []) if not (ADDON / name).is_file()]
    assert not missing


def test_every_data_file_is_in_the_manifest():
    listed = set(MANIFEST.get("data", [])) | set(MANIFEST.get("demo", []))
    on_disk = {
        str(path.relative_to(ADDON)) for path in XML_FILES + CSV_FILES
        if path.parts[len(ADDON.parts)] in {"data", "demo", "security", "views", "report", "wizards"}
    }
    assert on_disk <= listed, on_disk - listed


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: str(p.relative_to(ADDON)))
def test_xml_parses(path):
    etree.parse(str(path))


@pytest.mark.parametrize("path", CSV_FILES, ids=lambda p: str(p.relative_to(ADDON)))
def test_csv_parses(path):
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows and all(len(row) == len(rows[0]) for row in rows)


def _declared_models():
    """``{model name: is transient}`` for the models the addon creates (SQL views included)."""
    models = {}
    for path in PY_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            attrs = {
                target.id: stmt.value for stmt in node.body if isinstance(stmt, ast.Assign)
                for target in stmt.targets if isinstance(target, ast.Name)
            }
            if not isinstance(attrs.get("_name"), ast.Constant):
                continue
            name = attrs["_name"].value
            bases = {ast.unparse(base) for base in node.bases}
            inherits = attrs.get("_inherit")
            extended = ast.literal_eval(inherits) if isinstance(inherits, (ast.List, ast.Constant)) else []
            if name in (extended if isinstance(extended, list) else [extended]) or "models.AbstractModel" in bases:
                continue  # an extension of an existing model, or a mixin without a table
            models[name] = "models.TransientModel" in bases
    return models


def test_every_model_has_access_rights():
    with (ADDON / "security/ir.model.access.csv").open(encoding="utf-8") as handle:
        covered = {row["model_id:id"] for row in csv.DictReader(handle)}
    models = _declared_models()
    assert models, "the addon declares models"
    missing = {name for name in models if "model_" + name.replace(".", "_") not in covered}
    assert not missing


def test_every_stored_model_has_a_multi_company_rule():
    rules = " ".join(p.read_text(encoding="utf-8") for p in (ADDON / "security").glob("*.xml"))
    missing = {
        name for name, transient in _declared_models().items()
        if not transient and f'ref="model_{name.replace(".", "_")}"' not in rules
    }
    assert not missing


# Odoo 19 changes that the linters miss; each pattern names the replacement.
FORBIDDEN_PY = {
    r"_sql_constraints\s*=": "models.Constraint",
    r"(?<!_)\bread_group\(": "_read_group",
    r"osv\.expression|from odoo\.osv import expression": "odoo.fields.Domain",
    r"self\._cr\b|self\._uid\b|self\._context\b": "self.env.cr / self.env.uid / self.env.context",
    r"def name_get\(": "_compute_display_name",
    r"group_operator=": "aggregator=",
    r"\bgroups_id\b": "group_ids",
    r"detailed_type": "type + is_storable",
}
FORBIDDEN_XML = {
    r"<tree[\s>]": "<list>",
    r"\sattrs=": "invisible/readonly/required expressions",
    r"\sstates=": "invisible expressions",
    r"\bgroups_id\b": "group_ids",
    r'name="category_id" ref="base\.module_category': "privilege_id",
}


@pytest.mark.parametrize("path", PY_FILES, ids=lambda p: str(p.relative_to(ADDON)))
def test_python_uses_the_odoo_19_api(path):
    text = path.read_text(encoding="utf-8")
    found = {pattern: fix for pattern, fix in FORBIDDEN_PY.items() if re.search(pattern, text)}
    assert not found, f"use instead: {found}"


@pytest.mark.parametrize("path", XML_FILES, ids=lambda p: str(p.relative_to(ADDON)))
def test_xml_uses_the_odoo_19_api(path):
    text = path.read_text(encoding="utf-8")
    if path.parts[-2] == "security":
        found = {}  # the privilege record itself names its category
    else:
        found = {pattern: fix for pattern, fix in FORBIDDEN_XML.items() if re.search(pattern, text)}
    assert not found, f"use instead: {found}"


def test_engine_does_not_import_odoo():
    for path in (ADDON / "engine").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+odoo\b", text, re.M), path


def test_readme_rst_is_built_from_the_fragments():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "scripts/readme.py", "--check"], cwd=ADDON.parent,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_every_python_file_has_the_license_header():
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "scripts/license_headers.py", "--check"], cwd=ADDON.parent,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, "without the license header (run scripts/license_headers.py):\n" + result.stdout
