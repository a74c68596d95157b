"""One engine shared by reader threads while a writer adds records."""
import threading

import idr


def test_readers_during_writes():
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
        for i in range(10000, 12000):
            engine.add(f"k{i}", email=f"c{i // 2}@mail.com")
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not errors
    assert hits[0] > 0
    assert engine.stats().entities == 6000
