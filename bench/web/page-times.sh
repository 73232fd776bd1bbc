#!/usr/bin/env bash
# Times the main HTML pages against a running `checkpoint serve --demo` (demo password).
# Usage: bench/web/page-times.sh [BASE_URL]   (default http://127.0.0.1:8099)
# Prints the median of 5 requests per page, in milliseconds. Loopback only.
set -euo pipefail
base="${1:-http://127.0.0.1:8099}"
password="checkpoint-demo"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

sign_in() { # user -> cookie jar $work/$1
  local jar="$work/$1" token
  token=$(curl -s -c "$jar" -b "$jar" "$base/sign-in" | sed -n 's/.*name="_csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
  curl -s -o /dev/null -c "$jar" -b "$jar" -X POST "$base/sign-in" \
    --data-urlencode "_csrf=$token" --data-urlencode "username=$1" --data-urlencode "password=$password"
}

median_ms() { # user path
  local jar="$work/$1" times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -s -o /dev/null -b "$jar" -w '%{time_total}' "$base$2")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}'
}

first_link() { # user path pattern
  curl -s -b "$work/$1" "$base$2" | grep -o "$3" | head -1
}

for user in demo.custody demo.navigator demo.supervisor demo.analyst demo.admin; do sign_in "$user"; done
case_path=$(first_link demo.navigator /caseload 'href="/cases/[0-9a-f-]*"' | sed 's/href="\(.*\)"/\1/')
person_path=$(first_link demo.custody '/people?name=smith' 'href="/people/[0-9a-f-]*"' | sed 's/href="\(.*\)"/\1/')

printf '%-16s %-40s %8s\n' user page median_ms
for spec in \
  "demo.custody /referrals/new" \
  "demo.custody /people?name=smith" \
  "demo.custody /people?name=sm&page=2" \
  "demo.custody $person_path?reason=case_work&detail=page+timing" \
  "demo.navigator /caseload" \
  "demo.navigator $case_path" \
  "demo.navigator $case_path/decision" \
  "demo.navigator $case_path?kind=contact&tq=a" \
  "demo.navigator /caseload?q=a" \
  "demo.supervisor /supervisor" \
  "demo.supervisor /supervisor?q=a&gaps_page=2" \
  "demo.supervisor $case_path" \
  "demo.analyst /overview" \
  "demo.admin /admin/users" \
  "demo.admin /policies"; do
  set -- $spec
  printf '%-16s %-40s %8s\n' "$1" "$2" "$(median_ms "$1" "$2")"
done
