#!/usr/bin/env python3
"""Test data for the schemathesis run, read from the demo database it runs against.

    prepare.py feed DB OUT.csv         an arrest feed of near and exact matches of known
                                       people, so the clerical review queue has pairs in it
    prepare.py config DB DOC OUT.toml  a schemathesis configuration that feeds real record
                                       ids (cases, people, appointments, …) to the operations
                                       of the OpenAPI document DOC that take them, so
                                       generated requests reach the use cases instead of
                                       stopping at 404

Random UUIDs only ever test the not-found path. With the ids of records that exist, a
generated request is authorised, loaded, checked against the case's state and version, and
sometimes carried out, so the responses schemathesis checks include the successful ones.
Each binding has a probability below 1, so unknown ids are still tried too.
"""

import csv
import json
import sqlite3
import sys
import tomllib
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def ids(db, sql):
    return [str(uuid.UUID(bytes=row[0])) for row in db.execute(sql)]


def feed(db_path, out):
    db = sqlite3.connect(db_path)
    people = db.execute(
        "SELECT given_name, family_name, date_of_birth, postcode FROM people "
        "ORDER BY created_at, given_name LIMIT 40"
    ).fetchall()
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arrest_ref", "given_name", "surname", "dob", "arrest_date", "postcode", "offence"])
        for i, (given, family, dob, postcode) in enumerate(people):
            if i % 3 == 0:
                # The same person: a link.
                row = (given, family, dob, postcode)
            elif i % 3 == 1:
                # A misspelt surname and no postcode: a near miss for a person to judge.
                row = (given, family[:-1] + ("e" if family[-1] != "e" else "a"), dob, "")
            else:
                # Another day of birth and a nickname-length first name.
                day = int(dob[-2:]) % 28 + 1
                row = (given[:3], family, f"{dob[:-2]}{day:02d}", postcode or "")
            w.writerow([f"ST-{i:04d}", row[0], row[1], row[2], "2026-01-15", row[3], "theft"])


def toml_str(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config(db_path, document_path, out):
    db = sqlite3.connect(db_path)
    document = json.loads(Path(document_path).read_text())
    dictionaries = {
        "cases": ids(db, "SELECT id FROM cases ORDER BY reference"),
        "people": ids(db, "SELECT id FROM people ORDER BY created_at, id"),
        "appointments": ids(db, "SELECT id FROM appointments ORDER BY created_at, id"),
        "provider_referrals": ids(db, "SELECT id FROM provider_referrals ORDER BY referred_at, id"),
        "conditions": ids(db, "SELECT id FROM contract_conditions ORDER BY contract_id, position"),
        "decisions": ids(db, "SELECT id FROM decisions ORDER BY follows_advice, decided_at, id"),
        "arrests": ids(db, "SELECT arrest_id FROM clerical_reviews ORDER BY queued_at, arrest_id"),
        "navigators": ids(db, "SELECT id FROM users WHERE role = 'navigator' ORDER BY username"),
        # Demo accounts only: the run's own accounts (st.*) must stay enabled.
        "usernames": [r[0] for r in db.execute(
            "SELECT username FROM users WHERE username LIKE 'demo.%' ORDER BY username")],
        "policy_ids": [],
        "policy_versions": [],
        # Case versions as `If-Match` ETags and as `version` fields: demo cases have a few
        # dozen events at most.
        "etags": [f'"v{n}"' for n in range(1, 41)],
        "versions": list(range(1, 41)),
    }
    for path in sorted((REPO / "policies").glob("*.toml")):
        policy = tomllib.loads(path.read_text())
        dictionaries["policy_ids"].append(policy["id"])
        dictionaries["policy_versions"].append(int(policy["version"]))
    for name in ("policy_ids", "policy_versions"):
        dictionaries[name] = sorted(set(dictionaries[name]))

    # (path, parameter, dictionary)
    bindings = [
        ("/api/v1/people/{id}", "path.id", "people"),
        ("/api/v1/appointments/{id}/attendance", "path.id", "appointments"),
        ("/api/v1/provider-referrals/{id}/response", "path.id", "provider_referrals"),
        ("/api/v1/conditions/{id}/status", "path.id", "conditions"),
        ("/api/v1/decisions/{id}/countersignature", "path.id", "decisions"),
        ("/api/v1/linkage/reviews/{id}", "path.id", "arrests"),
        ("/api/v1/linkage/reviews/{id}/decision", "path.id", "arrests"),
        ("/api/v1/navigators/{id}/handover", "path.id", "navigators"),
        ("/api/v1/users/{username}/disable", "path.username", "usernames"),
        ("/api/v1/users/{username}/enable", "path.username", "usernames"),
        ("/api/v1/policies/{id}/versions/{version}", "path.id", "policy_ids"),
        ("/api/v1/policies/{id}/versions/{version}", "path.version", "policy_versions"),
    ]
    for path, method, operation in operations(document):
        if not path.startswith("/api/v1/cases/{id}"):
            continue
        bindings.append((path, "path.id", "cases"))
        names = [p.get("name") for p in operation.get("parameters", [])]
        if "If-Match" in names:
            bindings.append((path, "header.If-Match", "etags"))
        if "version" in body_properties(document, operation):
            bindings.append((path, "body.version", "versions"))

    lines = [
        "# Written by tests/schemathesis/prepare.py for one run; not kept.",
        "[generation]",
        # Generated NUL bytes cannot be sent in headers; the server's handling of them in
        # bodies is covered by the hostile-input tests.
        "allow-x00 = false",
        "",
    ]
    for name, values in dictionaries.items():
        if values:
            lines.append(f"[dictionaries.{name}]")
            lines.append("values = [" + ", ".join(
                str(v) if isinstance(v, int) else toml_str(v) for v in values) + "]")
            lines.append("")
    by_path = {}
    for path, parameter, dictionary in bindings:
        params = by_path.setdefault(path, [])
        if dictionaries[dictionary] and (parameter, dictionary) not in params:
            params.append((parameter, dictionary))
    for path, params in by_path.items():
        if not params:
            continue
        lines.append("[[operations]]")
        lines.append(f"include-path = {toml_str(path)}")
        lines.append("[operations.parameters]")
        for parameter, dictionary in params:
            lines.append(f"{toml_str(parameter)} = {{ dictionary = {toml_str(dictionary)}, probability = 0.8 }}")
        lines.append("")
    Path(out).write_text("\n".join(lines))
    counts = ", ".join(f"{len(v)} {k}" for k, v in dictionaries.items())
    print(f"schemathesis config: {counts}", file=sys.stderr)


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def body_properties(document, operation):
    """The top-level properties of an operation's JSON body, following one `$ref`."""
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema.get("properties", {})


if __name__ == "__main__":
    if sys.argv[1] == "feed":
        feed(*sys.argv[2:4])
    else:
        config(*sys.argv[2:5])
