#!/usr/bin/env python3
"""Crash durability driver for `bench/crash-durability.sh` (Python 3, standard library only).

For each backend it migrates a fresh database, creates users, starts the release
`checkpoint serve`, signs in, and then runs concurrent writers against the JSON API:

* referral workers: POST /referrals for new synthetic people;
* case workers: move acknowledged cases along the lifecycle (screening decision, offer,
  consent, assignment, needs assessment, contract draft, signature, start, variations);
* one import worker: POST /imports/arrests with small feeds (some rows name people already
  referred, so links open reviews on active contracts).

At a random moment it SIGKILLs the server, restarts it, pauses the writers and checks the
database (see `check`): every write the server acknowledged (a 2xx answer carrying the id,
reference or version) is present, no case is half-written, `checkpoint audit verify`
passes and case references are unique and gap-free. Exit status 1 on any loss or broken
invariant, and also on any 5xx answer (unless --allow-server-errors); a setup failure
stops it with a message.

Everything here is synthetic: random names of invented syllables, `QX` postcodes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PASSWORD = "crash test password (synthetic)"
SCHEME = "durham-checkpoint"
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REFERRAL = ROOT / "schemas" / "examples" / "referral-shop-theft.json"
NAVIGATORS = ["nav.north.1", "nav.north.2", "nav.north.3"]
MAX_VARIATIONS = 3

# The event kinds an acknowledged step must have left on its case (the event at the
# acknowledged sequence number, or the one before it when the step also moved key dates).
STEP_KINDS = {
    "screening-decision": {"screen"},
    "offer": {"offer"},
    "consent": {"accept"},
    "assignment": {"assigned"},
    "needs-assessment": {"assess_needs"},
    "contract": {"contract_drafted", "key_dates_changed"},
    "contract/signature": {"sign_contract", "key_dates_changed"},
    "contract/start": {"start", "key_dates_changed"},
    "contract/variation": {"vary_contract", "key_dates_changed"},
}

SYLLABLES = [
    "ka", "lo", "mi", "ra", "te", "vo", "shi", "dan", "mer", "wyn", "bel", "tor", "qui",
    "zan", "fen", "gar", "hol", "jas", "nor", "pel", "ros", "sul", "tam", "ux", "vey",
]


def synthetic_name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def london_today() -> dt.date:
    try:
        from zoneinfo import ZoneInfo

        return dt.datetime.now(ZoneInfo("Europe/London")).date()
    except Exception:  # no tz database: UTC is within a day of London
        return dt.datetime.now(dt.timezone.utc).date()


# ---- the ledger of acknowledged writes ------------------------------------------------------


class Ledger:
    """Every write the server acknowledged, by kind. Thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.referrals: dict[str, dict] = {}  # case id -> {reference, person, born}
        self.steps: list[tuple[str, int, str]] = []  # (case id, acknowledged version, endpoint)
        self.contracts: list[tuple[str, str, int]] = []  # (case id, contract id, contract version)
        self.imports: list[tuple[str, list[str]]] = []  # (source, arrest refs)
        self.sessions: dict[str, str] = {}  # username -> token
        self.unacknowledged = 0  # requests that got no answer (server killed mid-request)
        self.conflicts = 0
        self.server_errors: list[str] = []
        self.refused: list[str] = []  # 4xx other than 409 (a driver bug or a real refusal)

    def count(self) -> int:
        with self.lock:
            return (
                len(self.referrals)
                + len(self.steps)
                + len(self.contracts)
                + sum(len(refs) for _, refs in self.imports)
                + len(self.sessions)
            )

    def snapshot(self):
        with self.lock:
            return (
                dict(self.referrals),
                list(self.steps),
                list(self.contracts),
                list(self.imports),
                dict(self.sessions),
            )


# ---- HTTP -------------------------------------------------------------------------------------


class NoAnswer(Exception):
    """The request got no HTTP answer (connection refused or reset, timeout)."""


