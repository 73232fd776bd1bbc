#!/usr/bin/env bash
# Arrest-feed import with linkage (`checkpoint import arrests`, crates/app/src/monitoring):
# rows per second for a feed of ROWS arrests (default 1,000,000) scored against the people a
# synthetic programme knows, on SQLite (and PostgreSQL when BENCH_POSTGRES_URL is set).
#
#   1. `checkpoint demo generate --csv` makes people.csv and arrests.csv; the feed is the first
#      ROWS arrests (about 0.7 people per arrest in the generator).
#   2. people.csv is bulk-loaded into the people table (sqlite3 .import / psql \copy): a bench
#      set-up step, not a Checkpoint feature; the people have no cases, so links are recorded
#      and audited but open no reviews.
#   3. `checkpoint linkage train --feed` (EM over people × up to 200,000 feed rows), timed apart.
#   4. `checkpoint import arrests` (parse; score each batch on its own threads while the one
#      before is written; arrests/links/queue + audit rows in batches of 2,000): the figure.
#      Then the same file again (all duplicates). CPU time (user, sys) is printed beside the
#      wall time: on a machine shared with other work the wall time says more about the others.
#
# Usage: bench/import-arrests.sh [ROWS] [PEOPLE] [SEED]
# PEOPLE (default 20,000: a large programme; the design expects thousands) is how many people
# of people.csv are loaded; scoring cost per arrest grows with the people in each block.
# BENCH_POSTGRES_URL: a server to create a scratch database on (unset: SQLite only).
# CHECKPOINT_BIN: a prebuilt binary to measure instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

rows=${1:-1000000}
people_wanted=${2:-20000}
seed=${3:-7}
pg_server=${BENCH_POSTGRES_URL-}

describe_machine
release_binary

work=bench/out/import-arrests
rm -rf "$work"
mkdir -p "$work"
# 1.35 arrests per case in the generator; a little extra, then cut to ROWS.
cases=$(( rows * 100 / 130 + 1000 ))
echo "+ $bin demo generate --cases $cases --seed $seed --csv $work/gen"
"$bin" demo generate --cases "$cases" --seed "$seed" --csv "$work/gen" | tail -1
head -n $(( rows + 1 )) "$work/gen/arrests.csv" > "$work/feed.csv"
head -n $(( people_wanted + 1 )) "$work/gen/people.csv" > "$work/people.csv"
people=$(( $(wc -l < "$work/people.csv") - 1 ))
echo "feed:    $rows arrests ($work/feed.csv) against $people people"

# people.csv → people (ids are fresh UUID-shaped blobs; dob dd/mm/yyyy → yyyy-mm-dd).
load_people_sqlite() {
    # .import into a new table names its columns from the CSV header.
    sqlite3 "$1" <<SQL
.mode csv
.import $work/people.csv people_csv
INSERT INTO people (id, given_name, family_name, date_of_birth, sex, postcode, pnc_id,
                    resides_in_force_area, created_at)
SELECT randomblob(16), given_name, surname,
       substr(dob, 7, 4) || '-' || substr(dob, 4, 2) || '-' || substr(dob, 1, 2),
       sex, postcode, NULLIF(pnc_id, ''), resides_in_force_area = 'true',
       '2026-01-01T00:00:00.000000Z'
FROM people_csv;
DROP TABLE people_csv;
SQL
}

run_backend() {
    local label=$1 url=$2
    echo
    echo "== $label"
    "$bin" --database "$url" migrate
    local t0=$SECONDS
    if [[ $label == sqlite ]]; then
        load_people_sqlite "${url#sqlite://}"
    else
        psql -q -v ON_ERROR_STOP=1 "$url" <<SQL
CREATE TEMP TABLE p (id text, person_id text, given_name text, surname text, dob text,
    sex text, e1 text, e2 text, e3 text, postcode text, resides text, pnc_id text,
    twin_of text, namesake_of text);
\\copy p FROM '$work/people.csv' CSV HEADER
INSERT INTO people (id, given_name, family_name, date_of_birth, sex, postcode, pnc_id,
                    resides_in_force_area, created_at)
SELECT gen_random_uuid(), given_name, surname, to_date(dob, 'DD/MM/YYYY'), sex, postcode,
       NULLIF(pnc_id, ''), resides = 'true', '2026-01-01T00:00:00Z' FROM p;
SQL
    fi
    echo "people loaded in $(( SECONDS - t0 ))s (set-up, not measured)"
    echo "+ $bin --database $url linkage train --feed $work/feed.csv"
    /usr/bin/time -f "  train: %e s wall, %U s user, %S s sys, %M KiB peak" \
        "$bin" --database "$url" linkage train --feed "$work/feed.csv"
    echo "+ $bin --database $url import arrests $work/feed.csv --source bench"
    /usr/bin/time -f "  import: %e s wall, %U s user, %S s sys, %M KiB peak (load $(cut -d' ' -f1 /proc/loadavg) before)" \
        "$bin" --database "$url" import arrests "$work/feed.csv" --source bench
    echo "+ (again) $bin --database $url import arrests $work/feed.csv --source bench"
    /usr/bin/time -f "  re-import: %e s wall, %U s user, %S s sys, %M KiB peak" \
        "$bin" --database "$url" import arrests "$work/feed.csv" --source bench
}

# BENCH_SKIP_SQLITE=1 measures PostgreSQL only.
if [[ -z "${BENCH_SKIP_SQLITE:-}" ]]; then
    run_backend sqlite "sqlite://$work/bench.db"
fi
if [[ -n "$pg_server" ]]; then
    db="checkpoint_bench_import_$$"
    psql -q "$pg_server" -c "CREATE DATABASE $db"
    trap 'psql -q "$pg_server" -c "DROP DATABASE IF EXISTS $db"' EXIT
    run_backend postgres "${pg_server%/*}/$db"
fi
