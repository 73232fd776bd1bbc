#!/usr/bin/env bash
# FEBRL4 (5,000 × 5,000 records, 5,000 true links): `checkpoint link` against Splink (DuckDB),
# same comparisons, blocking and threshold, in the same run. Prints precision, recall, F1 and
# wall time for both. Needs PyPI (first run installs Splink into bench/out/venv).
#
# Usage: bench/linkage/febrl4-vs-splink.sh   [CHECKPOINT_BIN=path to a built `checkpoint`]
source "$(dirname "$0")/common.sh"
machine
ensure_venv
ensure_checkpoint

data="$out/febrl"
mkdir -p "$data"
for f in febrl4a febrl4b; do
    gzip -dc "$root/crates/linkage/tests/data/$f.csv.gz" >"$data/$f.csv"
done

echo
echo "== Splink"
run_timed splink "$out/febrl4-splink.log" \
    "$venv/bin/python" "$root/bench/linkage/splink_febrl4.py" "$data/febrl4a.csv" "$data/febrl4b.csv"
grep -E '^(precision|recall|f1|true_positives|false_positives|false_negatives|time_[a-z]+_s):' "$out/febrl4-splink.log"

echo
echo "== checkpoint link"
run_timed checkpoint "$out/febrl4-checkpoint.log" \
    "$checkpoint" link --settings "$root/crates/linkage/tests/data/febrl.toml" \
    --left "$data/febrl4a.csv" --right "$data/febrl4b.csv" --out "$out/febrl4-pairs.csv" \
    --threshold 0.9 --truth entity_id
grep -E '^(truth|true positives|precision|time)' "$out/febrl4-checkpoint.log"

echo
echo "== summary (wall time of the whole process, Python start-up included for Splink)"
s_wall=$(seconds "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/febrl4-splink.log")")
c_wall=$(seconds "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/febrl4-checkpoint.log")")
s_f1=$(awk -F': ' '/^f1:/ {print $2}' "$out/febrl4-splink.log")
c_f1=$(awk '/^precision/ {print $6}' "$out/febrl4-checkpoint.log")
s_link=$(awk -F': ' '/^time_linkage_s:/ {print $2}' "$out/febrl4-splink.log")
printf '%-12s %8s %10s\n' tool F1 wall_s
printf '%-12s %8s %10s   (linkage alone, no start-up or CSV reading: %ss)\n' splink "$s_f1" "$s_wall" "$s_link"
printf '%-12s %8s %10s\n' checkpoint "$c_f1" "$c_wall"
awk -v s="$s_wall" -v c="$c_wall" 'BEGIN { printf "speed-up: %.1fx\n", s / c }'
