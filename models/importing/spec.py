"""What an import kind is: its columns (with Chinese and English header aliases), the table it
lands in, its natural key, how codes in the file become ids, and its checks. Kinds are declared
in `kinds.py` with these pieces; adding one is a few lines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
from sqlalchemy import Table, select, tuple_
from sqlmodel import Session

from models.store.frames import read_frame

LOOKUP_CHUNK = 5_000


@dataclass(frozen=True)
class Column:
    """One column of a file. `aliases[0]` is the Chinese header the template and the platform's own export
    use; the others are what other files call it (English headers, API field names like `cancel_user`)."""

    field: str
    aliases: tuple[str, ...]
    type: str = "text"  # text / int / float / date / bool / choice
    required: bool = True
    min_value: float | None = None
    max_value: float | None = None
    max_length: int | None = None
    choices: dict[str, tuple[str, ...]] | None = None  # stored value -> labels a file may use
    default: object = None  # for blank optional cells and for a new row when the column is absent

    @property
    def header(self) -> str:
        return self.aliases[0]

    @property
    def english_name(self) -> str:
        """A reader's English name: the first plain-English alias, not an API field (`cancel_user`)."""
        for alias in self.aliases[1:]:
            if alias.isascii() and "_" not in alias:
                return alias
        return self.field.replace("_", " ")

    @property
    def named_for_english_reader(self) -> str:
        """The header as the file calls it, with its English name: 取消关注人数 (unfollows)."""
        return f"{self.header} ({self.english_name})"


@dataclass(frozen=True)
class RowCheck:
    """A check across columns of a row (pandera wide check): `test(frame) -> bool Series`."""

    name: str
    test: Callable[[pd.DataFrame], pd.Series]
    reason: tuple[str, str]
    column: str


@dataclass
class Resolved:
    """The rows as the table stores them (aligned to the file's rows) and the rows refused."""

    frame: pd.DataFrame
    rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # (index, column, zh, en)

    def reject(self, mask: pd.Series, column: str, zh: str, en: str, values: pd.Series | None = None) -> None:
        for index in mask[mask].index:
            shown = "" if values is None else f"：{values.loc[index]}"
            self.rejects.append((int(index), column, f"{zh}{shown}", f"{en}{shown.replace('：', ': ')}"))


Resolver = Callable[[Session, pd.DataFrame, dict], Resolved]


@dataclass(frozen=True)
class ImportKind:
    key: str
    label: tuple[str, str]
    table: Table
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    resolve: Resolver
    unique: tuple[str, ...] = ()
    row_checks: tuple[RowCheck, ...] = ()
    example: tuple[dict, ...] = ()
    title_rows: tuple[str, ...] = ()
    options: tuple[str, ...] = ()  # extra choices made in the UI, e.g. ("account",)
    post_write: Callable[[Session, pd.DataFrame], None] | None = None
    note: tuple[str, str] = ("", "")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)

    @property
    def required_count(self) -> int:
        return sum(1 for c in self.columns if c.required)

    def schema(self, present: Iterable[str]) -> pa.DataFrameSchema:
        """The pandera schema for the parsed file: types, not-null, ranges, lengths, keys, row checks."""
        present = set(present)
        columns = {}
        for col in self.columns:
            if col.field not in present:
                continue
            checks = []
            if col.min_value is not None:
                checks.append(pa.Check(lambda s, v=col.min_value: s >= v, name=f"min:{col.min_value:g}"))
            if col.max_value is not None:
                checks.append(pa.Check(lambda s, v=col.max_value: s <= v, name=f"max:{col.max_value:g}"))
            if col.max_length is not None:
                checks.append(pa.Check(lambda s, v=col.max_length: s.astype(str).str.len() <= v,
                                       name=f"length:{col.max_length}", ignore_na=True))
            dtype = {"int": "Int64", "float": "Float64", "date": "datetime64[ns]", "bool": "boolean"}.get(col.type)
            columns[col.field] = pa.Column(dtype, checks, nullable=not col.required)
        wide = [pa.Check(lambda frame, c=check: c.test(frame), name=f"row:{check.name}")
                for check in self.row_checks if {check.column} <= present]
        unique = [u for u in self.unique if u in present] or None
        return pa.DataFrameSchema(columns, checks=wide, unique=unique, report_duplicates="all")


def lookup(session: Session, table: Table, key: str, values: pd.Series, *columns: str) -> pd.DataFrame:
    """Rows of `table` whose `key` is among `values`, indexed by key (chunked IN lists)."""
    wanted = pd.Series(values.dropna().unique())
    parts = []
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted.iloc[start:start + LOOKUP_CHUNK].tolist()
        statement = select(table.c[key], *(table.c[c] for c in columns)).where(table.c[key].in_(chunk))
        parts.append(read_frame(session, statement))
    found = pd.concat(parts) if parts else pd.DataFrame(columns=[key, *columns])
    return found.drop_duplicates(key).set_index(key)


def lookup_pairs(session: Session, table: Table, keys: tuple[str, str], pairs: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Rows of `table` matching (keys[0], keys[1]) pairs in `pairs` (columns named as keys)."""
    wanted = pairs.dropna().drop_duplicates()
    parts = []
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = [tuple(int(v) for v in row) for row in wanted.iloc[start:start + LOOKUP_CHUNK].itertuples(index=False)]
        statement = select(table.c[keys[0]], table.c[keys[1]], *(table.c[c] for c in columns)) \
            .where(tuple_(table.c[keys[0]], table.c[keys[1]]).in_(chunk))
        parts.append(read_frame(session, statement))
    return pd.concat(parts) if parts else pd.DataFrame(columns=[*keys, *columns])


def attach(resolved: Resolved, source: pd.Series, found: pd.DataFrame, mapping: dict[str, str],
           column: str, what: tuple[str, str], required: bool = True) -> pd.Series:
    """Map codes in `source` through `found` (indexed by code) into `mapping` {frame column: found column};
    a code that is not found rejects the row. Returns the mask of rows that matched."""
    present = source.notna()
    matched = source.isin(found.index)
    for target, origin in mapping.items():
        values = source.map(found[origin]) if len(found) else pd.Series(pd.NA, index=source.index)
        if origin == "id" or origin.endswith("_id"):
            values = pd.to_numeric(values, errors="coerce").astype("Int64")
        resolved.frame[target] = values
    unknown = present & ~matched
    resolved.reject(unknown, column, f"未知的{what[0]}", f"unknown {what[1]}", source)
    if required:
        resolved.reject(~present, column, f"缺少{what[0]}", f"{what[1]} is missing")
    return matched


KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    """Add a kind to the registry (`models.importing.kinds` registers the built-in ones on import)."""
    if kind.key in KINDS:
        raise KeyError(f"import kind {kind.key!r} registered twice")
    KINDS[kind.key] = kind
    return kind
