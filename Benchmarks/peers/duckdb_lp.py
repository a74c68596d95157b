"""Peer (b): DuckDB SQL, idr's normalization in SQL and iterative label propagation."""
import duckdb

NORMALIZE = r"""
CREATE TABLE t AS SELECT (row_number() OVER ()) - 1 AS rid, * FROM read_csv(?, all_varchar = true, header = true);
CREATE TABLE tr AS SELECT rid,
  trim(coalesce(email, ''), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS email,
  trim(coalesce(phone, ''), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS phone,
  trim(coalesce(loyalty_id, ''), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS loyalty_id,
  trim(coalesce(device_id, ''), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS device_id,
  trim(coalesce(pos_card, ''), ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) AS pos_card
FROM t;
CREATE MACRO okc(s) AS strlen(s) > 0 AND strlen(s) <= 1024 AND NOT regexp_matches(s, '[\x00-\x1f\x7f]');
CREATE TABLE ph AS SELECT rid, phone AS p, starts_with(phone, '+') AS plus,
  regexp_replace(phone, '[^0-9]', '', 'g') AS d FROM tr WHERE okc(phone) AND NOT regexp_matches(phone, '[A-Za-z]');
CREATE TABLE ph2 AS SELECT rid, (plus OR (NOT plus AND starts_with(d, '00'))) AS intl,
  CASE WHEN NOT plus AND starts_with(d, '00') THEN substr(d, 3) ELSE d END AS d FROM ph;
CREATE TABLE ph3 AS SELECT rid, intl,
  CASE WHEN NOT intl AND strlen(d) = 11 AND starts_with(d, '1') THEN substr(d, 2) ELSE d END AS d FROM ph2;
CREATE TABLE dv AS SELECT rid, lower(device_id) AS lo FROM tr WHERE okc(device_id);
CREATE TABLE dv2 AS SELECT rid, lo,
  CASE WHEN strlen(lo) >= 2 AND starts_with(lo, '{') AND ends_with(lo, '}') THEN substr(lo, 2, strlen(lo) - 2) ELSE lo END AS inr FROM dv;
CREATE TABLE dv3 AS SELECT rid,
  CASE WHEN regexp_matches(inr, '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') THEN inr
       WHEN regexp_matches(inr, '^[0-9a-f]{32}$') THEN regexp_replace(inr, '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5')
       ELSE lo END AS v FROM dv2;
CREATE TABLE e AS
  SELECT rid, 'e:' || lower(email) AS k FROM tr
    WHERE okc(email) AND strlen(email) - strlen(replace(email, '@', '')) = 1 AND NOT contains(email, ' ')
      AND NOT starts_with(email, '@') AND regexp_matches(email, '@[^@]*\.')
  UNION ALL SELECT rid, 'p:' || CASE WHEN intl THEN d ELSE '1' || d END FROM ph3
    WHERE strlen(d) > 0 AND (NOT intl OR NOT starts_with(d, '0'))
      AND strlen(CASE WHEN intl THEN d ELSE '1' || d END) BETWEEN 7 AND 15
  UNION ALL SELECT rid, 'l:' || upper(replace(replace(loyalty_id, ' ', ''), '-', '')) FROM tr
    WHERE okc(loyalty_id) AND strlen(replace(replace(loyalty_id, ' ', ''), '-', '')) > 0
  UNION ALL SELECT rid, 'c:' || upper(replace(replace(pos_card, ' ', ''), '-', '')) FROM tr
    WHERE okc(pos_card) AND strlen(replace(replace(pos_card, ' ', ''), '-', '')) > 0
  UNION ALL SELECT rid, 'd:' || v FROM dv3
    WHERE strlen(replace(v, '-', '')) > 0 AND replace(v, '-', '') <> repeat(left(replace(v, '-', ''), 1), strlen(replace(v, '-', '')));
"""


def resolve(path):
    con = duckdb.connect()
    for statement in NORMALIZE.split(";\n"):
        if statement.strip():
            con.execute(statement, [path] if "?" in statement else [])
    con.execute("CREATE TABLE lab AS SELECT rid, rid AS label FROM t")
    iterations = 0
    while True:
        iterations += 1
        con.execute("CREATE OR REPLACE TABLE kl AS SELECT e.k, min(lab.label) AS label FROM e JOIN lab USING (rid) GROUP BY e.k")
        con.execute("""CREATE OR REPLACE TABLE nl AS SELECT lab.rid, least(lab.label, coalesce(min(kl.label), lab.label)) AS label
                       FROM lab LEFT JOIN e USING (rid) LEFT JOIN kl USING (k) GROUP BY lab.rid, lab.label""")
        changed = con.execute("SELECT count(*) FROM nl JOIN lab USING (rid) WHERE nl.label <> lab.label").fetchone()[0]
        con.execute("DROP TABLE lab")
        con.execute("ALTER TABLE nl RENAME TO lab")
        if changed == 0:
            break
    keys = [r[0] for r in con.execute("SELECT record_id FROM t ORDER BY rid").fetchall()]
    labels = [r[0] for r in con.execute("SELECT label FROM lab ORDER BY rid").fetchall()]
    return keys, labels, iterations
