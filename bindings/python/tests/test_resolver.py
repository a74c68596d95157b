"""idr.Resolver / idr.resolve: the bulk resolver from Python."""
import random

import pytest

import idr


def rows(seed, n=400):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p = rng.randrange(n // 3)
        out.append((f"r{i}", f"p{p}@x.com" if rng.random() < 0.7 else None,
                    f"555010{p % 50:04d}" if rng.random() < 0.3 else None, f"C{p // 2}" if rng.random() < 0.2 else None))
    return out


def test_partition_equals_the_engine_and_ids_follow_the_smallest_key():
    data = rows(1)
    keys = [r[0] for r in data]
    ids = idr.resolve(keys, email=[r[1] for r in data], phone=[r[2] for r in data], crm=[r[3] for r in data],
                      custom_kinds={"crm": "token"})
    with idr.Engine() as engine:
        engine.register_kind("crm", "token")
        engine.add_many(keys, email=[r[1] for r in data], phone=[r[2] for r in data], crm=[r[3] for r in data])
        online = [engine.entity_of(k) for k in keys]
    group_bulk, group_online = {}, {}
    for k, b, o in zip(keys, ids, online):
        group_bulk.setdefault(int(b), set()).add(k)
        group_online.setdefault(o, set()).add(k)
    assert sorted(map(sorted, group_bulk.values())) == sorted(map(sorted, group_online.values()))
    for entity, members in group_bulk.items():
        smallest = min(members, key=lambda k: k.encode())
        assert entity == idr.entity_id_of_key(smallest)


def test_order_does_not_matter_and_repeated_keys_are_one_record():
    data = rows(2)
    shuffled = data[:]
    random.Random(3).shuffle(shuffled)
    first = idr.resolve([r[0] for r in data], email=[r[1] for r in data])
    second = idr.resolve([r[0] for r in shuffled], email=[r[1] for r in shuffled])
    assert dict(zip([r[0] for r in data], map(int, first))) == dict(zip([r[0] for r in shuffled], map(int, second)))
    ids = idr.resolve(["a", "b", "a"], email=["x@y.com", None, None], phone=[None, "5550100001", "5550100001"])
    assert ids[0] == ids[1] == ids[2]


def test_errors():
    with pytest.raises(idr.InvalidArgumentError):
        idr.resolve(["a", ""], email=["x@y.com", None])
    with pytest.raises(idr.UnknownKindError):
        idr.resolve(["a"], crm=["1"])
    with pytest.raises(idr.InvalidArgumentError):
        idr.Resolver(hash_only_secret=b"a secret of more than sixteen bytes")
    with idr.Resolver() as r:
        assert len(r.resolve()) == 0
