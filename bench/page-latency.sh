#!/usr/bin/env bash
# p50/p99 latency of a navigator's caseload page and of a case page, as HTML and as JSON API,
# with CASES synthetic cases (default 1,000,000) in the database, on SQLite and PostgreSQL.
# Aim: p99 under 50 ms. `checkpoint serve` (release) on loopback, driven by wrk with
# bench/web/pages.lua: signed in once as the navigator with the most open cases (the worst
# caseload), the session token sent as the `checkpoint_session` cookie (HTML) or as a bearer
# token (API); the case pages are that navigator's cases, one picked at random per request.
# Every request is the whole use case: session lookup, authorisation, the reads, and the
# consultation audit row the page writes.
#
# Usage: bench/page-latency.sh [CASES] [SECONDS] [CONNECTIONS]   (default 1000000 30 2)
# Data: generated here with `checkpoint demo generate --bulk --seed 7`, unless
# BENCH_SQLITE_DB=PATH and/or BENCH_PG_URL=URL name databases bench/generate-bulk.sh kept
# (BENCH_KEEP_DIR). BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# names the server for a generated PostgreSQL database; set it to "" to skip PostgreSQL.
# BENCH_BACKENDS: which backends to measure (default "sqlite postgres").
# CHECKPOINT_BIN=PATH measures a prebuilt binary. Needs wrk (Debian package `wrk`; installed
# with apt-get when missing), curl, python3, sqlite3 and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

cases=${1:-1000000}
seconds=${2:-30}
connections=${3:-2}
pg_server=${BENCH_POSTGRES_URL-postgres://postgres@127.0.0.1:5432/postgres}
port=${BENCH_PORT:-18182}
password="checkpoint-demo"
backends=${BENCH_BACKENDS:-sqlite postgres}
open_states="'accepted','needs_assessed','contract_signed','active','non_compliance_review'"

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

urls=()
labels=()
if [[ " $backends " == *" sqlite "* ]]; then
    if [[ -n "${BENCH_SQLITE_DB:-}" ]]; then
        urls+=("sqlite://$BENCH_SQLITE_DB")
    else
        echo "+ checkpoint --database sqlite://… demo generate --cases $cases --seed 7 --bulk"
        "$bin" --database "sqlite://$scratch/pages.db" demo generate --cases "$cases" --seed 7 --bulk | grep 'cases in'
        urls+=("sqlite://$scratch/pages.db")
    fi
    labels+=("SQLite")
fi
if [[ -n "${BENCH_PG_URL:-}" && " $backends " == *" postgres "* ]]; then
    urls+=("$BENCH_PG_URL")
    labels+=("PostgreSQL")
elif [[ -n "$pg_server" && " $backends " == *" postgres "* ]]; then
    pg_db="bench_pages_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $pg_db"
    echo "+ checkpoint --database postgres://… demo generate --cases $cases --seed 7 --bulk"
    "$bin" --database "${pg_server%/*}/$pg_db" demo generate --cases "$cases" --seed 7 --bulk | grep 'cases in'
    urls+=("${pg_server%/*}/$pg_db")
    labels+=("PostgreSQL")
fi

# One SQL answer, either backend.
query() { # url sql
    case "$1" in
        sqlite://*) sqlite3 "${1#sqlite://}" "$2" ;;
        *) psql -At "$1" -c "$2" ;;
    esac
}

# Canonical UUID text from SQLite's 16-byte blobs (hex) or PostgreSQL's uuid.
uuid_of() { # url column
    case "$1" in
        sqlite://*) echo "lower(substr(hex($2),1,8)||'-'||substr(hex($2),9,4)||'-'||substr(hex($2),13,4)||'-'||substr(hex($2),17,4)||'-'||substr(hex($2),21))" ;;
        *) echo "$2::text" ;;
    esac
}

