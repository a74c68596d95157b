"""Every method of idr.Engine and its error paths."""
import gc
import math

import pytest

import idr
from idr._errors import raise_for
from idr._ffi import ffi, lib


def test_versions_match():
    assert idr.LIBRARY_VERSION == idr.HEADER_VERSION == 100


def test_quickstart():
    with idr.Engine() as engine:
        a = engine.add("web-1", email="Ann@Example.org", device_id="6F9619FF8B86D011B42D00C04FC964FF")
        b = engine.add("pos-7", email=" ann@example.org", loyalty_id="ly-0042", source="pos")
        assert a == b
        assert engine.lookup("loyalty_id", "LY 0042") == a
        assert engine.lookup("email", "nobody@example.org") is None
        assert engine.lookup("email", "test@test.com") is None
        assert engine.entity_of("web-1") == a
        assert engine.entity_of("missing") is None
        assert engine.members(a) == ["pos-7", "web-1"]
        assert engine.members(12345) == []
        assert engine.resolve(a) == a
        assert engine.resolve(777) is None
        s = engine.stats()
        assert (s.records, s.entities, s.largest_entity) == (2, 1, 2)


def test_several_values_per_kind_and_custom_kinds():
    with idr.Engine() as engine:
        a = engine.add("a", email=["a@x.com", "b@x.com"], crm_id="C-1")
        b = engine.add("b", email="b@x.com")
        c = engine.add("c", crm_id="C-1")
        d = engine.add("d", crm_id="c-1")  # exact rule: case matters
        assert a == b == c != d
        member = engine.register_kind("member_no", rule="token")
        assert member == engine.register_kind("member_no", rule="token")
        e = engine.add("e", member_no="m 1")
        f = engine.add("f", member_no="M-1")
        assert e == f
        with pytest.raises(idr.InvalidArgumentError, match="other settings"):
            engine.register_kind("member_no", rule="exact")
        with pytest.raises(ValueError, match="unknown rule"):
            engine.register_kind("x", rule="soundex")
        with pytest.raises(idr.InvalidArgumentError):
            engine.register_kind("Bad Name")


def test_upsert_remove_and_merge_redirects():
    with idr.Engine() as engine:
        a = engine.add("a", email="a@x.com")
        b = engine.add("b", phone="555 010 0001")
        assert a != b
        assert engine.add("bridge", email="a@x.com", phone="5550100001") == a
        assert engine.resolve(b) == a
        engine.add("bridge", email="a@x.com")  # upsert drops the phone: split again
        assert engine.entity_of("b") not in (None, a)
        engine.remove("bridge")
        with pytest.raises(idr.NotFoundError):
            engine.remove("bridge")
        assert engine.stats().records == 2


def test_options():
    with idr.Engine(default_country_code=44, email_gmail_dots=True, generic_guard=False,
                    generic_thresholds={"phone": 3}, distinguishing_kinds=["email"],
                    phone_trunk_prefix="auto", max_value_length=64) as engine:
        x = engine.add("a", phone="020 7946 0958", email="a.nn@gmail.com")
        assert engine.lookup("phone", "+44 20 7946 0958") == x
        assert engine.lookup("email", "ann@googlemail.com") == x
    with pytest.raises(TypeError, match="unknown option"):
        idr.Engine(colour="blue")
    with pytest.raises(TypeError):
        idr.Engine(generic_thresholds={"fax": 1})
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine(default_country_code=0)
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine(phone_trunk_prefix=12)


def test_errors_map_from_status_codes():
    engine = idr.Engine()
    with pytest.raises(idr.InvalidArgumentError, match="empty"):
        engine.add("", email="a@x.com")
    with pytest.raises(idr.InvalidUTF8Error):
        engine.add("bad\udcff", email="a@x.com")
    with pytest.raises(idr.UnknownKindError):
        engine.lookup("fax", "1")
    with pytest.raises(idr.UnknownKindError):
        engine.lookup(99, "1")
    limited = idr.Engine(max_identifiers_per_record=2)
    with pytest.raises(idr.LimitExceededError):
        limited.add("k", email=["a@x.com", "b@x.com", "c@x.com"])
    with pytest.raises(idr.InvalidValueError, match="email_at_sign"):
        idr.normalize("email", "not-an-email")
    # One mapping for every status the header defines.
    for status, cls in [(-1, idr.InvalidArgumentError), (-2, idr.NotFoundError), (-3, idr.BufferTooSmallError),
                        (-4, idr.InvalidUTF8Error), (-5, idr.IdrIOError), (-6, idr.CorruptDataError),
                        (-7, idr.OutOfMemoryError), (-8, idr.LimitExceededError), (-9, idr.UnknownKindError),
                        (-10, idr.InvalidValueError), (-11, idr.VersionError), (-99, idr.IdrError)]:
        with pytest.raises(cls) as info:
            raise_for(status)
        assert info.value.status == status
    # A wrong options version from C becomes VersionError.
    opts = ffi.new("idr_options *")
    lib.idr_options_init(opts)
    opts.version = 999
    out = ffi.new("idr_engine **")
    status = lib.idr_engine_create(opts, out)
    with pytest.raises(idr.VersionError, match="999"):
        raise_for(status)