class Client:
    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method, path, token=None, body=None, if_match=None, content_type=None):
        data = None
        headers = {}
        if body is not None:
            if isinstance(body, (bytes, str)):
                data = body.encode() if isinstance(body, str) else body
                headers["Content-Type"] = content_type or "text/csv"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if if_match is not None:
            headers["If-Match"] = f'"v{if_match}"'
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, {"raw": text.decode(errors="replace")}
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
            raise NoAnswer(str(error)) from error


# ---- the server ------------------------------------------------------------------------------


class Server:
    def __init__(self, binary: str, url: str, port: int, log: Path) -> None:
        self.binary, self.url, self.port, self.log = binary, url, port, log
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log, "ab")
        log.write(f"\n==== start {self.starts} ====\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [self.binary, "--database", self.url, "serve", "--bind", f"127.0.0.1:{self.port}"],
            stdout=log,
            stderr=log,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        log.close()

    def wait_ready(self, client: Client, token: str | None, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with {self.proc.returncode}; see {self.log}")
            try:
                path = "/api/v1/me" if token else "/api/openapi.json"
                status, body = client.request("GET", path, token=token)
                if status == 200:
                    return
                raise RuntimeError(f"GET {path} after a restart answered {status}: {body}")
            except NoAnswer:
                time.sleep(0.05)
        raise SystemExit(f"the server did not answer within {timeout}s; see {self.log}")

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---- the writers -----------------------------------------------------------------------------


class Load:
    """The writer threads, a gate that pauses them, and the pool of cases to move along."""

    def __init__(self, client, ledger, tokens, navigator_ids, rng_seed, label, today):
        self.client, self.ledger, self.tokens = client, ledger, tokens
        self.navigator_ids = navigator_ids
        self.label, self.today = label, today
        self.gate = threading.Event()
        self.stop = threading.Event()
        self.in_flight = 0
        self.in_flight_lock = threading.Lock()
        self.pool: list[dict] = []  # cases to move along, each {id, version, state, ...}
        self.pool_lock = threading.Lock()
        self.pool_ready = threading.Condition(self.pool_lock)
        self.people: list[dict] = []  # acknowledged people (for arrest rows that link)
        self.seed = rng_seed
        self.import_counter = 0
        self.threads: list[threading.Thread] = []
        self.example = json.loads(EXAMPLE_REFERRAL.read_text())

    # -- plumbing

    def call(self, method, path, user, body=None, if_match=None):
        """One request, once the gate is open. None when it got no answer."""
        while not self.stop.is_set():
            self.gate.wait(0.5)
            if not self.gate.is_set():
                continue
            with self.in_flight_lock:
                self.in_flight += 1
            try:
                status, answer = self.client.request(
                    method, path, token=self.tokens[user], body=body, if_match=if_match
                )
            except NoAnswer:
                with self.ledger.lock:
                    self.ledger.unacknowledged += 1
                time.sleep(0.02)
                return None
            finally:
                with self.in_flight_lock:
                    self.in_flight -= 1
            if status >= 500:
                with self.ledger.lock:
                    self.ledger.server_errors.append(f"{method} {path}: {status} {answer}")
            elif status == 409:
                with self.ledger.lock:
                    self.ledger.conflicts += 1
            elif status >= 400:
                with self.ledger.lock:
                    self.ledger.refused.append(f"{method} {path}: {status} {answer}")
            return status, answer
        return None

    def wait_idle(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.in_flight_lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.01)
        raise SystemExit("writers still have requests in flight after a restart")

    def start(self, referral_workers, case_workers):
        workers = [self.referral_worker] * referral_workers + [self.case_worker] * case_workers
        workers.append(self.import_worker)
        for i, target in enumerate(workers):
            thread = threading.Thread(target=target, args=(i,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def shutdown(self):
        self.stop.set()
        self.gate.set()
        with self.pool_ready:
            self.pool_ready.notify_all()
        for thread in self.threads:
            thread.join(timeout=90)

    # -- referrals

    def referral_body(self, rng):
        referral = json.loads(json.dumps(self.example))
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 50 * 365))
        person = referral["person"]
        person["given_name"] = synthetic_name(rng, 2)
        person["family_name"] = synthetic_name(rng, 3)
        person["date_of_birth"] = born.isoformat()
        person["postcode"] = f"QX{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABDEFG')}{rng.choice('HJLNPQ')}"
        person.pop("pnc_id", None)
        referral["referral_date"] = self.today.isoformat()
        referral["offence"]["offence_date"] = (self.today - dt.timedelta(days=1)).isoformat()
        referral["custody_reference"] = f"QX/CU/{rng.randrange(10**6):06d}"
        return {"scheme_id": SCHEME, "referral": referral}, person

    def referral_worker(self, index):
        rng = random.Random(f"{self.seed}-{self.label}-referral-{index}")
        while not self.stop.is_set():
            body, person = self.referral_body(rng)
            result = self.call("POST", "/api/v1/referrals", "custody.sgt", body=body)
            if result is None or result[0] != 201:
                continue
            case = result[1]["case"]
            case_id = case["case_id"]
            with self.ledger.lock:
                self.ledger.referrals[case_id] = {
                    "reference": case["reference"],
                    "version": case["version"],
                }
            with self.pool_ready:
                self.pool.append(
                    {"id": case_id, "version": case["version"], "state": case["state"],
                     "navigator": None, "drafted": False, "variations": 0}
                )
                self.people.append(person)
                self.pool_ready.notify()

    # -- moving cases along

    def take_case(self):
        with self.pool_ready:
            while not self.pool and not self.stop.is_set():
                self.pool_ready.wait(0.5)
            if self.stop.is_set():
                return None
            # Mostly the newest cases, so cases reach the later states.
            index = len(self.pool) - 1 - min(int(random.expovariate(0.3)), len(self.pool) - 1)
            return self.pool.pop(index)

    def give_back(self, case):
        with self.pool_ready:
            self.pool.append(case)
            self.pool_ready.notify()

    def refresh(self, case):
        """Reloads the case after a conflict or a request that got no answer."""
        result = self.call("GET", f"/api/v1/cases/{case['id']}", "supervisor")
        if result is None or result[0] != 200:
            return False
        view = result[1]
        case["version"] = view["version"]
        case["state"] = view["header"]["state"]
        navigator = view["header"].get("navigator")
        case["navigator"] = navigator["user_id"] if navigator else None
        case["navigator_user"] = next(
            (u for u, i in self.navigator_ids.items() if i == case["navigator"]), None
        )
        case["drafted"] = view.get("contract") is not None
        return True

    def next_step(self, case, rng):
        """(user, endpoint, body) for the case's next step, or None when it is done."""
        today = self.today.isoformat()
        conditions = [
            {"condition": "no_reoffending"},
            {"condition": "alcohol_intervention",
             "due": (self.today + dt.timedelta(days=rng.randrange(14, 60))).isoformat(),
             "provider": "QX Recovery Service"},
        ]
        state = case["state"]
        nav = case.get("navigator_user")
        if state == "referred":
            return "custody.sgt", "screening-decision", {"choice": "accept_advice"}
        if state == "eligible":
            return "custody.sgt", "offer", {}
        if state == "offered":
            return "custody.sgt", "consent", {
                "answer": "accepted", "admission": "admitted_in_interview", "signed_on": today}
        if state == "accepted" and case["navigator"] is None:
            user = rng.choice(NAVIGATORS)
            return "supervisor", "assignment", {
                "navigator_id": self.navigator_ids[user],
                "over_limit_reason": "crash test: every case is assigned"}
        if state == "accepted":
            return nav, "needs-assessment", {"items": [
                {"pathway": "alcohol", "severity": "high", "notes": "synthetic"},
                {"pathway": "housing", "severity": "none"}]}
        if state == "needs_assessed" and not case["drafted"]:
            return nav, "contract", {"start": today, "conditions": conditions}
        if state == "needs_assessed":
            return nav, "contract/signature", {
                "signed_on": today, "kind": "on_screen", "typed_name": "Synthetic Participant"}
        if state == "contract_signed":
            return nav, "contract/start", {}
        if state == "active" and case["variations"] < MAX_VARIATIONS:
            return nav, "contract/variation", {
                "reason": f"crash test variation {case['variations'] + 1}",
                "conditions": conditions,
                "signature": {"signed_on": today, "kind": "on_screen",
                              "typed_name": "Synthetic Participant"}}
        return None

    def case_worker(self, index):
        rng = random.Random(f"{self.seed}-{self.label}-case-{index}")
        while not self.stop.is_set():
            case = self.take_case()
            if case is None:
                return
            step = self.next_step(case, rng)
            if step is None:
                continue  # done: not given back
            user, endpoint, body = step
            if user is None:  # navigator not known yet (after a refresh it is)
                if self.refresh(case):
                    self.give_back(case)
                else:
                    self.give_back(case)
                continue
            path = f"/api/v1/cases/{case['id']}/{endpoint}"
            result = self.call("POST", path, user, body=body, if_match=case["version"])
            if result is None or result[0] != 200:
                # No answer, a conflict (an import opened a review), or refused: reload.
                if not self.stop.is_set():
                    self.refresh(case)
                    self.give_back(case)
                continue
            answer = result[1]
            version = answer["version"]
            with self.ledger.lock:
                self.ledger.steps.append((case["id"], version, endpoint))
                if "contract" in answer and isinstance(answer["contract"], dict):
                    contract = answer["contract"]
                    self.ledger.contracts.append(
                        (case["id"], contract["contract_id"], contract["contract_version"]))
            case["version"] = version
            case["state"] = answer.get("state", case["state"])
            if endpoint == "assignment":
                case["navigator"] = body["navigator_id"]
                case["navigator_user"] = next(
                    u for u, i in self.navigator_ids.items() if i == body["navigator_id"])
            if endpoint == "contract":
                case["drafted"] = True
            if endpoint == "contract/variation":
                case["variations"] += 1
            self.give_back(case)

    # -- arrest feeds

    def import_worker(self, index):
        rng = random.Random(f"{self.seed}-{self.label}-import-{index}")
        source = f"crash-{self.label}"
        while not self.stop.is_set():
            time.sleep(rng.uniform(0.2, 0.6))
            with self.pool_lock:
                known = rng.sample(self.people, min(2, len(self.people)))
            rows = ["arrest_ref,given_name,surname,dob,postcode,pnc_id,arrest_date,offence"]
            refs = []
            for person in known:
                self.import_counter += 1
                ref = f"CR-{self.import_counter:07d}"
                refs.append(ref)
                rows.append(f"{ref},{person['given_name']},{person['family_name']},"
                            f"{person['date_of_birth']},{person['postcode']},,"
                            f"{self.today.isoformat()},theft")
            for _ in range(3):
                self.import_counter += 1
                ref = f"CR-{self.import_counter:07d}"
                refs.append(ref)
                born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 50 * 365))
                rows.append(f"{ref},{synthetic_name(rng, 2)},{synthetic_name(rng, 3)},"
                            f"{born.isoformat()},QX9 9ZZ,,{self.today.isoformat()},burglary")
            feed = "\n".join(rows) + "\n"
            result = self.call("POST", f"/api/v1/imports/arrests?source={source}", "supervisor",
                               body=feed)
            if result is None or result[0] != 200:
                continue
            summary = result[1]["summary"]
            if result[1].get("rejects"):
                with self.ledger.lock:
                    self.ledger.refused.append(f"import rejects: {result[1]['rejects']}")
                continue
            if summary["new"] + summary["duplicates"] != len(refs):
                with self.ledger.lock:
                    self.ledger.refused.append(f"import summary does not add up: {summary}")
            with self.ledger.lock:
                self.ledger.imports.append((source, refs))


