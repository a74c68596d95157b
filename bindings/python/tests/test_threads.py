"""One engine shared by reader threads while a writer adds records."""
import threading

import idr


import pytest


@pytest.mark.parametrize("mirror", [False, True])
def test_readers_during_writes(mirror):
    engine = idr.Engine()
    done = threading.Event()
    errors = []
    hits = [0]

    def reader():
        i = 0
        while not done.is_set():
            entity = engine.lookup("email", f"c{i % 5000}@mail.com")
            if entity is not None:
                members = engine.members(entity)
                if not members:
                    errors.append(f"entity {entity} without members")
                hits[0] += 1
            i += 1

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        engine.add_many([f"k{i}" for i in range(10000)], email=[f"c{i // 2}@mail.com" for i in range(10000)])
        if mirror:
            engine.mirror_reads()  # while the readers run
        for i in range(10000, 12000):
            engine.add(f"k{i}", email=f"c{i // 2}@mail.com")
        # A batch past one part of 1024 records (written in parts with a mirror).
        engine.add_many([f"k{i}" for i in range(12000, 15000)], email=[f"c{i // 2}@mail.com" for i in range(12000, 15000)])
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not errors
    assert hits[0] > 0
    assert engine.stats().entities == 7500


def test_mirrored_batch_equals_plain():
    """A batch into a mirrored engine gives the IDs a plain engine gives, and both copies answer
    alike (reads after the call)."""
    plain, mirrored = idr.Engine(), idr.Engine()
    mirrored.mirror_reads()
    keys = [f"r{i % 2000}" for i in range(3000)]  # upserts past 2000
    emails = [f"c{(i * 7) % 1100}@x.com" for i in range(3000)]
    phones = [None if i % 3 else f"555 010 {i % 400:04d}" for i in range(3000)]
    a = plain.add_many(keys, email=emails, phone=phones)
    b = mirrored.add_many(keys, email=emails, phone=phones)
    assert list(a) == list(b)
    for i in range(0, 1100, 13):
        assert plain.lookup("email", f"c{i}@x.com") == mirrored.lookup("email", f"c{i}@x.com")
    assert plain.stats().entities == mirrored.stats().entities


def test_mirror_changes_no_answer(tmp_path):
    path = str(tmp_path / "state.idr")
    engine = idr.Engine.open(path)
    a = engine.add("a", email="ann@x.com")
    engine.mirror_reads()
    engine.mirror_reads()
    assert engine.add("b", email="ANN@x.com") == a
    engine.add("c", phone="555 010 0001")
    assert engine.erase("phone", "555 010 0001") == 1
    assert engine.lookup("phone", "555 010 0001") is None
    engine.remove("a")
    assert engine.lookup("email", "ann@x.com") == a
    engine.close()
    again = idr.Engine.open(path)
    assert again.entity_of("b") == a and again.entity_of("a") is None
    again.close()
