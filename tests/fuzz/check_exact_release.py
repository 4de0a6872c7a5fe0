"""Checks an exact-mode release against the true counts it was made from (a generated sample's
work folder, where WORK/04-aggregate holds them): every published count equals its true count,
no count of 1 to THRESHOLD-1 persons is published, and every hidden cell's published range
(hidden_range_low/high) contains its true count.
usage: python check_exact_release.py WORK [THRESHOLD]   (needs pyarrow; exit code 1 on a problem)
"""
import csv, glob, os, sys
import pyarrow.parquet as pq

work = sys.argv[1]
threshold = int(sys.argv[2]) if len(sys.argv) > 2 else 5
problems, cells = 0, 0
for f in sorted(glob.glob(os.path.join(work, '06-release', 'tables', 'T*.csv'))):
    tid = os.path.basename(f)[:-4]
    if tid.startswith('T22'):
        continue
    with open(f, encoding='utf-8-sig') as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0].keys())
    dims = [h for h in header[:header.index('persons')] if not h.endswith(('_sv', '_en'))]
    truth = {tuple(str(x[d]) for d in dims): x['persons']
             for x in pq.read_table(os.path.join(work, '04-aggregate', tid + '.parquet')).to_pylist()}
    for r in rows:
        key = tuple(r[d] for d in dims)
        true = truth[key]
        cells += 1
        if r['persons'] != '..':
            shown = int(r['persons'])
            if shown != true:
                print(f'{tid} {key}: published {shown}, true {true}'); problems += 1
            if 0 < shown < threshold:
                print(f'{tid} {key}: a small count ({shown}) is published'); problems += 1
        else:
            low, high = int(r['hidden_range_low']), r['hidden_range_high']
            if true < low or (high not in ('', '..') and true > int(high)):
                print(f'{tid} {key}: hidden range {low}..{high} excludes the true count'); problems += 1
print(f'{work}: {cells} cells, {problems} problem(s)')
sys.exit(1 if problems else 0)
