"""Make the addon's pure engine importable without Odoo: ``customer_rebate/__init__.py`` imports
the ORM models, so the engine package is loaded on its own, by path."""

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ADDON = REPO / "customer_rebate"


def _load_engine():
    spec = importlib.util.spec_from_file_location(
        "rebate_engine", ADDON / "engine" / "__init__.py",
        submodule_search_locations=[str(ADDON / "engine")],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["rebate_engine"] = module
    spec.loader.exec_module(module)
    return module


_load_engine()
