"""Relationships between customers; an import recounts the branch's ties."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session

from models.graph import DEFAULT_WEIGHT, DIRECTED_KINDS, RelationKind, Relationship, RelationSource
from models.importing.kinds.lookups import copy_fields, labelled_choices, resolve_customers
from models.importing.spec import Column, ImportKind, Resolved, register
from models.refresh.graph import refresh_network_ties


def _register_relationship_kind() -> None:


    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = copy_fields(frame, "kind", "weight", "source")
        resolve_customers(session, resolved, frame, {"customer_a_id": "id", "branch_id": "branch_id"}, "customer_a_code")
        resolve_customers(session, resolved, frame, {"customer_b_id": "id", "_b_branch": "branch_id"}, "customer_b_code")
        out = resolved.frame
        resolved.reject((out["customer_a_id"] == out["customer_b_id"]).fillna(False), "customer_b_code",
                        "关系两端是同一人", "both ends of the tie are the same person")
        swap = (~out["kind"].isin(DIRECTED_KINDS) & (out["customer_a_id"] > out["customer_b_id"])).fillna(False)
        a, b = out["customer_a_id"].copy(), out["customer_b_id"].copy()
        out["customer_a_id"], out["customer_b_id"] = a.where(~swap, b), b.where(~swap, a)
        out["branch_id"] = out["branch_id"].where(~swap, out.pop("_b_branch"))
        if "weight" not in frame.columns:
            out["weight"] = np.nan
        out["weight"] = out["weight"].astype("Float64").fillna(out["kind"].map(DEFAULT_WEIGHT).astype("Float64"))
        return resolved

    def recount_ties(session: Session, rows: pd.DataFrame) -> None:

        refresh_network_ties(session.connection(), rows["branch_id"].dropna())

    register(ImportKind(
        key="relationship", label=("客户关系", "Customer relationships"), table=Relationship.__table__,
        natural_key=("customer_a_id", "customer_b_id", "kind"), resolve=resolve, post_write=recount_ties,
        unique=("customer_a_code", "customer_b_code", "kind"),
        columns=(
            Column("customer_a_code", ("客户号A", "客户号", "customer a")),
            Column("customer_b_code", ("客户号B", "关系人客户号", "customer b")),
            Column("kind", ("关系类型", "relation"), "choice", choices=labelled_choices(RelationKind, {
                "family": ("亲属", "家人"), "neighbour": ("邻居",), "workplace": ("同单位",), "village": ("同村",),
                "colleague": ("同事",), "referral": ("推荐", "转介绍"), "group": ("同群",)})),
            Column("weight", ("关系强度", "weight"), "float", required=False, min_value=0, max_value=10),
            Column("source", ("来源", "source"), "choice", required=False, default=RelationSource.IMPORT.value,
                   choices=labelled_choices(RelationSource, {"household_survey": ("整村授信", "入户调查"),
                                                     "village_survey": ("村干部座谈",), "staff_visit": ("员工走访",),
                                                     "payroll": ("代发工资",), "import": ("导入",)})),
        ),
        note=("“推荐”关系有方向：客户A推荐了客户B；其他关系不分先后。",
              "A referral tie has a direction (A brought B); other ties have none."),
        example=({"customer_a_code": "C00000001", "customer_b_code": "C00000002", "kind": "亲属", "weight": "",
                  "source": "入户调查"},),
    ))


_register_relationship_kind()
