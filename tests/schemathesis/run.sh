#!/usr/bin/env bash
# API contract fuzzing: schemathesis against the running server's own OpenAPI document.
#
# Builds `checkpoint` (debug; `cargo test` has usually built it already), migrates a fresh
# SQLite database, fills it with synthetic demo cases, adds one account per role with the CLI,
# signs each in over HTTP, starts the server on a free loopback port and runs schemathesis once
# per role token (the roles split the API: a custody officer's requests reach the referral
# code, a navigator's the contract code, and so on). Sign-out runs last, with a token of its
# own, so it cannot end the other runs' sessions.
#
# Every response must be a non-5xx, with a status, content type, headers and body the
# document declares. The run is deterministic: a fixed seed, a fixed number of examples per
# operation, one worker, no example database carried between runs.
#
# Usage: tests/schemathesis/run.sh            (schemathesis on PATH, `st` or `schemathesis`)
# Environment:
#   ST_MAX_EXAMPLES   examples per operation in the fuzzing phase (default 25)
#   ST_SEED           the seed (default 20260304)
#   ST_PHASES         schemathesis phases (default examples,coverage,fuzzing)
#   ST_ROLES          the roles to run as (default: all five)
#   CHECKPOINT_BIN    a prebuilt binary instead of `cargo build`
#   ST_REPORT_DIR     where the JUnit reports go (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/../.."

MAX_EXAMPLES=${ST_MAX_EXAMPLES:-25}
SEED=${ST_SEED:-20260304}
PHASES=${ST_PHASES:-examples,coverage,fuzzing}
ROLES=${ST_ROLES:-"custody_officer navigator supervisor analyst admin"}
# Synthetic accounts for this run only; the database is thrown away afterwards.
PASSWORD="schemathesis-run-password"

log() { printf '\n==> %s\n' "$*" >&2; }

ST=$(command -v st || command -v schemathesis || true)
[ -n "$ST" ] || { echo "schemathesis is not installed (pip install schemathesis)" >&2; exit 2; }
log "$("$ST" --version)"

if [ -n "${CHECKPOINT_BIN:-}" ]; then
  BIN=$CHECKPOINT_BIN
else
  log "building checkpoint"
  cargo build --quiet -p checkpoint-cli
  BIN=${CARGO_TARGET_DIR:-target}/debug/checkpoint
fi

WORK=$(mktemp -d /tmp/checkpoint-schemathesis.XXXXXX)
REPORTS=${ST_REPORT_DIR:-$WORK/reports}
mkdir -p "$REPORTS"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK/db"
}
trap cleanup EXIT
mkdir -p "$WORK/db"
export DATABASE_URL="sqlite://$WORK/db/checkpoint.db"

log "migrating a fresh SQLite database and generating demo data"
"$BIN" migrate
# Demo referrals run up to the day before "today", so the cases are in every state now.
"$BIN" demo generate --cases 150 --seed 7 --from 2025-06-01 --to "$(date -u -d yesterday +%F)" >/dev/null
# Arrests that look like known people, so links, reviews and the clerical queue have data.
python3 tests/schemathesis/prepare.py feed "$WORK/db/checkpoint.db" "$WORK/feed.csv"
"$BIN" import arrests "$WORK/feed.csv" --source schemathesis >/dev/null

log "adding one account per role"
for role in $ROLES; do
  team=()
  [ "$role" = navigator ] && team=(--team North)
  CHECKPOINT_PASSWORD=$PASSWORD "$BIN" user add "st.$role" --role "$role" "${team[@]}" \
    --display-name "Schemathesis $role" >/dev/null
done
CHECKPOINT_PASSWORD=$PASSWORD "$BIN" user add st.signout --role analyst >/dev/null

# A free port: bind to 0, read it back, let go (the server binds it a moment later).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
log "starting the server on $BASE"
RUST_LOG=${RUST_LOG:-warn} "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$BASE/api/openapi.json" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fsS -o "$WORK/openapi.json" "$BASE/api/openapi.json" || { echo "the server did not answer" >&2; exit 1; }
# Real record ids for the operations that take them (see prepare.py).
python3 tests/schemathesis/prepare.py config "$WORK/db/checkpoint.db" "$WORK/openapi.json" "$WORK/schemathesis.toml"

token() {
  curl -fsS -X POST "$BASE/api/v1/sessions" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

CHECKS=${ST_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}

# One schemathesis run; extra arguments select operations.
run_st() {
  local name=$1 token=$2
  shift 2
  log "schemathesis as $name"
  "$ST" --config-file "$WORK/schemathesis.toml" run "$BASE/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --generation-database none \
    --request-timeout 30 \
    --no-color \
    --report junit,har --report-junit-path "$REPORTS/$name.xml" --report-har-path "$REPORTS/$name.har" \
    "$@" 2>&1 | tee "$REPORTS/$name.log"
  return "${PIPESTATUS[0]}"
}

# Every token first: the sign-in run below trips the sign-in throttle for this address.
declare -A TOKENS
for role in $ROLES signout; do
  TOKENS[$role]=$(token "st.$role")
done

started=$SECONDS
failed=()
for role in $ROLES; do
  run_st "$role" "${TOKENS[$role]}" \
    --exclude-path /api/v1/sessions --exclude-path /api/v1/sessions/current || failed+=("$role")
done
# Signing in needs no token, and signing out ends the session it is sent with: they run last,
# on a token of their own.
run_st sessions "${TOKENS[signout]}" \
  --include-path /api/v1/sessions --include-path /api/v1/sessions/current || failed+=(sessions)

# A 5xx leaves "internal error" in the log even when the response passed the checks.
if grep -q 'internal error' "$WORK/server.log"; then
  log "the server logged internal errors:"
  grep 'internal error' "$WORK/server.log" | head -20 >&2
  failed+=(server-log)
fi

python3 - "$REPORTS" <<'EOF'
import glob, re, sys, xml.etree.ElementTree as ET
tests = failures = errors = cases = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.xml")):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
passed = failed_cases = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.log")):
    # The summary's "Test cases:" line: "N generated, N passed" (", N failed", ", N skipped").
    lines = re.findall(r"^\s*(\d+) generated(.*)$", open(path).read(), re.M)
    if lines:
        generated, rest = lines[-1]
        cases += int(generated)
        counts = dict((word, int(n)) for n, word in re.findall(r"(\d+) (\w+)", rest))
        passed += counts.get("passed", 0)
        failed_cases += counts.get("failed", 0)
print(f"{tests} operation runs over {len(glob.glob(sys.argv[1] + '/*.xml'))} schemathesis runs, "
      f"{cases} test cases; {failures} operations failed, {errors} had errors")
# The closing line CI reads.
print(f"schemathesis: {passed} passed, {failed_cases + errors} failed")
EOF
log "schemathesis took $((SECONDS - started))s"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "schemathesis found problems in: ${failed[*]} (server log: $WORK/server.log)" >&2
  trap - EXIT
  kill "$SERVER_PID" 2>/dev/null || true
  exit 1
fi
rm -rf "$WORK"