# ---- the database, read directly for the checks ----------------------------------------------


class Database:
    def __init__(self, backend: str, url: str, pg_server: str | None, sqlite_path: Path | None):
        self.backend, self.url = backend, url
        self.pg_server, self.sqlite_path = pg_server, sqlite_path

    def idhex(self, column: str) -> str:
        if self.backend == "sqlite":
            return f"lower(hex({column}))"
        return f"replace({column}::text, '-', '')"

    def query(self, sql: str) -> list[tuple]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(r) for r in conn.execute(sql).fetchall()]
            finally:
                conn.close()
        out = subprocess.run(
            ["psql", "-X", "-q", "-At", "-F", "\t", self.url, "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def sqlite_fk_check(self) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.sqlite_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()


def check(db: Database, binary: str, ledger: Ledger, label: str) -> tuple[list[str], int]:
    """Every acknowledged write present, no half-written case, audit chain intact, references
    unique and gap-free. Returns (problems, writes checked)."""
    problems: list[str] = []
    referrals, steps, contracts, imports, sessions = ledger.snapshot()
    h = db.idhex

    cases = {
        row[0]: {"reference": row[1], "version": int(row[2]), "state": row[3],
                 "referral_ok": row[4] not in (None, "", "0", 0)}
        for row in db.query(
            f"SELECT {h('c.id')}, c.reference, c.version, c.state, "
            f"(SELECT COUNT(*) FROM referrals r WHERE r.id = c.referral_id) FROM cases c")
    }
    events: dict[tuple[str, int], str] = {
        (row[0], int(row[1])): row[2]
        for row in db.query(f"SELECT {h('case_id')}, sequence, kind FROM case_events")
    }
    event_stats = {
        row[0]: (int(row[1]), int(row[2]), int(row[3]))
        for row in db.query(
            f"SELECT {h('case_id')}, COUNT(*), MIN(sequence), MAX(sequence) "
            "FROM case_events GROUP BY case_id")
    }

    # 1. Acknowledged referrals: the case, with the reference the client was given.
    for case_id, acked in referrals.items():
        key = uuid.UUID(case_id).hex
        found = cases.get(key)
        if found is None:
            problems.append(f"acknowledged referral lost: case {case_id} ({acked['reference']})")
        elif found["reference"] != acked["reference"]:
            problems.append(f"case {case_id}: reference {found['reference']}, "
                            f"acknowledged as {acked['reference']}")
    # 2. Acknowledged case steps: the case is at least at that version and the event at that
    #    sequence (or the one before, when a step also moved key dates) is the step's kind.
    for case_id, version, endpoint in steps:
        key = uuid.UUID(case_id).hex
        found = cases.get(key)
        if found is None or found["version"] < version:
            problems.append(f"acknowledged {endpoint} lost: case {case_id} acknowledged at v{version}, "
                            f"stored at v{found['version'] if found else 'none'}")
            continue
        kinds = {events.get((key, version)), events.get((key, version - 1))}
        if not kinds & STEP_KINDS[endpoint]:
            problems.append(f"case {case_id} v{version}: {endpoint} acknowledged but the events "
                            f"there are {sorted(k for k in kinds if k)}")
    # 3. Acknowledged contract versions.
    stored_contracts = {
        row[0]: (row[1], int(row[2]))
        for row in db.query(f"SELECT {h('id')}, {h('case_id')}, version FROM contracts")
    }
    for case_id, contract_id, contract_version in contracts:
        found = stored_contracts.get(uuid.UUID(contract_id).hex)
        if found != (uuid.UUID(case_id).hex, contract_version):
            problems.append(f"acknowledged contract {contract_id} v{contract_version} of case "
                            f"{case_id} lost (stored: {found})")
    # 4. Acknowledged arrest imports: every row of the feed is stored.
    stored_refs = set(db.query("SELECT source, arrest_ref FROM arrests"))
    import_rows = 0
    for source, refs in imports:
        for ref in refs:
            import_rows += 1
            if (source, ref) not in stored_refs:
                problems.append(f"acknowledged arrest {source}/{ref} lost")
    # 5. Acknowledged sign-ins: the sessions still exist (their tokens are checked on restart).
    session_rows = int(db.query("SELECT COUNT(*) FROM sessions")[0][0])
    if session_rows < len(sessions):
        problems.append(f"{len(sessions)} sign-ins acknowledged, {session_rows} sessions stored")

    # 6. No half-written case: version = number of events = last sequence, first sequence 1;
    #    a referral, an advice row, an audit row; a decision once screened.
    advice = {row[0] for row in db.query(f"SELECT DISTINCT {h('case_id')} FROM screening_advice")}
    decided = {row[0] for row in db.query(
        f"SELECT DISTINCT {h('a.case_id')} FROM screening_advice a "
        "JOIN decisions d ON d.referral_id = a.referral_id")}
    audited = {row[0].replace("-", "") for row in db.query(
        "SELECT DISTINCT subject_id FROM audit_log WHERE subject_type = 'case'")}
    for key, case in cases.items():
        stats = event_stats.get(key)
        if stats is None or stats != (case["version"], 1, case["version"]):
            problems.append(f"case {case['reference']}: version {case['version']}, events "
                            f"(count, first, last) {stats}")
        if not case["referral_ok"]:
            problems.append(f"case {case['reference']} has no referral")
        if key not in advice:
            problems.append(f"case {case['reference']} has no screening advice")
        if case["state"] != "referred" and key not in decided:
            problems.append(f"case {case['reference']} is {case['state']} without a decision")
        if key not in audited:
            problems.append(f"case {case['reference']} has no audit row")
    orphans = db.query(
        "SELECT COUNT(*) FROM contracts k LEFT JOIN cases c ON c.id = k.case_id WHERE c.id IS NULL")
    if int(orphans[0][0]):
        problems.append(f"{orphans[0][0]} contracts without a case")
    bare = db.query(
        "SELECT COUNT(*) FROM contracts k WHERE NOT EXISTS "
        "(SELECT 1 FROM contract_conditions x WHERE x.contract_id = k.id)")
    if int(bare[0][0]):
        problems.append(f"{bare[0][0]} contracts without conditions")
    gaps = db.query(
        "SELECT COUNT(*) FROM (SELECT case_id, COUNT(*) AS n, MAX(version) AS m FROM contracts "
        "GROUP BY case_id) v WHERE n <> m")
    if int(gaps[0][0]):
        problems.append(f"{gaps[0][0]} cases whose contract versions are not 1..n")
    no_events = db.query(
        "SELECT COUNT(*) FROM case_events e LEFT JOIN cases c ON c.id = e.case_id WHERE c.id IS NULL")
    if int(no_events[0][0]):
        problems.append(f"{no_events[0][0]} events without a case")
    if db.backend == "sqlite":
        broken = db.sqlite_fk_check()
        if broken:
            problems.append(f"foreign key check: {broken[:5]}")

    # 7. References: unique, and gap-free per counter (the counter is taken in the case's
    #    transaction, so a rollback returns the number).
    references = [c["reference"] for c in cases.values()]
    if len(set(references)) != len(references):
        problems.append("duplicate case references")
    counters = db.query("SELECT prefix, year, last_value FROM case_reference_counters")
    for prefix, year, last in counters:
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references
                         if r.startswith(f"{prefix}-{year}-"))
        if numbers != list(range(1, int(last) + 1)):
            missing = sorted(set(range(1, int(last) + 1)) - set(numbers))
            problems.append(f"references {prefix}-{year}: counter at {last}, "
                            f"{len(numbers)} cases, missing {missing[:10]}")

    # 8. The audit chain, end to end, by the real command.
    verify = subprocess.run([binary, "--database", db.url, "audit", "verify"],
                            capture_output=True, text=True)
    if verify.returncode != 0:
        problems.append(f"audit verify failed: {verify.stdout.strip()} {verify.stderr.strip()}")
    head = db.query("SELECT last_sequence FROM audit_head")
    top = db.query("SELECT COUNT(*), COALESCE(MAX(sequence), 0) FROM audit_log")
    if int(head[0][0]) != int(top[0][1]) or int(top[0][0]) != int(top[0][1]):
        problems.append(f"audit head at {head[0][0]}, log has {top[0][0]} rows up to {top[0][1]}")

    checked = len(referrals) + len(steps) + len(contracts) + import_rows + len(sessions)
    return problems, checked


# ---- one backend -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd, **kwargs):
    print("  $ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kwargs)


def run_backend(args, backend: str, workdir: Path) -> bool:
    print(f"\n== {backend} ==", flush=True)
    pg_db = None
    sqlite_path = None
    if backend == "sqlite":
        sqlite_path = workdir / "crash.db"
        url = f"sqlite://{sqlite_path}"
    else:
        pg_db = f"checkpoint_crash_{os.getpid()}"
        server = args.pg_server.rsplit("/", 1)[0]
        run(["psql", "-X", "-q", args.pg_server, "-c", f"CREATE DATABASE {pg_db}"])
        url = f"{server}/{pg_db}"
        settings = subprocess.run(
            ["psql", "-X", "-At", args.pg_server, "-c",
             "SELECT current_setting('server_version') || ', fsync=' || current_setting('fsync') "
             "|| ', synchronous_commit=' || current_setting('synchronous_commit')"],
            capture_output=True, text=True, check=True).stdout.strip()
        print(f"  postgres {settings}")
    db = Database(backend, url, args.pg_server, sqlite_path)
    binary = args.binary
    try:
        run([binary, "--database", url, "migrate"], stdout=subprocess.DEVNULL)
        env = {**os.environ, "CHECKPOINT_PASSWORD": PASSWORD}
        accounts = [("custody.sgt", "custody_officer", None), ("supervisor", "supervisor", "north")]
        accounts += [(n, "navigator", "north") for n in NAVIGATORS]
        for username, role, team in accounts:
            cmd = [binary, "--database", url, "user", "add", username, "--role", role]
            if team:
                cmd += ["--team", team]
            run(cmd, env=env, stdout=subprocess.DEVNULL)

        port = free_port()
        log = workdir / f"serve-{backend}.log"
        server = Server(binary, url, port, log)
        print(f"  $ {binary} --database {url} serve --bind 127.0.0.1:{port}   (log: {log})")
        client = Client(f"http://127.0.0.1:{port}")
        ledger = Ledger()
        server.start()
        server.wait_ready(client, None)
        tokens = {}
        navigator_ids = {}
        for username, _, _ in accounts:
            status, body = client.request(
                "POST", "/api/v1/sessions", body={"username": username, "password": PASSWORD})
            if status != 201:
                raise SystemExit(f"sign-in of {username} answered {status}: {body}")
            tokens[username] = body["token"]
            ledger.sessions[username] = body["token"]
            if username in NAVIGATORS:
                navigator_ids[username] = body["user"]["id"]

        load = Load(client, ledger, tokens, navigator_ids, args.seed, backend, london_today())
        load.start(args.referral_workers, args.case_workers)
        rng = random.Random(f"{args.seed}-{backend}-kills")
        survived = 0
        failures: list[str] = []
        checked = 0
        started = time.monotonic()
        for cycle in range(1, args.cycles + 1):
            load.gate.set()
            time.sleep(rng.uniform(args.min_run, args.max_run))
            server.kill()
            load.gate.clear()
            server.start()
            server.wait_ready(client, tokens["supervisor"])
            load.wait_idle()
            problems, checked = check(db, binary, ledger, backend)
            # Every acknowledged token still signs in after the restart.
            for username, token in tokens.items():
                status, _ = client.request("GET", "/api/v1/me", token=token)
                if status != 200:
                    problems.append(f"the session of {username} was lost (GET /me: {status})")
            with ledger.lock:
                line = (f"  cycle {cycle:3d}: killed, restarted; {checked} acknowledged writes "
                        f"checked, {len(ledger.referrals)} referrals, {len(ledger.steps)} case "
                        f"steps, {sum(len(r) for _, r in ledger.imports)} arrests, "
                        f"{ledger.unacknowledged} requests cut off")
            print(line + (f"  PROBLEMS: {len(problems)}" if problems else "  ok"), flush=True)
            if problems:
                failures.extend(f"cycle {cycle}: {p}" for p in problems)
                if not args.keep_going:
                    break
            else:
                survived += 1
        load.shutdown()
        server.stop()
        # At the end, with the server stopped cleanly.
        problems, checked = check(db, binary, ledger, backend)
        failures.extend(f"final: {p}" for p in problems)
        elapsed = time.monotonic() - started
        states = db.query("SELECT state, COUNT(*) FROM cases GROUP BY state ORDER BY state")
        audit_rows = db.query("SELECT COUNT(*) FROM audit_log")[0][0]
        print(f"  final check: {'ok' if not problems else f'{len(problems)} problems'}")
        print(f"  cases by state: {', '.join(f'{s} {n}' for s, n in states)}; audit rows {audit_rows}")
        with ledger.lock:
            print(f"  {backend}: {survived}/{args.cycles} kill-and-restart cycles survived with "
                  f"nothing lost; {checked} acknowledged writes verified "
                  f"({len(ledger.referrals)} referrals, {len(ledger.steps)} case steps of which "
                  f"{len(ledger.contracts)} contract versions, "
                  f"{sum(len(r) for _, r in ledger.imports)} arrest rows in "
                  f"{len(ledger.imports)} feeds, {len(ledger.sessions)} sign-ins); "
                  f"{ledger.unacknowledged} requests cut off by a kill, {ledger.conflicts} "
                  f"conflicts (409), {len(ledger.server_errors)} server errors, "
                  f"{elapsed:.0f} s")
            for error in ledger.server_errors[:10]:
                print(f"  server error: {error}")
            for refusal in ledger.refused[:10]:
                print(f"  refused: {refusal}")
            if ledger.server_errors and not args.allow_server_errors:
                failures.append(f"{len(ledger.server_errors)} server errors (5xx)")
        for failure in failures[:50]:
            print(f"  FAIL {failure}")
        return not failures
    finally:
        if pg_db and not args.keep:
            subprocess.run(["psql", "-X", "-q", args.pg_server, "-c",
                            f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(ROOT / "target/release/checkpoint"))
    parser.add_argument("--cycles", type=int, default=20, help="kills per backend (default 20)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=os.environ.get(
        "CRASH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server (any database on it); a scratch database is created there")
    parser.add_argument("--min-run", type=float, default=0.5, help="seconds of load before a kill, at least")
    parser.add_argument("--max-run", type=float, default=3.0, help="seconds of load before a kill, at most")
    parser.add_argument("--referral-workers", type=int, default=2)
    parser.add_argument("--case-workers", type=int, default=6)
    parser.add_argument("--seed", default="2026")
    parser.add_argument("--workdir", help="keep the databases and logs here (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL scratch database")
    parser.add_argument("--keep-going", action="store_true", help="run every cycle even after a loss")
    parser.add_argument("--allow-server-errors", action="store_true",
                        help="do not fail on 5xx answers (a deadlock or a lock error is one)")
    args = parser.parse_args()
    if args.min_run > args.max_run or args.cycles < 1:
        parser.error("need --cycles >= 1 and --min-run <= --max-run")

    ok = True
    with tempfile.TemporaryDirectory(prefix="checkpoint-crash-") as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            if backend not in ("sqlite", "postgres"):
                parser.error(f"--backends: unknown backend {backend!r}")
            bdir = workdir / backend
            bdir.mkdir(exist_ok=True)
            ok &= run_backend(args, backend, bdir)
    print("\nresult: " + ("nothing lost" if ok else "LOSS OR BROKEN INVARIANT (see FAIL lines)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
