#!/usr/bin/env bash
# End-to-end checks of the idr-bench binary given as $1. Prints "N passed, N failed".
set -u
BIN=${1:?usage: cli-tests.sh path/to/idr-bench}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@" >"$T/last.out" 2>&1; then ok "$name"; else bad "$name"; cat "$T/last.out"; fi; }
# Runs a command that must fail with a message matching a pattern.
must_fail() {
    local name=$1 pattern=$2; shift 2
    if "$@" >"$T/last.out" 2>&1; then bad "$name (succeeded)"; cat "$T/last.out"
    elif grep -qE "$pattern" "$T/last.out"; then ok "$name"
    else bad "$name (message)"; cat "$T/last.out"; fi
}

# generate: same seed, same bytes; another seed, other bytes.
"$BIN" generate --records 3000 --seed 5 --out "$T/a.csv" --truth "$T/a.truth"
"$BIN" generate --records 3000 --seed 5 --out "$T/b.csv" --truth "$T/b.truth"
"$BIN" generate --records 3000 --seed 6 --out "$T/c.csv"
check "generate is deterministic" cmp -s "$T/a.csv" "$T/b.csv"
check "generate truth is deterministic" cmp -s "$T/a.truth" "$T/b.truth"
check "another seed differs" bash -c "! cmp -s '$T/a.csv' '$T/c.csv'"
check "generate writes 3000 rows" test "$(wc -l < "$T/a.csv")" -eq 3001

# resolve + score.
check "resolve runs" "$BIN" resolve "$T/a.csv" --out "$T/a.out" --stats "$T/a.json"
check "one output line per input row" test "$(wc -l < "$T/a.out")" -eq 3001
check "output header" test "$(head -1 "$T/a.out")" = "record_id,entity_id"
check "stats JSON written" grep -q '"entities":' "$T/a.json"
check "score prints F1" bash -c "'$BIN' score --truth '$T/a.truth' --predicted '$T/a.out' | grep -q 'F1'"

# Row order does not change any record's entity ID.
{ head -1 "$T/a.csv"; tail -n +2 "$T/a.csv" | shuf --random-source=<(yes); } > "$T/shuffled.csv"
"$BIN" resolve "$T/shuffled.csv" --out "$T/shuffled.out" --quiet
check "shuffled rows give the same IDs" cmp -s <(sort "$T/a.out") <(sort "$T/shuffled.out")

# Repeated record IDs are one record; custom kinds through --id-column.
cat > "$T/custom.csv" <<'CSV'
record_id,crm,email,note
r1,C-1,,first
r2,c 1,,second
r3,,x@y.com,third
r3,C-9,,again
r4,C-9,,fourth
CSV
"$BIN" resolve "$T/custom.csv" --out "$T/custom.out" --id-column crm:crm_id 2>"$T/custom.err"
e() { grep "^$1," "$T/custom.out" | head -1 | cut -d, -f2; }
check "custom kind links (exact rule keeps case)" bash -c "[ '$(e r1)' != '$(e r2)' ]"
check "repeated record_id unites identifiers" bash -c "[ '$(e r3)' = '$(e r4)' ] && [ \$(grep -c '^r3,' '$T/custom.out') -eq 2 ]"
check "summary counts repeated rows and ignored columns" bash -c "grep -q '1 rows repeated' '$T/custom.err' && grep -q 'ignored columns: note' '$T/custom.err'"
# Rows after a repeated record_id are written in input order (the row map is stored from the
# first repeat on; before it row i is record i), with one thread and with two.
{ head -1 "$T/a.csv"; sed -n 2,1001p "$T/a.csv"; sed -n 2p "$T/a.csv"; sed -n 1002,3001p "$T/a.csv"; } > "$T/rep.csv"
"$BIN" resolve "$T/rep.csv" --out "$T/rep1.out" --threads 1 --quiet
"$BIN" resolve "$T/rep.csv" --out "$T/rep2.out" --threads 2 --quiet
check "rows after a repeated record_id keep input order" bash -c "cmp -s '$T/rep1.out' '$T/rep2.out' && [ \"\$(cut -d, -f1 '$T/rep2.out' | tail -n +2)\" = \"\$(cut -d, -f1 '$T/rep.csv' | tail -n +2)\" ] && [ \$(sed -n 1002p '$T/rep2.out' | cut -d, -f2) = \$(sed -n 2p '$T/rep2.out' | cut -d, -f2) ] && [ \$(wc -l < '$T/rep2.out') -eq 3002 ]"
echo '{"custom_kinds": [{"name": "crm_id", "rule": "token"}]}' > "$T/token.json"
"$BIN" resolve "$T/custom.csv" --out "$T/custom2.out" --id-column crm:crm_id --config "$T/token.json" --quiet
check "config declares the custom kind's rule" bash -c "[ \$(grep '^r1,' '$T/custom2.out' | cut -d, -f2) = \$(grep '^r2,' '$T/custom2.out' | cut -d, -f2) ]"

