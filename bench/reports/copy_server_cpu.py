"""The PostgreSQL server's CPU time for a bulk read: each query given runs as a binary COPY to
this client ten times, three rounds, and the backend's user + system time (/proc/PID/stat, so
the server must run on this machine) is printed per round. The client only drains the rows.

Usage: python bench/reports/copy_server_cpu.py DBNAME "SELECT ..." ["SELECT ..." ...]
Needs psycopg 3 (PyPI `psycopg[binary]`); connects to 127.0.0.1 as postgres.
"""

import os
import sys

import psycopg


def main() -> None:
    database, queries = sys.argv[1], sys.argv[2:]
    conn = psycopg.connect(f"host=127.0.0.1 user=postgres dbname={database}", autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    for query in queries:
        rounds = []
        for _ in range(3):
            before = cpu_seconds()
            for _ in range(10):
                with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
                    for _ in copy:
                        pass
            rounds.append(cpu_seconds() - before)
        print(" ".join(f"{r:.2f}" for r in rounds), "s <-", query[:90])


if __name__ == "__main__":
    main()
