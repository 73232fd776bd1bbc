"""Splink (DuckDB backend) on FEBRL4: the reference to compare `checkpoint link` against.

The comparisons and blocking mirror crates/linkage/tests/data/febrl.toml as closely as Splink
allows: the same columns, Jaro-Winkler bands and edit-distance levels, term-frequency
adjustment on names, and the same four blocking rules (Soundex is computed here in Python
because DuckDB has no soundex function). u from 1e6 random pairs, m by EM with one session per
blocking rule, the prior from deterministic rules, link threshold 0.9.

Usage: python splink_febrl4.py LEFT.csv RIGHT.csv
Prints precision, recall, F1 and timings as `key: value` lines.
"""

import sys
import time

started = time.perf_counter()

import pandas as pd  # noqa: E402
import splink.comparison_level_library as cll  # noqa: E402
import splink.comparison_library as cl  # noqa: E402
from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: E402

imported = time.perf_counter()


def soundex(name: str) -> str:
    """American Soundex, as crates/linkage/src/phonetic.rs computes it."""
    codes = {}
    for letters, digit in [("bfpv", "1"), ("cgjkqsxz", "2"), ("dt", "3"), ("l", "4"),
                           ("mn", "5"), ("r", "6"), ("hw", "-")]:
        for c in letters:
            codes[c] = digit
    letters = [c for c in str(name).lower() if c.isascii() and c.isalpha()]
    if not letters:
        return None
    out = [letters[0].upper()]
    last = codes.get(letters[0], "0")
    for c in letters[1:]:
        d = codes.get(c, "0")
        if d == "-":
            continue
        if d == "0":
            last = "0"
        elif d != last:
            out.append(d)
            last = d
            if len(out) == 4:
                break
    return "".join(out).ljust(4, "0")


def text_comparison(col: str):
    """exact / one edit / Jaro-Winkler >= 0.88 / else: the `text` kind's default levels."""
    return cl.CustomComparison(
        output_column_name=col,
        comparison_levels=[
            cll.NullLevel(col),
            cll.ExactMatchLevel(col),
            cll.DamerauLevenshteinLevel(col, 1),
            cll.JaroWinklerLevel(col, 0.88),
            cll.ElseLevel(),
        ],
    )


def load(path: str, name: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    df["surname_soundex"] = df["surname"].map(lambda s: soundex(s) if s else None)
    df["given_name_soundex"] = df["given_name"].map(lambda s: soundex(s) if s else None)
    df["birth_year"] = df["date_of_birth"].str.slice(0, 4)
    df["source_dataset"] = name
    return df


def main() -> None:
    left = load(sys.argv[1], "left")
    right = load(sys.argv[2], "right")
    loaded = time.perf_counter()

    blocking = [
        block_on("surname_soundex", "birth_year"),
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("given_name_soundex", "postcode"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1]),
            cl.ExactMatch("street_number"),
            text_comparison("address_1"),
            text_comparison("suburb"),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]),
        ],
        additional_columns_to_retain=["entity_id"],
    )
    db_api = DuckDBAPI()
    linker = Linker([db_api.register(left), db_api.register(right)], settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
    for rule in blocking:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    trained = time.perf_counter()

    pairs = linker.inference.predict(threshold_match_probability=0.9).as_pandas_dataframe()
    predicted = time.perf_counter()

    true_pairs = len(set(left["entity_id"]) & set(right["entity_id"]))  # FEBRL4: one-to-one
    tp = int((pairs["entity_id_l"] == pairs["entity_id_r"]).sum())
    fp = len(pairs) - tp
    fn = true_pairs - tp
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / true_pairs
    f1 = 2 * precision * recall / (precision + recall)
    print(f"splink_version: {__import__('splink').__version__}")
    print(f"pairs_written: {len(pairs)}")
    print(f"true_positives: {tp}")
    print(f"false_positives: {fp}")
    print(f"false_negatives: {fn}")
    print(f"precision: {precision:.4f}")
    print(f"recall: {recall:.4f}")
    print(f"f1: {f1:.4f}")
    print(f"time_import_s: {imported - started:.2f}")
    print(f"time_read_s: {loaded - imported:.2f}")
    print(f"time_train_s: {trained - loaded:.2f}")
    print(f"time_predict_s: {predicted - trained:.2f}")
    print(f"time_linkage_s: {predicted - loaded:.2f}")


if __name__ == "__main__":
    main()
