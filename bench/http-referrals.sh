#!/usr/bin/env bash
# Referrals per second over HTTP: `checkpoint serve` (release build) on loopback, driven by wrk
# against POST /api/v1/referrals (a different person each time, see http-referrals.lua), on a
# temporary SQLite database and then on a fresh PostgreSQL database. Each referral is the
# whole use case: session lookup, duplicate check, person + referral + case + advice + audit
# rows in one transaction, and the decision with every criterion in the response.
#
# Usage: bench/http-referrals.sh [SECONDS] [THREADS] [CONNECTIONS]   (default 20 2 16)
# PostgreSQL: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server; a scratch database is created there and dropped afterwards. Set it to "" to skip.
# CHECKPOINT_BIN=PATH measures a prebuilt binary instead of building one.
# Needs wrk (Debian package `wrk`; installed with apt-get when missing), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

seconds=${1:-20}
threads=${2:-2}
connections=${3:-16}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}
port=${BENCH_PORT:-18181}
password="bench password, synthetic"

if ! command -v wrk >/dev/null; then
    apt-get install -y -q wrk >/dev/null
fi

describe_machine
echo "wrk:     $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
release_binary

scratch=$(mktemp -d)
server_pid=""
pg_db=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
    if [[ -n "$pg_db" ]]; then psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)"; fi
}
trap cleanup EXIT

urls=("sqlite://$scratch/bench.db")
labels=("SQLite")
if [[ -n "$pg_server" ]]; then
    pg_db="bench_http_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $pg_db"
    urls+=("${pg_server%/*}/$pg_db")
    labels+=("PostgreSQL")
    echo "postgres: $(psql -At "$pg_server" -c 'SHOW server_version'), fsync=$(psql -At "$pg_server" -c 'SHOW fsync'), synchronous_commit=$(psql -At "$pg_server" -c 'SHOW synchronous_commit')"
fi

summary=()
for i in "${!urls[@]}"; do
    url=${urls[$i]}
    label=${labels[$i]}
    echo
    echo "== $label"
    CHECKPOINT_PASSWORD="$password" "$bin" --database "$url" user add bench.custody \
        --role custody_officer >/dev/null
    # Request logs at INFO would cost a line per request; the benchmark measures the API.
    RUST_LOG=warn "$bin" --database "$url" serve --bind "127.0.0.1:$port" &
    server_pid=$!
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/api/openapi.json" -o /dev/null && break
        sleep 0.1
    done
    token=$(curl -sf "http://127.0.0.1:$port/api/v1/sessions" -H 'content-type: application/json' \
        -d "{\"username\":\"bench.custody\",\"password\":\"$password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    command="wrk -t$threads -c$connections -d${seconds}s --latency -s bench/http-referrals.lua http://127.0.0.1:$port/api/v1/referrals"
    echo "command: CHECKPOINT_TOKEN=… $command"
    out=$(CHECKPOINT_TOKEN="$token" $command)
    echo "$out"
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    summary+=("| $label | $rps | $p50 | $p99 | ${non2xx:-0} |")
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
done

echo
echo "| backend | referrals/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
echo
echo "For comparison, bare-database case writes (bench/case-writes.sh, from BENCHMARKS.md):"
awk '/^## Case writes per second/ {on=1} on && /^\| 20/ {print} on && /^Below|^Above|^## / && !/^## Case/ {exit}' BENCHMARKS.md || true
