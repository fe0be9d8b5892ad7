"""The pages' modules imported while the server starts (ui/warmup.py)."""
from __future__ import annotations

import ast
import gc
import importlib.util
import threading

from data.database import PROJECT_DIR
from ui import warmup


def test_every_module_a_page_imports_is_imported_ahead():
    listed = warmup.page_modules()
    for script in [PROJECT_DIR / "app.py", *(PROJECT_DIR / "pages").glob("*.py")]:
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                assert node.module in listed, (script.name, node.module)
            elif isinstance(node, ast.Import):
                assert all(alias.name in listed for alias in node.names), script.name
    assert all(importlib.util.find_spec(name) for name in listed)
    assert "ui.map_svg" in listed and "ui.charts" in listed


def test_nothing_is_imported_before_the_server_runs(monkeypatch):
    """Outside a running server (AppTest, the command line) the imports wait for it, give up, and
    a page never waits for them."""
    imported = []
    monkeypatch.setattr(warmup.importlib, "import_module", imported.append)
    monkeypatch.setattr(warmup, "_runtime_running", lambda timeout: False)
    warmup.start()
    warmup.wait(10)
    assert warmup._done.is_set() and imported == []
    started = threading.Event()
    monkeypatch.setattr(warmup, "_runtime_running", lambda timeout: started.wait(10))
    warmup.start()
    assert not warmup._done.is_set()  # a first page would wait here
    frozen = gc.get_freeze_count()
    started.set()
    warmup.wait(10)
    assert imported == warmup.page_modules()
    # What lives as long as the server is left out of the collections after every page's run.
    assert gc.get_freeze_count() > frozen
    gc.unfreeze()
