"""The report aggregates of `checkpoint report all`, as SQL in DuckDB over the pseudonymised
Parquet extract (`checkpoint export cases --format parquet`), for bench/reports-vs-duckdb.sh.

It computes the same cross-tabulations the Rust reports start from (funnel by scheme and
month, re-arrest within each follow-up window by group, disproportionality stage counts by
ethnicity, sex and age band, trial arms); it does not suppress small numbers, fit
Kaplan-Meier curves or build intervals, so it is a lower bound on the work a report does.

Usage: python duckdb_reports.py CASES.parquet TODAY(YYYY-MM-DD) [REPEATS]
"""

import sys
import time

import duckdb

QUERIES = {
    "funnel": """
        SELECT scheme, referral_month,
               count(*) AS referred,
               count(*) FILTER (WHERE funnel_stage <> 'referred') AS eligible,
               count(*) FILTER (WHERE ending = 'ineligible') AS ineligible,
               count(*) FILTER (WHERE funnel_stage IN ('offered', 'accepted')) AS offered,
               count(*) FILTER (WHERE funnel_stage = 'accepted') AS accepted,
               count(*) FILTER (WHERE ending = 'declined') AS declined,
               count(*) FILTER (WHERE ending = 'completed') AS completed,
               count(*) FILTER (WHERE ending = 'failed') AS failed,
               count(*) FILTER (WHERE ending = 'withdrawn') AS withdrawn
        FROM cases GROUP BY ROLLUP (scheme, referral_month)""",
    "reoffending": """
        WITH windows(months) AS (VALUES (12), (24)),
        followed AS (
            SELECT w.months,
                   CASE WHEN trial_arm = 'control' THEN 'control'
                        ELSE coalesce(ending, 'ongoing') END AS grp,
                   index_date + to_months(w.months) <= DATE '{today}' AS elapsed,
                   first_rearrest IS NOT NULL AND first_rearrest > index_date
                       AND first_rearrest <= index_date + to_months(w.months) AS reoffended
            FROM cases, windows w
            WHERE index_date IS NOT NULL AND coalesce(ending, '') <> 'ineligible'
              AND (monitored_until IS NULL OR monitored_until >= index_date + to_months(w.months)))
        SELECT months, grp,
               count(*) FILTER (WHERE elapsed) AS followed_up,
               count(*) FILTER (WHERE elapsed AND reoffended) AS reoffended,
               count(*) FILTER (WHERE NOT elapsed) AS not_yet_elapsed
        FROM followed GROUP BY ROLLUP (months, grp)""",
    "disproportionality": """
        SELECT dimension, grp,
               count(*) AS referred,
               count(*) FILTER (WHERE funnel_stage <> 'referred') AS eligible,
               count(*) FILTER (WHERE funnel_stage IN ('offered', 'accepted')) AS offered,
               count(*) FILTER (WHERE funnel_stage = 'accepted') AS accepted,
               count(*) FILTER (WHERE ending IN ('completed', 'failed', 'withdrawn')) AS finished,
               count(*) FILTER (WHERE ending = 'completed') AS completed
        FROM (
            SELECT 'ethnicity_self_defined' AS dimension, coalesce(left(ethnicity_self_defined, 1), 'not stated') AS grp, * FROM cases
            UNION ALL SELECT 'ethnicity_officer_observed', coalesce(ethnicity_officer_observed, 'not recorded'), * FROM cases
            UNION ALL SELECT 'sex', sex, * FROM cases
            UNION ALL SELECT 'age_band', age_band, * FROM cases)
        GROUP BY dimension, grp""",
    "trial": """
        SELECT trial_arm, count(*) AS allocated,
               count(*) FILTER (WHERE index_date IS NULL) AS no_index_date
        FROM cases WHERE trial_arm IS NOT NULL GROUP BY trial_arm""",
}


def main() -> None:
    path, today = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    con = duckdb.connect()
    best = None
    best_cpu = None
    for _ in range(repeats):
        start = time.perf_counter()
        cpu_start = time.process_time()
        # Reading the Parquet file is part of the work, as reading the database is for Rust.
        con.execute(f"CREATE OR REPLACE TEMP TABLE cases AS SELECT * FROM read_parquet('{path}')")
        rows = 0
        for sql in QUERIES.values():
            rows += len(con.execute(sql.format(today=today)).fetchall())
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        best = elapsed if best is None else min(best, elapsed)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    count = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    # The wall time comes last: the bench script reads it from there.
    print(f"duckdb {duckdb.__version__}: {count} cases, {rows} result rows, "
          f"CPU {best_cpu:.2f} s (all threads), best of {repeats}: {best:.3f} s")


if __name__ == "__main__":
    main()
