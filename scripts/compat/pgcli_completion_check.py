"""pgcli's autocompletion against Tocsin, headless: runs every refresher
of pgcli's CompletionRefresher (the catalog queries pgcli sends in the
background when it connects: schemata, tables, views, columns, foreign
keys, functions, types, databases, casing) synchronously against a real
PGExecute and PGCompleter, then asks for completions.

Usage: pgcli_completion_check.py PORT. Prints one line per check; exits 1
if any fails."""
import sys
import traceback

from prompt_toolkit.document import Document
from pgcli.completion_refresher import CompletionRefresher
from pgcli.pgcompleter import PGCompleter
from pgcli.pgexecute import PGExecute

port = int(sys.argv[1])
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("PASS " if ok else "FAIL ") + "pgcli completion: " + name + ("" if ok else ": " + detail))
    if not ok:
        failed += 1


executor = PGExecute(database="tocsin", user="tocsin", password=None, host="127.0.0.1", port=port, dsn=None)
completer = PGCompleter(smart_completion=True, settings={"casing_file": None, "generate_casing_file": True})
for name, refresh in CompletionRefresher.refreshers.items():
    try:
        refresh(completer, executor)
        check("refresh " + name, True)
    except Exception:  # noqa: BLE001 - every failure is a check's result
        check("refresh " + name, False, traceback.format_exc(limit=3).strip())


def completions(text):
    doc = Document(text=text, cursor_position=len(text))
    return [c.text for c in completer.get_completions(doc, None)]


try:
    got = completions("SELECT * FROM aler")
    check("relation names", "alerts" in got, repr(got[:10]))
    # host is a keyword in pgcli's list, so it quotes the column.
    got = completions("SELECT * FROM alerts WHERE ho")
    check("column names", "host" in got or '"host"' in got, repr(got[:10]))
except Exception:  # noqa: BLE001
    check("completions", False, traceback.format_exc(limit=3).strip())
sys.exit(1 if failed else 0)
