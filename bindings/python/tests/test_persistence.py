"""Persistence from Python, and the crash test: a child killed while ingesting or saving."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import idr

CHILD = textwrap.dedent("""
    import sys, idr
    path, mode = sys.argv[1], sys.argv[2]
    engine = idr.Engine.open(path)
    i = 0
    while True:
        key = f"r{i}"
        engine.add(key, email=f"c{i // 3}@mail.com", phone=f"555{i % 9973:07d}")
        print(key, flush=True)          # acknowledged: add returned
        if mode == "save" and i % 50 == 0:
            engine.save()
        i += 1
""")


def test_save_open_load(tmp_path):
    path = str(tmp_path / "state")
    with idr.Engine.open(path) as engine:
        a = engine.add("a", email="a@x.com")
        engine.add("b", email="a@x.com", crm="C1")
        engine.save()
        engine.add("c", email="a@x.com")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    with idr.Engine.open(path) as engine:
        assert engine.entity_of("c") == a and engine.members(a) == ["a", "b", "c"]
        assert engine.lookup("crm", "C1") == a
    with idr.Engine.load(path) as snapshot:     # the snapshot alone: before c
        assert snapshot.entity_of("c") is None and snapshot.entity_of("b") == a
    with idr.Engine() as engine:
        engine.add("x", email="x@y.com")
        engine.save_to(path + ".copy")
        with pytest.raises(idr.InvalidArgumentError):
            engine.save()
    (tmp_path / "junk").write_bytes(b"not a snapshot")
    with pytest.raises(idr.CorruptDataError):
        idr.Engine.load(str(tmp_path / "junk"))
    with pytest.raises(idr.IdrIOError):
        idr.Engine.load(str(tmp_path / "missing"))
    with pytest.raises(ValueError):
        idr.Engine.open(path, sync="sometimes")


@pytest.mark.parametrize("mode", ["ingest", "save"])
@pytest.mark.parametrize("round", range(3))
def test_kill_9_loses_nothing_acknowledged(tmp_path, mode, round):
    path = str(tmp_path / "state")
    child = subprocess.Popen([sys.executable, "-c", CHILD, path, mode], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    target = 300 + 137 * round
    for line in child.stdout:
        acknowledged.append(line.strip())
        if len(acknowledged) >= target:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    # Whatever the child printed before dying was acknowledged.
    acknowledged += [l.strip() for l in child.stdout.read().splitlines() if l.strip()]
    with idr.Engine.open(path) as engine:
        missing = [k for k in acknowledged if engine.entity_of(k) is None]
        assert missing == []
        assert engine.stats().records >= len(acknowledged)
