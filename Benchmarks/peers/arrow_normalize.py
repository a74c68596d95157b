"""idr's normalization rules (README, "Normalization"), vectorized with pyarrow.compute.

Used by the peers so they link exactly what idr links with its guards off: each function takes a
string column and returns (normalized values, validity mask). Rules reproduced: ASCII trim and
case mapping, control bytes, the 1024-byte limit, the email, phone (country code 1), device ID and
token rules. Not reproduced: invalid UTF-8 (pyarrow refuses such input when reading).
"""
import pyarrow as pa
import pyarrow.compute as pc

WS = " \t\n\x0b\x0c\r"


def _common(col):
    t = pc.utf8_trim(pc.fill_null(col, ""), characters=WS)
    ok = pc.and_(pc.greater(pc.binary_length(t), 0), pc.less_equal(pc.binary_length(t), 1024))
    ok = pc.and_(ok, pc.invert(pc.match_substring_regex(t, "[\\x00-\\x1f\\x7f]")))
    return t, ok


def email(col):
    t, ok = _common(col)
    lo = pc.ascii_lower(t)
    ok = pc.and_(ok, pc.equal(pc.count_substring(lo, "@"), 1))
    ok = pc.and_(ok, pc.invert(pc.match_substring(lo, " ")))
    ok = pc.and_(ok, pc.invert(pc.starts_with(lo, "@")))
    ok = pc.and_(ok, pc.match_substring_regex(lo, "@[^@]*\\."))
    return lo, ok


def phone(col):
    t, ok = _common(col)
    ok = pc.and_(ok, pc.invert(pc.match_substring_regex(t, "[A-Za-z]")))
    plus = pc.starts_with(t, "+")
    d = pc.replace_substring_regex(t, "[^0-9]", "")
    double_zero = pc.and_(pc.invert(plus), pc.starts_with(d, "00"))
    d = pc.if_else(double_zero, pc.utf8_slice_codeunits(d, 2), d)
    international = pc.or_(plus, double_zero)
    trunk = pc.and_(pc.invert(international), pc.and_(pc.equal(pc.binary_length(d), 11), pc.starts_with(d, "1")))
    d = pc.if_else(trunk, pc.utf8_slice_codeunits(d, 1), d)
    ok = pc.and_(ok, pc.greater(pc.binary_length(d), 0))
    ok = pc.and_(ok, pc.or_(pc.invert(international), pc.invert(pc.starts_with(d, "0"))))
    full = pc.if_else(international, d, pc.binary_join_element_wise("1", d, ""))
    n = pc.binary_length(full)
    ok = pc.and_(ok, pc.and_(pc.greater_equal(n, 7), pc.less_equal(n, 15)))
    return full, ok


def device_id(col):
    t, ok = _common(col)
    lo = pc.ascii_lower(t)
    braced = pc.and_(pc.and_(pc.starts_with(lo, "{"), pc.ends_with(lo, "}")), pc.greater_equal(pc.binary_length(lo), 2))
    inner = pc.if_else(braced, pc.utf8_slice_codeunits(lo, 1, -1), lo)
    uuid36 = pc.match_substring_regex(inner, "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    uuid32 = pc.match_substring_regex(inner, "^[0-9a-f]{32}$")
    spread = pc.replace_substring_regex(inner, "^(.{8})(.{4})(.{4})(.{4})(.{12})$", "\\1-\\2-\\3-\\4-\\5")
    value = pc.if_else(uuid36, inner, pc.if_else(uuid32, spread, lo))
    bare = pc.replace_substring(value, "-", "")
    n = pc.binary_length(bare)
    first = pc.utf8_slice_codeunits(bare, 0, 1)
    same = pc.equal(pc.binary_repeat(first, n), bare)
    ok = pc.and_(ok, pc.and_(pc.greater(n, 0), pc.invert(same)))
    return value, ok


def token(col):
    t, ok = _common(col)
    v = pc.ascii_upper(pc.replace_substring(pc.replace_substring(t, " ", ""), "-", ""))
    ok = pc.and_(ok, pc.greater(pc.binary_length(v), 0))
    return v, ok


RULES = {"email": email, "phone": phone, "loyalty_id": token, "device_id": device_id, "pos_card": token}


def edges(table):
    """(record index, value node id, value count): one edge per valid identifier."""
    import numpy as np
    rows, cols = [], []
    offset = 0
    for kind, rule in RULES.items():
        value, ok = rule(table.column(kind))
        idx = np.flatnonzero(ok.to_numpy(zero_copy_only=False))
        codes = pc.dictionary_encode(pc.filter(value, ok)).combine_chunks()
        rows.append(idx)
        cols.append(codes.indices.to_numpy() + offset)
        offset += len(codes.dictionary)
    return np.concatenate(rows), np.concatenate(cols), offset
