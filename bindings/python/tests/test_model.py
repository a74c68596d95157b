"""Model-based testing through the C ABI: hypothesis drives random add / add_many / upsert /
remove / erase / save+load / reopen sequences against libidr.so and against a reference model
written here in plain Python from the README (generic rule, components, stable IDs, redirects,
events, erasure), comparing everything after every step. Hypothesis shrinks a failure to a
minimal sequence and prints it.

The model shares only normalization (``idr.normalize``, the documented rules) and the ID hash
(``idr.entity_id_of_key``: XXH3-64 of a key with a seed) with the engine; which ID survives
merges and splits, re-seeding, and where old IDs redirect are the model's own.
"""
import os
import tempfile

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import idr

KEYS = [f"k{i}" for i in range(10)]
POOL = {
    "email": ["e0@x.com", " E0@X.com", "e1@x.com", "e2@x.com", "e3@x.com", "test@test.com", "not an email"],
    "phone": ["555-010-0001", "(555) 010 0001", "555 010 0002", "555-010-0003", "555-555-5555", "12"],
    "loyalty_id": ["LY-1", "ly 1", "LY-2", "N/A"],
    "pos_card": ["CARD-A", "card a", "CARD-B"],
}
# Normalized placeholders of the pool (README, "Placeholders").
PLACEHOLDERS = {("email", "test@test.com"), ("phone", "+15555555555"), ("loyalty_id", "N/A")}
THRESHOLDS = {"email": 2, "phone": 1, "loyalty_id": 2, "device_id": 2, "pos_card": 2}
DISTINGUISHING = {"email", "phone", "loyalty_id"}
OPTIONS = {"generic_thresholds": THRESHOLDS, "events": True}

identifiers = st.lists(st.sampled_from([(k, v) for k, vs in POOL.items() for v in vs]), max_size=4)


def normalized(kind, raw):
    try:
        return (kind, idr.normalize(kind, raw))
    except idr.InvalidValueError:
        return None


class Model:
    def __init__(self):
        self.records = {}            # key -> [age, frozenset of (kind, value)]
        self.entities = []           # dicts: id, created, members
        self.issued = set()
        self.redirects = {}
        self.tombstones = set()
        self.seq = 0
        self.events = []

    def is_generic(self, v):
        if v in PLACEHOLDERS:
            return False
        t = THRESHOLDS[v[0]]
        holders = [vals for _, vals in self.records.values() if v in vals]
        if len(holders) <= t:
            return False
        per_kind = {}
        for vals in holders:
            for w in vals:
                if w != v and w not in PLACEHOLDERS and w[0] in DISTINGUISHING:
                    per_kind.setdefault(w[0], set()).add(w[1])
        return any(len(s) > t for s in per_kind.values())

    def links(self, v):
        return v not in PLACEHOLDERS and not self.is_generic(v)

    def components(self):
        seen, out = set(), []
        for key in sorted(self.records):
            if key in seen:
                continue
            comp, frontier = {key}, [key]
            seen.add(key)
            while frontier:
                x = frontier.pop()
                for v in self.records[x][1]:
                    if not self.links(v):
                        continue
                    for y, (_, vals) in self.records.items():
                        if v in vals and y not in seen:
                            seen.add(y)
                            comp.add(y)
                            frontier.append(y)
            out.append(comp)
        return out

    def step(self, change, engine):
        """Applies `change`, then the documented ID rules."""
        before = [dict(e, members=set(e["members"])) for e in self.entities]
        live_before = set(self.records)
        change()
        self.events = []
        comps = self.components()
        comp_of = {k: i for i, c in enumerate(comps) for k in c}
        oldest = lambda keys: min(keys, key=lambda k: self.records[k][0])
        heirs = {}
        for e in before:
            survivors = {k for k in e["members"] if k in self.records}
            if survivors:
                heirs.setdefault(comp_of[oldest(survivors)], []).append(e)
        result = [None] * len(comps)
        for i, c in enumerate(comps):
            if i in heirs:
                winner = min(heirs[i], key=lambda e: e["created"])
                for loser in heirs[i]:
                    if loser["id"] != winner["id"]:
                        self.redirects[loser["id"]] = winner["id"]
                        self.events.append(("merged", loser["id"], winner["id"]))
                result[i] = {"id": winner["id"], "created": winner["created"], "members": c}
        fresh = sorted((i for i in range(len(comps)) if result[i] is None), key=lambda i: self.records[oldest(comps[i])][0])
        for i in fresh:
            # XXH3-64 of the creating record's key, re-seeded while that ID was ever issued.
            creator = oldest(comps[i])
            attempt = 0
            new_id = idr.entity_id_of_key(creator, attempt)
            while new_id in self.issued:
                attempt += 1
                new_id = idr.entity_id_of_key(creator, attempt)
            self.issued.add(new_id)
            self.seq += 1
            result[i] = {"id": new_id, "created": self.seq, "members": comps[i]}
            if not (comps[i] & live_before):
                self.events.append(("created", new_id, creator))
        self.entities = result
        id_of = {k: e["id"] for e in self.entities for k in e["members"]}
        for e in before:
            survivors = {k for k in e["members"] if k in self.records}
            for r in (e["members"] - survivors) & (live_before - set(self.records)):
                self.events.append(("removed", r, e["id"], not survivors))
            parts = {id_of[k] for k in survivors}
            if len(parts) > 1:
                first = id_of[oldest(survivors)]
                self.events.append(("split", e["id"], first, tuple(sorted(parts - {first}))))

    def entity_of(self, key):
        return next((e["id"] for e in self.entities if key in e["members"]), None)

    def resolve(self, entity):
        hops = 0
        while entity in self.redirects and hops <= len(self.issued):
            entity, hops = self.redirects[entity], hops + 1
        return entity if any(e["id"] == entity for e in self.entities) else None


