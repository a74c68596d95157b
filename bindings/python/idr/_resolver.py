"""idr.Resolver: the bulk resolver over libidr.so (entity IDs depend only on the set of records)."""
from __future__ import annotations

from typing import Any, Mapping

from . import _columns
from ._engine import _options
from ._errors import raise_for
from ._ffi import ffi, lib
from ._kinds import ATTRIBUTES, BUILTIN_KINDS
from ._native import CColumns, NativeObject

_CHUNK = 65_536


def _uint64_array(n: int) -> Any:
    try:
        import numpy
        return numpy.zeros(n, dtype=numpy.uint64)
    except ImportError:  # pragma: no cover - numpy is optional
        from array import array
        return array("Q", bytes(8 * n))


class Resolver(NativeObject):
    """Collects records, then resolves them all at once, like ``idr-bench resolve``.

    Entity IDs are the XXH3-64 of each entity's smallest record key, so the same records in any
    order (or split across machines, see ``idr.spark``) give the same IDs. Rows repeating a record
    key are one record with the union of their identifiers. Options are ``Engine``'s (no
    ``events``; hash-only mode is refused) plus fuzzy matching of attributes: ``fuzzy`` (default
    True), ``fuzzy_threshold`` (match probability, default 0.99), ``fuzzy_max_block_size``
    (default 200), ``dates_month_first`` (read NN/NN/YYYY as month first; default False) and
    ``nicknames`` (default True). Not thread-safe.
    """

    def __init__(self, **options: Any) -> None:
        opts, _keep = _options(options)
        out = ffi.new("idr_resolver **")
        status = lib.idr_resolver_create(opts, out)
        if status != 0:
            raise_for(status)
        self._ptr = ffi.gc(out[0], lib.idr_resolver_free)
        self._kinds: dict[str, int] = {**BUILTIN_KINDS, **ATTRIBUTES}

    _what = "resolver"
    _register = lib.idr_resolver_register_kind_ex

    @property
    def _resolver(self) -> Any:
        return self._native

    def _kind(self, name: str) -> int:
        if name not in self._kinds:
            from ._errors import UnknownKindError
            raise UnknownKindError(f"unknown kind {name!r}; register it first", -9)
        return self._kinds[name]

    def add_many(self, record_keys: Any, **columns: Any) -> Any:
        """Adds rows given as columns (``email=[...]``, a custom kind by its name, the attributes
        ``first_name``, ``last_name``, ``dob``, ``zip``, ``address``, ``city``; None and NaN are
        missing); returns each row's record index (records numbered by first appearance)."""
        keys = _columns.to_list(record_keys)
        n = len(keys)
        encoded = []
        for name, column in columns.items():
            if column is None:
                continue
            values = _columns.to_list(column)
            if len(values) != n:
                raise ValueError(f"column {name!r} has {len(values)} values for {n} record keys")
            data, offsets = _columns.encode(values)
            encoded.append((self._kind(name), data, offsets))
        result = _uint64_array(n)
        if n == 0:
            return result
        key_data, key_offsets = _columns.encode(keys)
        out = ffi.from_buffer("uint64_t[]", result)
        c_columns = CColumns(encoded)
        key_buf = ffi.from_buffer(key_data)
        key_off = ffi.from_buffer("uint64_t[]", key_offsets)
        for start in range(0, n, _CHUNK):
            count = min(_CHUNK, n - start)
            status = lib.idr_resolver_add_columns(self._resolver, count, key_buf, len(key_data), key_off + start,
                                                  c_columns.count, c_columns.kinds, c_columns.data, c_columns.lengths,
                                                  c_columns.offsets_from(start), out + start)
            if status != 0:
                raise_for(status)
        return result

    @property
    def record_count(self) -> int:
        """Distinct records added so far."""
        return int(lib.idr_resolver_record_count(self._resolver))

    def resolve(self) -> Any:
        """The entity ID of every record, by record index (numpy uint64 array when available)."""
        n = self.record_count
        result = _uint64_array(max(n, 1))
        status = lib.idr_resolver_resolve(self._resolver, ffi.from_buffer("uint64_t[]", result), n)
        if status != 0:
            raise_for(status)
        return result[:n]


def resolve(record_keys: Any, *, custom_kinds: Mapping[str, Any] | None = None, options: Mapping[str, Any] | None = None,
            **columns: Any) -> Any:
    """Resolves rows in one call; returns each row's entity ID (numpy uint64 array when available).

    ``custom_kinds`` maps custom kind names to a rule or a ``(rule, generic_threshold)`` pair;
    ``options`` are ``Engine``'s. Example: ``idr.resolve(keys, email=emails, crm_id=crms,
    custom_kinds={"crm_id": "token"})``.
    """
    with Resolver(**(options or {})) as r:
        for name, spec in (custom_kinds or {}).items():
            rule, threshold = (spec, None) if isinstance(spec, str) else spec
            r.register_kind(name, rule, threshold)
        rows = r.add_many(record_keys, **columns)
        entities = r.resolve()
        return entities[rows.astype("int64")] if hasattr(rows, "astype") else [entities[i] for i in rows]


def entity_id_of_key(key: str, attempt: int = 0) -> int:
    """The bulk resolver's entity ID for an entity whose smallest record key is `key` (attempt
    1, 2, … only when IDs collide; see the C header's idr_entity_id_of_key)."""
    data = key.encode("utf-8", "surrogatepass")
    return int(lib.idr_entity_id_of_key(data, len(data), attempt))
