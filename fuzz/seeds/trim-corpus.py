#!/usr/bin/env python3
"""Shrinks fuzz/corpus/TARGET to at most BUDGET_KB while keeping as much coverage as it can.

`cargo fuzz cmin` keeps every input that adds a feature, counters included, which for the
policy and referral parsers is megabytes. This runs libFuzzer's set-cover merge with counters
off (so a feature is a coverage edge) to learn each input's edges, then picks inputs greedily by
new edges per byte until the budget is spent, and prints how many edges the kept inputs cover.
The target must be built first (`cargo fuzz build --sanitizer none TARGET`).

Usage: fuzz/seeds/trim-corpus.py TARGET BUDGET_KB"""

import pathlib
import shutil
import subprocess
import sys
import tempfile

FUZZ = pathlib.Path(__file__).resolve().parents[1]


def main(target, budget_kb):
    corpus = FUZZ / "corpus" / target
    binary = FUZZ / "target/x86_64-unknown-linux-gnu/release" / target
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        inputs, out, control = tmp / "in", tmp / "out", tmp / "control.txt"
        shutil.copytree(corpus, inputs)
        out.mkdir()
        subprocess.run(
            [binary, "-merge=1", "-set_cover_merge=1", "-use_counters=0",
             f"-merge_control_file={control}", out, inputs],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        lines = control.read_text().splitlines()
        n = int(lines[0])
        files = [pathlib.Path(p) for p in lines[2 : 2 + n]]
        features = {}
        for line in lines[2 + n :]:
            if line.startswith("FT "):
                parts = line.split()
                features[int(parts[1])] = set(map(int, parts[2:]))
        everything = set().union(*features.values())
        sizes = {i: files[i].stat().st_size for i in features}
        covered, chosen, spent = set(), [], 0
        budget = budget_kb * 1024
        while True:
            best, best_score = None, 0.0
            for i, fs in features.items():
                gain = len(fs - covered)
                # A small per-file overhead favours fewer, richer files.
                score = gain / (sizes[i] + 64)
                if gain and spent + sizes[i] <= budget and score > best_score:
                    best, best_score = i, score
            if best is None:
                break
            chosen.append(best)
            covered |= features.pop(best)
            spent += sizes[best]
        for f in corpus.iterdir():
            f.unlink()
        for i in chosen:
            shutil.copy(files[i], corpus / files[i].name)
        print(f"{target}: kept {len(chosen)} of {n} inputs, {spent / 1024:.1f} KB, "
              f"covering {len(covered)} of {len(everything)} edges")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
