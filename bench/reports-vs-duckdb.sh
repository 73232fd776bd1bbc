#!/usr/bin/env bash
# `checkpoint report all` on SQLite and PostgreSQL against the same aggregates in DuckDB over
# the Parquet extract of the same cases (bench/reports/duckdb_reports.py), in one run.
#
#   1. A synthetic database: `checkpoint demo generate` into SQLite (the use-case path: every
#      case decided by the policy engine and audited, so it runs at demo sizes), copied into
#      PostgreSQL with `checkpoint backup` + `checkpoint restore`.
#   2. `checkpoint report all --format json` on each backend, best of REPEATS (wall time of the
#      whole process: connect, sign in, three set-based queries, reports, audit row, output).
#   3. `checkpoint export cases --format parquet`, then DuckDB (PyPI `duckdb` in a virtualenv
#      under bench/out/) over that file, best of REPEATS.
#
# Usage: bench/reports-vs-duckdb.sh [CASES] [SEED] [REPEATS]
# BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a server; a
# scratch database is created and dropped. Set it to "" to skip PostgreSQL.
# CHECKPOINT_BIN: a prebuilt binary instead of `cargo build --release`.
# BENCH_DB: reuse this SQLite database instead of generating one.
set -euo pipefail
cd "$(dirname "$0")/.."

cases=${1:-2000}
seed=${2:-7}
repeats=${3:-3}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}
export CHECKPOINT_PASSWORD=checkpoint-demo   # the demo accounts' password (synthetic data)
user=demo.analyst

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "kernel:  $(uname -sr)"
bin=${CHECKPOINT_BIN:-target/release/checkpoint}
if [[ -z "${CHECKPOINT_BIN:-}" ]]; then
    echo "+ cargo build --release -p checkpoint-cli"
    cargo build --release -q -p checkpoint-cli
fi
echo "binary:  $bin ($(git log -1 --format='%h %cs' 2>/dev/null || echo 'unknown commit'))"

mkdir -p bench/out
out=$(mktemp -d bench/out/reports.XXXXXX)
pg_db=""
cleanup() {
    if [[ -n "$pg_db" ]]; then psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true; fi
}
trap cleanup EXIT

# Best wall time of `repeats` runs of a command, in seconds.
best_of() {
    local best=""
    for _ in $(seq "$repeats"); do
        local start end t
        start=$(date +%s.%N)
        "$@" >/dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
    done
    printf '%.3f' "$best"
}

sqlite_db=${BENCH_DB:-$out/bench.db}
if [[ -z "${BENCH_DB:-}" ]]; then
    echo "+ checkpoint --database sqlite://$sqlite_db demo generate --cases $cases --seed $seed --trial-effect 0.35:0.48"
    start=$(date +%s)
    "$bin" --database "sqlite://$sqlite_db" demo generate --cases "$cases" --seed "$seed" --trial-effect 0.35:0.48 \
        | grep -E 'cases (created|in)' || true
    echo "  generation took $(( $(date +%s) - start )) s"
fi
sqlite_url="sqlite://$sqlite_db"
n_cases=$(sqlite3 "$sqlite_db" 'SELECT count(*) FROM cases' 2>/dev/null || echo "$cases")
echo "cases in the database: $n_cases"

report=("report" "all" "--user" "$user" "--format" "json")
echo "+ checkpoint --database $sqlite_url ${report[*]}"
t_sqlite=$(best_of "$bin" --database "$sqlite_url" "${report[@]}")
echo "  SQLite: best of $repeats: $t_sqlite s"

t_pg=""
if [[ -n "$pg_server" ]]; then
    pg_db="bench_reports_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $pg_db"
    pg_url="${pg_server%/*}/$pg_db"
    "$bin" --database "$sqlite_url" backup "$out/bench.checkpoint-dump" >/dev/null
    "$bin" --database "$pg_url" restore "$out/bench.checkpoint-dump" >/dev/null
    # A restored database has no planner statistics until autovacuum gets to it; a live one
    # has them. Without this the report's joins are planned for 200-row tables (4x slower).
    psql -q "$pg_url" -c ANALYZE
    echo "+ checkpoint --database $pg_url ${report[*]}"
    t_pg=$(best_of "$bin" --database "$pg_url" "${report[@]}")
    echo "  PostgreSQL: best of $repeats: $t_pg s"
fi

head -c 48 /dev/urandom | base64 >"$out/export.key"
export_cmd=("export" "cases" "--user" "$user" "--key-file" "$out/export.key" "--format" "parquet"
    "--out" "$out/cases.parquet" "--justification" "benchmark: reports vs DuckDB on synthetic data")
echo "+ checkpoint --database $sqlite_url ${export_cmd[*]}"
t_export=$(best_of "$bin" --database "$sqlite_url" "${export_cmd[@]}")
echo "  Parquet export (SQLite): best of $repeats: $t_export s, $(du -h "$out/cases.parquet" | cut -f1)"

venv=bench/out/venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q duckdb
fi
# "Today" for follow-up windows: the same clock the report used.
today=$(date -u +%F)
echo "+ python bench/reports/duckdb_reports.py $out/cases.parquet $today $repeats"
duck=$("$venv/bin/python" bench/reports/duckdb_reports.py "$out/cases.parquet" "$today" "$repeats")
echo "  $duck"
t_duck=$(echo "$duck" | sed -E 's/.*: ([0-9.]+) s$/\1/')

echo
echo "summary ($n_cases cases):"
echo "  checkpoint report all, SQLite:     $t_sqlite s ($(echo "$t_sqlite / $t_duck" | bc -l | xargs printf '%.1f')x DuckDB)"
if [[ -n "$t_pg" ]]; then
    echo "  checkpoint report all, PostgreSQL: $t_pg s ($(echo "$t_pg / $t_duck" | bc -l | xargs printf '%.1f')x DuckDB)"
fi
echo "  DuckDB over Parquet:               $t_duck s"
