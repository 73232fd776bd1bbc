#!/usr/bin/env python3
"""Writes the seed inputs for each fuzz target from real inputs in the repository (policies,
schema examples, golden cases, the linkage test data, the test feeds, the name lists) into
fuzz/corpus/<target>/. Run from anywhere; files are named by content hash, so running it twice
adds nothing. Small files only: every seed is a few KB at most."""

import gzip
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    out = CORPUS / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def rust_consts(path):
    """Bodies of the `const X: &str = "...";` and raw strings in a Rust test module."""
    text = (ROOT / path).read_text()
    found = re.findall(r'r#"(.*?)"#', text, re.S)
    for m in re.findall(r'const [A-Z_]+: &str = "(.*?)";', text, re.S):
        # "\n\" continuation lines inside a normal string literal.
        found.append(re.sub(r"\\n\\\n\s*", "\n", m).replace("\\n", "\n").replace('\\"', '"'))
    for m in re.findall(r'let feed = "(.*?)";', text, re.S):
        found.append(re.sub(r"\\n\\\n\s*", "\n", m).replace("\\n", "\n").replace('\\"', '"'))
    return found


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


# policy_toml: the shipped policies and the minimal policy of the domain tests.
for p in sorted((ROOT / "policies").glob("*.toml")):
    put("policy_toml", p.read_text())
for body in rust_consts("crates/domain/src/policy/tests.rs"):
    if body.startswith('id = "'):
        put("policy_toml", body)

# referral_json: the schema examples, and every golden case's referral (base + patch).
for p in sorted((ROOT / "schemas" / "examples").glob("*.json")):
    put("referral_json", p.read_text())
for p in sorted((ROOT / "policies").glob("*.golden.json")):
    golden = json.loads(p.read_text())
    put("referral_json", json.dumps(golden["base"], indent=2))
    for case in golden["cases"]:
        if "patch" in case:
            doc = merge_patch(json.loads(json.dumps(golden["base"])), case["patch"])
            put("referral_json", json.dumps(doc, indent=2))

# arrest_feed: the feeds of the reader's and the CLI's tests, and a few synthetic rows.
for path in ["crates/app/src/monitoring/feed.rs", "crates/cli/tests/it/import.rs"]:
    for body in rust_consts(path):
        if "given_name" in body:
            put("arrest_feed", body)

# link_csv and link_settings: the linkage settings and the head of each FEBRL file.
for p in [
    "crates/linkage/tests/data/febrl.toml",
    "crates/linkage/tests/data/synthetic.toml",
    "crates/synth/data/link-settings.toml",
]:
    put("link_settings", (ROOT / p).read_text())
for p in sorted((ROOT / "crates/linkage/tests/data").glob("febrl*.csv.gz")):
    lines = gzip.decompress(p.read_bytes()).decode().splitlines(keepends=True)
    put("link_csv", "".join(lines[:12]))
put(
    "link_csv",
    "id,person_id,given_name,surname,dob,postcode,pnc_id\n"
    "p1,p1,Ann,Smith,03/04/1990,QX1 1AA,90/123456A\n"
    "a1,p1,Anne,Smyth,04/03/1990,qx11aa,\n"
    "a2,,Zoë,O'Brien,31/02/1990,QX9,\n",
)

# normalise: names from the synthetic name lists (one line per origin), and awkward names.
names = (ROOT / "crates/synth/data/names.txt").read_text()
for line in names.splitlines():
    if line.startswith(("male:", "female:", "family:")):
        put("normalise", line.split(":", 1)[1].strip())
        break
for origin in re.findall(r"^\[(\w+)\]\n((?:.*\n)*?)(?=^\[|\Z)", names, re.M):
    family = [l for l in origin[1].splitlines() if l.startswith("family:")]
    if family:
        put("normalise", family[0].split(":", 1)[1].strip())
for s in [
    "  Mr  Seán  O'Brien ",
    "Dr. Zoë Ann-Marie Smith Jr.",
    "Łukasz Żółć",
    "Mr Mr",
    "SW1A 1AA",
    "sw1a1aa",
    "M1 1ae",
    "ab 12-34 56 c",
    "D`Souza",
    "Nguyễn Văn An",
    "李小龙",
]:
    put("normalise", s)


# Dictionaries: the words the parsers compare against (keys, enum values, table headers).
# Without a sanitizer libFuzzer cannot see string comparisons, so it gets them from here.
def write_dict(name, words):
    out = ROOT / "fuzz" / "dict"
    out.mkdir(exist_ok=True)
    lines = sorted({json.dumps(w) for w in words if 0 < len(w) <= 64})
    (out / f"{name}.dict").write_text("".join(l + "\n" for l in lines))


policy_words = set()
for p in sorted((ROOT / "policies").glob("*.toml")):
    text = p.read_text()
    policy_words |= set(re.findall(r"^\s*\[\[?[\w.]+\]\]?", text, re.M))
    policy_words |= {k + " = " for k in re.findall(r"^\s*([\w]+)\s*=", text, re.M)}
    policy_words |= set(re.findall(r'"([a-z][a-z0-9_]*)"', text))
policy_words = {w.strip() if w.strip().startswith("[") else w for w in policy_words}
write_dict("policy_toml", policy_words)

schema = json.loads((ROOT / "schemas" / "referral.schema.json").read_text())
referral_words = set()


def walk(node):
    if isinstance(node, dict):
        for k, v in node.get("properties", {}).items():
            referral_words.add(f'"{k}":')
        for v in node.get("enum", []):
            if isinstance(v, str):
                referral_words.add(f'"{v}"')
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)


walk(schema)
write_dict("referral_json", referral_words)
