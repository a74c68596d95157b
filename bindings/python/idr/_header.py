"""Derives the cffi declarations from include/idr.h itself: the header is the single source of truth.

cffi's parser reads plain C declarations; the header also holds comments, include guards,
`extern "C"` and macros. This strips what cffi cannot read and turns integer macros into
`#define NAME <int>` lines, which cffi understands.
"""
from __future__ import annotations

import re

_INT_MACRO = re.compile(r"^#define\s+(IDR_[A-Z0-9_]+)\s+\(?\s*(-?\d+)\s*\)?\s*$")


def cdef_from_header(text: str) -> tuple[str, dict[str, int]]:
    """Returns (cdef source, integer macros) for `text`, the contents of idr.h."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    macros: dict[str, int] = {}
    lines: list[str] = []
    depth_cplusplus = 0
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            m = _INT_MACRO.match(line)
            if m:
                macros[m.group(1)] = int(m.group(2))
                lines.append(f"#define {m.group(1)} {m.group(2)}")
            elif line.startswith("#ifdef __cplusplus"):
                depth_cplusplus += 1
            continue
        if line in ('extern "C" {', "}") and depth_cplusplus:
            # The closing brace of extern "C" is the only lone `}` at top level in the header.
            if line == "}":
                depth_cplusplus -= 1
            continue
        lines.append(raw)
    macros["IDR_VERSION_NUMBER"] = (
        macros["IDR_VERSION_MAJOR"] * 10000 + macros["IDR_VERSION_MINOR"] * 100 + macros["IDR_VERSION_PATCH"]
    )
    return "\n".join(lines), macros
