#!/usr/bin/env python3
"""Best recall any identifier-based engine can reach on generated data.

Links only records of the same true person (from the truth file) that share an identifier
value (roughly normalized), then counts the true pairs so joined. Usage:
    recall_bound.py records.csv truth.csv
"""
import csv, collections, re, sys
rec_path, truth_path = sys.argv[1], sys.argv[2]
truth = {r['record_id']: r['true_entity_id'] for r in csv.DictReader(open(truth_path))}
def norm(col, v):
    v = v.strip()
    if not v: return None
    if col == 'email': return v.lower()
    if col == 'phone':
        d = re.sub(r'\D', '', v)
        if len(d) == 11 and d[0] == '1': d = d[1:]
        return d
    if col == 'device_id': return re.sub(r'[{}\-]', '', v.lower())
    return re.sub(r'[ \-]', '', v.upper())
parent = {}
def find(x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]; x = parent[x]
    return x
first = {}
for r in csv.DictReader(open(rec_path)):
    k = r['record_id']; p = truth[k]; parent.setdefault(k, k)
    for col in ('email', 'phone', 'loyalty_id', 'device_id', 'pos_card'):
        v = norm(col, r[col])
        if v is None: continue
        key = (p, col, v)   # only records of the same true person link
        if key in first:
            a, b = find(k), find(first[key])
            if a != b: parent[a] = b
        else:
            first[key] = k
comp = collections.Counter(find(k) for k in parent)
person = collections.Counter(truth.values())
pairs = lambda n: n * (n - 1) // 2
reachable = sum(pairs(n) for n in comp.values()); total = sum(pairs(n) for n in person.values())
print(f"true pairs {total}, pairs joined by a shared identifier {reachable}, best possible recall {reachable/total:.4f}")
