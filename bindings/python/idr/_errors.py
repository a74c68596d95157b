"""Errors: one exception class per idr_status, mapped in one place."""
from __future__ import annotations

from typing import NoReturn

from ._ffi import ffi, lib


class IdrError(Exception):
    """An error from idr: `status` is the C status code, `message` the engine's explanation."""

    status: int = 0

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(IdrError, ValueError):
    status = -1


class NotFoundError(IdrError, KeyError):
    status = -2

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class BufferTooSmallError(IdrError):
    status = -3


class InvalidUTF8Error(IdrError, ValueError):
    status = -4


class IdrIOError(IdrError, OSError):
    status = -5


class CorruptDataError(IdrError, ValueError):
    status = -6


class OutOfMemoryError(IdrError, MemoryError):
    status = -7


class LimitExceededError(IdrError, ValueError):
    status = -8


class UnknownKindError(IdrError, ValueError):
    status = -9


class InvalidValueError(IdrError, ValueError):
    status = -10


class VersionError(IdrError):
    status = -11


_BY_STATUS: dict[int, type[IdrError]] = {
    cls.status: cls
    for cls in (
        InvalidArgumentError, NotFoundError, BufferTooSmallError, InvalidUTF8Error, IdrIOError, CorruptDataError,
        OutOfMemoryError, LimitExceededError, UnknownKindError, InvalidValueError, VersionError,
    )
}


def raise_for(status: int, engine=ffi.NULL) -> NoReturn:
    """Raises the exception for a failed call's `status`, with the thread's message for `engine`."""
    message = ffi.string(lib.idr_engine_last_error(engine)).decode("utf-8", "replace")
    name = ffi.string(lib.idr_status_string(status)).decode()
    cls = _BY_STATUS.get(status, IdrError)
    raise cls(f"{name}: {message}" if message else name, status)
