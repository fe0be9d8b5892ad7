"""What the pages import, imported while the server starts (`cli.py serve`), not in the first
visitor's first page: a first start shows its sign-in form and its first figures sooner.

Once imported, everything there is then is frozen out of the garbage collector's sight: Streamlit
collects all generations after every run of a page, and going through the 200,000 objects of the
imported libraries (which live as long as the server) took 85 ms of every run, every page's and
every user's, with nothing to free.

The imports start once Streamlit's runtime is running: a module that defines a component registers
it with the runtime when imported (before, it would go to a registry nobody reads). The first run of
a page waits until they are done, so that no module is ever imported by two threads at once."""
from __future__ import annotations

import gc
import importlib
import re
import threading
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
_IMPORT = re.compile(r"^(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.M)
_done = threading.Event()
_done.set()  # nothing to wait for unless start() was called


def page_modules() -> list[str]:
    """The modules app.py and the pages import at their top, in the order they name them."""
    names: dict[str, None] = {}
    for script in [PROJECT_DIR / "app.py", *sorted((PROJECT_DIR / "pages").glob("*.py"))]:
        for found in _IMPORT.finditer(script.read_text(encoding="utf-8")):
            name = found.group(1) or found.group(2)
            if name != "__future__":
                names[name] = None
    return list(names)


def _runtime_running(timeout: float) -> bool:
    from streamlit.runtime import Runtime
    from streamlit.runtime.runtime import RuntimeState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Runtime.exists() and Runtime.instance().state in (
                RuntimeState.NO_SESSIONS_CONNECTED, RuntimeState.ONE_OR_MORE_SESSIONS_CONNECTED):
            return True
        time.sleep(0.05)
    return False


def _start_chart_renderer() -> None:
    """vl-convert starts its JavaScript engine on its first chart (0.7 s): here, not in the first
    page with a chart."""
    try:
        import vl_convert

        vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": []}}, allowed_base_urls=[])
    except Exception:  # noqa: BLE001 - the first chart will say what is wrong
        pass


def _import_all() -> None:
    try:
        if not _runtime_running(60):
            return
        for name in page_modules():
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the page itself will say what is wrong
                pass
        _start_chart_renderer()
        gc.collect()  # what the imports left to free goes now, not into the frozen part
        gc.freeze()
    finally:
        _done.set()


def start() -> None:
    """Imports the pages' modules in a background thread."""
    _done.clear()
    threading.Thread(target=_import_all, name="page-imports", daemon=True).start()


def wait(timeout: float = 120) -> None:
    """Returns once start()'s imports are done (at once if it was not called)."""
    _done.wait(timeout)
