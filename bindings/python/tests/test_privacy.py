"""Erasure (GDPR) and hash-only mode from Python."""
import pytest

import idr

SECRET = b"a secret of more than sixteen bytes"


def test_erase_splits_and_tombstone_blocks_relinking():
    engine = idr.Engine()
    a = engine.add("a", email="ann@example.org", phone="555 010 0001")
    assert engine.add("b", email="ANN@example.org") == a
    assert engine.erase("email", "ann@example.org") == 2
    assert engine.entity_of("b") != engine.entity_of("a")
    assert engine.lookup("email", "ann@example.org") is None
    engine.add("c", email="ann@example.org")
    assert engine.entity_of("c") != engine.entity_of("b")
    stats = engine.stats()
    assert (stats.erased_values, stats.tombstones) == (1, 1)
    assert engine.erase("email", "nobody@example.org") == 0
    with pytest.raises(idr.UnknownKindError):
        engine.erase("no_such_kind", "x")


def test_erase_without_tombstones_links_again():
    engine = idr.Engine(erasure_tombstones=False)
    engine.add("a", email="ann@example.org")
    engine.erase("email", "ann@example.org")
    assert engine.add("b", email="ann@example.org") == engine.add("c", email="ann@example.org")
    assert engine.stats().tombstones == 0


def test_erase_reaches_the_files(tmp_path):
    path = str(tmp_path / "state")
    with idr.Engine.open(path) as engine:
        engine.add("a", email="ann@example.org")
        engine.add("b", email="ann@example.org")
        assert b"ann@example.org" in open(path + ".log", "rb").read()
        engine.erase("email", "ann@example.org")
    for name in (path, path + ".log"):
        assert b"ann@example.org" not in open(name, "rb").read()


def test_hash_only_matches_normal_mode_and_keeps_no_values(tmp_path):
    path = str(tmp_path / "state")
    plain = idr.Engine()
    with idr.Engine.open(path, hash_only_secret=SECRET) as hashed:
        for i in range(300):
            fields = {"email": f"p{i % 97}@mail{i % 5}.com", "phone": f"555{i % 61:07d}"}
            assert plain.add(f"r{i}", **fields) == hashed.add(f"r{i}", **fields)
        assert hashed.lookup("email", "P3@MAIL3.COM") == plain.lookup("email", "p3@mail3.com")
        why = hashed.why("r3", "r64")  # a shared phone, refused as generic
        assert "#" in str(why) and "mail" not in str(why)
        hashed.save()
        hashed.add("late", email="late@example.org")
    for name in (path, path + ".log"):
        data = open(name, "rb").read()
        assert b"mail3.com" not in data and b"late@example.org" not in data
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine.load(path)
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine.open(path, hash_only_secret=b"another secret of some length")
    loaded = idr.Engine.load(path, hash_only_secret=SECRET)
    assert loaded.entity_of("r7") == plain.entity_of("r7")
    reopened = idr.Engine.open(path, hash_only_secret=SECRET)
    assert reopened.lookup("email", "late@example.org") == reopened.entity_of("late")
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine(hash_only_secret=b"short")
