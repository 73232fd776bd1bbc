"""Splink (DuckDB backend) on the synthetic people × arrests benchmark.

Mirrors crates/linkage/tests/data/synthetic.toml: name comparisons with term-frequency
adjustment, date of birth, UK postcode (full/sector/district/area), NI number (exact/one edit);
the same four blocking rules, with Soundex, birth year, postcode district and initials
computed here because DuckDB has none of them built in. u from 1e6 random pairs, EM once per
blocking rule, link threshold 0.9.

Usage: python splink_synthetic.py PEOPLE.csv ARRESTS.csv
"""

import sys
import time

started = time.perf_counter()

import pandas as pd  # noqa: E402
import splink.comparison_library as cl  # noqa: E402
from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: E402

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from splink_febrl4 import soundex  # noqa: E402  (also runs nothing: guarded below)

imported = time.perf_counter()


def load(path: str, name: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    for col in ["given_name", "surname"]:
        df[col] = df[col].str.lower().str.replace(r"^(mr|mrs|ms|miss|dr) ", "", regex=True)
    df["postcode"] = df["postcode"].str.upper().str.replace(" ", "", regex=False)
    df["postcode"] = df["postcode"].str.slice(0, -3) + " " + df["postcode"].str.slice(-3)
    df["surname_soundex"] = df["surname"].map(lambda s: soundex(s) if s else None)
    df["given_initial"] = df["given_name"].str.slice(0, 1)
    df["birth_year"] = df["dob"].str.slice(6, 10)
    df["postcode_district"] = df["postcode"].str.split(" ").str[0]
    df["source_dataset"] = name
    return df


left = load(sys.argv[1], "people")
right = load(sys.argv[2], "arrests")
loaded = time.perf_counter()

blocking = [
    block_on("surname_soundex", "birth_year"),
    block_on("dob"),
    block_on("postcode_district", "given_initial"),
    block_on("ni_number"),
]
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="id",
    blocking_rules_to_generate_predictions=blocking,
    comparisons=[
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%d/%m/%Y"),
        cl.PostcodeComparison("postcode"),
        cl.DamerauLevenshteinAtThresholds("ni_number", [1]),
    ],
    additional_columns_to_retain=["person_id"],
)
db_api = DuckDBAPI()
linker = Linker([db_api.register(left), db_api.register(right)], settings, log_level="WARNING")
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "dob"), block_on("ni_number")], recall=0.8
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=42)
for rule in blocking:
    linker.training.estimate_parameters_using_expectation_maximisation(rule)
trained = time.perf_counter()

pairs = linker.inference.predict(threshold_match_probability=0.9).as_pandas_dataframe()
predicted = time.perf_counter()

counts = left["person_id"].value_counts()
true_pairs = int(right["person_id"].map(counts).fillna(0).sum())
tp = int((pairs["person_id_l"] == pairs["person_id_r"]).sum())
fp = len(pairs) - tp
precision = tp / (tp + fp) if tp + fp else float("nan")
recall = tp / true_pairs
f1 = 2 * precision * recall / (precision + recall)
print(f"pairs_written: {len(pairs)}")
print(f"true_positives: {tp}")
print(f"false_positives: {fp}")
print(f"false_negatives: {true_pairs - tp}")
print(f"precision: {precision:.4f}")
print(f"recall: {recall:.4f}")
print(f"f1: {f1:.4f}")
print(f"time_import_s: {imported - started:.2f}")
print(f"time_read_s: {loaded - imported:.2f}")
print(f"time_train_s: {trained - loaded:.2f}")
print(f"time_predict_s: {predicted - trained:.2f}")
print(f"time_linkage_s: {predicted - loaded:.2f}")
