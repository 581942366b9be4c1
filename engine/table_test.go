package engine_test

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// TestTables covers CREATE TABLE with a primary key, INSERT, UPDATE,
// DELETE and COPY (text and CSV), the constraint errors clients expect,
// and durability across a restart.
func TestTables(t *testing.T) {
	dir := t.TempDir()
	te := openEngine(t, dir, -1)
	te.exec(t, `CREATE TABLE thresholds (service VARCHAR PRIMARY KEY, max_ms DOUBLE PRECISION, owner TEXT)`)
	if r := te.exec(t, `INSERT INTO thresholds VALUES ('svc-01', 250, 'ana'), ('svc-02', 400.5, NULL)`); r.tags[0] != "INSERT 0 2" {
		t.Fatalf("tag %v", r.tags)
	}
	mustFail := func(sql, data string, code sqlerr.Code) {
		t.Helper()
		if _, err := te.execErr(sql, data); sqlerr.CodeOf(err) != code {
			t.Fatalf("%s: got %v, want %s", sql, err, code)
		}
	}
	mustFail(`INSERT INTO thresholds VALUES ('svc-01', 1, 'x')`, "", sqlerr.UniqueViolation)
	mustFail(`INSERT INTO thresholds (max_ms) VALUES (1)`, "", sqlerr.NotNullViolation)
	mustFail(`INSERT INTO thresholds VALUES ('svc-09', 'fast', 'x')`, "", sqlerr.InvalidTextRepresentation)
	mustFail(`INSERT INTO thresholds (nope) VALUES (1)`, "", sqlerr.UndefinedColumn)
	mustFail(`INSERT INTO thresholds VALUES ('a', 1, 'x', 'extra')`, "", sqlerr.SyntaxError)
	te.exec(t, `INSERT INTO thresholds (service, max_ms) VALUES ('svc-03', 99)`)
	if r := te.exec(t, `UPDATE thresholds SET max_ms = max_ms * 2 WHERE service <> 'svc-03'`); r.tags[0] != "UPDATE 2" {
		t.Fatalf("update tag %v", r.tags)
	}
	mustFail(`UPDATE thresholds SET service = 'svc-01' WHERE service = 'svc-02'`, "", sqlerr.UniqueViolation)
	te.exec(t, `UPDATE thresholds SET service = 'svc-20' WHERE service = 'svc-02'`)
	if r := te.exec(t, `DELETE FROM thresholds WHERE max_ms < 100`); r.tags[0] != "DELETE 1" {
		t.Fatalf("delete tag %v", r.tags)
	}
	r, err := te.execErr(`COPY thresholds FROM STDIN`, "svc-30\t1.5\tbo\nsvc-31\t\\N\tcy\\tan\n\\.\n")
	if err != nil || r.tags[0] != "COPY 2" {
		t.Fatalf("COPY text: %v %v", r.tags, err)
	}
	r, err = te.execErr(`COPY thresholds (service, owner) FROM STDIN WITH (FORMAT csv, HEADER true)`, "service,owner\nsvc-40,\"dee, jr\"\nsvc-41,\n")
	if err != nil || r.tags[0] != "COPY 2" {
		t.Fatalf("COPY csv: %v %v", r.tags, err)
	}
	mustFail(`COPY thresholds FROM STDIN`, "svc-50\tnot-a-number\tx\n", sqlerr.InvalidTextRepresentation)
	mustFail(`COPY thresholds FROM STDIN`, "svc-01\t1\tdup\n", sqlerr.UniqueViolation)
	want := "svc-01|500|ana\nsvc-20|801|NULL\nsvc-30|1.5|bo\nsvc-31|NULL|cy\tan\nsvc-40|NULL|dee, jr\nsvc-41|NULL|NULL"
	if got := te.rows(t, "SELECT service, max_ms, owner FROM thresholds"); got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, -1)
	defer te.Close()
	if got := te.rows(t, "SELECT service, max_ms, owner FROM thresholds"); got != want {
		t.Fatalf("after restart:\n%s\nwant:\n%s", got, want)
	}
	te.exec(t, "DROP TABLE thresholds")
	if _, err := te.execErr("SELECT * FROM thresholds", ""); sqlerr.CodeOf(err) != sqlerr.UndefinedTable {
		t.Fatalf("dropped table still there: %v", err)
	}
}
