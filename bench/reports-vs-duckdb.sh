#!/usr/bin/env bash
# `checkpoint report all` on SQLite and PostgreSQL against the same aggregates in DuckDB over
# the Parquet extract of the same cases (bench/reports/duckdb_reports.py), in one run.
#
#   1. A synthetic database. Either given (--sqlite URL, --postgres URL: used as they are, e.g.
#      a 1,000,000-case database), or made here: `checkpoint demo generate --cases N
#      --trial-effect 0.35:0.48 --arrest-feed` into SQLite (the bulk path above 5,000 cases,
#      the use cases below; a trial in the first two years; then the run's arrest feed
#      imported through the real import, so monitoring records the reoffending events the
#      report reads). PostgreSQL gets the same data by `checkpoint backup` +
#      `checkpoint restore` into a scratch database, then VACUUM ANALYZE (a live database has
#      planner statistics and a visibility map; a restored one has neither until autovacuum).
#   2. `checkpoint report all --format json` on each backend, best of REPEATS (wall time of the
#      whole process: connect, migrate check, sign in, bringing the reports' read model up to
#      date, reading it, every report with suppression, the audit row, JSON out). Before that,
#      one `checkpoint report funnel` is timed on its own: it derives the read-model rows of
#      every case marked stale (all of them in a database written before migration 0010,
#      0011 or 0012, or restored), which a database in use does a few cases at a time.
#   3. `checkpoint export cases --format parquet` from SQLite, then DuckDB (PyPI `duckdb` in a
#      virtualenv under bench/out/) over that file, best of REPEATS.
#   4. With --explain, the plans of the reporting reads on both backends
#      (bench/reports/reporting-queries.sql).
#
# Usage: bench/reports-vs-duckdb.sh [--cases N] [--seed S] [--repeats R]
#            [--sqlite URL] [--postgres URL] [--no-postgres] [--no-feed] [--explain]
#   --cases N        cases to generate when no --sqlite database exists yet (default 2000)
#   --sqlite URL     sqlite://PATH: use this database if PATH exists, else generate into it
#                    (default: a fresh database under bench/out/)
#   --postgres URL   use this PostgreSQL database as it is if it has cases; if it is empty,
#                    restore the SQLite data into it (default: a scratch database on
#                    BENCH_POSTGRES_SERVER, postgres://postgres@127.0.0.1:5432/postgres, dropped
#                    at the end)
#   --no-feed        generate without the arrest feed (no reoffending events)
# The database must hold the demo accounts (user demo.analyst, password checkpoint-demo) or
# set BENCH_USER and CHECKPOINT_PASSWORD. CHECKPOINT_BIN: a prebuilt binary.
# Positional CASES SEED REPEATS are still accepted (the old usage).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

cases=2000
seed=7
repeats=3
sqlite_url=""
pg_url=""
use_pg=1
feed=1
explain=0
positional=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cases) cases=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --repeats) repeats=$2; shift 2 ;;
        --sqlite) sqlite_url=$2; shift 2 ;;
        --postgres) pg_url=$2; shift 2 ;;
        --no-postgres) use_pg=0; shift ;;
        --no-feed) feed=0; shift ;;
        --explain) explain=1; shift ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) positional+=("$1"); shift ;;
    esac
