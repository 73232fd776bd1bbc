#!/usr/bin/env bash
# Case writes per second (case + first event + audit row, one transaction each) against the
# bare database (one plain INSERT per transaction), on SQLite and PostgreSQL, in one run.
#
# Usage: bench/case-writes.sh [COUNT] [ROUNDS]
# PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server; a scratch database is created there and dropped afterwards. Set it to "" to skip.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

count=${1:-2000}
rounds=${2:-3}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}

describe_machine
cargo build --release -q -p checkpoint-store --example case_write_bench
bin=target/release/examples/case_write_bench

scratch=$(mktemp -d)
urls=("sqlite://$scratch/bench.db")
pg_db=""
if [[ -n "$pg_server" ]]; then
    pg_db="bench_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $pg_db"
    urls+=("${pg_server%/*}/$pg_db")
    echo "postgres: $(psql -At "$pg_server" -c 'SHOW server_version'), fsync=$(psql -At "$pg_server" -c 'SHOW fsync'), synchronous_commit=$(psql -At "$pg_server" -c 'SHOW synchronous_commit')"
fi
cleanup() {
    rm -rf "$scratch"
    if [[ -n "$pg_db" ]]; then psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"; fi
}
trap cleanup EXIT

echo "command: $bin --count $count --rounds $rounds ${urls[*]}"
"$bin" --count "$count" --rounds "$rounds" "${urls[@]}"
