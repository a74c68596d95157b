"""idr: embeddable customer identity resolution (Python binding of libidr.so).

    >>> import idr
    >>> with idr.Engine() as engine:
    ...     a = engine.add("web-1", email="Ann@Example.org")
    ...     b = engine.add("pos-7", email="ann@example.org", loyalty_id="LY-42")
    ...     a == b == engine.lookup("loyalty_id", "ly 42")
    True
"""
from ._engine import Engine, Event, Stats
from ._errors import (
    BufferTooSmallError, CorruptDataError, IdrError, IdrIOError, InvalidArgumentError, InvalidUTF8Error,
    InvalidValueError, LimitExceededError, NotFoundError, OutOfMemoryError, UnknownKindError, VersionError,
)
from ._ffi import HEADER_VERSION, LIBRARY_VERSION
from ._kinds import ATTRIBUTES, BUILTIN_KINDS, RULES
from ._normalize import normalize
from ._pandas import resolve_dataframe
from ._resolver import Resolver, entity_id_of_key, resolve

__version__ = "0.1.0"

__all__ = [
    "Engine", "Event", "Stats", "Resolver", "resolve", "entity_id_of_key", "normalize", "resolve_dataframe", "BUILTIN_KINDS", "ATTRIBUTES", "RULES", "HEADER_VERSION",
    "LIBRARY_VERSION", "IdrError", "InvalidArgumentError", "NotFoundError", "BufferTooSmallError",
    "InvalidUTF8Error", "IdrIOError", "CorruptDataError", "OutOfMemoryError", "LimitExceededError",
    "UnknownKindError", "InvalidValueError", "VersionError",
]
