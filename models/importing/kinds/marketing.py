"""Marketing events (the branches' community events, lectures and partner promotions)."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.followers import MarketingEvent
from models.importing.kinds.lookups import copy_fields, resolve_branches
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, register


def _resolve_events(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "name", "kind", "start_date", "end_date", "partner", "cost")
    resolve_branches(session, resolved, frame)
    return resolved


EVENT_KIND_LABELS = {"community_event": ("社区活动",), "lecture": ("讲座",), "partner_promo": ("商户联盟", "异业合作"),
                     "prize_draw": ("抽奖",), "festival": ("节日活动",), "group_buy": ("团购",)}

register(ImportKind(
    key="marketing_event", label=("营销活动", "Marketing events"), table=MarketingEvent.__table__,
    natural_key=("branch_id", "name", "start_date"), resolve=_resolve_events, unique=("branch_code", "name", "start_date"),
    columns=(
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("name", ("活动名称", "event", "name"), max_length=80),
        Column("kind", ("活动类型", "kind"), "choice",
               choices={k: (k, *v) for k, v in EVENT_KIND_LABELS.items()}),
        Column("start_date", ("开始日期", "start date"), "date"),
        Column("end_date", ("结束日期", "end date"), "date"),
        Column("partner", ("合作方", "partner"), required=False, max_length=80, default=""),
        Column("cost", ("费用（元）", "cost"), "float", required=False, min_value=0, default=0.0),
    ),
    row_checks=(RowCheck("dates", lambda f: f["end_date"] >= f["start_date"],
                         ("结束日期早于开始日期", "the end date is before the start date"), "end_date"),),
    example=({"branch_code": "ZJ001-01", "name": "重阳敬老茶话会", "kind": "社区活动", "start_date": "2026-10-29",
              "end_date": "2026-10-29", "partner": "社区居委会", "cost": "1,200"},),
))


# --- migrant-worker campaign (213N) ---------------------------------------------------------------------------
