"""idr.normalize: the stateless normalizer (default options)."""
from __future__ import annotations

from ._errors import raise_for
from ._ffi import ffi, lib
from ._kinds import BUILTIN_KINDS


def _kind_number(kind: str | int) -> int:
    if isinstance(kind, str):
        try:
            return BUILTIN_KINDS[kind]
        except KeyError:
            raise ValueError(f"unknown kind {kind!r}; built-in kinds: {', '.join(BUILTIN_KINDS)}") from None
    return int(kind)


def normalize(kind: str | int, value: str) -> str:
    """Normalizes `value` as a built-in `kind` (`"email"`, `"phone"`, … or `IDR_KIND_*`).

    Raises InvalidValueError (with the reason) when the value is not valid for its kind.
    """
    data = value.encode("utf-8")
    capacity = len(data) + 41
    out = ffi.new("char[]", capacity)
    out_len = ffi.new("size_t *")
    status = lib.idr_normalize(_kind_number(kind), data, len(data), out, capacity, out_len)
    if status != 0:
        raise_for(status)
    return ffi.unpack(out, out_len[0]).decode("utf-8")
