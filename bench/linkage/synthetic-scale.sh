#!/usr/bin/env bash
# 100,000 people × 400,000 arrests (UK-style, realistic errors; deterministic generator in
# crates/linkage/examples/synthetic.rs): wall time, peak memory and accuracy of
# `checkpoint link` and of Splink (DuckDB) with the same comparisons and blocking.
#
# Usage: bench/linkage/synthetic-scale.sh [PEOPLE] [ARRESTS] [SEED]
source "$(dirname "$0")/common.sh"
people="${1:-100000}"
arrests="${2:-400000}"
seed="${3:-7}"
machine
ensure_venv
ensure_checkpoint

data="$out/synthetic"
echo "+ cargo run --release -p checkpoint-linkage --example synthetic -- $people $arrests $seed $data"
(cd "$root" && cargo run --release -q -p checkpoint-linkage --example synthetic -- "$people" "$arrests" "$seed" "$data")

echo
echo "== checkpoint link"
run_timed checkpoint "$out/synthetic-checkpoint.log" \
    "$checkpoint" link --settings "$root/crates/linkage/tests/data/synthetic.toml" \
    --left "$data/people.csv" --right "$data/arrests.csv" --out "$out/synthetic-pairs.csv" \
    --threshold 0.9 --truth person_id
grep -E '^(records|model|candidate|truth|true positives|precision|time)' "$out/synthetic-checkpoint.log"

echo
echo "== Splink (bounded to 30 minutes)"
run_timed splink "$out/synthetic-splink.log" timeout 1800 \
    "$venv/bin/python" "$root/bench/linkage/splink_synthetic.py" "$data/people.csv" "$data/arrests.csv"
grep -E '^(precision|recall|f1|time_[a-z]+_s):' "$out/synthetic-splink.log"

echo
echo "== summary"
for tool in checkpoint splink; do
    log="$out/synthetic-$tool.log"
    printf '%-11s wall %-9s peak %s\n' "$tool" \
        "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")" \
        "$(awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2/1024}' "$log")"
done
s_wall=$(seconds "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/synthetic-splink.log")")
c_wall=$(seconds "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/synthetic-checkpoint.log")")
awk -v s="$s_wall" -v c="$c_wall" 'BEGIN { printf "speed-up: %.1fx\n", s / c }'
