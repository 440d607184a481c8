"""PostgreSQL's binary COPY format built from a frame's columns with numpy, for `bulk_insert`.

The text COPY needs a Python tuple per row and psycopg formatting every value: at large (39 M rows) that was
about half of the seed's load on PostgreSQL, the server's own COPY the other half. Here each column is turned
into big-endian bytes in one vectorised step and the rows are assembled by offsets, so the client's share
becomes small beside the server's, and the server skips parsing text (dates, floats).

Only the column types whose binary form is fixed by the protocol and simple are built here: integer, double,
boolean, date and text. A table with any other column type (timestamps: their meaning depends on the
session's time zone), or a column whose values do not fit its type, returns None, and the caller keeps the
text COPY. Format: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, String, Table, TypeDecorator

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags 0, no header extension
TRAILER = np.array([-1], dtype=">i2").tobytes()
_PG_EPOCH = date(2000, 1, 1)
_INT32 = np.iinfo(np.int32)


class _Unsupported(Exception):
    """A column the binary path does not build: the caller keeps the text COPY."""


def _kind(column_type) -> str:
    if isinstance(column_type, TypeDecorator):  # sqlmodel's AutoString: its impl, unless it changes values
        changes_values = (type(column_type).process_bind_param is not TypeDecorator.process_bind_param
                          or type(column_type).bind_processor is not TypeDecorator.bind_processor)
        if changes_values:
            raise _Unsupported
        column_type = column_type.impl_instance
    if isinstance(column_type, DateTime):
        raise _Unsupported
    if isinstance(column_type, Boolean):
        return "bool"
    if isinstance(column_type, Integer):
        return "int"
    if isinstance(column_type, Float):
        return "float"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, String):
        return "text"
    raise _Unsupported


def column_kinds(table: Table, columns: list[str]) -> list[str] | None:
    """Each column's binary kind, or None when one of them has no binary form here."""
    try:
        return [_kind(table.c[name].type) for name in columns]
    except _Unsupported:
        return None


def _fixed(values: np.ndarray, missing: np.ndarray | None, dtype: str) -> tuple:
    return ("fixed", values.astype(dtype, copy=False), missing if missing is not None and missing.any() else None)


def _integers(series: pd.Series) -> tuple:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (pd.api.types.is_integer_dtype(dtype)
                                                 or pd.api.types.is_float_dtype(dtype)):
        raise _Unsupported
    missing = series.isna().to_numpy()
    values = series.to_numpy(dtype="float64" if pd.api.types.is_float_dtype(dtype) else "int64", na_value=0)
    if values.dtype.kind == "f" and not np.array_equal(values, np.round(values)):
        raise _Unsupported  # a fraction in an integer column: let the text path report it as the server does
    if len(values) and (values.min() < _INT32.min or values.max() > _INT32.max):
        raise _Unsupported
    return _fixed(values, missing, ">i4")


def _floats(series: pd.Series) -> tuple:
    if not (pd.api.types.is_float_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype)) \
            or pd.api.types.is_bool_dtype(series.dtype):
        raise _Unsupported
    missing = series.isna().to_numpy()
    return _fixed(series.to_numpy(dtype="float64", na_value=0.0), missing, ">f8")


def _booleans(series: pd.Series) -> tuple:
    if not pd.api.types.is_bool_dtype(series.dtype):
        raise _Unsupported
    missing = series.isna().to_numpy()
    return _fixed(series.to_numpy(dtype="bool", na_value=False), missing, "u1")


def _day_number(value) -> int:
    if isinstance(value, pd.Timestamp | datetime):
        value = value.date()
    if not isinstance(value, date):
        raise _Unsupported
    return (value - _PG_EPOCH).days


def _dates(series: pd.Series) -> tuple:
    """Days since 2000-01-01, through the column's few distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    days = np.array([_day_number(value) for value in uniques] + [0], dtype="int64")  # code -1: missing
    return _fixed(days[codes], codes < 0, ">i4")


def _texts(series: pd.Series) -> tuple:
    """UTF-8 bytes, through the column's distinct values: one blob and each row's length (-1: missing)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = list(uniques)
    if not all(isinstance(value, str) for value in values):
        raise _Unsupported
    encoded = [value.encode() for value in values]
    unique_lengths = np.array([len(value) for value in encoded] + [-1], dtype="int64")
    unique_starts = np.zeros(len(encoded) + 1, dtype="int64")
    np.cumsum(unique_lengths[:-1], out=unique_starts[1:])
    lengths = unique_lengths[codes]
    present = codes >= 0
    wanted, wanted_lengths = unique_starts[codes[present]], lengths[present]
    blob = np.frombuffer(b"".join(encoded), dtype="u1")
    return ("text", blob[_segments(wanted, wanted_lengths)], lengths)


def _segments(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start..start+length-1 of every segment, one after another."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype="int64")
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total, dtype="int64")


_BUILDERS = {"int": _integers, "float": _floats, "bool": _booleans, "date": _dates, "text": _texts}


def _put(buffer: np.ndarray, at: np.ndarray, values: np.ndarray) -> None:
    """Write each of `values` (fixed width) at its offset."""
    if len(values) == 0:  # e.g. a column NULL in every row of the chunk
        return
    raw = np.ascontiguousarray(values).view("u1").reshape(len(values), -1)
    buffer[at[:, None] + np.arange(raw.shape[1])] = raw


def encode_rows(frame: pd.DataFrame, kinds: list[str]) -> bytes | None:
    """The frame's rows in binary COPY form (no header or trailer), or None when a value has no binary form."""
    try:
        fields = [_BUILDERS[kind](frame[name]) for name, kind in zip(frame.columns, kinds, strict=True)]
    except _Unsupported:
        return None
    rows = len(frame)
    if all(field[0] == "fixed" and field[2] is None for field in fields):  # every row the same width
        layout = [("count", ">i2")]
        for number, (_, values, _) in enumerate(fields):
            layout += [(f"length{number}", ">i4"), (f"value{number}", values.dtype)]
        record = np.empty(rows, dtype=layout)
        record["count"] = len(fields)
        for number, (_, values, _) in enumerate(fields):
            record[f"length{number}"] = values.dtype.itemsize
            record[f"value{number}"] = values
        return record.tobytes()
    lengths = []  # each field's length word per row (-1: NULL)
    for field in fields:
        if field[0] == "fixed":
            width = np.full(rows, field[1].dtype.itemsize, dtype="int64")
            lengths.append(width if field[2] is None else np.where(field[2], -1, width))
        else:
            lengths.append(field[2])
    row_sizes = 2 + sum(4 + np.maximum(length, 0) for length in lengths)
    starts = np.zeros(rows, dtype="int64")
    np.cumsum(row_sizes[:-1], out=starts[1:])
    buffer = np.empty(int(row_sizes.sum()), dtype="u1")
    _put(buffer, starts, np.full(rows, len(fields), dtype=">i2"))
    at = starts + 2
    for field, length in zip(fields, lengths, strict=True):
        _put(buffer, at, length.astype(">i4"))
        data_at, present = at + 4, length >= 0
        if field[0] == "fixed":
            _put(buffer, data_at[present], field[1][present])
        else:
            buffer[_segments(data_at[present], length[present])] = field[1]
        at = data_at + np.maximum(length, 0)
    return buffer.tobytes()
