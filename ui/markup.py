"""User text (place names, categories, units, leaders, case text, URL parameters, file names) as
Streamlit shows it: never as Markdown or HTML of its own.

`md_text` is the one function for anything that reaches Markdown (st.markdown, captions, alerts,
titles, metric and widget labels); `html_text` for text inside the HTML that ui/cards.py draws.
"""
from __future__ import annotations

import html
import string

# CommonMark lets every ASCII punctuation character be backslash-escaped; escaping all of them
# also stops GFM autolinks (http://, www., e-mail), Streamlit's :colour[...] and :emoji: marks,
# $ maths, tables and headings, whatever the text around them.
_MARKDOWN = str.maketrans({c: "\\" + c for c in string.punctuation})


def _one_line(value) -> str:
    return " ".join(("" if value is None else str(value)).split())


def md_text(value) -> str:
    """The text on one line, every Markdown mark in it escaped: it shows as written."""
    return _one_line(value).translate(_MARKDOWN)


def html_text(value) -> str:
    """The text on one line, HTML-escaped: inside an HTML block it never ends the block."""
    return html.escape(_one_line(value), quote=True)