summary=()
for i in "${!urls[@]}"; do
    url=${urls[$i]}
    label=${labels[$i]}
    echo
    echo "== $label ($(query "$url" 'SELECT COUNT(*) FROM cases') cases, $(query "$url" 'SELECT COUNT(*) FROM case_events') events)"
    navigator=$(query "$url" "SELECT u.username FROM cases c JOIN users u ON u.id = c.navigator_id \
        WHERE c.state IN ($open_states) GROUP BY u.username ORDER BY COUNT(*) DESC, u.username LIMIT 1")
    open=$(query "$url" "SELECT COUNT(*) FROM cases c JOIN users u ON u.id = c.navigator_id \
        WHERE u.username = '$navigator' AND c.state IN ($open_states)")
    all=$(query "$url" "SELECT COUNT(*) FROM cases c JOIN users u ON u.id = c.navigator_id \
        WHERE u.username = '$navigator'")
    echo "navigator: $navigator ($open open cases, $all cases in all)"
    query "$url" "SELECT $(uuid_of "$url" c.id) FROM cases c JOIN users u ON u.id = c.navigator_id \
        WHERE u.username = '$navigator' ORDER BY c.opened_at DESC LIMIT 500" >"$scratch/ids"
    sed 's|^|/cases/|' "$scratch/ids" >"$scratch/case-html"
    sed 's|^|/api/v1/cases/|' "$scratch/ids" >"$scratch/case-api"
    echo "/caseload" >"$scratch/caseload-html"
    echo "/api/v1/me/caseload" >"$scratch/caseload-api"

    # Request logs at INFO would cost a line per request; the benchmark measures the pages.
    RUST_LOG=warn "$bin" --database "$url" serve --bind "127.0.0.1:$port" &
    server_pid=$!
    for _ in $(seq 1 300); do
        # A server left over on the port would answer for this one: stop if ours is gone.
        kill -0 "$server_pid" 2>/dev/null || { echo "the server exited (is port $port taken?)"; exit 1; }
        curl -sf "http://127.0.0.1:$port/api/openapi.json" -o /dev/null && break
        sleep 0.2
    done
    token=$(curl -sf "http://127.0.0.1:$port/api/v1/sessions" -H 'content-type: application/json' \
        -d "{\"username\":\"$navigator\",\"password\":\"$password\"}" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    for page in caseload-html caseload-api case-html case-api; do
        auth=bearer
        [[ $page == *-html ]] && auth=cookie
        first=$(head -1 "$scratch/$page")
        status=$(curl -s -o "$scratch/body" -w '%{http_code}' -H "Authorization: Bearer $token" \
            -H "Cookie: checkpoint_session=$token" "http://127.0.0.1:$port$first")
        if [[ "$status" != 200 ]]; then
            echo "$page: $first answered $status"
            head -c 400 "$scratch/body"
            exit 1
        fi
        # Warm the caches (the first request after start-up reads cold pages).
        CHECKPOINT_TOKEN="$token" PAGE_AUTH=$auth PAGE_PATHS="$scratch/$page" \
            wrk -t1 -c1 -d3s -s bench/web/pages.lua "http://127.0.0.1:$port" >/dev/null
        command="wrk -t1 -c$connections -d${seconds}s --latency -s bench/web/pages.lua http://127.0.0.1:$port"
        echo "-- $page: PAGE_AUTH=$auth PAGE_PATHS=$page CHECKPOINT_TOKEN=… $command"
        out=$(CHECKPOINT_TOKEN="$token" PAGE_AUTH=$auth PAGE_PATHS="$scratch/$page" $command)
        echo "$out" | grep -E 'Latency|50%|90%|99%|Requests/sec|Non-2xx|Socket errors' || true
        rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        summary+=("| $label | $page | $rps | $p50 | $p99 | ${non2xx:-0} |")
    done
    kill "$server_pid"
    wait "$server_pid" || true
    server_pid=""
done

echo
echo "Aim: p99 under 50 ms."
echo "| backend | page | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${summary[@]}"
