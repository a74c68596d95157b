"""Identifier kinds and normalization rules by name."""
from __future__ import annotations

from ._ffi import lib

BUILTIN_KINDS: dict[str, int] = {
    "email": lib.IDR_KIND_EMAIL,
    "phone": lib.IDR_KIND_PHONE,
    "loyalty_id": lib.IDR_KIND_LOYALTY_ID,
    "device_id": lib.IDR_KIND_DEVICE_ID,
    "pos_card": lib.IDR_KIND_POS_CARD,
}

ATTRIBUTES: dict[str, int] = {
    "first_name": lib.IDR_ATTR_FIRST_NAME,
    "last_name": lib.IDR_ATTR_LAST_NAME,
    "dob": lib.IDR_ATTR_DOB,
    "zip": lib.IDR_ATTR_ZIP,
    "address": lib.IDR_ATTR_ADDRESS,
    "city": lib.IDR_ATTR_CITY,
}
"""Person attribute columns: the bulk resolver links records whose attributes match (fuzzy
matching); the online engine refuses them."""

RULES: dict[str, int] = {
    "email": lib.IDR_RULE_EMAIL,
    "phone": lib.IDR_RULE_PHONE,
    "device_id": lib.IDR_RULE_DEVICE_ID,
    "token": lib.IDR_RULE_TOKEN,
    "lowercase": lib.IDR_RULE_LOWERCASE,
    "exact": lib.IDR_RULE_EXACT,
}