# Malformed input: an error naming the line, exit 1, no output file.
printf 'record_id,email\nr1,a@b.com\nr2,x,extra\n' > "$T/fields.csv"
must_fail "wrong field count names the line" "line 3: expected 2 fields, found 3" "$BIN" resolve "$T/fields.csv" --out "$T/fields.out"
check "no output after an error" test ! -e "$T/fields.out"
printf 'record_id,email\nr1,"open\n' > "$T/quote.csv"
must_fail "unterminated quote names the line" "line 2: unterminated" "$BIN" resolve "$T/quote.csv" --out "$T/quote.out"
printf 'id,email\nr1,a@b.com\n' > "$T/noid.csv"
must_fail "missing record_id column" "no record_id column" "$BIN" resolve "$T/noid.csv" --out "$T/noid.out"
printf 'record_id,email\n,a@b.com\n' > "$T/emptykey.csv"
must_fail "empty record_id names the line" "line 2: record key is empty" "$BIN" resolve "$T/emptykey.csv" --out "$T/e.out"
printf 'record_id,email\nr\xff,a@b.com\n' > "$T/utf8.csv"
must_fail "invalid UTF-8 record_id names the line" "line 2: record key is not valid UTF-8" "$BIN" resolve "$T/utf8.csv" --out "$T/u.out"
: > "$T/empty.csv"
must_fail "empty input" "header row is required" "$BIN" resolve "$T/empty.csv" --out "$T/empty.out"
must_fail "missing input file" "cannot open" "$BIN" resolve "$T/none.csv" --out "$T/none.out"
echo '{"generic": {"treshold": {}}}' > "$T/typo.json"
must_fail "unknown config key" 'unknown key "generic.treshold"' "$BIN" resolve "$T/a.csv" --out "$T/x.out" --config "$T/typo.json"
echo '{"entity_limits": {"loyalty": 1}}' > "$T/kind.json"
must_fail "unknown kind in config" 'unknown kind "loyalty"' "$BIN" resolve "$T/a.csv" --out "$T/x.out" --config "$T/kind.json"
must_fail "bad --id-column" "expected NAME:KIND" "$BIN" resolve "$T/a.csv" --out "$T/x.out" --id-column email

# --entities: one row per entity; sizes add up to the records; identifiers by kind.
"$BIN" resolve "$T/a.csv" --out "$T/ent.out" --entities "$T/ent.csv" --quiet
check "--entities: one row per entity" bash -c "[ \$(tail -n +2 '$T/ent.csv' | wc -l) -eq \$(tail -n +2 '$T/ent.out' | cut -d, -f2 | sort -u | wc -l) ]"
check "--entities: sizes add up to the records" bash -c "[ \$(tail -n +2 '$T/ent.csv' | awk -F, '{s+=\$2} END {print s}') -eq 3000 ]"
check "--entities: header names the kinds" bash -c "[ \"\$(head -1 '$T/ent.csv')\" = 'entity_id,size,email,phone,loyalty_id,device_id,pos_card' ]"

# JSON Lines in and out: the same mapping as CSV.
python3 -c "
import csv, json, sys
for i, r in enumerate(csv.DictReader(open(sys.argv[1]))):
    print(json.dumps({k: (v or None) for k, v in r.items()}, ensure_ascii=i % 2 == 0))
" "$T/a.csv" > "$T/a.jsonl"
"$BIN" resolve "$T/a.jsonl" --format jsonl --out "$T/a.jout" --quiet
check "JSON Lines input gives the CSV mapping" bash -c "python3 -c \"
import json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
c = [l.strip().split(',') for l in open(sys.argv[2])][1:]
sys.exit(0 if [(x['record_id'], str(x['entity_id'])) for x in j] == [(a, b) for a, b in c] else 1)
\" '$T/a.jout' '$T/a.out'"
printf '{"record_id": "a", "email": "a@x.com"}\n{"record_id": "b", "email": {"x": 1}}\n' > "$T/bad.jsonl"
must_fail "JSON Lines: a nested value names the line" "line 2: member \"email\" holds an object" "$BIN" resolve "$T/bad.jsonl" --format jsonl --out "$T/bad.jout"

