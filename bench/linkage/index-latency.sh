#!/usr/bin/env bash
# One new record scored against 1,000,000 indexed people with the incremental API
# (checkpoint_linkage::Index): p50/p90/p99/max latency over 10,000 single-record queries.
#
# Usage: bench/linkage/index-latency.sh [PEOPLE] [QUERIES]
source "$(dirname "$0")/common.sh"
machine
echo "+ cargo build --release -p checkpoint-linkage --example index_latency"
(cd "$root" && cargo build --release -q -p checkpoint-linkage --example index_latency)
run_timed index_latency "$out/index-latency.log" \
    "$root/target/release/examples/index_latency" "${1:-1000000}" "${2:-10000}"
grep -vE '^\s' "$out/index-latency.log" | grep -v 'Command being timed'
