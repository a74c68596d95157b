"""Fuzzy matching of person attributes through idr.resolve / idr.Resolver."""
import random

import pytest

import idr

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "we", "zu", "bra", "dor"]
FIRSTS = ["Ann", "Robert", "Carla", "Dmitri", "Eve", "Farid", "Gita", "Hugo", "Ines", "Jonas"]


def people(seed, n=500):
    """Two records per person, typed differently, sharing no identifier; (keys, columns, person)."""
    rng = random.Random(seed)
    keys, person = [], []
    cols = {"first_name": [], "last_name": [], "dob": [], "zip": [], "address": []}
    for p in range(n):
        last = "".join(rng.choice(SYLLABLES) for _ in range(3)) + "son"
        first = rng.choice(FIRSTS)
        y, m, d = rng.randrange(1940, 2005), rng.randrange(1, 13), rng.randrange(1, 29)
        zip_code = f"{rng.randrange(10000, 99999)}"
        street = f"{rng.randrange(1, 999)} {rng.choice(['Oak', 'Elm', 'Main'])} Street"
        for copy in range(2):
            keys.append(f"p{p}-{copy}")
            person.append(p)
            if copy == 0:
                cols["first_name"].append(first)
                cols["last_name"].append(last)
                cols["dob"].append(f"{y}-{m:02d}-{d:02d}")
                cols["address"].append(street)
            else:
                cols["first_name"].append("Bob" if first == "Robert" else first.upper())
                cols["last_name"].append(last[:-1] + "n" + last[-1])  # a typo
                cols["dob"].append(f"{d:02d}/{m:02d}/{y}")
                cols["address"].append(None)  # missing
            cols["zip"].append(zip_code)
    return keys, cols, person


def test_records_without_shared_identifiers_link_by_attributes():
    keys, cols, person = people(1)
    ids = idr.resolve(keys, **cols)
    groups = {}
    for i, e in enumerate(ids):
        groups.setdefault(int(e), set()).add(person[i])
    # Each person is one entity, and no entity holds two people.
    assert all(len(g) == 1 for g in groups.values())
    assert len(groups) == len(set(person))


def test_order_independence_and_turning_it_off():
    keys, cols, person = people(2, n=300)
    ids = dict(zip(keys, map(int, idr.resolve(keys, **cols))))
    order = list(range(len(keys)))
    random.Random(9).shuffle(order)
    shuffled = idr.resolve([keys[i] for i in order], **{k: [v[i] for i in order] for k, v in cols.items()})
    assert dict(zip([keys[i] for i in order], map(int, shuffled))) == ids
    off = idr.resolve(keys, options={"fuzzy": False}, **cols)
    assert len(set(map(int, off))) == len(keys)
    # A stricter threshold links no more than the default.
    strict = idr.resolve(keys, options={"fuzzy_threshold": 0.999999, "dates_month_first": False}, **cols)
    assert len(set(map(int, strict))) >= len(set(ids.values()))


def test_bad_fuzzy_options_and_the_engine_refusing_attributes():
    with pytest.raises(idr.IdrError):
        idr.Resolver(fuzzy_threshold=1.5)
    with pytest.raises(idr.IdrError):
        idr.Resolver(fuzzy_max_block_size=1)
    with idr.Engine() as engine:
        with pytest.raises(idr.IdrError, match="attribute"):
            engine.add("k", first_name="Ann")
        assert engine.stats().records == 0
    assert idr.ATTRIBUTES["first_name"] == 6 and idr.ATTRIBUTES["city"] == 11
