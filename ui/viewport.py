"""The browser window's size, which Streamlit does not tell the server. A map's zoom is computed on
the server, so a view that must fit the screen (the 大屏) asks for it: a small script reports the
size when the page opens and after the window is resized (each report is one more run of the
page). The size is remembered for the session: a page opened again in the same window is drawn at
once at its size, and the script reports only a size the server does not know yet (the 大屏's map,
about a megabyte on a city's data, is not drawn and sent twice). Until the first report (and in
AppTest) the answer is None."""
from __future__ import annotations

import streamlit as st

_REPORT = """
export default function (component) {
  const { setStateValue } = component;
  // The size the server already has (null: none yet).
  let known = Array.isArray(component.data) ? component.data : null;
  let timer = null;
  const report = () => {
    const size = [window.innerWidth, window.innerHeight];
    if (known && known[0] === size[0] && known[1] === size[1]) return;
    known = size;
    setStateValue("size", size);
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(report, 400); };
  report();
  window.addEventListener("resize", later);
  return () => { clearTimeout(timer); window.removeEventListener("resize", later); };
}
"""
_window = st.components.v2.component("xinfang_window_size", js=_REPORT)
SEEN_KEY = "_window_size_seen"  # the last size reported in this session (not a widget's state)


def window_size() -> tuple[int, int] | None:
    """(width, height) of the browser window in CSS pixels, or None before the first report."""
    known = st.session_state.get(SEEN_KEY)
    result = _window(key="window_size", data=list(known) if known else None,
                     on_size_change=lambda: None, height=0)
    size = _valid(getattr(result, "size", None) if result is not None else None)
    if size:
        st.session_state[SEEN_KEY] = size
    return size or known


def _valid(size) -> tuple[int, int] | None:
    """A reported size as two positive whole numbers, or None (anything else from the browser)."""
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        return None
    try:
        width, height = int(size[0]), int(size[1])
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None