done
if [[ ${#positional[@]} -gt 0 ]]; then cases=${positional[0]}; fi
if [[ ${#positional[@]} -gt 1 ]]; then seed=${positional[1]}; fi
if [[ ${#positional[@]} -gt 2 ]]; then repeats=${positional[2]}; fi
pg_server=${BENCH_POSTGRES_SERVER:-postgres://postgres@127.0.0.1:5432/postgres}
export CHECKPOINT_PASSWORD=${CHECKPOINT_PASSWORD:-checkpoint-demo}   # demo accounts (synthetic)
user=${BENCH_USER:-demo.analyst}

describe_machine
release_binary

mkdir -p bench/out
out=$(mktemp -d bench/out/reports.XXXXXX)
scratch_db=""
cleanup() {
    if [[ -n "$scratch_db" ]]; then psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $scratch_db WITH (FORCE)" || true; fi
}
trap cleanup EXIT

# Best wall time of `repeats` runs of a command, in seconds, and the least CPU time (user +
# system) of those runs: on a machine shared with other work, CPU time is the steadier figure.
best_of() {
    local best="" cpu_best="" timing
    timing=$(mktemp)
    for _ in $(seq "$repeats"); do
        local start end t cpu
        start=$(date +%s.%N)
        /usr/bin/time -f '%U %S' -o "$timing" "$@" >/dev/null
        end=$(date +%s.%N)
        t=$(echo "$end - $start" | bc -l)
        cpu=$(awk '{print $1 + $2}' "$timing")
        if [[ -z "$best" ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
        if [[ -z "$cpu_best" ]] || (( $(echo "$cpu < $cpu_best" | bc -l) )); then cpu_best=$cpu; fi
    done
    rm -f "$timing"
    printf '%.3f %.2f\n' "$best" "$cpu_best"
}

if [[ -z "$sqlite_url" ]]; then sqlite_url="sqlite://$out/bench.db"; fi
sqlite_path=${sqlite_url#sqlite://}
if [[ ! -e "$sqlite_path" ]]; then
    generate=(demo generate --cases "$cases" --seed "$seed" --trial-effect 0.35:0.48)
    if [[ $feed -eq 1 ]]; then generate+=(--arrest-feed); fi
    echo "+ checkpoint --database $sqlite_url ${generate[*]}"
    start=$(date +%s)
    "$bin" --database "$sqlite_url" "${generate[@]}" | grep -E 'cases (created|in)|linked|reoffending' || true
    echo "  generation took $(( $(date +%s) - start )) s"
else
    echo "using the existing SQLite database $sqlite_path"
fi
count_sqlite() { sqlite3 "$sqlite_path" "SELECT count(*) FROM $1"; }
n_cases=$(count_sqlite cases)
echo "SQLite: $n_cases cases, $(count_sqlite case_events) events, $(count_sqlite trial_allocations) randomised, $(count_sqlite reoffending_events) reoffending events"

report=("report" "all" "--user" "$user" "--format" "json")
# The one-off derivation of the read model's stale rows, timed apart from the report.
first_report() {
    local stale=$1 url=$2 start
    echo "+ checkpoint --database $url report funnel (first report: $stale cases marked stale in the read model)"
    start=$(date +%s.%N)
    "$bin" --database "$url" report funnel --user "$user" --format json >/dev/null
    printf '  took %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc -l)"
}
first_report "$(sqlite3 "$sqlite_path" "SELECT count(*) FROM report_stale_cases" 2>/dev/null || echo "all ($n_cases; before migration 0010)")" "$sqlite_url"
echo "+ checkpoint --database $sqlite_url ${report[*]}"
read -r t_sqlite cpu_sqlite < <(best_of "$bin" --database "$sqlite_url" "${report[@]}")
echo "  SQLite: best of $repeats: $t_sqlite s (CPU $cpu_sqlite s)"

t_pg=""
if [[ $use_pg -eq 1 ]]; then
    if [[ -z "$pg_url" ]]; then
        scratch_db="bench_reports_$$"
        psql -q "$pg_server" -c "CREATE DATABASE $scratch_db"
        pg_url="${pg_server%/*}/$scratch_db"
    fi
    pg_cases=$(psql -qtA "$pg_url" -c "SELECT count(*) FROM cases" 2>/dev/null || echo 0)
    if [[ "$pg_cases" == "0" ]]; then
        echo "+ checkpoint backup (SQLite) + checkpoint restore into $pg_url"
        "$bin" --database "$sqlite_url" backup "$out/bench.checkpoint-dump" >/dev/null
        "$bin" --database "$pg_url" restore "$out/bench.checkpoint-dump" >/dev/null
        psql -q "$pg_url" -c "VACUUM ANALYZE"
    else
        echo "using the existing PostgreSQL database ($pg_cases cases)"
    fi
    first_report "$(psql -qtA "$pg_url" -c "SELECT count(*) FROM report_stale_cases" 2>/dev/null || echo "all ($pg_cases; before migration 0010)")" "$pg_url"
    echo "+ checkpoint --database $pg_url ${report[*]}"
    read -r t_pg cpu_pg < <(best_of "$bin" --database "$pg_url" "${report[@]}")
    echo "  PostgreSQL: best of $repeats: $t_pg s (CPU in the checkpoint process $cpu_pg s; the server's is not counted)"
fi

if [[ $explain -eq 1 ]]; then
    echo "+ EXPLAIN QUERY PLAN (SQLite), bench/reports/reporting-queries.sql"
    awk '/^-- QUERY / {print "SELECT '"'"'--- " $3 "'"'"';"; print "EXPLAIN QUERY PLAN"; next} {print}' \
        bench/reports/reporting-queries.sql | sqlite3 "$sqlite_path" || true
    if [[ -n "$pg_url" ]]; then
        echo "+ EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL)"
        awk '/^-- QUERY / {print "\\echo --- " $3; print "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)"; next} {print}' \
            bench/reports/reporting-queries.sql | psql -q "$pg_url" || true
    fi
fi

head -c 48 /dev/urandom | base64 >"$out/export.key"
export_cmd=("export" "cases" "--user" "$user" "--key-file" "$out/export.key" "--format" "parquet"
    "--out" "$out/cases.parquet" "--justification" "benchmark: reports vs DuckDB on synthetic data")
echo "+ checkpoint --database $sqlite_url ${export_cmd[*]}"
read -r t_export cpu_export < <(best_of "$bin" --database "$sqlite_url" "${export_cmd[@]}")
echo "  Parquet export (SQLite): best of $repeats: $t_export s (CPU $cpu_export s), $(du -h "$out/cases.parquet" | cut -f1)"

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
echo "  checkpoint report all, SQLite:     $t_sqlite s ($(echo "$t_sqlite / $t_duck" | bc -l | xargs printf '%.1f')x DuckDB; CPU $cpu_sqlite s)"
if [[ -n "$t_pg" ]]; then
    echo "  checkpoint report all, PostgreSQL: $t_pg s ($(echo "$t_pg / $t_duck" | bc -l | xargs printf '%.1f')x DuckDB; client CPU $cpu_pg s)"
fi
echo "  DuckDB over Parquet:               $t_duck s"