# gzip input (by magic bytes): same output as the plain file; truncated and damaged data refused.
gzip -c "$T/a.csv" > "$T/a.csv.gz"
"$BIN" resolve "$T/a.csv.gz" --out "$T/agz.out" --quiet
check "gzip input gives the same output" cmp -s "$T/agz.out" "$T/a.out"
head -c 20000 "$T/a.csv.gz" > "$T/cut.gz"
must_fail "truncated gzip is refused" "gzip data ends early" "$BIN" resolve "$T/cut.gz" --out "$T/cut.out"
printf '\x1f\x8bnot really gzip' > "$T/junk.gz"
must_fail "damaged gzip is refused" "damaged gzip data" "$BIN" resolve "$T/junk.gz" --out "$T/junk.out"

# --on-error skip: bad rows reported with their lines and counted; good rows resolved.
printf 'record_id,email\nr1,a@b.com\nr2,x,extra\n,e@x.com\nr3,"a""b"x,\nr4,a@b.com\nr5,"unterminated\n' > "$T/bad.csv"
"$BIN" resolve "$T/bad.csv" --out "$T/bad.out" --on-error skip --stats "$T/bad.json" 2>"$T/bad.err"
check "--on-error skip counts every bad row" grep -q '"skipped_rows": 4' "$T/bad.json"
check "--on-error skip names the lines" bash -c "grep -q 'line 3: expected 2 fields' '$T/bad.err' && grep -q 'line 5: unexpected text' '$T/bad.err' && grep -q 'line 7: unterminated' '$T/bad.err'"
check "--on-error skip keeps the good rows" bash -c "[ \"\$(tail -n +2 '$T/bad.out' | cut -d, -f1 | tr '\n' ' ')\" = 'r1 r4 ' ]"
must_fail "--on-error fail (default) stops at the first" "line 3: expected 2 fields" "$BIN" resolve "$T/bad.csv" --out "$T/bad2.out"

# Invalid values never fail a record: NUL bytes, invalid UTF-8, junk.
printf 'record_id,email,phone\nr1,a\x00b@x.com,555\nr2,\xc3\x28@x.com,5551234567\nr3,,+1 555 123 4567\n' > "$T/junk.csv"
"$BIN" resolve "$T/junk.csv" --out "$T/junk.out" --stats "$T/junk.json" 2>/dev/null
check "invalid values are counted, records kept" bash -c "grep -q '\"invalid\": 3' '$T/junk.json' && [ \$(wc -l < '$T/junk.out') -eq 4 ]"
check "valid phones still link" bash -c "[ \$(grep '^r2,' '$T/junk.out' | cut -d, -f2) = \$(grep '^r3,' '$T/junk.out' | cut -d, -f2) ]"

# --state: the online engine's stable IDs across runs; same partition as bulk.
"$BIN" resolve "$T/a.csv" --out "$T/s1.out" --state "$T/state" --quiet
"$BIN" resolve "$T/a.csv" --out "$T/s2.out" --state "$T/state" --quiet
check "--state: a re-run keeps every ID" cmp -s "$T/s1.out" "$T/s2.out"
check "--state: same partition as bulk" bash -c "'$BIN' score --truth '$T/a.out' --predicted '$T/s1.out' | grep -q 'F1 1.0000'"
# --state with per-entity limits: the online engine refuses the same links as bulk.
echo '{"entity_limits": {"loyalty_id": 1, "email": 1}}' > "$T/limits.json"
"$BIN" resolve "$T/a.csv" --out "$T/lb.out" --config "$T/limits.json" --stats "$T/lb.json" --quiet
check "limits refuse links in this sample" bash -c "grep -qE '\"refused_links\": [1-9]' '$T/lb.json'"
"$BIN" resolve "$T/a.csv" --out "$T/ls1.out" --config "$T/limits.json" --state "$T/lstate" --quiet
"$BIN" resolve "$T/a.csv" --out "$T/ls2.out" --config "$T/limits.json" --state "$T/lstate" --quiet
check "--state with limits: same partition as bulk" bash -c "'$BIN' score --truth '$T/lb.out' --predicted '$T/ls1.out' | grep -q 'F1 1.0000'"
check "--state with limits: a re-run keeps every ID" cmp -s "$T/ls1.out" "$T/ls2.out"
check "--state: the state file is private" bash -c "[ \$(stat -c %a '$T/state') = 600 ]"
{ head -1 "$T/a.csv"; tail -n +2 "$T/a.csv" | head -1000; } > "$T/day1.csv"
rm -f "$T/state2" "$T/state2.log"
"$BIN" resolve "$T/day1.csv" --out "$T/d1.out" --state "$T/state2" --quiet
"$BIN" resolve "$T/a.csv" --out "$T/d2.out" --state "$T/state2" --quiet
check "--state: day 2 keeps day 1's IDs except where entities merged or split (<10% here)" bash -c \
    "[ \$(join -t, <(tail -n +2 '$T/d1.out' | sort) <(tail -n +2 '$T/d2.out' | sort) | awk -F, '\$2 != \$3' | wc -l) -lt 100 ]"

