"""The look shared by every page: Chinese in place of Streamlit's few built-in English texts, and
type that stays whole on a 1366-pixel laptop and readable on a projector.

Streamlit has no setting for the file uploader's own texts ("Drag and drop file here", "Browse
files", "Limit 200MB per file"): they are hidden here by CSS and each page says the same in
Chinese beside the uploader (README: what remains in English).

Streamlit's table toolbar offers "Download as CSV" of any table on the page. That file escapes no
formula-like text and leaves no trace in the audit log, and Streamlit has no setting to turn it off
(1.67): it is hidden here too, and every download goes through ui.downloads instead."""
from __future__ import annotations

import streamlit as st

CSS = """
<style>
/* File uploader: Streamlit's English instructions hidden; the button relabelled in Chinese. */
[data-testid="stFileUploaderDropzoneInstructions"] { display: none !important; }
[data-testid="stFileUploaderDropzone"] button { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button > * { display: none !important; }
[data-testid="stFileUploaderDropzone"] button::after { content: "选择文件"; font-size: 1rem; }
[data-testid="stFileUploaderDropzone"]::before { content: "将文件拖到此处，或点击右侧按钮选择文件";
  color: #555; font-size: 0.95rem; }
/* Figure cards: a number and its unit never break apart; the type shrinks with the screen. */
.figure-card .fc-value { white-space: nowrap; font-size: clamp(1.25rem, 1.55vw, 2.1rem); }
.figure-card .fc-label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* The second line wraps in a narrow card (1366 px, six cards) rather than being cut. */
.figure-card .fc-detail { white-space: normal; }
.figure-card .fc-change { word-break: keep-all; font-size: clamp(0.8rem, 0.95vw, 0.95rem); }
.figure-card .fc-figure { white-space: nowrap; }
.colour-count .cc-value { white-space: nowrap; font-size: clamp(1.4rem, 1.9vw, 2.4rem);
  font-weight: 700; line-height: 1.15; }
/* Buttons keep their whole label; a link under a narrow card wraps rather than being cut. */
.stButton button, .stDownloadButton button { white-space: nowrap; }
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] span,
[data-testid="stMain"] [data-testid="stPageLink-NavLink"] p { white-space: normal; overflow: visible; }
.block-container { padding-top: 2.2rem; padding-left: 2rem; padding-right: 2rem; max-width: 100%; }
/* Links under a row of cards (ui.cards.links_under): equal parts, as wide as the cards above them. */
div[class*="st-key-card_links_"] > div { flex: 1 1 0 !important; min-width: 0 !important; width: auto !important; }
div[class*="st-key-card_links_"] [data-testid="stPageLink-NavLink"] { justify-content: flex-start; }
/* Titles, headings and notes drawn as HTML (ui/markup.py), as Streamlit draws its own. */
.xf-title { font-size: 2.75rem; font-weight: 700; line-height: 1.2; margin: 0; padding: 1.25rem 0 1rem 0;
  color: rgb(49, 51, 63); }
.xf-heading { font-size: 1.75rem; font-weight: 600; line-height: 1.2; margin: 0; padding: 0.75rem 0 0.5rem 0;
  color: rgb(49, 51, 63); }
.xf-subheading { font-size: 1.25rem; font-weight: 600; line-height: 1.2; margin: 0;
  padding: 0.5rem 0 0.5rem 0; color: rgb(49, 51, 63); }
.xf-list { margin: 0 0 0.5rem 0; }
.xf-note { font-size: 0.875rem; line-height: 1.5; margin: 0; color: rgba(49, 51, 63, 0.6);
  word-break: break-word; }
/* Tables: no unaudited CSV download from the toolbar. */
button[aria-label="Download as CSV"],
[data-testid="stElementToolbarButton"]:has(button[aria-label="Download as CSV"]) { display: none !important; }
</style>
"""


def apply_chrome() -> None:
    st.html(CSS)
