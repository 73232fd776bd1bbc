#!/usr/bin/env bash
# Crash durability: the release server is killed with SIGKILL at random moments under
# concurrent API writes (referrals, case steps and contract changes, arrest-feed imports),
# restarted each time, and checked: every write acknowledged to a client is present, no case
# is half-written, `checkpoint audit verify` passes, case references are unique and gap-free.
# Exits non-zero on any loss. The driver is bench/crash_driver.py (Python 3, standard library).
#
# Usage: bench/crash-durability.sh [--cycles N] [--backends sqlite,postgres] [driver options]
#   (bench/crash_driver.py --help lists them; default 20 kills per backend)
# PostgreSQL: CRASH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a
# server; a scratch database is created there and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM"
echo "kernel:  $(uname -sr); python: $(python3 --version 2>&1 | cut -d' ' -f2); commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "command: cargo build --release -p checkpoint-cli"
cargo build --release -q -p checkpoint-cli
echo "command: python3 bench/crash_driver.py --binary target/release/checkpoint $*"
exec python3 bench/crash_driver.py --binary target/release/checkpoint "$@"
