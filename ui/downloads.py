"""Download buttons that only roles allowed to export see, and that audit every download."""
from __future__ import annotations


from data import audit
from ui.auth import current_account

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"


def _audited(file_name: str, what: str, filters_caption: str) -> None:
    from ui.database import app_engine

    account = current_account()
    audit.record(app_engine(), account.username if account else "", "download", file_name,
                 {"what": what, "filters": filters_caption})


def export_menu(slot, label: str):
    """A button `label` opening a panel of downloads (download_button with it as the slot). The
    panel's buttons are drawn in the browser only once it is opened: a page's row of download
    buttons cost it a tenth of its time to show at every visit."""
    return slot.popover(label, icon=":material/download:")


def download_button(slot, label: str, data, file_name: str, what: str, filters_caption: str = "",
                    **kwargs) -> None:
    """A download button in `slot` (st or a column) when the account may export; otherwise a note.
    `data` may be bytes or a function building them on click."""
    account = current_account()
    if account is None or not account.may("export"):
        slot.caption(f"{label.split('（')[0]}：当前账号无导出权限。")
        return
    mime = kwargs.pop("mime", XLSX if file_name.endswith(".xlsx") else DOCX
                      if file_name.endswith(".docx") else CSV)
    slot.download_button(label, data, file_name=file_name, mime=mime,
                         on_click=_audited, args=(file_name, what, filters_caption), **kwargs)
