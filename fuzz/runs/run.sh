#!/bin/sh
# Usage: fuzz/runs/run.sh TARGET [SECONDS [LABEL]]: one bounded run of TARGET, its libFuzzer
# log in fuzz/runs/TARGET[.LABEL].log (logs are not committed; the README has the figures).
set -u
cd "$(dirname "$0")/.."
t=$1; secs=${2:-480}; log=runs/$t${3:+.$3}.log
dict=""; [ -f dict/$t.dict ] && dict="-dict=dict/$t.dict"
start=$(date +%s)
nice -n 10 cargo fuzz run --sanitizer none "$t" -- -max_total_time="$secs" -jobs=1 \
  -timeout=10 -print_final_stats=1 $dict > runs/$t.cargo.log 2>&1
rc=$?
end=$(date +%s)
mv fuzz-0.log "$log" 2>/dev/null
echo "target=$t rc=$rc wall_seconds=$((end - start))" >> "$log"
grep -E "^Done|stat::|panicked|^target=" "$log"