# --state takes JSON Lines and --on-error like bulk runs, and refuses what it cannot do yet.
"$BIN" resolve "$T/a.jsonl" --format jsonl --out "$T/sj.out" --state "$T/statej" --quiet
check "--state with JSON Lines: same partition as bulk" bash -c "python3 -c \"
import json, sys
j = [json.loads(l) for l in open(sys.argv[1])]
c = [l.strip().split(',') for l in open(sys.argv[2])][1:]
groups = lambda pairs: sorted(sorted(k for k, e in pairs if e == x) for x in set(e for _, e in pairs))
sys.exit(0 if groups([(x['record_id'], x['entity_id']) for x in j]) == groups([(a, b) for a, b in c]) else 1)
\" '$T/sj.out' '$T/a.out'"
"$BIN" resolve "$T/bad.csv" --out "$T/sbad.out" --state "$T/statebad" --on-error skip 2>"$T/sbad.err"
check "--state --on-error skip counts bad rows" bash -c "grep -q '4 bad rows skipped' '$T/sbad.err' && [ \$(tail -n +2 '$T/sbad.out' | wc -l) -eq 2 ]"
must_fail "--state refuses --entities" "not available with --state" "$BIN" resolve "$T/a.csv" --out "$T/x.out" --state "$T/statex" --entities "$T/x.ents"

# Hash-only state: the same mapping as a normal state, no identifier value in its files, and the
# secret is needed on every run.
printf 'a secret of more than sixteen bytes\n' > "$T/secret"
"$BIN" resolve "$T/a.csv" --out "$T/hplain.out" --state "$T/hplain" --quiet
check "hash-only --state runs" "$BIN" resolve "$T/a.csv" --out "$T/hashed.out" --state "$T/hashed" --hash-only-secret-file "$T/secret" --quiet
check "hash-only --state maps like a normal state" cmp -s "$T/hplain.out" "$T/hashed.out"
check "hash-only state files hold no email" bash -c "email=\$(sed -n 2p '$T/a.csv' | cut -d, -f3 | tr 'A-Z' 'a-z'); [ -n \"\$email\" ] && ! grep -qaF \"\$email\" '$T/hashed' '$T/hashed.log' && grep -qaF \"\$email\" '$T/hplain' '$T/hplain.log'"
must_fail "a hash-only state needs its secret" "supply its secret" "$BIN" resolve "$T/a.csv" --out "$T/x.out" --state "$T/hashed"
must_fail "--hash-only-secret-file needs --state" "needs --state" "$BIN" resolve "$T/a.csv" --out "$T/x.out" --hash-only-secret-file "$T/secret"

# explain: the evidence chain, a named guard, no evidence, an unknown record.
printf 'record_id,email,loyalty_id\nweb,ann@x.com,\npos,ANN@x.com,L-1\ncc,,l 1\nj1,test@test.com,\nj2,test@test.com,\n' > "$T/explain.csv"
check "explain --why prints the chain" bash -c "'$BIN' explain '$T/explain.csv' --why web cc | grep -q 'joined: web --\[email ann@x.com\]--> pos --\[loyalty_id L1\]--> cc'"
check "explain names the placeholder" bash -c "'$BIN' explain '$T/explain.csv' --why j1 j2 | grep -q 'test@test.com is a placeholder'"
check "explain without evidence" bash -c "'$BIN' explain '$T/explain.csv' --why web j1 | grep -q 'no shared evidence'"
check "explain --how lists records and links" bash -c "'$BIN' explain '$T/explain.csv' --how cc | grep -q 'loyalty_id L1: cc, pos'"
must_fail "explain of an unknown record" 'no record "nobody"' "$BIN" explain "$T/explain.csv" --why web nobody

