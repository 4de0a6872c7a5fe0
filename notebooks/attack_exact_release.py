"""An attacker's check of an exact-mode release, independent of the pipeline's own audit.

Reads WORK/06-release/tables/*.csv as any reader can, writes down the relations a reader
knows (every declared total and link of the tables; with the default, also relations the
tables do not declare, such as nested populations), and computes by integer programming
(scipy's MILP) the range of every hidden cell. The true counts in WORK/04-aggregate are read
only to flag hidden small counts that the ranges narrow, never as input.

It mirrors the tables of schemas/ version 1.1.0 by their ids (T01-T21b); a new table needs
its relations written here too. Written by an outside reviewer of the project.

usage: python attack_exact_release.py WORK [RELEASE_DIRNAME] [--primary-knowledge]
       [--primary-inference] [--declared-only]
  --primary-knowledge   a hidden cell outside the line of a hidden total is at least 1
                        (zeros are published there; but the row/column rule can hide a
                        zero to protect another cell, and then this reader is wrong: its
                        range can exclude the true count)
  --primary-inference   a cell hidden alone in all its equations is a small count
  --declared-only       only the relations the tables declare
needs: numpy, scipy, pyarrow (pip install numpy scipy pyarrow)

A line ending "SMALL COUNT NARROWED to N possible values" names a hidden small count the
reader can narrow to N values.
"""
import csv, sys, os, glob, itertools, json
import numpy as np
import pyarrow.parquet as pq
from scipy.optimize import milp, LinearConstraint, Bounds

work = sys.argv[1]
rel = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith('--') else '06-release'
PRIMARY = '--primary-knowledge' in sys.argv   # reader knows hidden cells are >=1 (zeros are published)
THR = 5
tables = {}
for f in sorted(glob.glob(os.path.join(work, rel, 'tables', 'T*.csv'))):
    tid = os.path.basename(f)[:-4]
    if tid.startswith('T22'):
        continue
    with open(f, encoding='utf-8-sig') as fh:
        r = list(csv.DictReader(fh))
    hdr = list(r[0].keys())
    dims = [h for h in hdr[:hdr.index('persons')] if not (h.endswith('_sv') or h.endswith('_en'))]
    cells = {}
    for row in r:
        key = tuple(row[d] for d in dims)
        cells[key] = row
    tables[tid] = (dims, cells)

# truth
truth = {}
for tid in tables:
    p = os.path.join(work, '04-aggregate', tid + '.parquet')
    if os.path.exists(p):
        t = pq.read_table(p).to_pylist()
        dims = tables[tid][0]
        truth[tid] = {tuple(str(x[d]) for d in dims): x['persons'] for x in t}

# variables: every cell; published ones fixed
var = {}
lo, hi = [], []
for tid, (dims, cells) in tables.items():
    for k, row in cells.items():
        var[(tid, k)] = len(var)
        if row['persons'] != '..':
            v = float(row['persons']); lo.append(v); hi.append(v)
        else:
            lo.append(0); hi.append(1e5)
n = len(var)
A, bl, bu = [], [], []

def published_bound(v, unbounded):
    # A hidden grand total has no published upper bound: '..' there means "none".
    return unbounded if v in ('..', '') else int(v)

def add(coefs, l, u):
    row = np.zeros(n)
    for key, c in coefs:
        if key in var:
            row[var[key]] += c
        else:
            return
    A.append(row); bl.append(l); bu.append(u)

def eq(coefs, v=0): add(coefs, v, v)
def le(coefs, v=0): add(coefs, -np.inf, v)   # sum <= v
def ge(coefs, v=0): add(coefs, v, np.inf)

def c(t, *k): return (t, tuple(k))
MULTI = {'T08', 'T13', 'T14', 'T15', 'T18', 'T20', 'T21b'}
for tid, (dims, cells) in tables.items():
    if tid in MULTI:
        codes = [k for k in cells if not k[0].startswith('_')]
        eq([(c(tid, '_total'), 1), (c(tid, '_any'), -1), (c(tid, '_none'), -1)])
        for k in codes:
            le([((tid, k), 1), (c(tid, '_any'), -1)])
        le([(c(tid, '_several'), 1), (c(tid, '_any'), -1)])
        # sum codes >= any + several ; sum codes <= (any - several) + K*several
        if tid != 'T21b':
            ge([((tid, k), 1) for k in codes] + [(c(tid, '_any'), -1), (c(tid, '_several'), -1)])
            K = len(codes)
            le([((tid, k), 1) for k in codes] + [(c(tid, '_any'), -1), (c(tid, '_several'), -(K - 1))])
        continue
    # single valued: every margin
    nd = len(dims)
    for k in cells:
        for i in range(nd):
            if k[i] == '_total':
                members = [kk for kk in cells if kk[i] != '_total' and all(kk[j] == k[j] for j in range(nd) if j != i)]
                eq([((tid, k), 1)] + [((tid, m), -1) for m in members])

