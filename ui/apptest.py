"""Pages opened with Streamlit's AppTest (the bench's script timings, the tests) the way a server
runs them: the registry of installed components is scanned once per process, as a server does at
startup, not before every AppTest's first run (a scan of every installed package's metadata,
about 0.3 s, which would be counted as the page's time)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest

_components = None


def app_test(path: str, timeout: float) -> AppTest:
    """AppTest.from_file(path) sharing this process's component registry."""
    global _components
    app = AppTest.from_file(path, default_timeout=timeout)
    if _components is None:
        from streamlit.components.v2.component_manager import BidiComponentManager

        _components = BidiComponentManager()
        _components.discover_and_register_components(start_file_watching=False)
    app._bidi_component_manager = _components  # read by AppTest's run when set
    return app
