"""The binding is derived from the header, and every function it declares is in the library."""
import re
from pathlib import Path

import idr
from idr._ffi import _header_path, lib


def test_every_header_function_resolves():
    text = Path(_header_path()).read_text()
    names = sorted(set(re.findall(r"\b(idr_[a-z0-9_]+)\(", text)))
    assert len(names) >= 20
    missing = [n for n in names if not callable(getattr(lib, n, None))]
    assert missing == []


def test_package_ships_header_and_library():
    here = Path(idr.__file__).parent
    assert (here / "idr.h").exists() and (here / "libidr.so").exists() and (here / "py.typed").exists()
