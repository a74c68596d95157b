"""Properties: normalization is idempotent; add_many equals a loop of add; order does not matter."""
import random

import pytest
from hypothesis import given, settings, strategies as st

import idr

text = st.text(alphabet=st.sampled_from(list("aZ09@.+-_ {}()éx")), max_size=30)


@given(kind=st.sampled_from(list(idr.BUILTIN_KINDS)), value=text)
@settings(max_examples=400, deadline=None)
def test_normalize_is_idempotent(kind, value):
    try:
        once = idr.normalize(kind, value)
    except idr.InvalidValueError:
        return
    assert idr.normalize(kind, once) == once


emails = st.sampled_from(["a@x.com", "B@x.com", "b@x.com", "c@y.org", "test@test.com", None])
phones = st.sampled_from(["5550100001", "555-010-0002", "+1 555 010 0003", "123", None])
cards = st.sampled_from(["CARD-1", "card 2", "N/A", None])
records = st.lists(st.tuples(st.integers(0, 25), emails, phones, cards), max_size=60)
LIMITS_SMALL = {"entity_limits": {"loyalty_id": 1, "email": 2}}


def partition(engine, keys):
    groups = {}
    for k in keys:
        groups.setdefault(engine.entity_of(k), set()).add(k)
    return {frozenset(g) for g in groups.values()}


@given(records)
@settings(max_examples=150, deadline=None)
def test_add_many_equals_a_loop_of_add(rows):
    keys = [f"k{k}" for k, *_ in rows]
    with idr.Engine() as one, idr.Engine() as many:
        looped = [one.add(key, email=e, phone=p, pos_card=c) for key, (_, e, p, c) in zip(keys, rows)]
        batched = many.add_many(keys, email=[r[1] for r in rows], phone=[r[2] for r in rows], pos_card=[r[3] for r in rows])
        assert [int(x) for x in batched] == looped
        assert [one.entity_of(k) for k in keys] == [many.entity_of(k) for k in keys]


@pytest.mark.parametrize("options", [{}, {"hash_only_secret": b"0123456789abcdef0123456789abcdef"}, LIMITS_SMALL])
def test_large_add_many_equals_a_loop_of_add(options):
    # A batch of 1024 records or more is normalized and hashed on a second thread inside the
    # library: upserts, placeholders, invalid values and values turning generic must come out
    # as a loop of add gives them.
    rnd = random.Random(11)
    n = 6000
    keys = [f"k{rnd.randrange(4000)}" for _ in range(n)]
    email = [rnd.choice([None, "test@test.com", "not an email", f"u{rnd.randrange(2500)}@m.org"]) for _ in range(n)]
    phone = [rnd.choice([None, "5550100001", f"555010{rnd.randrange(9000):04d}"]) for _ in range(n)]
    loyalty = [rnd.choice([None, f"L{rnd.randrange(3000)}"]) for _ in range(n)]
    with idr.Engine(**options) as one, idr.Engine(**options) as many:
        looped = [one.add(k, email=e, phone=p, loyalty_id=l) for k, e, p, l in zip(keys, email, phone, loyalty)]
        batched = many.add_many(keys, email=email, phone=phone, loyalty_id=loyalty)
        assert [int(x) for x in batched] == looped
        assert [one.entity_of(k) for k in set(keys)] == [many.entity_of(k) for k in set(keys)]
        assert one.stats() == many.stats()
        assert one.stats().generic_values > 0


@given(records, st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None)
def test_partition_does_not_depend_on_order(rows, rnd):
    # The last row of a key wins (upsert), so compare the same final contents in two orders.
    final = {}
    for k, e, p, c in rows:
        final[f"k{k}"] = (e, p, c)
    items = list(final.items())
    shuffled = items[:]
    rnd.shuffle(shuffled)
    with idr.Engine(generic_thresholds={"phone": 1, "pos_card": 1}) as a, \
            idr.Engine(generic_thresholds={"phone": 1, "pos_card": 1}) as b:
        for key, (e, p, c) in items:
            a.add(key, email=e, phone=p, pos_card=c)
        for key, (e, p, c) in shuffled:
            b.add(key, email=e, phone=p, pos_card=c)
        assert partition(a, final) == partition(b, final)


loyalty = st.sampled_from(["L1", "L2", "L3", None])
limited_ops = st.lists(st.tuples(st.integers(0, 15), st.booleans(), emails, phones, loyalty), max_size=50)
LIMITS = {"entity_limits": {"loyalty_id": 1, "email": 1}, "link_priority": ["phone", "loyalty_id", "email"]}


@given(limited_ops)
@settings(max_examples=150, deadline=None)
def test_engine_with_limits_equals_bulk(ops):
    # Adds, upserts and removes on an engine with per-entity limits; after each, its partition
    # equals a bulk resolve of the surviving records with the same limits.
    final = {}
    with idr.Engine(**LIMITS) as engine:
        for k, remove, e, p, l in ops:
            key = f"k{k}"
            if remove:
                if key in final:
                    engine.remove(key)
                    del final[key]
            else:
                engine.add(key, email=e, phone=p, loyalty_id=l)
                final[key] = (e, p, l)
            keys = sorted(final)
            bulk = idr.resolve(keys, email=[final[x][0] for x in keys], phone=[final[x][1] for x in keys],
                               loyalty_id=[final[x][2] for x in keys], options=LIMITS)
            groups = {}
            for key_, entity in zip(keys, bulk):
                groups.setdefault(int(entity), set()).add(key_)
            assert partition(engine, keys) == {frozenset(g) for g in groups.values()}


def test_limits_keep_a_shared_email_apart_and_why_names_the_limit():
    with idr.Engine(entity_limits={"loyalty_id": 1}) as engine:
        a = engine.add("a", email="ann@x.com", loyalty_id="L1")
        b = engine.add("b", email="ann@x.com", loyalty_id="L2")
        assert a != b
        answer = engine.why("a", "b")
        assert answer["refused_by"] == "entity_limit"
        assert answer["limited_kind"] == "loyalty_id" and answer["limit"] == 1
        assert [step["record"] for step in answer["path"]] == ["a", "b"]
        assert engine.lookup("email", "ann@x.com") == a
    with pytest.raises(TypeError):
        idr.Engine(entity_limits={"nope": 1})
    with pytest.raises(idr.InvalidArgumentError):
        idr.Engine(entity_limits={"email": 2_000_000_000})
