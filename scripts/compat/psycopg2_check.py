"""psycopg2 against Tocsin: parameters (%s) in a SELECT over the
materialized view and in an INSERT into the table, read back.

Usage: psycopg2_check.py PORT. Prints one line per check; exits 1 if any
fails."""
import sys

import psycopg2

port = int(sys.argv[1])
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + "psycopg2: " + name + ("" if ok else ": " + detail))
    if not ok:
        failed += 1


conn = psycopg2.connect(host="127.0.0.1", port=port, user="tocsin", dbname="tocsin")
conn.autocommit = True
cur = conn.cursor()
try:
    cur.execute("SELECT service, n FROM mv_alerts WHERE service = %s AND n >= %s", ("svc-01", 1))
    rows = cur.fetchall()
    check("SELECT over the view with %s", len(rows) == 1 and rows[0][0] == "svc-01" and rows[0][1] >= 1, repr(rows))
except Exception as e:  # noqa: BLE001 - every failure is a check's result
    check("SELECT over the view with %s", False, str(e).strip())
try:
    cur.execute("INSERT INTO alerts VALUES (%s, %s, %s, %s)", (10, "it's", "2026-03-01 12:00:00+00", 0.25))
    check("INSERT with %s", cur.rowcount == 1, "rowcount %d" % cur.rowcount)
    cur.execute("SELECT id, host, ts, v FROM alerts WHERE id = %s", (10,))
    rows = cur.fetchall()
    ok = len(rows) == 1 and rows[0][0] == 10 and rows[0][1] == "it's" and rows[0][3] == 0.25 \
        and rows[0][2].isoformat() == "2026-03-01T12:00:00+00:00"
    check("INSERT read back with types", ok, repr(rows))
except Exception as e:  # noqa: BLE001
    check("INSERT with %s", False, str(e).strip())
try:
    conn.autocommit = False
    cur.execute("SELECT count(*) FROM alerts WHERE host LIKE %s", ("h%",))
    n = cur.fetchone()[0]
    conn.commit()
    check("transaction (BEGIN/COMMIT)", n == 2, "count %r" % n)
except Exception as e:  # noqa: BLE001
    check("transaction (BEGIN/COMMIT)", False, str(e).strip())
sys.exit(1 if failed else 0)
