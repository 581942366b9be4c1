#!/usr/bin/env bash
# make compat: real Postgres clients against a real Tocsin. Installs the
# clients (ensure-clients), starts `bin/tocsin playground` on free ports
# (its demo generator feeds the source), creates a source, a table, a
# materialized view and a sink, then runs every client check. Prints one
# line per check (PASS/FAIL) and exits 1 if any fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
"$ROOT/scripts/compat/ensure-clients" || exit 1
"$ROOT/scripts/ensure-psql" >/dev/null || exit 1

WORK=$(mktemp -d)
TOCSIN_PID=""
cleanup() {
  if [ -n "$TOCSIN_PID" ]; then
    kill "$TOCSIN_PID" 2>/dev/null
    wait "$TOCSIN_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/bin/tocsin" playground --pg-addr 127.0.0.1:0 --kafka-addr 127.0.0.1:0 --rate 50 --services 3 \
  --data-dir "$WORK/data" --log-level warn >"$WORK/tocsin.out" 2>&1 &
TOCSIN_PID=$!
PORT="" KAFKA=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/.*Postgres wire: *127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/tocsin.out")
  KAFKA=$(sed -n 's/.*Kafka broker: *\(127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/tocsin.out")
  [ -n "$PORT" ] && [ -n "$KAFKA" ] && break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "FAIL start: tocsin playground did not start"; cat "$WORK/tocsin.out"; exit 1
fi

export PGCONNECT_TIMEOUT=5 PGSSLMODE=disable PAGER= PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=tocsin PGDATABASE=tocsin
failed=0
result() { # result NAME STATUS [DETAIL]
  if [ "$2" -eq 0 ]; then echo "PASS $1"; else echo "FAIL $1${3:+: $3}"; failed=$((failed + 1)); fi
}

out=$(psql -X -q -v ON_ERROR_STOP=1 2>&1 <<SQL
CREATE SOURCE requests (ts TIMESTAMP, service VARCHAR, host VARCHAR, latency_ms DOUBLE PRECISION, status INT,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector='kafka', topic='requests', properties.bootstrap.server='$KAFKA', scan.startup.mode='earliest')
FORMAT PLAIN ENCODE JSON;
CREATE TABLE alerts (id INT PRIMARY KEY, host TEXT NOT NULL, ts TIMESTAMPTZ, v DOUBLE PRECISION);
INSERT INTO alerts VALUES (1, 'h1', '2026-01-01 00:00:00+00', 1.5), (2, 'h2', '2026-01-01 00:01:00+00', 2.5);
CREATE MATERIALIZED VIEW mv_alerts AS SELECT service, count(*) AS n, max(latency_ms) AS max_ms FROM requests GROUP BY service;
CREATE SINK alerts_out FROM mv_alerts WITH (connector = 'kafka', topic = 'alerts_out', properties.bootstrap.server = '$KAFKA');
SQL
)
result "setup (source, table, materialized view, sink)" $? "$out"
# The demo generator feeds the source: wait until the view holds all services.
for _ in $(seq 1 200); do
  [ "$(psql -X -Atc 'SELECT count(*) FROM mv_alerts' 2>/dev/null)" = "3" ] && break
  sleep 0.1
done
[ "$(psql -X -Atc 'SELECT count(*) FROM mv_alerts' 2>&1)" = "3" ]
result "view filled by the source" $?

# Every captured client catalog/session statement (cmd/tocsin/testdata/compat).
out=$(TOCSIN_COMPAT_STRICT=1 go test -count=1 -run '^TestClientCapturedQueries$' -v ./cmd/tocsin 2>&1)
echo "$out" | sed -n 's/^ *compat_test.go:[0-9]*: \(\(PASS\|FAIL\) captured .*\)/\1/p'
n=$(echo "$out" | grep -c 'FAIL captured')
failed=$((failed + n))
echo "$out" | grep -q '^ok' || { [ "$n" -gt 0 ] || result "captured statements" 1 "$(echo "$out" | tail -5)"; }

/usr/bin/python3 scripts/compat/psycopg2_check.py "$PORT" || failed=$((failed + 1))
/usr/bin/python3 scripts/compat/sqlalchemy_check.py "$PORT" || failed=$((failed + 1))

mkdir -p "$WORK/java"
if javac -d "$WORK/java" -cp /usr/share/java/postgresql.jar scripts/compat/JdbcCheck.java 2>"$WORK/javac.err"; then
  java -cp "/usr/share/java/postgresql.jar:$WORK/java" JdbcCheck "$PORT" || failed=$((failed + 1))
else
  result "jdbc: compile JdbcCheck.java" 1 "$(cat "$WORK/javac.err")"
fi

# pgcli, headless: -e... is not in 3.5; its \d output goes through a pager
# unless stdout is not a terminal, so pipe the commands in, with a pause
# that lets its background autocompletion refresh run (a traceback there
# fails the check).
out=$({ printf '\\d\n'; sleep 2; printf '\\d alerts\n'; } | HOME="$WORK" TERM=dumb timeout 60 pgcli -h 127.0.0.1 -p "$PORT" -U tocsin -d tocsin --less-chatty 2>&1)
st=$?
echo "$out" >"$WORK/pgcli.out"
# (Relation names such as requests_errors contain "error": look for
# pgcli's error and traceback lines instead.)
echo "$out" | grep -q 'mv_alerts' && echo "$out" | grep -q 'double precision' &&
  ! echo "$out" | grep -qiE '^(error|traceback)|does not exist|not supported|syntax error'
result "pgcli: \\d and \\d alerts" $(( st != 0 || $? != 0 )) "$(head -20 "$WORK/pgcli.out")"

# pgcli's background autocompletion queries, run synchronously (a piped
# pgcli may exit before its refresher thread finishes).
/usr/bin/python3 scripts/compat/pgcli_completion_check.py "$PORT" || failed=$((failed + 1))

# The golden psql meta-command test.
out=$(go test -count=1 -run '^TestPsqlMetaCommands$' ./cmd/tocsin 2>&1)
result "psql: meta-commands golden (TestPsqlMetaCommands)" $? "$(echo "$out" | tail -20)"

if [ "$failed" -ne 0 ]; then
  echo "compat: $failed check(s) failed"
  exit 1
fi
echo "compat: all checks passed"
