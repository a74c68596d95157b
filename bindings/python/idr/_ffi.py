"""Loads libidr.so with cffi in ABI mode; the declarations come from the shipped idr.h."""
from __future__ import annotations

import os
from pathlib import Path

import cffi

from ._header import cdef_from_header

_HERE = Path(__file__).resolve().parent


def _header_path() -> Path:
    shipped = _HERE / "idr.h"
    if shipped.exists():
        return shipped
    # Running from the source tree (tests without installing): the repository's header.
    return _HERE.parents[2] / "include" / "idr.h"


def _library_path() -> str:
    explicit = os.environ.get("IDR_LIBRARY")
    if explicit:
        return explicit
    shipped = _HERE / "libidr.so"
    if shipped.exists():
        return str(shipped)
    raise ImportError(
        "libidr.so not found: install the package with `pip install ./bindings/python` "
        "(which builds and ships it) or set IDR_LIBRARY to its path"
    )


ffi = cffi.FFI()
_cdef, MACROS = cdef_from_header(_header_path().read_text())
ffi.cdef(_cdef)
lib = ffi.dlopen(_library_path())

HEADER_VERSION: int = MACROS["IDR_VERSION_NUMBER"]
LIBRARY_VERSION: int = lib.idr_version_number()
if LIBRARY_VERSION != HEADER_VERSION:
    raise ImportError(
        f"libidr.so is version {LIBRARY_VERSION}, but the header it was built against says {HEADER_VERSION}"
    )
