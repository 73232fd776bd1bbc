#!/usr/bin/env bash
# Policy decisions per second on one core: evaluating the Durham 2017 policy over 64 varied
# referrals (divan). Peer: the issue's limit of 1,000,000 decisions per second.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
describe_machine
echo "command: cargo bench -p checkpoint-domain --bench policy"
cargo bench -q -p checkpoint-domain --bench policy 2>&1 | tee /tmp/policy-bench.txt
# divan reports the time for the 64-referral batch; turn the median into decisions per second.
median=$(awk '/evaluate_durham_2017/ {print $(NF-6), $(NF-5)}' /tmp/policy-bench.txt | head -1)
echo "evaluate_durham_2017 median per 64 decisions: $median"