# declared cross-table links
tot = lambda t: c(t, *(['_total'] * len(tables[t][0])))
for t in ['T12', 'T16', 'T21a']:
    eq([(tot('T01'), 1), (tot(t), -1)])
for t in ['T04', 'T05', 'T06', 'T07', 'T08']:
    eq([(c('T01', 'direct'), 1), (tot(t), -1)])
eq([(tot('T02'), 1), (tot('T03'), -1)])
for g in [k[0] for k in tables['T06'][1]]:
    eq([(c('T06', g), 1), (c('T07', g, '_total'), -1)])
for f in [k[0] for k in tables['T04'][1]]:
    eq([(c('T04', f), 1), (c('T07', '_total', f), -1)])
region = {}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'schemas', 'countries.csv'), encoding='utf-8') as fh:
    for r in csv.DictReader(fh):
        region[r['alpha2']] = r['region']
for reg in [k[0] for k in tables['T03'][1] if k[0] != '_total']:
    eq([(c('T03', reg), 1)] + [(c('T02', cc), -1) for (cc,) in tables['T02'][1] if region.get(cc) == reg])
eq([(c('T05', 'child'), 1), (c('T11', 'direct', '_total', '_total'), -1)])

UNDECLARED = '--declared-only' not in sys.argv
if UNDECLARED:
    EU = {'AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE','IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES','SE'}
    # T10 (direct, known origin) <= T02 (all known origin)
    le([(c('T10', 'sweden'), 1), (c('T02', 'SE'), -1)])
    le([(c('T10', 'eu'), 1)] + [(c('T02', cc), -1) for (cc,) in tables['T02'][1] if cc in EU and cc != 'SE'])
    le([(c('T10', 'outside_eu'), 1)] + [(c('T02', cc), -1) for (cc,) in tables['T02'][1] if cc not in EU and not cc.startswith('_')])
    le([(tot('T10'), 1), (c('T01', 'direct'), -1)])
    # T09 subset of T10 / T04 / T08-SE
    for o in ['sweden', 'eu', 'outside_eu']:
        le([(c('T09', '_total', o), 1), (c('T10', o), -1)])
    for (f,) in tables['T04'][1]:
        le([(c('T09', f, '_total'), 1), (c('T04', f), -1)])
        for g in ['yes', 'no', 'unknown', 'not_answered', '_total']:
            pass
        le([(c('T11', 'direct', f, '_total'), 1), (c('T04', f), -1)])
    le([(tot('T09'), 1), (c('T08', 'SE'), -1)])
    le([(c('T11', 'direct', '_total', 'yes'), 1), (c('T08', 'SE'), -1)])
    # T11 (children, any contact kind): indirect children <= T01 indirect
    le([(c('T11', 'indirect', '_total', '_total'), 1), (c('T01', 'indirect'), -1)])
    # T17 (direct answered) ; T18 (police yes, all) ; T19 subset of T18
    le([(tot('T17'), 1), (c('T01', 'direct'), -1)])
    le([(c('T17', 'yes'), 1), (c('T18', '_total'), -1)])
    le([(tot('T19'), 1), (c('T18', '_total'), -1)])
    # A wider population at most the narrower one plus the persons between: T02's known
    # countries are T10's directly affected plus indirectly affected persons; T18's reports
    # T17's directly affected plus indirectly affected persons with a report.
    le([(tot('T02'), 1), (tot('T10'), -1), (c('T01', 'indirect'), -1)])
    le([(c('T18', '_total'), 1), (c('T17', 'yes'), -1), (c('T01', 'indirect'), -1)])
    # T21a / T21b: sum of diagonal = sum_k k n_k ; sum offdiag = sum_k C(k,2) n_k
    diag = [(('T21b', k), 1) for k in tables['T21b'][1] if '|' in k[0] and k[0].split('|')[0] == k[0].split('|')[1]]
    off = [(('T21b', k), 1) for k in tables['T21b'][1] if '|' in k[0] and k[0].split('|')[0] != k[0].split('|')[1]]
    norgs = len(diag)
    ge(diag + [(c('T21a', '1'), -1), (c('T21a', '2'), -2), (c('T21a', '3+'), -3)])
    le(diag + [(c('T21a', '1'), -1), (c('T21a', '2'), -2), (c('T21a', '3+'), -norgs)])
    ge(off + [(c('T21a', '2'), -1), (c('T21a', '3+'), -3)])
    le(off + [(c('T21a', '2'), -1), (c('T21a', '3+'), -(norgs * (norgs - 1) // 2))])
    for k in tables['T21b'][1]:
        if '|' in k[0]:
            a, b = k[0].split('|')
            if a != b:
                le([(('T21b', k), 1), (c('T21b', f'{a}|{a}'), -1)])
                le([(('T21b', k), 1), (c('T21b', f'{b}|{b}'), -1)])
    eq([(c('T21b', '_any'), 1), (tot('T01'), -1)])

if PRIMARY:
    # zeros are published: a hidden cell is >= 1 unless in the line of a hidden total
    for (tid, k), i in var.items():
        if tables[tid][1][k]['persons'] == '..' and lo[i] == 0 and published_bound(tables[tid][1][k]['hidden_range_high'], 100000) > 0 and '_' not in ''.join(x[:1] for x in k):
            cells = tables[tid][1]
            lines = []
            for j in range(len(k)):
                kk = list(k); kk[j] = '_total'; lines.append(tuple(kk))
            # A country's region in T03 is a total of its line too (since version 0.5.1 the
            # zeros of a hidden small region are hidden with its countries).
            linked = tid == 'T02' and tables['T03'][1].get((region.get(k[0]),), {'persons': '0'})['persons'] == '..'
            if tid in MULTI or (not linked and all(cells.get(l, {'persons': '0'})['persons'] != '..' for l in lines)):
                lo[i] = 1

A = np.array(A)
if '--primary-inference' in sys.argv:
    hid = set(i for key, i in var.items() if tables[key[0]][1][key[1]]['persons'] == '..')
    eqrows = [r for r, l, u in zip(A, bl, bu) if l == u]
    for key, i in var.items():
        if i not in hid: continue
        alone = True
        for r in eqrows:
            if r[i] != 0 and any(r[j] != 0 for j in hid if j != i):
                alone = False; break
        if alone:
            print('known primary (no other hidden cell in any of its equations):', key, 'published range', tables[key[0]][1][key[1]]['hidden_range_low'], tables[key[0]][1][key[1]]['hidden_range_high'])
            lo[i] = max(lo[i], 1); hi[i] = min(hi[i], THR - 1)
cons = LinearConstraint(A, bl, bu)
bounds = Bounds(lo, hi)
integ = np.ones(n)
hidden = [(key, i) for key, i in var.items() if tables[key[0]][1][key[1]]['persons'] == '..']
print(f'{len(var)} cells, {len(hidden)} hidden, {len(A)} relations')
findings = []
for (tid, k), i in hidden:
    obj = np.zeros(n); obj[i] = 1
    r1 = milp(obj, constraints=cons, bounds=bounds, integrality=integ)
    r2 = milp(-obj, constraints=cons, bounds=bounds, integrality=integ)
    if not (r1.success and r2.success):
        print('infeasible?', tid, k, r1.message); continue
    l, h = round(r1.fun), round(-r2.fun)
    row = tables[tid][1][k]
    pl, ph = published_bound(row['hidden_range_low'], 0), published_bound(row['hidden_range_high'], 100000)
    tv = truth.get(tid, {}).get(k)
    small = tv is not None and 1 <= tv < THR
    flag = ''
    if (l, h) != (pl, ph):
        flag += ' NARROWER-THAN-PUBLISHED' if (h - l) < (ph - pl) else ' differs'
    if small and h - l < THR:
        flag += f' <-- SMALL COUNT NARROWED to {h-l+1} possible values'
    if small and h < THR and l >= 1:
        flag += f' (reader knows {max(l,1)}..{min(h,THR-1)})'
    if flag:
        findings.append((tid, k, tv, pl, ph, l, h, flag))
for f in findings:
    print(*f)
print('done')
