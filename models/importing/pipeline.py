"""Preview and commit one file of one kind: read, parse, validate (pandera), resolve codes against
the database, compare with what is stored on the natural key, and write all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from models.auth import audit, bump_data_version
from models.importing.kinds import KINDS
from models.importing.parsing import is_blank, parse_booleans, parse_dates, parse_numbers, parse_text
from models.importing.readers import FileRefused, RawTable, normalise_header, read_table
from models.importing.spec import LOOKUP_CHUNK, ImportKind
from models.refresh import refresh_for_rows
from models.store.bulk import bulk_insert

REJECT_COLUMNS = ["row", "column", "reason_zh", "reason_en", "value"]
MAX_REJECTS_SHOWN = 1_000  # the page lists this many; the CLI prints --show of them
EXISTING_BATCH = 100_000


@dataclass
class Preview:
    """What committing the file would do. `rejects` holds one line per problem (row as seen in the file)."""

    kind: str
    filename: str
    sha256: str
    size: int
    refusal: FileRefused | None = None
    file_format: str = ""
    encoding: str | None = None
    rows_read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    ignored_columns: list[str] = field(default_factory=list)
    new_rows: pd.DataFrame | None = None
    changed_rows: pd.DataFrame | None = None
    write_columns: list[str] = field(default_factory=list)
    all_rows: pd.DataFrame | None = None

    @property
    def rejected(self) -> int:
        return int(self.rejects["row"].dropna().nunique()) if not self.rejects.empty else 0

    @property
    def ok(self) -> bool:
        return self.refusal is None and self.rejects.empty

    def counts(self) -> str:
        return (f"rows={self.rows_read} new={self.new} changed={self.changed} unchanged={self.unchanged} "
                f"rejected={self.rejected}")


@dataclass
class ImportResult:
    preview: Preview
    committed: bool
    data_version: int | None = None


def _matcher(spec: ImportKind):
    wanted = [{normalise_header(a) for a in c.aliases} for c in spec.columns if c.required]

    def match(row: list[str]) -> int:
        cells = set(row)
        return sum(1 for aliases in wanted if aliases & cells)

    return match


def map_columns(spec: ImportKind, headers: list[str]) -> tuple[dict[str, str], list[str]]:
    """{field: header in the file} and the headers nobody wanted."""
    normalised = [normalise_header(h) for h in headers]
    mapping: dict[str, str] = {}
    for column in spec.columns:
        aliases = {normalise_header(a) for a in column.aliases}
        for header, norm in zip(headers, normalised, strict=True):
            if norm in aliases and header not in mapping.values():
                mapping[column.field] = header
                break
    ignored = [h for h in headers if h not in mapping.values() and h]
    return mapping, ignored


def _parse(spec: ImportKind, raw: pd.DataFrame, mapping: dict[str, str]) -> tuple[pd.DataFrame, list[tuple]]:
    typed = pd.DataFrame(index=raw.index)
    rejects: list[tuple] = []

    def flag(mask: pd.Series, column, zh: str, en: str, values: pd.Series | None = None) -> None:
        for index in mask[mask].index:
            rejects.append((index, column.header, zh, en, "" if values is None else str(values.loc[index])))

    for column in spec.columns:
        if column.field not in mapping:
            continue
        values = raw[mapping[column.field]]
        if isinstance(values, pd.DataFrame):
            values = values.iloc[:, 0]
        blank = is_blank(values)
        if column.type == "date":
            parsed, bad = parse_dates(values)
            flag(bad, column, "无法识别的日期", "not a date", values)
        elif column.type in ("int", "float"):
            parsed, bad = parse_numbers(values, whole=column.type == "int")
            flag(bad, column, "不是整数" if column.type == "int" else "不是数字",
                 "not a whole number" if column.type == "int" else "not a number", values)
        elif column.type == "bool":
            parsed, bad = parse_booleans(values)
            flag(bad & ~blank, column, "应为“是”或“否”", "should be yes or no", values)
        elif column.type == "choice":
            labels = {normalise_header(label): value for value, names in (column.choices or {}).items() for label in names}
            text = parse_text(values)
            parsed = pd.Series([labels.get(normalise_header(v)) if v is not None else None for v in text],
                               index=text.index, dtype=object)
            bad = parsed.isna() & text.notna()
            allowed = "、".join(names[1] if len(names) > 1 else names[0] for names in (column.choices or {}).values())
            flag(bad, column, f"不是可选值（{allowed}）", "not one of the allowed values", values)
        else:
            parsed = parse_text(values)
        if column.required:
            flag(blank, column, "必填项为空", "required value is empty")
        typed[column.field] = parsed
    return typed, rejects


def _reason(check: str, spec: ImportKind) -> tuple[str, str]:
    if check.startswith("min:"):
        return f"不能小于 {check[4:]}", f"must be at least {check[4:]}"
    if check.startswith("max:"):
        return f"不能大于 {check[4:]}", f"must be at most {check[4:]}"
    if check.startswith("length:"):
        return f"超过 {check[7:]} 个字符", f"longer than {check[7:]} characters"
    if check.startswith("row:"):
        return next(c.reason for c in spec.row_checks if c.name == check[4:])
    if check == "not_nullable":
        return "必填项为空", "required value is empty"
    if "uniqueness" in check:
        keys = "、".join(spec.column(u).header for u in spec.unique)  # noqa: RUF001
        return f"文件内重复（{keys} 相同）", f"duplicate row in the file (same {', '.join(spec.unique)})"
    return f"数据类型不符（{check}）", f"wrong data type ({check})"


def _validate(spec: ImportKind, typed: pd.DataFrame) -> list[tuple]:
    """Run the kind's pandera schema; every failure becomes (index, header, zh, en, value)."""
    try:
        spec.schema(typed.columns).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        rejects = []
        seen: set[tuple] = set()
        for check, column, index, value in zip(cases["check"].astype(str), cases["column"], cases["index"],
                                               cases["failure_case"], strict=True):
            base = check.split("(")[0]
            if base.startswith("row:"):
                column = next(c.column for c in spec.row_checks if c.name == base[4:])
            if "uniqueness" in base:
                keys = [u for u in spec.unique if u in typed.columns]
                if index is None or pd.isna(index) or typed.loc[index, keys].isna().any():
                    continue  # a row whose key did not parse is already rejected for that
                column, value = keys[-1], typed.at[index, keys[-1]]
            key = (index, base)
            if key in seen:
                continue
            seen.add(key)
            if base.startswith("row:") and index is not None and not pd.isna(index) and column in typed.columns:
                value = typed.at[index, column]
            header = spec.column(column).header if column in {c.field for c in spec.columns} else str(column)
            zh, en = _reason(base, spec)
            rejects.append((None if pd.isna(index) else int(index), header, zh, en, "" if pd.isna(value) else str(value)))
        return rejects
    return []


