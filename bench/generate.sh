#!/usr/bin/env bash
# Synthetic data generation rate (`checkpoint demo generate`, crates/synth):
#   1. CSV at scale (default 1,000,000 cases): people.csv, referrals.jsonl, cases.csv,
#      arrests.csv, streamed with flat memory; wall time, cases per second, peak memory.
#   2. Into SQLite and PostgreSQL through the real use cases (authorised, policy-decided,
#      audited, one transaction per step) at a demo size (default 500 cases).
#
# Usage: bench/generate.sh [CSV_CASES] [DB_CASES] [SEED]
# PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server; a scratch database is created there and dropped afterwards. Set it to "" to skip.
# CHECKPOINT_BIN: a prebuilt binary to measure instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

csv_cases=${1:-1000000}
db_cases=${2:-500}
seed=${3:-7}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}

describe_machine
release_binary

scratch=$(mktemp -d)
pg_db=""
cleanup() {
    rm -rf "$scratch"
    if [[ -n "$pg_db" ]]; then psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"; fi
}
trap cleanup EXIT

# Runs a command under /usr/bin/time and prints its output plus wall time and peak memory.
timed() {
    local log="$scratch/time.log"
    echo "+ $*"
    /usr/bin/time -v -o "$log" "$@"
    awk -F': ' '/Elapsed \(wall clock\)/ {print "wall:    " $2}
                /Maximum resident set size/ {printf "peak:    %.0f MiB\n", $2/1024}' "$log"
}

echo
echo "== CSV, $csv_cases cases"
timed "$bin" demo generate --cases "$csv_cases" --seed "$seed" --csv "$scratch/csv" --trial-effect 0.35:0.48
ls -l "$scratch/csv" | awk 'NR > 1 {printf "  %-16s %6.0f MiB\n", $9, $5/1048576}'
wc -l "$scratch/csv"/*.csv "$scratch/csv"/referrals.jsonl | sed 's/^/  /'

echo
echo "== SQLite, $db_cases cases through the use cases"
timed "$bin" --database "sqlite://$scratch/demo.db" demo generate --cases "$db_cases" --seed "$seed" \
    | grep -E 'cases in|created|stopped'
"$bin" --database "sqlite://$scratch/demo.db" audit verify

if [[ -n "$pg_server" ]]; then
    echo
    pg_db="bench_generate_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $pg_db"
    echo "== PostgreSQL $(psql -At "$pg_server" -c 'SHOW server_version') (fsync=$(psql -At "$pg_server" -c 'SHOW fsync'), synchronous_commit=$(psql -At "$pg_server" -c 'SHOW synchronous_commit')), $db_cases cases through the use cases"
    timed "$bin" --database "${pg_server%/*}/$pg_db" demo generate --cases "$db_cases" --seed "$seed" \
        | grep -E 'cases in|created|stopped'
    "$bin" --database "${pg_server%/*}/$pg_db" audit verify
fi
