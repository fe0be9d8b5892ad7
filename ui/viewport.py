"""The browser window's size, which Streamlit does not tell the server. A map's zoom is computed on
the server, so a view that must fit the screen (the 大屏) asks for it: a small script reports the
size when the page opens and after the window is resized (each report is one more run of the
page). Until it has reported (and in AppTest) the answer is None."""
from __future__ import annotations

import streamlit as st

_REPORT = """
export default function (component) {
  const { setStateValue } = component;
  let timer = null;
  const report = () => setStateValue("size", [window.innerWidth, window.innerHeight]);
  const later = () => { clearTimeout(timer); timer = setTimeout(report, 400); };
  report();
  window.addEventListener("resize", later);
  return () => { clearTimeout(timer); window.removeEventListener("resize", later); };
}
"""
_window = st.components.v2.component("xinfang_window_size", js=_REPORT)


def window_size() -> tuple[int, int] | None:
    """(width, height) of the browser window in CSS pixels, or None before the first report."""
    result = _window(key="window_size", on_size_change=lambda: None, height=0)
    size = getattr(result, "size", None) if result is not None else None
    if not size or len(size) != 2:
        return None
    try:
        width, height = int(size[0]), int(size[1])
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None
