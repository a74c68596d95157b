"""idr on Apache Spark: the single-machine bulk resolution, computed with Spark DataFrame
operations for data no single machine holds.

    >>> import idr.spark
    >>> result = idr.spark.resolve(df, record_key="record_id",
    ...                            columns={"email": "email", "phone": "phone", "crm_id": "crm"},
    ...                            custom_kinds={"crm_id": "token"})

The result equals ``idr.resolve`` (and ``idr-bench resolve``) on the same rows with the same
options: the same partition, the same entity IDs, the same guard decisions. How each step keeps
that promise:

1. *Normalize* (``mapInArrow``): each partition runs idr's own normalizers and placeholder rules
   (``Engine.normalize_column``, the C library) and emits distinct (record, kind, value,
   placeholder) rows; invalid values are dropped as the engine drops them. Rows repeating a
   record key are one record with the union of their identifiers.
2. *Generic values*, globally: the rule depends only on the records that carry a value, so it is
   an aggregation. A value of threshold T with more than T records is generic when those records
   hold more than T distinct non-placeholder values of one distinguishing kind (other than
   itself): a self-join of the (record, value) rows on the record, restricted to the few values
   with more than T records, then a count of distinct values per kind.
3. *Connected components* of the bipartite record–value graph over linking values, with the
   alternating large-star / small-star algorithm of Kiveris et al. (2014), checkpointing each
   round so lineage stays bounded; the number of rounds is logged (O(log n) rounds).
4. *Entity IDs*: XXH3-64 of each component's smallest record key (Spark orders strings by their
   UTF-8 bytes, as idr does), with idr's deterministic re-seeding when two IDs collide.

Per-entity limits are not available here (``idr.resolve`` and ``idr.Engine`` have them): their
greedy, ordered refusals do not decompose into aggregations.
"""
from __future__ import annotations

import logging
from typing import Any, Iterator, Mapping

from ._kinds import ATTRIBUTES, BUILTIN_KINDS

log = logging.getLogger("idr.spark")

_DEFAULT_THRESHOLDS = {"email": 10, "phone": 1, "loyalty_id": 2, "device_id": 4, "pos_card": 4}
_DEFAULT_DISTINGUISHING = ("email", "phone", "loyalty_id")


def _kind_table(options: Mapping[str, Any], custom_kinds: Mapping[str, Any]) -> dict[str, dict]:
    """Per kind name: its number (asked of an engine built like the executors' ones), generic
    threshold and whether it tells customers apart."""
    thresholds = dict(_DEFAULT_THRESHOLDS)
    thresholds.update(options.get("generic_thresholds", {}))
    distinguishing = set(options.get("distinguishing_kinds", _DEFAULT_DISTINGUISHING))
    custom_default = int(options.get("custom_generic_threshold", 10))
    table = {name: {"number": number, "threshold": int(thresholds.get(name, 0)), "distinguishes": name in distinguishing}
             for name, number in BUILTIN_KINDS.items()}
    engine = _engine_for(options, custom_kinds)
    try:
        for name, spec in custom_kinds.items():
            threshold = None if isinstance(spec, str) else spec[1]
            table[name] = {"number": engine._kind(name), "threshold": custom_default if threshold is None else int(threshold),
                           "distinguishes": True}
    finally:
        engine.close()
    return table


def _engine_for(options: Mapping[str, Any], custom_kinds: Mapping[str, Any]):
    import idr
    engine = idr.Engine(**{k: v for k, v in options.items() if k != "events"})
    for name, spec in custom_kinds.items():
        rule, threshold = (spec, None) if isinstance(spec, str) else spec
        engine.register_kind(name, rule, threshold)
    return engine