# --threads 2: parsing on a second thread gives the same bytes, the same bad-row reports and the
# same first error as one thread, for CSV, gzip, JSON Lines and files with attributes.
"$BIN" resolve "$T/a.csv" --out "$T/t2.out" --threads 2 --quiet
check "--threads 2: same output (CSV)" cmp -s "$T/a.out" "$T/t2.out"
"$BIN" resolve "$T/a.csv.gz" --out "$T/t2gz.out" --threads 2 --quiet
check "--threads 2: same output (gzip)" cmp -s "$T/agz.out" "$T/t2gz.out"
"$BIN" resolve "$T/a.jsonl" --format jsonl --out "$T/t2.jout" --threads 2 --quiet
check "--threads 2: same output (JSON Lines)" cmp -s "$T/a.jout" "$T/t2.jout"
"$BIN" resolve "$T/bad.csv" --out "$T/t2bad.out" --on-error skip --threads 2 2>"$T/t2bad.err"
check "--threads 2: same rows and reports with --on-error skip" bash -c "cmp -s '$T/bad.out' '$T/t2bad.out' && diff <(grep skipped '$T/bad.err') <(grep skipped '$T/t2bad.err') >/dev/null"
must_fail "--threads 2: the same first error" "line 3: expected 2 fields" "$BIN" resolve "$T/bad.csv" --out "$T/t2bad2.out" --threads 2
# 100,000 rows: past the sizes where entity IDs are computed on both cores (65,536 records) and
# the output is formatted and written on two threads (chunks of 32,768 rows).
"$BIN" generate --records 100000 --seed 3 --out "$T/big.csv"
"$BIN" resolve "$T/big.csv" --out "$T/big1.out" --threads 1 --quiet
"$BIN" resolve "$T/big.csv" --out "$T/big2.out" --threads 2 --quiet
check "--threads 2: same output at 100,000 rows" cmp -s "$T/big1.out" "$T/big2.out"
check "100,000 rows: one output line per row" test "$(wc -l < "$T/big2.out")" -eq 100001
must_fail "--threads 2: a write error is reported, not lost" "cannot write" bash -c "'$BIN' resolve '$T/big.csv' --out - --threads 2 --quiet > /dev/full"
# Outputs that are not regular files are written in place (a rename over /dev/null, a FIFO or
# a link would replace it with a plain file); a link keeps pointing at the file it names.
mkfifo "$T/out.fifo"
timeout 60 cat "$T/out.fifo" > "$T/fifo.out" &
reader=$!
"$BIN" resolve "$T/big.csv" --out "$T/out.fifo" --threads 2 --quiet
wait $reader
check "--out a FIFO: written through it" cmp -s "$T/big2.out" "$T/fifo.out"
check "--out a FIFO: still a FIFO" test -p "$T/out.fifo"
echo stale > "$T/linked.out"
ln -s linked.out "$T/link.out"
"$BIN" resolve "$T/big.csv" --out "$T/link.out" --quiet
check "--out a symbolic link: still a link" test -L "$T/link.out"
check "--out a symbolic link: the file it names is written" cmp -s "$T/big1.out" "$T/linked.out"
ln -s dangled.out "$T/dangling.out"
"$BIN" resolve "$T/big.csv" --out "$T/dangling.out" --quiet
check "--out a dangling symbolic link: still a link" test -L "$T/dangling.out"
check "--out a dangling symbolic link: the file it names is created" cmp -s "$T/big1.out" "$T/dangled.out"
ln -s linked.idr "$T/state-link.idr"
"$BIN" resolve "$T/a.csv" --out "$T/state1.out" --state "$T/state-link.idr" --quiet
"$BIN" resolve "$T/a.csv" --out "$T/state2.out" --state "$T/state-link.idr" --quiet
check "--state a symbolic link: still a link after two saves" test -L "$T/state-link.idr"
check "--state a symbolic link: the snapshot and log are beside the file it names" test -f "$T/linked.idr" -a -f "$T/linked.idr.log"
check "--state a symbolic link: the second run kept the IDs" cmp -s "$T/state1.out" "$T/state2.out"
must_fail "--out a directory is refused" "is a directory" "$BIN" resolve "$T/a.csv" --out "$T" --quiet
must_fail "--threads is checked" "threads must be 1...64" "$BIN" resolve "$T/a.csv" --out "$T/x.out" --threads 0

