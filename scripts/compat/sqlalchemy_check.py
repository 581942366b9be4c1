"""SQLAlchemy's Inspector (psycopg2 dialect) against Tocsin: the table and
the materialized view are listed and their columns have the right types.

Usage: sqlalchemy_check.py PORT. Prints one line per check; exits 1 if
any fails."""
import sys

import sqlalchemy

port = int(sys.argv[1])
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + "sqlalchemy: " + name + ("" if ok else ": " + detail))
    if not ok:
        failed += 1


def attempt(name, f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - every failure is a check's result
        check(name, False, str(e).strip().splitlines()[0])


engine = sqlalchemy.create_engine("postgresql+psycopg2://tocsin@127.0.0.1:%d/tocsin" % port)
insp = None


def connect():
    global insp
    insp = sqlalchemy.inspect(engine)
    check("connect and inspect", True)


attempt("connect and inspect", connect)


def tables():
    names = insp.get_table_names()
    check("get_table_names", "alerts" in names, repr(names))


def views():
    names = insp.get_view_names()
    check("get_view_names", "mv_alerts" in names, repr(names))


def columns(rel, want):
    def run():
        got = {c["name"]: (type(c["type"]).__name__, c["nullable"]) for c in insp.get_columns(rel)}
        check("get_columns(%s)" % rel, got == want, "got %r, want %r" % (got, want))
    return run


if insp is not None:
    attempt("get_table_names", tables)
    attempt("get_view_names", views)
    attempt("get_columns(alerts)", columns("alerts", {
        "id": ("INTEGER", False), "host": ("TEXT", False),
        "ts": ("TIMESTAMP", True), "v": ("DOUBLE_PRECISION", True)}))
    attempt("get_columns(mv_alerts)", columns("mv_alerts", {
        "service": ("VARCHAR", True), "n": ("BIGINT", True), "max_ms": ("DOUBLE_PRECISION", True)}))
sys.exit(1 if failed else 0)