def _same_record_twice(spec: ImportKind, frame: pd.DataFrame, already: set) -> list[tuple]:
    """Rows that name the same stored record in different words (an account by ID and by name)."""
    keys = [k for k in spec.natural_key if k in frame.columns]
    candidates = frame.loc[~frame.index.isin(already), keys].dropna()
    twice = candidates[candidates.duplicated(keep=False)]
    column = spec.columns[0].header
    return [(int(i), column, "与文件中另一行指向同一条记录", "names the same record as another row of the file", "")
            for i in twice.index]


def _as_comparable(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[ns]")
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean").astype("Float64")
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("Float64")
    sample = series.dropna()
    if not sample.empty and hasattr(sample.iloc[0], "year") and not isinstance(sample.iloc[0], str):
        return pd.to_datetime(series).astype("datetime64[ns]")
    if not sample.empty and isinstance(sample.iloc[0], (bool, np.bool_, int, float, np.integer, np.floating)):
        return pd.to_numeric(series, errors="coerce").astype("Float64")
    return series.astype(object).where(series.notna(), "").astype(str)


def _differs(left: pd.Series, right: pd.Series) -> pd.Series:
    """Row by row: does the file's value differ from the stored one (the stored one coerced to the file's type)?"""
    a = _as_comparable(left)
    if pd.api.types.is_datetime64_any_dtype(a):
        b = pd.to_datetime(right.astype(object).where(right.notna(), None)).astype("datetime64[ns]")
    elif pd.api.types.is_float_dtype(a):
        b = pd.to_numeric(right.astype(object).where(right.notna(), None), errors="coerce").astype("Float64")
    else:
        b = _as_comparable(right)
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        close = ((a - b).abs() <= 1e-6 * b.abs().clip(lower=1)).fillna(False)
        both_missing = a.isna() & b.isna()
        return ~(close | both_missing)
    if pd.api.types.is_datetime64_any_dtype(a) and pd.api.types.is_datetime64_any_dtype(b):
        return ~((a == b).fillna(False) | (a.isna() & b.isna()))
    return a.astype(str).reset_index(drop=True).ne(b.astype(str).reset_index(drop=True)).set_axis(a.index)


def _existing(session: Session, spec: ImportKind, rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Stored rows that share a natural key with the file (read in chunks of the first key column)."""
    table = spec.table
    wanted = [c for c in dict.fromkeys(["id", *spec.natural_key, *columns]) if c in table.c]
    dates = [k for k in spec.natural_key if pd.api.types.is_datetime64_any_dtype(rows[k])]
    others = sorted((k for k in spec.natural_key if k not in dates), key=lambda k: -rows[k].nunique())
    first = others[0] if others else dates[0]
    extra = [table.c[k].between(rows[k].min().date(), rows[k].max().date()) for k in dates if k != first]
    for key in others[1:]:
        few = [v.item() if hasattr(v, "item") else v for v in rows[key].dropna().unique()]
        if len(few) <= 1000:
            extra.append(table.c[key].in_(few))
    parts = []
    values = rows[first].dropna().unique()
    if pd.api.types.is_datetime64_any_dtype(rows[first]):
        values = [pd.Timestamp(v).date() for v in values]
    else:
        values = [v.item() if hasattr(v, "item") else v for v in values]
    for start in range(0, len(values), LOOKUP_CHUNK):
        statement = select(*(table.c[c] for c in wanted)).where(table.c[first].in_(values[start:start + LOOKUP_CHUNK]),
                                                                *extra)
        result = session.execute(statement.execution_options(yield_per=EXISTING_BATCH))
        for batch in result.partitions():  # a million stored rows never sit in memory as Row objects at once
            part = pd.DataFrame.from_records(batch, columns=wanted)
            for key in dates:
                part[key] = pd.to_datetime(part[key]).astype("datetime64[ns]")
            parts.append(part)
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=wanted)
    return found.drop_duplicates(list(spec.natural_key))


def _finalise(spec: ImportKind, resolved: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows as stored: blank optional cells take the column default; which columns the file sets."""
    rows = resolved.copy()
    for column in spec.columns:
        if column.field in rows.columns and column.default is not None:
            rows[column.field] = rows[column.field].astype(object).where(rows[column.field].notna(), column.default)
    write = [c for c in rows.columns if c in spec.table.c and c != "id"]
    return rows, write


def _to_db(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.date.astype(object).where(out[column].notna(), None)
    return out


def preview(kind: str, data: bytes, filename: str, session: Session, options: dict | None = None) -> Preview:
    """What importing `data` would do, without writing anything."""
    spec = KINDS[kind]
    result = Preview(kind=kind, filename=filename, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        raw: RawTable = read_table(data, filename, _matcher(spec), spec.required_count)
    except FileRefused as refusal:
        result.refusal = refusal
        return result
    return _evaluate(spec, result, raw, session, options or {})


def preview_frame(kind: str, frame: pd.DataFrame, label: str, session: Session,
                  options: dict | None = None) -> Preview:
    """What importing rows that arrived without a file (a platform sync) would do: `frame` has one column per
    field of the kind (named by field); from here on it is exactly a file's path (parse, validate, resolve,
    compare). `label` names the rows in the audit log as a file name would."""
    spec = KINDS[kind]
    headers = {c.field: c.header for c in spec.columns}
    cells = frame.rename(columns=headers).reset_index(drop=True)
    data = cells.to_csv(index=False).encode("utf-8")
    result = Preview(kind=kind, filename=label, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    raw = RawTable(frame=cells, row_number=pd.Series(range(1, len(cells) + 1), index=cells.index),
                   file_format="api")
    return _evaluate(spec, result, raw, session, options or {})


def _evaluate(spec: ImportKind, result: Preview, raw: RawTable, session: Session, options: dict) -> Preview:
    result.file_format, result.encoding = raw.file_format, raw.encoding
    mapping, result.ignored_columns = map_columns(spec, list(raw.frame.columns))
    missing = [c for c in spec.columns if c.required and c.field not in mapping]
    if missing:
        result.refusal = FileRefused(f"缺少必需的列：{'、'.join(c.header for c in missing)}",
                                     f"missing required column(s): {', '.join(c.named_for_english_reader for c in missing)}")
        return result
    result.rows_read = len(raw.frame)
    if raw.frame.empty:
        result.refusal = FileRefused("文件中没有数据行", "the file has a header but no data rows")
        return result
    typed, rejects = _parse(spec, raw.frame, mapping)
    raw.frame = None  # the text cells are no longer needed: free them before the database work
    if "account" in spec.options and "account" not in mapping:
        if not options.get("account"):
            result.refusal = FileRefused("请选择公众号，或在文件中加“公众号”列", "choose the account, or add an account column")
            return result
        typed["account"] = str(options["account"])
    rejects += _validate(spec, typed)
    resolved = spec.resolve(session, typed, options)
    del typed
    rejects += [(i, spec.column(c).header if c in {x.field for x in spec.columns} else c, zh, en, "")
                for i, c, zh, en in resolved.rejects]
    rejects += _same_record_twice(spec, resolved.frame, {r[0] for r in rejects if r[0] is not None})
    if rejects:
        frame = pd.DataFrame(rejects, columns=["index", "column", "reason_zh", "reason_en", "value"])
        frame = frame.drop_duplicates(["index", "column"])
        frame["row"] = frame["index"].map(raw.row_number).astype("Int64")
        result.rejects = frame.sort_values(["row", "column"])[REJECT_COLUMNS].reset_index(drop=True)
    bad_index = {r[0] for r in rejects if r[0] is not None}
    good = resolved.frame.loc[~resolved.frame.index.isin(bad_index)]
    rows, write = _finalise(spec, good)
    result.write_columns = write
    if rows.empty:
        return result
    existing = _existing(session, spec, rows, write)
    compare = [c for c in write if c not in spec.natural_key]
    keyed = rows.copy()
    for key in spec.natural_key:
        keyed[key] = _as_comparable(keyed[key])
        existing[key] = _as_comparable(existing[key]) if not existing.empty else existing[key]
    merged = keyed.merge(existing.rename(columns={c: f"{c}__db" for c in compare}), on=list(spec.natural_key),
                         how="left", validate="one_to_one") if not existing.empty else keyed.assign(id=pd.NA)
    merged.index = rows.index
    is_new = merged["id"].isna()
    changed = pd.Series(False, index=rows.index)
    if not existing.empty:
        for column in compare:
            changed |= _differs(rows[column], merged[f"{column}__db"]) & ~is_new
    result.new, result.changed = int(is_new.sum()), int(changed.sum())
    result.unchanged = int(len(rows) - result.new - result.changed)
    result.new_rows = rows[is_new]
    before = {f"{c}__before": merged.loc[changed, f"{c}__db"] for c in compare
              if c.endswith("_on") and f"{c}__db" in merged.columns}
    result.changed_rows = rows[changed].assign(id=merged.loc[changed, "id"].astype("Int64"), **before)
    result.all_rows = rows
    return result


def _defaults_for_new(spec: ImportKind, rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for column in spec.columns:
        if column.field not in out.columns and column.field in spec.table.c and column.default is not None:
            out[column.field] = column.default
    return out


def write(session: Session, spec: ImportKind, result: Preview) -> None:
    """Insert the new rows (COPY on PostgreSQL) and update the changed ones by id, in the session's transaction."""
    connection = session.connection()
    table = spec.table
    if result.new_rows is not None and not result.new_rows.empty:
        new = _defaults_for_new(spec, result.new_rows)
        columns = [c for c in new.columns if c in table.c and c != "id"]
        bulk_insert(connection, table, _to_db(new[columns]))
    if result.changed_rows is not None and not result.changed_rows.empty:
        changed = _to_db(result.changed_rows[["id", *result.write_columns]])
        statement = update(table).where(table.c.id == bindparam("_id")).values(
            {c: bindparam(c) for c in result.write_columns})
        records = changed.astype(object).where(changed.notna(), None).rename(columns={"id": "_id"}).to_dict("records")
        for start in range(0, len(records), 10_000):
            connection.execute(statement, records[start:start + 10_000])
    if spec.post_write is not None and result.all_rows is not None:
        session.flush()
        spec.post_write(session, result.all_rows)
    written = [f.assign(_new=is_new) for f, is_new in ((result.new_rows, True), (result.changed_rows, False))
               if f is not None and not f.empty]
    if written:  # keep the rollups the pages read in step with the rows just written (with the dates they move)
        session.flush()
        refresh_for_rows(session, table, pd.concat([f[[c for c in f.columns if c in ("branch_id", "day", "_new")
                                                       or c.endswith(("_on", "_on__before"))]]
                                                    for f in written], ignore_index=True))


def commit(kind: str, data: bytes, filename: str, session: Session, username: str,
           options: dict | None = None, dry_run: bool = False) -> ImportResult:
    """Import one file in ONE transaction: all rows or none. A refused file writes only its audit entry.
    Re-importing the same file finds every row unchanged and writes nothing but the audit entry."""
    return _commit(kind, preview(kind, data, filename, session, options), session, username, dry_run)


def commit_frame(kind: str, frame: pd.DataFrame, label: str, session: Session, username: str,
                 options: dict | None = None, before_commit: Callable[[Session], None] | None = None) -> ImportResult:
    """Import rows that arrived without a file (a platform sync) in ONE transaction, through the same
    validation, write, rollup refresh, audit and data-version bump as `commit`. `before_commit(session)` runs
    inside that transaction after the rows are written (a sync records how far it got, atomically with them)."""
    return _commit(kind, preview_frame(kind, frame, label, session, options), session, username, False,
                   before_commit)


def _commit(kind: str, result: Preview, session: Session, username: str, dry_run: bool,
            before_commit: Callable[[Session], None] | None = None) -> ImportResult:
    filename = result.filename
    detail = f"{kind} {filename} sha256={result.sha256} {result.counts()}"
    if not result.ok or dry_run:
        session.rollback()
        if not dry_run:
            why = result.refusal.en if result.refusal else "rejected rows"
            audit(session, username, "import", "refused", f"{detail} ({why})")
            session.commit()
        return ImportResult(result, committed=False)
    try:
        spec = KINDS[kind]
        write(session, spec, result)
        version = bump_data_version(session) if (result.new or result.changed) else None
        audit(session, username, "import", "ok", detail)
        if before_commit is not None:
            before_commit(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return ImportResult(result, committed=True, data_version=version)


def template_bytes(kind: str) -> bytes:
    """An example file in the real shape: title row (where the source has one), Chinese headers, sample rows."""
    import io

    spec = KINDS[kind]
    frame = pd.DataFrame([{c.header: row.get(c.field, "") for c in spec.columns if
                           c.required or c.field in row} for row in spec.example])
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        start = len([t for t in spec.title_rows if t]) + (1 if any(spec.title_rows) else 0)
        frame.to_excel(writer, sheet_name="data", index=False, startrow=start)
        sheet = writer.sheets["data"]
        for index, title in enumerate(t for t in spec.title_rows if t):
            sheet.write(index, 0, title)
        sheet.set_column(0, len(frame.columns) - 1, 16)
    return buffer.getvalue()
