"""What idr.Engine and idr.Resolver share: the lifetime of their C object, custom kind
registration, and passing columns to the C batch calls."""
from __future__ import annotations

from typing import Any, Callable

from ._errors import raise_for
from ._ffi import ffi, lib
from ._kinds import RULES


class NativeObject:
    """A C object (engine or resolver) freed by ``close()``, ``with`` or garbage collection."""

    _what = "object"
    _register: Callable[..., int]
    _ptr: Any

    def close(self) -> None:
        """Frees the C object now; any later call raises ValueError. Closing twice is fine."""
        if self._ptr is not None:
            ffi.release(self._ptr)
            self._ptr = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _native(self) -> Any:
        if self._ptr is None:
            raise ValueError(f"the {self._what} is closed")
        return self._ptr

    def _error_handle(self) -> Any:
        """The handle whose last error explains a failed call (NULL for a resolver)."""
        return ffi.NULL

    def register_kind(self, name: str, rule: str = "exact", generic_threshold: int | None = None) -> int:
        """Registers a custom kind (rule: email, phone, device_id, token, lowercase, exact)."""
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; rules: {', '.join(RULES)}")
        data = name.encode("utf-8")
        out = ffi.new("uint32_t *")
        threshold = 0xFFFF_FFFF if generic_threshold is None else int(generic_threshold)
        status = type(self)._register(self._native, data, len(data), RULES[rule], threshold, out)
        if status != 0:
            raise_for(status, self._error_handle())
        self._kinds[name] = out[0]
        return out[0]


class CColumns:
    """Encoded columns [(kind, data, offsets)] as the arrays the C batch calls take; keeps every
    buffer alive while it lives."""

    def __init__(self, encoded: list) -> None:
        self.count = len(encoded)
        self.kinds = ffi.new("uint32_t[]", [c[0] for c in encoded] or [0])
        self._data = [ffi.from_buffer(c[1]) for c in encoded]
        self._offsets = [ffi.from_buffer("uint64_t[]", c[2]) for c in encoded]
        self.data = ffi.new("char *[]", self._data or [ffi.NULL])
        self.lengths = ffi.new("size_t[]", [len(c[1]) for c in encoded] or [0])

    def offsets_from(self, start: int) -> Any:
        """The offsets arrays advanced to row `start` (for one chunk of rows)."""
        return ffi.new("uint64_t *[]", [b + start for b in self._offsets] or [ffi.NULL])