# Fuzzy matching: attribute columns link records without shared identifiers; the links file
# explains each link; it can be turned off; config errors are clear; --state ignores attributes.
"$BIN" generate --records 20000 --seed 5 --attributes typical --out "$T/fz.csv" --truth "$T/fz.truth"
check "generate --attributes adds the attribute columns" bash -c "head -1 '$T/fz.csv' | grep -q ',first_name,last_name,dob,zip,address,city\$'"
check "resolve with attributes reports fuzzy matching" bash -c "'$BIN' resolve '$T/fz.csv' --out '$T/fz.out' --links '$T/fz.links' --stats '$T/fz.json' 2>&1 | grep -q 'fuzzy: .* records with attributes'"
check "--links: header and one row per link" bash -c "[ \"\$(head -1 '$T/fz.links')\" = 'record_a,record_b,probability,weight,levels' ] && [ \$(tail -n +2 '$T/fz.links' | wc -l) -eq \$(python3 -c \"import json,sys; print(json.load(open(sys.argv[1]))['fuzzy']['links'])\" '$T/fz.json') ]"
check "fuzzy matching lifts F1 above 0.95" bash -c "'$BIN' score --truth '$T/fz.truth' --predicted '$T/fz.out' | awk '/F1/ {exit !(\$NF > 0.95)}'"
printf '{"fuzzy": {"enabled": false}}' > "$T/nofz.json"
"$BIN" resolve "$T/fz.csv" --out "$T/nofz.out" --config "$T/nofz.json" --quiet
check "fuzzy off: F1 falls below 0.8" bash -c "'$BIN' score --truth '$T/fz.truth' --predicted '$T/nofz.out' | awk '/F1/ {exit !(\$NF < 0.8)}'"
shuf --random-source=<(yes) "$T/fz.csv" | awk 'BEGIN {print "record_id,source,email,phone,loyalty_id,device_id,pos_card,first_name,last_name,dob,zip,address,city"} !/^record_id/' > "$T/fzshuf.csv"
"$BIN" resolve "$T/fzshuf.csv" --out "$T/fzshuf.out" --quiet
check "fuzzy: shuffled rows give the same IDs" cmp -s <(sort "$T/fz.out") <(sort "$T/fzshuf.out")
"$BIN" resolve "$T/fz.csv" --out "$T/fzt2.out" --threads 2 --quiet
check "fuzzy: --threads 2 gives the same IDs" cmp -s "$T/fz.out" "$T/fzt2.out"
printf '{"fuzzy": {"blocking_keys": ["last_name~soundex"]}}' > "$T/badfz.json"
must_fail "config: a bad blocking key is named" "unknown transform soundex" "$BIN" resolve "$T/fz.csv" --out "$T/x.out" --config "$T/badfz.json"
printf '{"fuzzy": {"threshold": 1.5}}' > "$T/badfz2.json"
must_fail "config: the fuzzy threshold is checked" "fuzzy threshold must be" "$BIN" resolve "$T/fz.csv" --out "$T/x.out" --config "$T/badfz2.json"
printf 'record_id,email,loyalty_id,first_name,last_name,dob,zip\nweb,ann@x.com,,Ann,Kowalczyk,1980-04-03,10001\npos,,L-1,ANN,Kowalcyzk,03/04/1980,10001\ncc,,l 1,,,,\nsis,,,Beth,Kowalczyk,1983-07-01,10001\n' > "$T/fzex.csv"
check "explain shows a fuzzy link with its score" bash -c "'$BIN' explain '$T/fzex.csv' --why web cc | grep -q '^joined: web ~~\[attributes p=1.000000 .*first_name=exact.*\]~~> pos --\[loyalty_id L1\]--> cc'"
check "explain says why attributes do not link" bash -c "'$BIN' explain '$T/fzex.csv' --why web sis | grep -q 'not joined: attributes p=.*first_name=different'"
check "--state notes that attributes are ignored" bash -c "'$BIN' resolve '$T/fz.csv' --out '$T/fzs.out' --state '$T/fzstate' 2>&1 | grep -q 'attribute columns ignored'"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
