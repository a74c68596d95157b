"""idr.spark.resolve on Spark local[2] equals the single-machine bulk resolver exactly."""
import os
import random

import pytest

if os.environ.get("IDR_REQUIRE_SPARK") != "1":
    pytest.importorskip("pyspark")

import idr
import idr.spark
from pyspark.sql import SparkSession

MASK = (1 << 64) - 1


@pytest.fixture(scope="module")
def spark():
    session = (SparkSession.builder.master("local[2]").appName("idr-tests")
               .config("spark.sql.shuffle.partitions", "4").config("spark.ui.enabled", "false")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


COLUMNS = ["record_id", "email", "phone", "loyalty_id", "pos_card", "crm"]


def generated(seed: int, people: int = 600, skew: bool = False):
    """Rows with shared identifiers, households, junk and a custom kind: (record_id, email,
    phone, loyalty_id, pos_card, crm). Some record ids repeat (one record, union of values)."""
    rng = random.Random(seed)
    rows = []
    n = 0
    for p in range(people):
        email = f"person{p}@mail{p % 7}.com"
        for _ in range(rng.randint(1, 4)):
            r = [f"r{n}", None, None, None, None, None]
            if rng.random() < 0.6:
                r[1] = email.upper() if rng.random() < 0.3 else email
            if rng.random() < 0.3:
                r[2] = f"555-01{p % 100:02d}-{p // 100:04d}"
            if rng.random() < 0.15:
                r[2] = f"777 010 {p // 3:04d}"          # household landline
            if rng.random() < 0.2:
                r[3] = f"LY-{p}"
            if rng.random() < 0.1:
                r[4] = rng.choice(["STORE-CARD-1", "store card 2", "N/A"])
            if rng.random() < 0.05:
                r[1] = rng.choice(["test@test.com", "not an email", "a\x00b@x.com", "x" * 2000 + "@y.com"])
            if rng.random() < 0.2:
                r[5] = f"crm-{p // 2}"
            if skew and rng.random() < 0.3:
                r[2] = "555 999 0000"
            rows.append(tuple(r))
            if rng.random() < 0.05:
                rows.append((f"r{n}", None, None, f"ly {p}", None, None))   # same record again
            n += 1
    return rows


def single_machine(rows, **options):
    keys = [r[0] for r in rows]
    ids = idr.resolve(keys, email=[r[1] for r in rows], phone=[r[2] for r in rows], loyalty_id=[r[3] for r in rows],
                      pos_card=[r[4] for r in rows], crm_id=[r[5] for r in rows],
                      custom_kinds={"crm_id": ("token", 3)}, options=options)
    return {k: int(e) for k, e in zip(keys, ids)}


def distributed(spark, rows, **options):
    df = spark.createDataFrame(rows, "record_id string, email string, phone string, loyalty_id string, pos_card string, crm string")
    out = idr.spark.resolve(df, columns={"email": "email", "phone": "phone", "loyalty_id": "loyalty_id",
                                         "pos_card": "pos_card", "crm_id": "crm"},
                            custom_kinds={"crm_id": ("token", 3)}, **options)
    return {row["record_id"]: row["entity_id"] & MASK for row in out.collect()}


def test_equals_the_single_machine_resolver(spark):
    rows = generated(1)
    expected = single_machine(rows)
    got = distributed(spark, rows)
    assert got == expected
    # The data exercises what it should: merges, generic values and placeholders.
    assert len(set(expected.values())) < len(expected) * 0.7


def test_options_and_a_skewed_key(spark):
    rows = generated(2, people=400, skew=True)
    options = {"generic_thresholds": {"phone": 2, "email": 3}, "builtin_placeholders": False}
    assert distributed(spark, rows, **options) == single_machine(rows, **options)


def test_generic_guard_off(spark):
    rows = generated(3, people=200)
    assert distributed(spark, rows, generic_guard=False) == single_machine(rows, generic_guard=False)


def test_empty_and_all_null_input(spark):
    assert distributed(spark, []) == {}
    rows = [(f"k{i}", None, None, None, None, None) for i in range(20)]
    got = distributed(spark, rows)
    assert got == single_machine(rows)
    assert got["k3"] == idr.entity_id_of_key("k3")


def test_a_null_record_key_is_refused_like_the_engine(spark):
    rows = [("a", "a@x.com", None, None, None, None), (None, "a@x.com", None, None, None, None)]
    with pytest.raises(Exception, match="record key is empty or null"):
        distributed(spark, rows)
    with pytest.raises(idr.InvalidArgumentError):
        single_machine([("a", None, None, None, None, None), ("", None, None, None, None, None)])
