"""Tables with Chinese headers and CSV / Excel downloads of exactly what is shown (phones stay masked
as on the page); every download is written to the audit log when its file is built."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlmodel import Session

from components.data import engine, signed_in_user_id
from components.export import to_csv_bytes, to_excel_bytes
from components.i18n import t
from models.accounts import User
from models.auth import audit


def labelled(frame: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Keep and rename the columns in `labels` (column -> header), in that order."""
    return frame[[c for c in labels if c in frame.columns]].rename(columns=labels)


def audited(build: Callable[[], bytes | str], action: str, detail: str) -> Callable[[], bytes | str]:
    """`build` with its audit row, for a download button's deferred `data`: Streamlit calls it when the
    browser asks for the file. The account is read now, in the script run (the call comes on a thread with
    no session). Buttons take on_click="ignore": a click that also reruns the script re-registers the
    button's file under a new id, and a browser still holding the old id gets no file."""
    return partial(build_then_audit, engine(), signed_in_user_id(), build, action, detail)


def build_then_audit(database: Engine, user_id: int | None, build: Callable[[], bytes | str], action: str,
                     detail: str) -> bytes | str:
    """Build the file, then record who took it (only a file that was built is on the record)."""
    data = build()
    with Session(database) as session:
        user = session.get(User, user_id) if user_id is not None else None
        audit(session, user.username if user else "anonymous", action, detail=detail)
        session.commit()
    return data


def download_buttons(frame: pd.DataFrame, file_stem: str, key: str) -> None:
    """CSV and Excel of `frame`, written only when clicked (a head-office table of 20,000 rows takes
    seconds to turn into a workbook; every rerun paid for it before)."""
    row = st.container(horizontal=True)
    row.download_button(t("export.csv"), audited(partial(to_csv_bytes, frame), "export",
                                                 f"{file_stem}.csv rows={len(frame)}"),
                        f"{file_stem}.csv", "text/csv", key=f"{key}_csv", icon=":material/download:",
                        on_click="ignore")
    row.download_button(
        t("export.excel"), audited(partial(to_excel_bytes, frame, file_stem), "export",
                                   f"{file_stem}.xlsx rows={len(frame)}"),
        f"{file_stem}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", icon=":material/table_view:", on_click="ignore",
    )


def data_table(
    frame: pd.DataFrame, labels: dict[str, str], key: str, file_stem: str,
    column_config: dict | None = None, selectable: bool = False, height: int | str = "auto",
):
    """Show `frame` with translated headers and downloads; returns the selection when `selectable`."""
    shown = labelled(frame, labels)
    config = {labels[c]: v for c, v in (column_config or {}).items() if c in labels}
    event = st.dataframe(
        shown, hide_index=True, width="stretch", column_config=config, key=key, height=height,
        on_select="rerun" if selectable else "ignore", selection_mode="single-row",
    )
    download_buttons(shown, file_stem, key)
    return event
