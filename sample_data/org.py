"""Regions, branches and staff: one city branch with a dozen sub-branches at demo scale."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.org import Branch, BranchKind, BranchLevel, Region, Staff, StaffRole
from sample_data.context import GenContext
from sample_data.names import sample_names, sample_phones

CITIES = [
    "嘉兴", "湖州", "绍兴", "金华", "台州", "衢州", "丽水", "舟山", "扬州", "泰州", "镇江", "盐城", "淮安", "宿迁",
    "连云港", "徐州", "芜湖", "安庆", "蚌埠", "阜阳", "九江", "赣州", "上饶", "宜春", "泉州", "漳州", "莆田", "三明",
    "襄阳", "宜昌", "荆州", "黄冈", "岳阳", "衡阳", "常德", "株洲", "洛阳", "南阳", "信阳", "周口", "商丘", "开封",
    "潍坊", "临沂", "济宁", "菏泽", "德州", "聊城", "保定", "邯郸", "邢台", "沧州", "绵阳", "南充", "宜宾", "泸州",
    "遵义", "曲靖", "桂林", "柳州", "玉林", "汉中", "宝鸡", "天水", "运城", "长治", "大同", "锦州", "吉林", "齐齐哈尔",
    "牡丹江", "包头", "赤峰", "银川", "西宁", "喀什", "湛江", "茂名", "梅州", "肇庆", "清远", "韶关", "揭阳", "汕头",
]
MACRO_REGIONS = ["华东区", "华中区", "华南区", "华北区", "西南区", "西北区", "东北区", "华东二区"]
DEMO_REGIONS = ["城区片区", "新区片区", "县域片区"]
SUB_BRANCH_NAMES = [
    ("月河社区", BranchKind.COMMUNITY), ("南湖", BranchKind.URBAN), ("秀洲", BranchKind.URBAN),
    ("城东社区", BranchKind.COMMUNITY), ("经开区", BranchKind.URBAN), ("高铁新城", BranchKind.URBAN),
    ("梅湾社区", BranchKind.COMMUNITY), ("王江泾", BranchKind.COUNTY), ("新丰", BranchKind.COUNTY),
    ("凤桥", BranchKind.COUNTY), ("余新", BranchKind.COUNTY), ("七星社区", BranchKind.COMMUNITY),
]
STAFF_ROLE_MIX = [
    (StaffRole.ACCOUNT_MANAGER, 0.34), (StaffRole.WEALTH_MANAGER, 0.16),
    (StaffRole.LOBBY_MANAGER, 0.18), (StaffRole.TELLER, 0.32),
]
STORY_BRANCH_CODE = "ZJ001-01"


def _sub_branch_region(index: int, kind: str) -> int:
    if kind == BranchKind.COUNTY:
        return 2
    return 0 if index % 2 == 0 else 1


def generate_org(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("org")
    scale = ctx.scale
    demo = scale.cities == 1
    region_names = DEMO_REGIONS if demo else MACRO_REGIONS[: max(1, min(len(MACRO_REGIONS), scale.cities // 2))]
    regions = pd.DataFrame(
        {"id": range(1, len(region_names) + 1), "code": [f"R{i + 1:02d}" for i in range(len(region_names))],
         "name": region_names}
    )
    branch_rows: list[dict] = [
        {"id": 1, "code": "HO", "name": "总行", "level": BranchLevel.HEAD_OFFICE.value, "parent_id": None,
         "region_id": None, "city": "", "kind": BranchKind.URBAN.value, "households": None}
    ]
    next_id = 2
    for city_index in range(scale.cities):
        city = CITIES[city_index % len(CITIES)] + ("" if city_index < len(CITIES) else str(city_index // len(CITIES) + 1))
        city_region = None if demo else int(city_index % len(region_names)) + 1
        city_id = next_id
        branch_rows.append(
            {"id": city_id, "code": f"ZJ{city_index + 1:03d}", "name": f"{city}分行", "level": BranchLevel.BRANCH.value,
             "parent_id": 1, "region_id": city_region, "city": city, "kind": BranchKind.URBAN.value, "households": None}
        )
        next_id += 1
        for sub_index in range(scale.sub_branches_per_city):
            base_name, kind = SUB_BRANCH_NAMES[sub_index % len(SUB_BRANCH_NAMES)]
            name = base_name if city_index == 0 or sub_index >= 2 else f"{city}{base_name}"
            if sub_index >= len(SUB_BRANCH_NAMES):
                name = f"{base_name}{sub_index // len(SUB_BRANCH_NAMES) + 1}"
            region_id = _sub_branch_region(sub_index, kind) + 1 if demo else city_region
            households = int(rng.integers(3000, 12000)) if kind == BranchKind.COMMUNITY else None
            if city_index == 0 and sub_index == 0:
                households = 8000
            branch_rows.append(
                {"id": next_id, "code": f"ZJ{city_index + 1:03d}-{sub_index + 1:02d}", "name": f"{name}支行",
                 "level": BranchLevel.SUB_BRANCH.value, "parent_id": city_id, "region_id": region_id, "city": city,
                 "kind": kind.value, "households": households}
            )
            next_id += 1
    branches = pd.DataFrame(branch_rows)
    branches["parent_id"] = branches["parent_id"].astype("Int64")
    branches["region_id"] = branches["region_id"].astype("Int64")
    branches["households"] = branches["households"].astype("Int64")

    sub_branches = branches[branches["level"] == BranchLevel.SUB_BRANCH.value]
    staff_branch_ids: list[int] = []
    staff_roles: list[str] = []
    roles, weights = zip(*STAFF_ROLE_MIX, strict=True)
    for branch_id in sub_branches["id"]:
        count = int(scale.staff_per_branch + rng.integers(-2, 3))
        staff_branch_ids.append(int(branch_id))
        staff_roles.append(StaffRole.PRESIDENT.value)
        picked = rng.choice(len(roles), size=count - 1, p=np.array(weights) / sum(weights))
        staff_branch_ids.extend([int(branch_id)] * (count - 1))
        staff_roles.extend(roles[i].value for i in picked)
    n_staff = len(staff_branch_ids)
    staff = pd.DataFrame(
        {
            "id": np.arange(1, n_staff + 1),
            "branch_id": staff_branch_ids,
            "employee_no": [f"E{i:06d}" for i in range(1, n_staff + 1)],
            "name": sample_names(rng, n_staff, ctx.seed),
            "role": staff_roles,
            "phone": sample_phones(rng, n_staff),
        }
    )
    staff["email"] = staff["employee_no"].str.lower() + "@bank.example.cn"
    return {Region.__tablename__: regions, Branch.__tablename__: branches, Staff.__tablename__: staff}