def test_closed_engine_and_gc():
    engine = idr.Engine()
    engine.add("a", email="a@x.com")
    engine.close()
    engine.close()
    with pytest.raises(ValueError, match="closed"):
        engine.add("b", email="b@x.com")
    # Dropped without close: ffi.gc frees it.
    for _ in range(100):
        idr.Engine().add("x", email="x@y.com")
    gc.collect()


def test_normalize():
    assert idr.normalize("email", " Ann@Example.COM ") == "ann@example.com"
    assert idr.normalize("phone", "(555) 123-4567") == "+15551234567"
    assert idr.normalize(idr.BUILTIN_KINDS["device_id"], "{6F9619FF8B86D011B42D00C04FC964FF}") == \
        "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    assert idr.normalize("loyalty_id", "ly-0042") == "LY0042"
    assert idr.normalize("email", "Zoë@Example.com") == "zoë@example.com"
    with pytest.raises(ValueError, match="unknown kind"):
        idr.normalize("fax", "1")
    with pytest.raises(idr.UnknownKindError):
        idr.normalize(99, "1")
    with pytest.raises(idr.InvalidValueError, match="too_long"):
        idr.normalize("loyalty_id", "x" * 5000)


def test_add_many_column_types():
    np = pytest.importorskip("numpy")
    with idr.Engine() as engine:
        ids = engine.add_many(
            ("r0", "r1", "r2", "r3"),
            email=["a@x.com", None, float("nan"), "a@x.com"],
            phone=np.array(["5550100001", "555-010-0001", None, None], dtype=object),
            loyalty_id=[None, None, 12345678, 12345678.0],
        )
        assert ids.dtype == np.uint64 and len(ids) == 4
        final = [engine.entity_of(k) for k in ("r0", "r1", "r2", "r3")]
        assert len(set(final)) == 1
        assert engine.lookup("loyalty_id", "12345678") == final[0]
        assert len(engine.add_many([])) == 0
        with pytest.raises(ValueError, match="has 1 values for 2"):
            engine.add_many(["a", "b"], email=["x@y.com"])
        with pytest.raises(idr.InvalidArgumentError, match="record 1"):
            engine.add_many(["ok", "", "never"], email=["o@k.com", "e@k.com", "n@k.com"])
        assert engine.entity_of("ok") is not None and engine.entity_of("never") is None


def test_add_many_pandas():
    pd = pytest.importorskip("pandas")
    with idr.Engine() as engine:
        df = pd.DataFrame({"id": ["a", "b", "c"], "email": ["a@x.com", pd.NA, "a@x.com"], "phone": [None, "5550100001", None]})
        engine.add_many(df["id"], email=df["email"], phone=df["phone"])
        assert engine.entity_of("a") == engine.entity_of("c") != engine.entity_of("b")


def test_add_many_pyarrow():
    pa = pytest.importorskip("pyarrow")
    with idr.Engine() as engine:
        engine.add_many(pa.array(["a", "b"]), email=pa.array(["a@x.com", "a@x.com"]))
        assert engine.entity_of("a") == engine.entity_of("b")


def test_resolve_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({
        "record_id": ["web-1", "pos-7", "cc-3", "x"],
        "email": ["ann@example.org", "ANN@example.org", None, "bob@example.org"],
        "loyalty_id": [None, "LY-1", "ly 1", None],
        "crm": ["C1", None, None, "C1"],
    }, index=[10, 11, 12, 13])
    s = idr.resolve_dataframe(df)
    assert list(s.index) == [10, 11, 12, 13] and s.dtype == "uint64"
    assert s[10] == s[11] == s[12] != s[13]
    s2 = idr.resolve_dataframe(df, columns={"email": "email", "crm_id": "crm"})
    assert s2[10] == s2[13]
    with pytest.raises(KeyError):
        idr.resolve_dataframe(df, columns={"email": "mail"})