def _normalizer(record_key: str, columns: Mapping[str, str], options: Mapping[str, Any],
                custom_kinds: Mapping[str, Any]):
    """The mapInArrow function of step 1 (runs on the executors)."""
    def normalize(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        engine = _engine_for(options, custom_kinds)
        try:
            for batch in batches:
                keys = batch.column(record_key).to_pylist()
                for i, k in enumerate(keys):
                    if k is None or k == "":
                        raise ValueError(f"record key is empty or null (row {i} of a batch): the engine refuses empty keys")
                out_keys: list = []
                out_kinds: list = []
                out_values: list = []
                out_placeholders: list = []
                seen = set()
                for kind, name in columns.items():
                    values, placeholders = engine.normalize_column(kind, batch.column(name).to_pylist())
                    number = engine._kind(kind)
                    for k, v, p in zip(keys, values, placeholders):
                        if v is None or (k, number, v) in seen:
                            continue
                        seen.add((k, number, v))
                        out_keys.append(k)
                        out_kinds.append(number)
                        out_values.append(v)
                        out_placeholders.append(p)
                yield pa.RecordBatch.from_arrays(
                    [pa.array(out_keys, pa.string()), pa.array(out_kinds, pa.int32()), pa.array(out_values, pa.string()),
                     pa.array(out_placeholders, pa.bool_())],
                    names=["rid", "kind", "value", "placeholder"])
        finally:
            engine.close()
    return normalize


def _connected_components(edges: Any, max_rounds: int) -> tuple[Any, int]:
    """Large-star / small-star over `edges` (columns a, b: long node IDs, undirected), alternated
    until a round changes nothing; the result is a star per component around its smallest node.
    Returns (node, label) for every node on an edge (label: the smallest node of its component)
    and the number of rounds."""
    from pyspark.sql import functions as F

    def symmetric(e: Any) -> Any:
        return e.select("a", "b").union(e.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct()

    def smallest_around(s: Any) -> Any:
        return s.groupBy("a").agg(F.min("b").alias("mb")).select("a", F.least("a", "mb").alias("m"))

    def large_star(e: Any) -> Any:
        # Each node's larger neighbours attach to the smallest node of its neighbourhood.
        s = symmetric(e)
        return (s.where(F.col("b") > F.col("a")).join(smallest_around(s), "a")
                .select(F.col("b").alias("a"), F.col("m").alias("b")).where(F.col("a") != F.col("b")).distinct())

    def small_star(e: Any) -> Any:
        # Each node and its smaller neighbours attach to the smallest of them.
        s = symmetric(e).where(F.col("b") <= F.col("a"))
        m = smallest_around(s)
        neighbours = s.join(m, "a").select(F.col("b").alias("a"), F.col("m").alias("b"))
        return neighbours.union(m.select("a", F.col("m").alias("b"))).where(F.col("a") != F.col("b")).distinct()

    current = edges.select("a", "b").where(F.col("a") != F.col("b")).distinct().localCheckpoint()
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
        following = small_star(large_star(current)).localCheckpoint()
        unchanged = following.exceptAll(current).limit(1).count() == 0 and current.exceptAll(following).limit(1).count() == 0
        current = following
        log.info("idr.spark: connected components round %d", rounds)
        if unchanged:
            break
    labels = symmetric(current).groupBy("a").agg(F.min("b").alias("mb")).select(
        F.col("a").alias("node"), F.least("a", "mb").alias("label"))
    return labels, rounds


def resolve(df: Any, record_key: str = "record_id", columns: Mapping[str, str] | None = None, *,
            custom_kinds: Mapping[str, Any] | None = None, entities: bool = False, max_rounds: int = 64,
            **options: Any) -> Any:
    """Resolves the rows of a PySpark DataFrame; returns a DataFrame ``(record_id, entity_id)``
    with one row per distinct record key (entity_id: a signed 64-bit column holding the uint64 ID's
    bits, as Spark has no unsigned type; ``& 0xFFFFFFFFFFFFFFFF`` in Python gives idr's value).
    With ``entities=True`` returns ``(records, summary)``, the summary one row per entity
    (entity_id, size).

    ``columns`` maps kinds to column names (default: columns named like built-in kinds);
    ``custom_kinds`` maps custom kind names to a rule or ``(rule, generic_threshold)``; options are
    ``idr.Engine``'s (generic_thresholds, generic_guard, builtin_placeholders, email rules, …).
    """
    from pyspark.sql import functions as F, types as T

    custom_kinds = dict(custom_kinds or {})
    spark = df.sparkSession
    if columns is None:
        columns = {kind: kind for kind in BUILTIN_KINDS if kind in df.columns}
    missing = [c for c in (record_key, *columns.values()) if c not in df.columns]
    if missing:
        raise KeyError(f"no column(s) {missing} in the DataFrame")
    attributes = [k for k in columns if k in ATTRIBUTES]
    if attributes:
        raise ValueError(f"attributes {attributes}: fuzzy matching is not available in idr.spark yet "
                         "(use idr.resolve on one machine)")
    unknown = [k for k in columns if k not in BUILTIN_KINDS and k not in custom_kinds]
    if unknown:
        raise ValueError(f"kinds {unknown} are neither built-in nor in custom_kinds")
    if "entity_limits" in options:
        raise ValueError("per-entity limits are not available in idr.spark")
    table = _kind_table(options, custom_kinds)
    generic_guard = options.get("generic_guard", True)

    # 1. Normalize on the executors.
    source = df.select(F.col(record_key).cast("string").alias(record_key),
                       *[F.col(name).cast("string").alias(name) for name in dict.fromkeys(columns.values())])
    schema = T.StructType([T.StructField("rid", T.StringType(), False), T.StructField("kind", T.IntegerType(), False),
                           T.StructField("value", T.StringType(), False), T.StructField("placeholder", T.BooleanType(), False)])
    pairs = source.mapInArrow(_normalizer(record_key, columns, options, custom_kinds), schema).distinct().localCheckpoint()
    records = source.select(F.col(record_key).alias("rid")).distinct()

    # 2. Generic values, globally.
    kinds = spark.createDataFrame([(t["number"], t["threshold"], t["distinguishes"]) for t in table.values()],
                                  "kind int, threshold int, distinguishes boolean")
    degree = pairs.groupBy("kind", "value").agg(F.count("*").alias("n"), F.first("placeholder").alias("placeholder"))
    candidates = (degree.join(kinds, "kind").where((F.col("threshold") > 0) & ~F.col("placeholder")
                                                   & (F.col("n") > F.col("threshold")))
                  .select("kind", "value", "threshold"))
    if not generic_guard:
        candidates = candidates.limit(0)
    holders = pairs.join(candidates, ["kind", "value"]).select("rid", "kind", "value", "threshold")
    others = (pairs.where(~F.col("placeholder")).join(kinds.where(F.col("distinguishes")).select("kind"), "kind")
              .select("rid", F.col("kind").alias("wkind"), F.col("value").alias("wvalue")))
    customers = (holders.join(others, "rid")
                 .where((F.col("wkind") != F.col("kind")) | (F.col("wvalue") != F.col("value")))
                 .groupBy("kind", "value", "threshold", "wkind").agg(F.countDistinct("wvalue").alias("c"))
                 .groupBy("kind", "value", "threshold").agg(F.max("c").alias("customers")))
    generic = customers.where(F.col("customers") > F.col("threshold")).select("kind", "value")
    linking = pairs.where(~F.col("placeholder")).join(generic, ["kind", "value"], "left_anti").localCheckpoint()

    # 3. Connected components over records and linking values (node IDs: dense, records first).
    record_nodes = spark.createDataFrame(records.rdd.map(lambda r: r[0]).zipWithIndex(), "rid string, node long")
    record_count = record_nodes.count()
    value_nodes = spark.createDataFrame(
        linking.select("kind", "value").distinct().rdd.zipWithIndex().map(lambda x: (x[0][0], x[0][1], x[1] + record_count)),
        "kind int, value string, node long")
    edges = (linking.join(record_nodes, "rid").select("kind", "value", F.col("node").alias("a"))
             .join(value_nodes, ["kind", "value"]).select("a", F.col("node").alias("b")))
    labels, rounds = _connected_components(edges, max_rounds)
    log.info("idr.spark: %d records, connected components in %d rounds", record_count, rounds)
    component = (record_nodes.join(labels, "node", "left")
                 .select("rid", F.coalesce(F.col("label"), F.col("node")).alias("component")))

    # 4. Entity IDs: XXH3-64 of the smallest key, idr's re-seeding on collisions.
    smallest = component.groupBy("component").agg(F.min("rid").alias("smallest"), F.count("*").alias("size"))

    def entity_ids(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import idr
        for batch in batches:
            ids = [idr.entity_id_of_key(k) for k in batch.column("smallest").to_pylist()]
            signed = [i - (1 << 64) if i >= 1 << 63 else i for i in ids]
            yield pa.RecordBatch.from_arrays([batch.column("component"), batch.column("smallest"), batch.column("size"),
                                              pa.array(signed, pa.int64())],
                                             names=["component", "smallest", "size", "entity_id"])

    id_schema = "component long, smallest string, size long, entity_id long"
    ids = smallest.select("component", "smallest", F.col("size").cast("long")).mapInArrow(entity_ids, id_schema).localCheckpoint()
    ids = _reseed_collisions(ids)
    result = component.join(ids.select("component", "entity_id"), "component").select(
        F.col("rid").alias(record_key), "entity_id")
    if entities:
        return result, ids.select("entity_id", "size")
    return result


def _reseed_collisions(ids: Any) -> Any:
    """Entities whose IDs collide (about 1 in 2^64 per pair): ordered by smallest key, the first
    keeps its ID, each next one takes attempt 1, 2, … that no entity holds (idr's rule)."""
    from pyspark.sql import functions as F
    import idr

    groups = ids.groupBy("entity_id").agg(F.count("*").alias("n")).where(F.col("n") > 1).collect()
    if not groups:
        return ids
    used = set()
    fixes = {}
    colliding = ids.where(F.col("entity_id").isin([g["entity_id"] for g in groups])).collect()
    by_id: dict = {}
    for row in colliding:
        by_id.setdefault(row["entity_id"], []).append(row)
    ordered = sorted((sorted(rows, key=lambda r: r["smallest"].encode()) for rows in by_id.values()),
                     key=lambda rows: rows[0]["smallest"].encode())
    for rows in ordered:
        used.add(rows[0]["entity_id"])
        for row in rows[1:]:
            attempt = 1
            while True:
                candidate = idr.entity_id_of_key(row["smallest"], attempt)
                signed = candidate - (1 << 64) if candidate >= 1 << 63 else candidate
                taken = signed in used or ids.where(F.col("entity_id") == signed).limit(1).count() > 0
                if not taken:
                    break
                attempt += 1
            used.add(signed)
            fixes[row["component"]] = signed
    fix = ids.sparkSession.createDataFrame(list(fixes.items()), "component long, fixed long")
    return (ids.join(fix, "component", "left")
            .withColumn("entity_id", F.coalesce(F.col("fixed"), F.col("entity_id"))).drop("fixed"))
