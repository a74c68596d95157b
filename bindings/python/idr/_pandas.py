"""idr.resolve_dataframe for pandas users (pandas is optional)."""
from __future__ import annotations

from typing import Any, Mapping

from ._engine import Engine
from ._kinds import BUILTIN_KINDS


def resolve_dataframe(df: Any, record_key: str = "record_id", columns: Mapping[str, str] | None = None,
                      **options: Any) -> Any:
    """Resolves the rows of a DataFrame; returns a pandas Series of entity IDs (uint64) aligned
    with `df`'s index.

    `columns` maps kinds to column names, e.g. ``{"email": "mail", "crm_id": "crm"}``; by default
    every column named like a built-in kind is used. Rows repeating a record key replace the
    earlier row's identifiers (the online engine upserts); options are `Engine`'s.
    """
    import pandas

    if columns is None:
        columns = {kind: kind for kind in BUILTIN_KINDS if kind in df.columns}
    missing = [c for c in (record_key, *columns.values()) if c not in df.columns]
    if missing:
        raise KeyError(f"no column(s) {missing} in the DataFrame")
    with Engine(**options) as engine:
        engine.add_many(df[record_key], **{kind: df[name] for kind, name in columns.items()})
        keys = df[record_key].astype(str).tolist()
        ids = [engine.entity_of(k) for k in keys]
    return pandas.Series(ids, index=df.index, dtype="uint64", name="entity_id")
