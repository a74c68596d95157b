"""Change events and explanations from Python."""
import pytest

import idr


def test_events():
    with idr.Engine(events=True) as engine:
        a = engine.add("a", email="a@x.com")
        b = engine.add("b", phone="5550100001")
        engine.add("c", email="A@x.com", phone="555-010-0001")
        events = engine.drain_events()
        assert [e.type for e in events] == ["created", "created", "merged"]
        merged = events[2]
        assert (merged.entity, merged.other, merged.record) == (a, b, "c")
        assert merged.identifier == (idr.BUILTIN_KINDS["phone"], "+15550100001")
        assert engine.drain_events() == []
        engine.remove("c")
        removed, split = engine.drain_events()
        assert removed.type == "removed" and not removed.entity_gone
        assert split.type == "split" and split.parts[0] == a and len(split.parts) == 2
    with idr.Engine() as quiet:
        quiet.add("a", email="a@x.com")
        assert quiet.drain_events() == []


def test_why_and_how():
    with idr.Engine() as engine:
        engine.add("web", email="ann@x.com")
        engine.add("pos", email="ANN@x.com", loyalty_id="L-1")
        engine.add("junk1", email="test@test.com")
        engine.add("junk2", email="test@test.com")
        why = engine.why("web", "pos")
        assert why["joined"] and [s["record"] for s in why["path"]] == ["web", "pos"]
        assert why["path"][1]["via"] == {"kind": "email", "value": "ann@x.com"}
        refused = engine.why("junk1", "junk2")
        assert refused["refused_by"] == "placeholder" and refused["identifier"]["value"] == "test@test.com"
        assert engine.why("web", "junk1") == {"joined": False, "reason": "no shared evidence"}
        with pytest.raises(idr.NotFoundError):
            engine.why("web", "nobody")
        how = engine.how(engine.entity_of("web"))
        assert how["records"] == ["pos", "web"] and how["links"][0]["kind"] == "email"
        with pytest.raises(idr.NotFoundError):
            engine.how(42)
