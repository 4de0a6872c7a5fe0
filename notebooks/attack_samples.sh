#!/usr/bin/env bash
# Runs the outside attacker (attack_exact_release.py) on the five generated samples the README
# quotes: each is made, run through every stage in exact mode under a fresh key and ledger, and
# attacked with --primary-knowledge. Prints, per sample, how many hidden small counts the
# attacker narrowed to 1 or 2 possible values (the audit claims none) and to 3 or 4; exits 1
# if any was narrowed to 1 or 2 or a run failed.
#
# usage: notebooks/attack_samples.sh [DIR]     (DIR defaults to a new temporary folder)
# env:   SAFETALLY  the binary (default: target/release/safetally, or $CARGO_TARGET_DIR's)
#        PYTHON     a python with numpy, scipy and pyarrow (default: python3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=${SAFETALLY:-${CARGO_TARGET_DIR:-$root/target}/release/safetally}
py=${PYTHON:-python3}
dir=${1:-$(mktemp -d)}
[ -x "$bin" ] || { echo "no safetally binary at $bin: run \`cargo build --release\` or set SAFETALLY" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
[ -f attack.key ] || "$bin" keygen --out attack.key --quiet >/dev/null

failed=0
# persons, seed, organisations
for spec in "400 33 25" "400 34 25" "100 5 4" "60 1 4" "40 9 4"; do
    read -r n s o <<<"$spec"
    name=s$n-$s
    rm -rf "$name" "w$name" "L$name"
    "$bin" sample --out "$name" --persons "$n" --seed "$s" --orgs "$o" --quiet >/dev/null
    if ! "$bin" run "$name/submissions" --key attack.key --work "w$name" --ledger "L$name" --quiet \
        >"$name.log" 2>&1; then
        echo "$name: the pipeline failed, see $dir/$name.log" >&2
        failed=1
        continue
    fi
    "$py" "$here/attack_exact_release.py" "w$name" --primary-knowledge >"attack-$name.txt"
    narrowed=$(grep -c "NARROWED to [12] " "attack-$name.txt" || true)
    some=$(grep -c "NARROWED to [34] " "attack-$name.txt" || true)
    echo "$name ($o organisations): hidden small counts narrowed to 1 or 2 values: $narrowed; to 3 or 4: $some"
    [ "$narrowed" -eq 0 ] || failed=1
done
echo "outputs in $dir"
exit $failed