def reduced(event):
    if event.type == "created":
        return ("created", event.entity, event.record)
    if event.type == "merged":
        return ("merged", event.other, event.entity)
    if event.type == "split":
        return ("split", event.entity, event.parts[0], tuple(sorted(event.parts[1:])))
    return ("removed", event.record, event.entity, event.entity_gone)


class EngineMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="idr-model-")
        self.path = os.path.join(self.dir, "state")
        self.engine = idr.Engine.open(self.path, **OPTIONS)
        self.model = Model()
        self.invalid = 0
        self.erased = 0

    def teardown(self):
        self.engine.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)

    def values_of(self, ids):
        out = set()
        for kind, raw in ids:
            v = normalized(kind, raw)
            if v is None:
                self.invalid += 1
            elif v in self.model.tombstones:
                self.erased += 1
            else:
                out.add(v)
        return frozenset(out)

    def apply_add(self, key, values):
        m = self.model
        if key in m.records:
            if m.records[key][1] == values:
                m.events = []
                return
            m.step(lambda: m.records[key].__setitem__(1, values), self.engine)
        else:
            def change():
                m.seq += 1
                m.records[key] = [m.seq, values]
            m.step(change, self.engine)

    @staticmethod
    def columns(ids):
        cols = {}
        for kind, raw in ids:
            cols.setdefault(kind, []).append(raw)
        return cols

    @rule(key=st.sampled_from(KEYS), ids=identifiers)
    def add(self, key, ids):
        # One value per kind through keywords; the rest of the same kind would be dropped by the
        # API's shape, so keep the first of each kind.
        first = {}
        for kind, raw in ids:
            first.setdefault(kind, raw)
        ids = list(first.items())
        values = self.values_of(ids)
        self.engine.add(key, **dict(ids))
        self.apply_add(key, values)

    @rule(keys=st.lists(st.sampled_from(KEYS), min_size=1, max_size=4, unique=True),
          picks=st.lists(st.sampled_from(POOL["email"] + [None]), min_size=4, max_size=4))
    def add_many(self, keys, picks):
        emails = picks[:len(keys)]
        self.engine.add_many(keys, email=emails)
        events = []
        for key, email in zip(keys, emails):
            values = self.values_of([("email", email)] if email is not None else [])
            self.apply_add(key, values)
            events += self.model.events
        self.model.events = events

    @rule(key=st.sampled_from(KEYS))
    def remove(self, key):
        m = self.model
        if key in m.records:
            self.engine.remove(key)
            m.step(lambda: m.records.pop(key), self.engine)
        else:
            try:
                self.engine.remove(key)
                raise AssertionError("removing an absent key must fail")
            except idr.NotFoundError:
                m.events = []

    @rule(kind=st.sampled_from(sorted(POOL)), data=st.data())
    def erase(self, kind, data):
        raw = data.draw(st.sampled_from(POOL[kind]))
        m = self.model
        count = self.engine.erase(kind, raw)
        v = normalized(kind, raw)
        holders = [k for k, (_, vals) in m.records.items() if v is not None and v in vals]
        assert count == len(holders)
        if v is not None:
            m.tombstones.add(v)
        if holders:
            def change():
                for k in holders:
                    m.records[k][1] = m.records[k][1] - {v}
            m.step(change, self.engine)
        else:
            m.events = []

    @rule()
    def save_and_load(self):
        self.engine.save()
        snap = self.path + ".copy"
        self.engine.save_to(snap)
        loaded = idr.Engine.load(snap, events=True)
        for key in KEYS:
            assert loaded.entity_of(key) == self.engine.entity_of(key)
        loaded.close()
        os.unlink(snap)
        self.model.events = []

    @rule()
    def reopen(self):
        # Drop the engine without saving: the log must bring everything back.
        self.engine.close()
        self.engine = idr.Engine.open(self.path, **OPTIONS)
        self.model.events = []

    def check_events_of_step(self):
        got = sorted(map(repr, map(reduced, self.engine.drain_events())))
        want = sorted(map(repr, self.model.events))
        assert got == want, f"events {got} vs model {want}"
        self.model.events = []

    @invariant()
    def agrees_with_the_model(self):
        self.check_events_of_step()
        m, e = self.model, self.engine
        stats = e.stats()
        assert stats.records == len(m.records)
        assert stats.entities == len(m.entities)
        assert (stats.invalid_values, stats.erased_values, stats.tombstones) == (self.invalid, self.erased, len(m.tombstones))
        held = {v for _, vals in m.records.values() for v in vals}
        assert stats.generic_values == sum(1 for v in held if m.is_generic(v))
        for key in KEYS:
            assert e.entity_of(key) == m.entity_of(key), key
        for entity in m.issued:
            assert e.resolve(entity) == m.resolve(entity), entity
        for ent in m.entities:
            assert e.members(ent["id"]) == sorted(ent["members"])
        for kind, raws in POOL.items():
            for raw in raws:
                v = normalized(kind, raw)
                holder = next((k for k, (_, vals) in m.records.items() if v in vals), None) if v else None
                want = m.entity_of(holder) if holder is not None and m.links(v) else None
                assert e.lookup(kind, raw) == want, (kind, raw)


EngineMachine.TestCase.settings = settings(max_examples=int(os.environ.get("IDR_PY_MODEL_EXAMPLES", "100")),
                                           stateful_step_count=40, deadline=None)
TestEngineAgainstModel = EngineMachine.TestCase
