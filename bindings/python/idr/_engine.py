"""idr.Engine: the online engine over libidr.so."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from . import _columns
from ._errors import raise_for
from ._ffi import ffi, lib
from ._kinds import BUILTIN_KINDS
from ._native import CColumns, NativeObject

_CHUNK = 65_536

_FLAG_OPTIONS = {
    "events": (lib.IDR_FLAG_EVENTS, False),
    "email_drop_plus_tag": (lib.IDR_FLAG_EMAIL_DROP_PLUS_TAG, False),
    "email_gmail_dots": (lib.IDR_FLAG_EMAIL_GMAIL_DOTS, False),
    "builtin_placeholders": (lib.IDR_FLAG_NO_BUILTIN_PLACEHOLDERS, True),
    "generic_guard": (lib.IDR_FLAG_NO_GENERIC_GUARD, True),
    "erasure_tombstones": (lib.IDR_FLAG_NO_ERASURE_TOMBSTONES, True),
    "fuzzy": (lib.IDR_FLAG_NO_FUZZY, True),
    "dates_month_first": (lib.IDR_FLAG_DATES_MONTH_FIRST, False),
    "nicknames": (lib.IDR_FLAG_NO_NICKNAMES, True),
}
_LIMIT_OPTIONS = ("max_record_key_length", "max_value_length", "max_identifiers_per_record", "max_custom_kinds",
                  "max_records")


@dataclass(frozen=True)
class Stats:
    """Counters of an engine (idr_stats)."""

    records: int
    entities: int
    values: int
    generic_values: int
    placeholder_values: int
    invalid_values: int
    largest_entity: int
    erased_values: int = 0
    tombstones: int = 0


_EVENT_TYPES = {lib.IDR_EVENT_CREATED: "created", lib.IDR_EVENT_MERGED: "merged", lib.IDR_EVENT_SPLIT: "split",
                lib.IDR_EVENT_REMOVED: "removed"}


@dataclass(frozen=True)
class Event:
    """A change to the entities (idr_event).

    type: "created" (`entity` is new), "merged" (`other` joined `entity`), "split" (`entity`
    fell apart into `parts`) or "removed" (`record` left `entity`; `entity_gone` if it was the
    last). `identifier` is (kind, normalized value): the bridge of a merge or the cut of a split.
    """

    type: str
    entity: int
    record: str
    other: int | None = None
    parts: tuple[int, ...] = ()
    identifier: tuple[int, str] | None = None
    entity_gone: bool = False


def _options(options: Mapping[str, Any]) -> tuple[Any, Any]:
    """C options for keyword options; the second item keeps the secret's buffer alive for as
    long as the options are used."""
    o = ffi.new("idr_options *")
    lib.idr_options_init(o)
    keep = None
    for name, value in options.items():
        if name in _FLAG_OPTIONS:
            bit, default_on = _FLAG_OPTIONS[name]
            # Options that are on by default are turned off by a "NO_" flag.
            if bool(value) != default_on:
                o.flags |= bit
        elif name == "default_country_code":
            o.default_country_code = int(value)
        elif name == "phone_trunk_prefix":
            if value == "auto":
                o.phone_trunk_prefix = lib.IDR_TRUNK_AUTO
            elif value in ("none", None):
                o.phone_trunk_prefix = lib.IDR_TRUNK_NONE
            else:
                o.phone_trunk_prefix = int(value)
        elif name == "generic_thresholds":
            for kind, threshold in dict(value).items():
                if kind not in BUILTIN_KINDS:
                    raise TypeError(f"generic_thresholds: {kind!r} is not a built-in kind")
                o.generic_threshold[BUILTIN_KINDS[kind]] = int(threshold)
        elif name == "custom_generic_threshold":
            o.custom_generic_threshold = int(value)
        elif name == "distinguishing_kinds":
            mask = 0
            for kind in value:
                if kind not in BUILTIN_KINDS:
                    raise TypeError(f"distinguishing_kinds: {kind!r} is not a built-in kind")
                mask |= 1 << BUILTIN_KINDS[kind]
            o.distinguishing_kinds = mask
        elif name == "entity_limits":
            for kind, limit in dict(value).items():
                if kind not in BUILTIN_KINDS:
                    raise TypeError(f"entity_limits: {kind!r} is not a built-in kind")
                o.entity_limit[BUILTIN_KINDS[kind]] = int(limit)
        elif name == "link_priority":
            kinds = list(value)
            if len(kinds) > len(o.link_priority):
                raise TypeError(f"link_priority: at most {len(o.link_priority)} kinds")
            for i in range(len(o.link_priority)):
                o.link_priority[i] = 0
            for i, kind in enumerate(kinds):
                if kind not in BUILTIN_KINDS:
                    raise TypeError(f"link_priority: {kind!r} is not a built-in kind")
                o.link_priority[i] = BUILTIN_KINDS[kind]
        elif name == "fuzzy_threshold":
            o.fuzzy_threshold = float(value)
        elif name == "fuzzy_max_block_size":
            o.fuzzy_max_block_size = int(value)
        elif name in _LIMIT_OPTIONS:
            setattr(o, name, int(value))
        elif name == "hash_only_secret":
            if value is None:
                continue
            if isinstance(value, str):
                value = value.encode("utf-8")
            if not isinstance(value, (bytes, bytearray)):
                raise TypeError("hash_only_secret must be bytes or str")
            keep = ffi.new("uint8_t[]", bytes(value) or b"\0")
            o.hash_only_secret = keep
            o.hash_only_secret_len = len(value)
        else:
            raise TypeError(f"unknown option {name!r}")
    return o, keep


class Engine(NativeObject):
    """An online identity engine: add, replace and remove records; ask who is who at any time.

    Options (all optional; defaults as documented in the README): ``events`` (collect change
    events for `drain_events`), ``default_country_code``,
    ``phone_trunk_prefix`` ("auto", "none" or a digit), ``email_drop_plus_tag``,
    ``email_gmail_dots``, ``builtin_placeholders``, ``generic_guard``, ``generic_thresholds``
    (dict kind → int), ``custom_generic_threshold``, ``distinguishing_kinds``, per-entity limits
    ``entity_limits`` (dict built-in kind → at most that many distinct values per entity; links
    that would pass it are refused, as in bulk) and ``link_priority`` (the kinds' link order when
    a limit is set), and the input limits
    ``max_record_key_length``, ``max_value_length``, ``max_identifiers_per_record``,
    ``max_custom_kinds``, ``max_records``; privacy: ``hash_only_secret`` (bytes or str, 16–4096
    bytes: keep only keyed fingerprints of values, never the values) and ``erasure_tombstones``
    (default True: ``erase`` keeps a fingerprint so later adds do not link through the value).

    Threads: one engine may be shared by any number of threads. Calls release the GIL; reads
    run in parallel with each other and with one writer (the C library's reader-writer lock).
    """

    def __init__(self, **options: Any) -> None:
        opts, _keep = _options(options)
        out = ffi.new("idr_engine **")
        status = lib.idr_engine_create(opts, out)
        if status != 0:
            raise_for(status)
        # ffi.gc frees the engine if close() is never called.
        self._ptr = ffi.gc(out[0], lib.idr_engine_free)
        self._kinds: dict[str, int] = dict(BUILTIN_KINDS)

    @classmethod
    def open(cls, path: str, *, sync: str = "process", events: bool = False, **options: Any) -> "Engine":
        """Opens (or creates) the engine state at `path` with its write-ahead log (`path.log`).

        Every add and remove is in the log before it returns (``sync="disk"`` also fsyncs each
        one); ``save()`` writes a snapshot and starts a new log. An existing state keeps the
        configuration it was saved with.
        """
        if sync not in ("process", "disk"):
            raise ValueError('sync must be "process" or "disk"')
        opts, _keep = _options({**options, "events": events})
        data = path.encode()
        out = ffi.new("idr_engine **")
        status = lib.idr_engine_open(data, len(data), opts, 1 if sync == "disk" else 0, out)
        if status != 0:
            raise_for(status)
        return cls._wrap(out[0])

    @classmethod
    def load(cls, path: str, *, events: bool = False, hash_only_secret: bytes | str | None = None) -> "Engine":
        """An engine from a snapshot file (no log). A hash-only state needs its secret."""
        opts, _keep = _options({"events": events, "hash_only_secret": hash_only_secret})
        data = path.encode()
        out = ffi.new("idr_engine **")
        status = lib.idr_engine_load(data, len(data), opts, out)
        if status != 0:
            raise_for(status)
        return cls._wrap(out[0])

    @classmethod
    def _wrap(cls, ptr: Any) -> "Engine":
        engine = cls.__new__(cls)
        engine._ptr = ffi.gc(ptr, lib.idr_engine_free)
        engine._kinds = dict(BUILTIN_KINDS)
        return engine

    def save(self) -> None:
        """Writes a snapshot to the `open` path and starts a new log."""
        status = lib.idr_engine_save(self._engine)
        if status != 0:
            raise_for(status, self._engine)

    def mirror_reads(self) -> None:
        """Gives readers a mirror of the engine from now on, so that lookups from other threads
        never wait for a write; costs twice the memory and each write done twice
        (`idr_engine_mirror_reads`)."""
        status = lib.idr_engine_mirror_reads(self._engine)
        if status != 0:
            raise_for(status, self._engine)

    def save_to(self, path: str) -> None:
        """Writes a snapshot to `path` (atomically, mode 0600)."""
        data = path.encode()
        status = lib.idr_engine_save_to(self._engine, data, len(data))
        if status != 0:
            raise_for(status, self._engine)

    # -- lifetime and kinds (NativeObject: close, with, register_kind) ---------------------

    _what = "engine"
    _register = lib.idr_engine_register_kind_ex

    @property
    def _engine(self) -> Any:
        return self._native

    def _error_handle(self) -> Any:
        return self._engine

    def _known_kind(self, name: str) -> int | None:
        """The number of a kind the engine knows by this name (cached), or None."""
        found = self._kinds.get(name)
        if found is None:
            data = name.encode("utf-8")
            out = ffi.new("uint32_t *")
            if lib.idr_engine_find_kind(self._engine, data, len(data), out) == 0:
                found = self._kinds[name] = out[0]
        return found

    def _kind(self, kind: str | int) -> int:
        if isinstance(kind, int):
            return kind
        found = self._known_kind(kind)
        return found if found is not None else self.register_kind(kind)

    # -- writes -----------------------------------------------------------------------------

    def add(self, record_key: str, *, email: Any = None, phone: Any = None, loyalty_id: Any = None,
            device_id: Any = None, pos_card: Any = None, source: str | None = None, **custom: Any) -> int:
        """Adds a record, or replaces the identifiers of an existing one; returns its entity ID.

        Each identifier is a string or an iterable of strings; None means none. Custom kinds are
        keyword arguments (registered on first use with the exact rule, unless registered before).
        `source` is accepted for symmetry with bulk files; the online engine does not use it yet.
        """
        ids: list[tuple[int, bytes]] = []
        for name, value in (("email", email), ("phone", phone), ("loyalty_id", loyalty_id),
                            ("device_id", device_id), ("pos_card", pos_card), *custom.items()):
            if value is None:
                continue
            values = [value] if isinstance(value, (str, bytes)) else list(value)
            kind = self._kind(name)
            for v in values:
                encoded = _columns._encode(v)
                if encoded:
                    ids.append((kind, encoded))
        key = record_key.encode("utf-8", "surrogatepass")
        array = ffi.new("idr_identifier[]", max(len(ids), 1))
        keep = []
        for i, (kind, data) in enumerate(ids):
            buf = ffi.from_buffer(data)
            keep.append(buf)
            array[i].kind = kind
            array[i].value = buf
            array[i].value_len = len(data)
        out = ffi.new("uint64_t *")
        status = lib.idr_engine_add(self._engine, key, len(key), array, len(ids), out)
        if status != 0:
            raise_for(status, self._engine)
        return int(out[0])

    def add_many(self, record_keys: Any, *, email: Any = None, phone: Any = None, loyalty_id: Any = None,
                 device_id: Any = None, pos_card: Any = None, source: Any = None, **custom: Any) -> Any:
        """Adds many records given as columns; returns their entity IDs (numpy uint64 array when
        numpy is installed, else an array('Q')), each as it stood right after its record.

        Columns may be lists, tuples, numpy arrays, pandas Series or pyarrow arrays of equal
        length; None and NaN are missing values. One C call per chunk of 65,536 records.
        """
        keys = _columns.to_list(record_keys)
        n = len(keys)
        columns: list[tuple[int, bytes, Any]] = []
        for name, column in (("email", email), ("phone", phone), ("loyalty_id", loyalty_id),
                             ("device_id", device_id), ("pos_card", pos_card), *custom.items()):
            if column is None:
                continue
            values = _columns.to_list(column)
            if len(values) != n:
                raise ValueError(f"column {name!r} has {len(values)} values for {n} record keys")
            data, offsets = _columns.encode(values)
            columns.append((self._kind(name), data, offsets))
        key_data, key_offsets = _columns.encode(keys)
        try:
            import numpy
            result = numpy.zeros(n, dtype=numpy.uint64)
        except ImportError:  # pragma: no cover - numpy is optional
            from array import array as _array
            result = _array("Q", bytes(8 * n))
        if n == 0:
            return result
        out = ffi.from_buffer("uint64_t[]", result)
        c_columns = CColumns(columns)
        key_buf = ffi.from_buffer(key_data)
        key_off = ffi.from_buffer("uint64_t[]", key_offsets)
        processed = ffi.new("size_t *")
        for start in range(0, n, _CHUNK):
            count = min(_CHUNK, n - start)
            status = lib.idr_engine_add_columns(
                self._engine, count, key_buf, len(key_data), key_off + start, c_columns.count, c_columns.kinds,
                c_columns.data, c_columns.lengths, c_columns.offsets_from(start), out + start, processed)
            if status != 0:
                raise_for(status, self._engine)
        return result

    def remove(self, record_key: str) -> None:
        """Removes a record; raises NotFoundError if it is not in the engine."""
        key = record_key.encode("utf-8", "surrogatepass")
        status = lib.idr_engine_remove(self._engine, key, len(key))
        if status != 0:
            raise_for(status, self._engine)

    def normalize_column(self, kind: str | int, values: Any) -> tuple[list, list]:
        """Normalizes values of `kind` with this engine's configuration without adding them:
        (normalized values, None for invalid or missing ones; placeholder flags)."""
        number = self._kind(kind) if isinstance(kind, str) else kind
        items = _columns.to_list(values)
        n = len(items)
        data, offsets = _columns.encode(items)
        capacity = len(data) + lib.IDR_NORMALIZE_SLACK * n
        out = ffi.new("char[]", max(capacity, 1))
        out_offsets = ffi.new("uint64_t[]", n + 1)
        flags = ffi.new("uint8_t[]", max(n, 1))
        status = lib.idr_engine_normalize_column(self._engine, number, n, ffi.from_buffer(data), len(data),
                                                 ffi.from_buffer("uint64_t[]", offsets), out, capacity, out_offsets,
                                                 flags)
        if status != 0:
            raise_for(status, self._engine)
        raw = ffi.buffer(out, out_offsets[n])[:]
        normalized = [None if flags[i] & lib.IDR_VALUE_INVALID else raw[out_offsets[i]:out_offsets[i + 1]].decode("utf-8")
                      for i in range(n)]
        placeholders = [bool(flags[i] & lib.IDR_VALUE_PLACEHOLDER) for i in range(n)]
        return normalized, placeholders

    def erase(self, kind: str | int, value: str) -> int:
        """Erases an identifier value (GDPR) from every record and returns how many held it.

        The value's bytes are forgotten; unless ``erasure_tombstones=False``, later adds carrying
        it drop it instead of linking through it. An engine from ``open()`` saves a snapshot
        before returning, so neither file holds the value any more.
        """
        number = self._known_kind(kind) if isinstance(kind, str) else kind
        if number is None:
            from ._errors import UnknownKindError
            raise UnknownKindError(f"unknown kind {kind!r}", -9)
        data = value.encode("utf-8", "surrogatepass")
        out = ffi.new("size_t *")
        status = lib.idr_engine_erase(self._engine, number, data, len(data), out)
        if status != 0:
            raise_for(status, self._engine)
        return int(out[0])

    # -- reads ------------------------------------------------------------------------------

    def entity_of(self, record_key: str) -> int | None:
        """The entity ID of a record, or None if it is not in the engine."""
        key = record_key.encode("utf-8", "surrogatepass")
        out = ffi.new("uint64_t *")
        status = lib.idr_engine_entity_of(self._engine, key, len(key), out)
        if status == lib.IDR_E_NOT_FOUND:
            return None
        if status != 0:
            raise_for(status, self._engine)
        return int(out[0])

    def lookup(self, kind: str | int, value: str) -> int | None:
        """The entity holding an identifier (normalized first), or None when it identifies no one
        (unknown, invalid, a placeholder or generic). Raises UnknownKindError for an unknown kind."""
        number = self._known_kind(kind) if isinstance(kind, str) else kind
        if number is None:
            raise_unknown = f"unknown kind {kind!r}"
            from ._errors import UnknownKindError
            raise UnknownKindError(raise_unknown, -9)
        data = value.encode("utf-8", "surrogatepass")
        out = ffi.new("uint64_t *")
        status = lib.idr_engine_lookup(self._engine, number, data, len(data), out)
        if status == lib.IDR_E_NOT_FOUND:
            return None
        if status != 0:
            raise_for(status, self._engine)
        return int(out[0])

    def resolve(self, entity: int) -> int | None:
        """The current ID of an entity ID issued earlier (after merges), or None if gone."""
        out = ffi.new("uint64_t *")
        status = lib.idr_engine_resolve(self._engine, entity, out)
        if status == lib.IDR_E_NOT_FOUND:
            return None
        if status != 0:
            raise_for(status, self._engine)
        return int(out[0])

    def members(self, entity: int) -> list[str]:
        """The record keys of an entity, sorted bytewise; [] for an unknown entity."""
        out = ffi.new("idr_members **")
        status = lib.idr_engine_members(self._engine, entity, out)
        if status == lib.IDR_E_NOT_FOUND:
            return []
        if status != 0:
            raise_for(status, self._engine)
        members = out[0]
        try:
            length = ffi.new("size_t *")
            keys = []
            for i in range(lib.idr_members_count(members)):
                p = lib.idr_members_key(members, i, length)
                keys.append(ffi.unpack(p, length[0]).decode("utf-8", "surrogatepass"))
            return keys
        finally:
            lib.idr_members_free(members)

    def stats(self) -> Stats:
        """The engine's counters."""
        s = ffi.new("idr_stats *")
        s.version = lib.IDR_STATS_VERSION
        status = lib.idr_engine_stats(self._engine, s)
        if status != 0:
            raise_for(status, self._engine)
        return Stats(s.records, s.entities, s.values, s.generic_values, s.placeholder_values, s.invalid_values,
                     s.largest_entity, s.erased_values, s.tombstones)

    # -- events and explanations (experimental in the C header) ----------------------------

    def drain_events(self) -> list[Event]:
        """The change events since the last call (needs ``Engine(events=True)``), oldest first."""
        out = ffi.new("idr_events **")
        status = lib.idr_engine_drain_events(self._engine, out)
        if status != 0:
            raise_for(status, self._engine)
        events = out[0]
        try:
            ev = ffi.new("idr_event *")
            result = []
            for i in range(lib.idr_events_count(events)):
                lib.idr_events_get(events, i, ev)
                kind = _EVENT_TYPES[ev.type]
                record = ffi.unpack(ev.record_key, ev.record_key_len).decode("utf-8", "surrogatepass")
                identifier = None
                if ev.identifier != ffi.NULL:
                    identifier = (int(ev.identifier_kind), ffi.unpack(ev.identifier, ev.identifier_len).decode("utf-8"))
                parts = tuple(int(ev.parts[j]) for j in range(ev.part_count)) if ev.part_count else ()
                result.append(Event(
                    type=kind, entity=int(ev.entity), record=record,
                    other=int(ev.other) if kind == "merged" else None, parts=parts, identifier=identifier,
                    entity_gone=kind == "removed" and ev.other == 1))
            return result
        finally:
            lib.idr_events_free(events)

    def _text(self, status: int, out: Any) -> dict:
        if status != 0:
            raise_for(status, self._engine)
        try:
            length = ffi.new("size_t *")
            data = lib.idr_text_data(out[0], length)
            return json.loads(ffi.unpack(data, length[0]).decode("utf-8"))
        finally:
            lib.idr_text_free(out[0])

    def why(self, record_a: str, record_b: str) -> dict:
        """Why two records are, or are not, one customer: {"joined": True, "path": [...]}, or
        {"joined": False, "refused_by": "placeholder"|"generic", "identifier": ..., "path": [...]},
        or, when a per-entity limit refused a link on the chain, {"joined": False, "refused_by":
        "entity_limit", "limited_kind": ..., "limit": ..., "identifier": ..., "path": [...]}, or
        {"joined": False, "reason": "no shared evidence"}. Raises NotFoundError."""
        a = record_a.encode("utf-8", "surrogatepass")
        b = record_b.encode("utf-8", "surrogatepass")
        out = ffi.new("idr_text **")
        return self._text(lib.idr_engine_why(self._engine, a, len(a), b, len(b), out), out)

    def how(self, entity: int) -> dict:
        """An entity's records and the identifiers linking them. Raises NotFoundError."""
        out = ffi.new("idr_text **")
        return self._text(lib.idr_engine_how(self._engine, entity, out), out)
