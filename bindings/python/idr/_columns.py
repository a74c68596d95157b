"""Turns a column (list, tuple, numpy array, pandas Series, pyarrow array) into one UTF-8 buffer
plus `n + 1` offsets: the layout idr_engine_add_columns takes. None and NaN are missing values."""
from __future__ import annotations

from array import array
from itertools import accumulate
from typing import Any, Sequence


def to_list(column: Any) -> list:
    """A plain list of the column's values, with pandas/numpy/pyarrow missing values as None."""
    module = type(column).__module__
    if module.startswith("pandas"):
        return column.astype(object).where(column.notna(), None).tolist()
    if module.startswith("pyarrow"):
        return column.to_pylist()
    if module.startswith("numpy"):
        return column.tolist()
    return list(column)


def _encode(v: Any) -> bytes:
    if v is None:
        return b""
    if isinstance(v, str):
        return v.encode("utf-8", "surrogatepass")
    if isinstance(v, bytes):
        return v
    if isinstance(v, float):
        if v != v:  # NaN
            return b""
        if v.is_integer():
            return str(int(v)).encode()
    return str(v).encode("utf-8")


def encode(values: Sequence[Any]) -> tuple[bytes, array]:
    """(data, offsets) for `values`; offsets has len(values) + 1 entries."""
    # Fast path, for columns of str and None: join once and encode once. When every value is
    # ASCII the UTF-8 length of each value is its length in characters, so the offsets come
    # from the character lengths without encoding values one by one (about 2x faster on 1M
    # generated records).
    strings = [v if type(v) is str else ("" if v is None else None) for v in values]
    if None not in strings:
        joined = "".join(strings)
        data = joined.encode("utf-8", "surrogatepass")
        if len(data) == len(joined):
            return data, array("Q", accumulate(map(len, strings), initial=0))
    encoded = [v.encode("utf-8", "surrogatepass") if type(v) is str else _encode(v) for v in values]
    offsets = array("Q", accumulate(map(len, encoded), initial=0))
    return b"".join(encoded), offsets
