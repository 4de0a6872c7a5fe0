#!/usr/bin/env bash
# Generated samples of many sizes and settings through every stage, in both modes: each exact
# release must pass its audit and, where Python with pyarrow is at hand (PYTHON, default
# python3), check_exact_release.py against the true counts; each DP release, journalists'
# extract and report must be made.
# Usage: tests/fuzz/protect.sh [FIRST_SEED] [LAST_SEED]   (from the repository's root; about
# ten minutes for the default 61 seeds on 2 cores; work goes to a temporary folder, failures
# are listed).
set -u
first=${1:-200}; last=${2:-260}
target=${CARGO_TARGET_DIR:-$HOME/.cache/safetally-target}
cargo build --release --quiet --bin safetally || exit 1
B="$target/release/safetally"
dir=$(mktemp -d)
"$B" -q keygen --out "$dir/k.key" >/dev/null
n=0; fails=0
fail() { fails=$((fails+1)); echo "FAILED $1 (seed $seed, $persons persons, $orgs organisations, $opts): $(grep -m1 -A1 -i 'error\|problem\|published\|excludes' "$2" | tail -1)"; }
here=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python3}
check=""
if "$PY" -c 'import pyarrow' 2>/dev/null; then check=yes; else echo "($PY has no pyarrow: releases are not checked against the true counts)"; fi
for seed in $(seq "$first" "$last"); do
  persons=$(( (seed * 53) % 700 + 5 )); orgs=$(( seed % 9 + 2 )); noise=$(( seed % 3 + 1 ))
  case $(( seed % 5 )) in
    0) opts="--threshold 10 --protection 4"; thr=10;;
    1) opts="--suppress-zeros"; thr=5;;
    2) opts="--protection 4"; thr=5;;
    3) opts="--threshold 3 --protection 2"; thr=3;;
    *) opts=""; thr=5;;
  esac
  d="$dir/s$seed"
  "$B" -q sample --out "$d/s" --persons $persons --orgs $orgs --seed $seed --noise-scale $noise \
    --duplicate-share 0.3 >/dev/null 2>&1 || { echo "sample failed for seed $seed"; continue; }
  n=$((n+1))
  # shellcheck disable=SC2086
  "$B" -q run "$d/s/submissions" --key "$dir/k.key" --work "$d/w" --mode exact $opts > "$d/exact" 2>&1
  grep -q 'Audit: passed' "$d/exact" || fail "exact" "$d/exact"
  if [ -n "$check" ]; then
    "$PY" "$here/check_exact_release.py" "$d/w" $thr > "$d/check" 2>&1 || fail "exact release check" "$d/check"
  fi
  "$B" -q run "$d/s/submissions" --key "$dir/k.key" --work "$d/dp" --mode dp --ledger "$d/ledger" > "$d/dp.out" 2>&1
  grep -q 'Release .* is in' "$d/dp.out" || fail "dp" "$d/dp.out"
  "$B" -q journalist-extract --work "$d/dp" --ledger "$d/ledger" > "$d/j" 2>&1 || fail "journalist-extract" "$d/j"
  "$B" -q report "$d/dp/06-release-dp" > "$d/r" 2>&1 || fail "report" "$d/r"
  rm -rf "$d/s" "$d/w" "$d/dp"
done
echo "$fails failure(s) over $n samples; outputs in $dir"
[ "$fails" = 0 ]
