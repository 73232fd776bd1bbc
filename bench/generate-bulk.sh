#!/usr/bin/env bash
# Generation rate at scale: `checkpoint demo generate --cases N --seed S --bulk` into SQLite and
# into PostgreSQL (the bulk path: every step checked as its use case checks it, rows written in
# batches of 2,000 cases, one transaction and one audit row each), against its peer in the same
# run, the CSV writer (the same generator and cases, no database, no policy evaluation).
# Prints wall time, cases per second, peak memory, rows and size, then `audit verify`.
#
# Usage: bench/generate-bulk.sh [CASES] [SEED]   (default 1000000 7)
# PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server; a scratch database is created there and dropped afterwards. Set it to "" to skip.
# BENCH_KEEP_DIR=DIR keeps the databases for bench/page-latency.sh: DIR/bulk.db, and the
# PostgreSQL database bench_bulk_keep (replaced if it exists).
# BENCH_BACKENDS: which databases to fill (default "sqlite postgres").
# CHECKPOINT_BIN: a prebuilt binary to measure instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

cases=${1:-1000000}
seed=${2:-7}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}
keep=${BENCH_KEEP_DIR:-}
backends=${BENCH_BACKENDS:-sqlite postgres}

describe_machine
release_binary

scratch=$(mktemp -d)
pg_db=""
cleanup() {
    rm -rf "$scratch"
    if [[ -n "$pg_db" && -z "$keep" ]]; then
        psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"
    fi
}
trap cleanup EXIT

# Runs a command under /usr/bin/time; prints its last lines, wall time and peak memory.
timed() {
    local log="$scratch/time.log"
    echo "+ $*"
    /usr/bin/time -v -o "$log" "$@" | grep -E 'cases in|wrote|stopped|Arrest feed' || true
    awk -F': ' '/Elapsed \(wall clock\)/ {print "wall:    " $2}
                /Maximum resident set size/ {printf "peak:    %.0f MiB\n", $2/1024}' "$log"
}

echo
echo "== peer: CSV, $cases cases"
timed "$bin" demo generate --cases "$cases" --seed "$seed" --csv "$scratch/csv"
rm -rf "$scratch/csv"

db_dir=${keep:-$scratch}
if [[ " $backends " == *" sqlite "* ]]; then
    echo
    mkdir -p "$db_dir"
    rm -f "$db_dir/bulk.db" "$db_dir/bulk.db-wal" "$db_dir/bulk.db-shm"
    echo "== SQLite (bundled with sqlx; WAL, synchronous=NORMAL), $cases cases, bulk path"
    timed "$bin" --database "sqlite://$db_dir/bulk.db" demo generate --cases "$cases" --seed "$seed" --bulk
    echo "size:    $(du -sh "$db_dir/bulk.db" | cut -f1)"
    echo "+ checkpoint audit verify"
    /usr/bin/time -f 'verify:  %e s' "$bin" --database "sqlite://$db_dir/bulk.db" audit verify
    if command -v sqlite3 >/dev/null; then
        sqlite3 "$db_dir/bulk.db" "SELECT 'rows:    ' || (SELECT COUNT(*) FROM cases) || ' cases, ' || \
            (SELECT COUNT(*) FROM case_events) || ' events, ' || (SELECT COUNT(*) FROM people) || ' people'"
    fi
fi

if [[ -n "$pg_server" && " $backends " == *" postgres "* ]]; then
    echo
    if [[ -n "$keep" ]]; then pg_db="bench_bulk_keep"; else pg_db="bench_bulk_$$"; fi
    psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" -c "CREATE DATABASE $pg_db"
    url="${pg_server%/*}/$pg_db"
    echo "== PostgreSQL $(psql -At "$pg_server" -c 'SHOW server_version') (fsync=$(psql -At "$pg_server" -c 'SHOW fsync'), shared_buffers=$(psql -At "$pg_server" -c 'SHOW shared_buffers'), max_wal_size=$(psql -At "$pg_server" -c 'SHOW max_wal_size')), $cases cases, bulk path"
    timed "$bin" --database "$url" demo generate --cases "$cases" --seed "$seed" --bulk
    echo "size:    $(psql -At "$pg_server" -c "SELECT pg_size_pretty(pg_database_size('$pg_db'))")"
    echo "+ checkpoint audit verify"
    /usr/bin/time -f 'verify:  %e s' "$bin" --database "$url" audit verify
    psql -At "$url" -c "SELECT 'rows:    ' || (SELECT COUNT(*) FROM cases) || ' cases, ' || \
        (SELECT COUNT(*) FROM case_events) || ' events, ' || (SELECT COUNT(*) FROM people) || ' people'"
    if [[ -n "$keep" ]]; then echo "kept:    $url"; fi
fi
if [[ -n "$keep" && " $backends " == *" sqlite "* ]]; then echo "kept:    sqlite://$db_dir/bulk.db"; fi
