"""User text (place names, categories, units, leaders, case text, URL parameters, file names) as
Streamlit shows it: never as Markdown or HTML of its own.

`md_text` is the one function for anything that reaches Markdown (st.markdown, captions, alerts,
titles, metric and widget labels); `html_text` for text inside the HTML that ui/cards.py draws.
"""
from __future__ import annotations

import html
import re
import string

# CommonMark lets every ASCII punctuation character be backslash-escaped; escaping all of them
# also stops GFM autolinks (http://, www., e-mail), Streamlit's :colour[...] and :emoji: marks,
# $ maths, tables and headings, whatever the text around them.
_MARKDOWN = str.maketrans({c: "\\" + c for c in string.punctuation})
# Streamlit turns web addresses and e-mail addresses in plain text into links after the Markdown
# is parsed, escaped or not. An invisible WORD JOINER after "http:", before the dot of "www."
# and after "@" leaves the text as it reads and stops that.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def _one_line(value) -> str:
    text = " ".join(("" if value is None else str(value)).split())
    return _AUTOLINK.sub(WORD_JOINER, text)


def md_text(value) -> str:
    """The text on one line, every Markdown mark in it escaped: it shows as written."""
    return _one_line(value).translate(_MARKDOWN)


def html_text(value) -> str:
    """The text on one line, HTML-escaped: inside an HTML block it never ends the block."""
    return html.escape(_one_line(value), quote=True)


# Section headings and notes of the pages, drawn as HTML elements rather than Streamlit's heading
# and caption elements: the browser builds each of those as a Markdown renderer with its styles at
# every visit of a page (1.5 ms a heading, a page has a dozen), an HTML element it only inserts.
# The look is Streamlit's own (ui/chrome.py: .xf-title, .xf-heading, .xf-note).

def page_title(slot, text) -> None:
    slot.html(f"<h1 class='xf-title'>{html_text(text)}</h1>")


def heading(slot, text) -> None:
    slot.html(f"<h3 class='xf-heading'>{html_text(text)}</h3>")


def note(slot, text) -> None:
    slot.html(f"<p class='xf-note'>{html_text(text)}</p>")
