package engine_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/pgwire"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// fileRoles is a ConfiguredRoles: name → superuser.
type fileRoles map[string]bool

func (f fileRoles) ConfiguredRole(name string) (bool, bool) {
	super, ok := f[name]
	return ok, super
}

func (f fileRoles) ConfiguredRoleNames() []string {
	var out []string
	for n := range f {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func wantCode(t *testing.T, err error, code sqlerr.Code, msg string) {
	t.Helper()
	if sqlerr.CodeOf(err) != code || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v (%s), want %s %q", err, sqlerr.CodeOf(err), code, msg)
	}
}

func TestCreateAlterDropUser(t *testing.T) {
	dir := t.TempDir()
	te := openEngine(t, dir, -1)
	te.exec(t, "CREATE USER alice WITH PASSWORD 'secret'")
	v, ok := te.LoginVerifier("alice")
	if !ok || !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") || strings.Contains(v, "secret") {
		t.Fatalf("alice's verifier = %q, %v", v, ok)
	}
	// A verifier literal is stored as is, MD5 or SCRAM.
	const md5 = "md5f06f2d1c2e2b84d4d0dbb9a35f8d8c07"
	te.exec(t, "CREATE ROLE bob LOGIN PASSWORD '"+md5+"'; CREATE USER carol PASSWORD '"+v+"'")
	if got, _ := te.LoginVerifier("bob"); got != md5 {
		t.Fatalf("bob = %q", got)
	}
	if got, _ := te.LoginVerifier("carol"); got != v {
		t.Fatalf("carol = %q", got)
	}
	// A malformed verifier is a password, as in PostgreSQL.
	te.exec(t, "CREATE USER dave PASSWORD 'SCRAM-SHA-256$x'")
	if got, _ := te.LoginVerifier("dave"); got == "SCRAM-SHA-256$x" || !strings.HasPrefix(got, "SCRAM-SHA-256$4096:") {
		t.Fatalf("dave = %q", got)
	}
	// CREATE ROLE is NOLOGIN, and a role without a password cannot log in.
	r := te.exec(t, "CREATE ROLE nologin PASSWORD 'x'; CREATE USER nopass")
	if !slices.Equal(r.tags, []string{"CREATE ROLE", "CREATE ROLE"}) {
		t.Fatalf("tags %v", r.tags)
	}
	for _, n := range []string{"nologin", "nopass", "nobody"} {
		if _, ok := te.LoginVerifier(n); ok {
			t.Fatalf("%s may log in", n)
		}
	}

	_, err := te.execErr("CREATE USER alice PASSWORD 'x'", "")
	wantCode(t, err, sqlerr.DuplicateObject, `role "alice" already exists`)
	_, err = te.execErr("CREATE USER tocsin", "")
	wantCode(t, err, sqlerr.DuplicateObject, `role "tocsin" already exists`)
	_, err = te.execErr("ALTER USER zed PASSWORD 'x'", "")
	wantCode(t, err, sqlerr.UndefinedObject, `role "zed" does not exist`)
	_, err = te.execErr("DROP USER zed", "")
	wantCode(t, err, sqlerr.UndefinedObject, `role "zed" does not exist`)
	_, err = te.execErr("CREATE USER eve SUPERUSER", "")
	wantCode(t, err, sqlerr.FeatureNotSupported, "SUPERUSER")
	_, err = te.execErr("DROP USER test", "")
	wantCode(t, err, sqlerr.UndefinedObject, `role "test" does not exist`)
	// A role named twice is not found the second time, and nothing is
	// dropped; with IF EXISTS the second is skipped.
	_, err = te.execErr("DROP USER alice, alice", "")
	wantCode(t, err, sqlerr.UndefinedObject, `role "alice" does not exist`)
	if _, ok := te.LoginVerifier("alice"); !ok {
		t.Fatal("DROP USER alice, alice dropped alice")
	}

	te.exec(t, "ALTER USER alice WITH PASSWORD 'other'")
	if v2, _ := te.LoginVerifier("alice"); v2 == v || !strings.HasPrefix(v2, "SCRAM-SHA-256$") {
		t.Fatalf("ALTER kept the verifier: %q", v2)
	}
	te.exec(t, "ALTER ROLE nologin LOGIN; DROP USER IF EXISTS dave, zed; DROP ROLE nopass")
	if _, ok := te.LoginVerifier("nologin"); !ok {
		t.Fatal("ALTER ROLE LOGIN did not take")
	}

	// pg_roles lists them, never with a password; \du's query runs.
	rows := te.exec(t, `SELECT rolname, rolsuper, rolcanlogin, rolpassword FROM pg_catalog.pg_roles ORDER BY 1`)
	var got []string
	for i := range rows.rows {
		got = append(got, rows.col(i, "rolname").S+":"+rows.col(i, "rolsuper").String()+":"+
			rows.col(i, "rolcanlogin").String()+":"+rows.col(i, "rolpassword").S)
	}
	want := []string{"alice:f:t:********", "bob:f:t:********", "carol:f:t:********",
		"nologin:f:t:********", "test:t:t:********", "tocsin:t:t:********"}
	if !slices.Equal(got, want) {
		t.Fatalf("pg_roles:\n got %v\nwant %v", got, want)
	}
	if r := te.exec(t, "SELECT count(*) AS n FROM pg_catalog.pg_authid WHERE rolpassword IS NOT NULL"); r.rows[0][0].I != 0 {
		t.Fatalf("pg_authid shows %d passwords", r.rows[0][0].I)
	}
	te.exec(t, psqlDU)
	oid := te.exec(t, "SELECT oid FROM pg_roles WHERE rolname = 'alice'").rows[0][0].I
	// The catalog functions know SQL roles' oids (\dp, \l and friends
	// name owners with them).
	r = te.exec(t, "SELECT pg_get_userbyid(to_regrole('alice')) AS a, to_regrole('alice')::oid = "+
		"(SELECT oid FROM pg_roles WHERE rolname = 'alice') AS same")
	if r.rows[0][0].S != "alice" || r.rows[0][1].I != 1 {
		t.Fatalf("pg_get_userbyid(to_regrole('alice')) = %v", r.rows[0])
	}
	before, _ := te.LoginVerifier("alice")

	// The roles survive a restart, with their verifiers and oids.
	if err := te.Close(); err != nil {
		t.Fatal(err)
	}
	te = openEngine(t, dir, -1)
	defer te.Close()
	if after, ok := te.LoginVerifier("alice"); !ok || after != before {
		t.Fatalf("after restart: %q, %v", after, ok)
	}
	if got, _ := te.LoginVerifier("bob"); got != md5 {
		t.Fatalf("bob after restart = %q", got)
	}
	for _, n := range []string{"dave", "nopass"} {
		if _, ok := te.LoginVerifier(n); ok {
			t.Fatalf("dropped %s came back", n)
		}
	}
	if got := te.exec(t, "SELECT oid FROM pg_roles WHERE rolname = 'alice'").rows[0][0].I; got != oid {
		t.Fatalf("oid %d after restart, was %d", got, oid)
	}
	_, err = te.execErr("CREATE USER alice", "")
	wantCode(t, err, sqlerr.DuplicateObject, "already exists")
}

// psqlDU is psql 15's \du query.
const psqlDU = `SELECT r.rolname, r.rolsuper, r.rolinherit,
  r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  r.rolconnlimit, r.rolvaliduntil,
  ARRAY(SELECT b.rolname
        FROM pg_catalog.pg_auth_members m
        JOIN pg_catalog.pg_roles b ON (m.roleid = b.oid)
        WHERE m.member = r.oid) as memberof
, r.rolreplication
, r.rolbypassrls
FROM pg_catalog.pg_roles r
WHERE r.rolname !~ '^pg_'
ORDER BY 1;`

// TestRolePermissions: with configured roles (authentication on), only
// configured superusers manage roles; a role may change its own
// password; configured roles are out of SQL's reach.
func TestRolePermissions(t *testing.T) {
	e, err := engine.Open(engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Roles: fileRoles{"admin": true, "ops": false}, PasswordVerifier: pgwire.StoredVerifier})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	run := func(user, sql string) error {
		s := e.NewSession(map[string]string{"user": user})
		defer s.Close()
		return s.Query(context.Background(), sql, &result{})
	}
	wantCode(t, run("ops", "CREATE USER x PASSWORD 'p'"), sqlerr.InsufficientPrivilege, "permission denied to create role")
	if err := run("admin", "CREATE USER app PASSWORD 'p'"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, run("ops", "DROP USER app"), sqlerr.InsufficientPrivilege, "permission denied to drop role")
	wantCode(t, run("ops", "ALTER USER app PASSWORD 'q'"), sqlerr.InsufficientPrivilege, "permission denied to alter role")
	before, _ := e.LoginVerifier("app")
	if err := run("app", "ALTER USER CURRENT_USER PASSWORD 'q'"); err != nil {
		t.Fatalf("changing one's own password: %v", err)
	}
	if after, _ := e.LoginVerifier("app"); after == before {
		t.Fatal("own password not changed")
	}
	wantCode(t, run("app", "ALTER USER app NOLOGIN"), sqlerr.InsufficientPrivilege, "permission denied")
	wantCode(t, run("admin", "CREATE USER ops"), sqlerr.DuplicateObject, `role "ops" already exists`)
	wantCode(t, run("admin", "ALTER USER ops PASSWORD 'x'"), sqlerr.InsufficientPrivilege, "users file")
	wantCode(t, run("admin", "DROP USER ops"), sqlerr.InsufficientPrivilege, "users file")
	wantCode(t, run("admin", "DROP USER tocsin"), sqlerr.InsufficientPrivilege, "built-in superuser")
	wantCode(t, run("app", "DROP USER app"), sqlerr.InsufficientPrivilege, "permission denied")
	if err := run("admin", "DROP USER app"); err != nil {
		t.Fatal(err)
	}

	r := &result{}
	if err := e.NewSession(map[string]string{"user": "admin"}).Query(context.Background(),
		"SELECT rolname, rolsuper FROM pg_roles ORDER BY 1", r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range r.rows {
		got = append(got, r.col(i, "rolname").S+":"+r.col(i, "rolsuper").String())
	}
	if want := []string{"admin:t", "ops:f", "tocsin:t"}; !slices.Equal(got, want) {
		t.Fatalf("pg_roles = %v, want %v", got, want)
	}
}

// wireStatements is a ResultWriter with protocol-level statements.
type wireStatements struct {
	result
	stmts   map[string]bool
	portals int
}

func (w *wireStatements) DeallocatePrepared(name string) bool {
	ok := w.stmts[name]
	delete(w.stmts, name)
	return ok
}
func (w *wireStatements) DeallocateAllPrepared() { clear(w.stmts) }
func (w *wireStatements) ClosePortals()          { w.portals = 0 }

var _ engine.PreparedStatements = (*wireStatements)(nil)

func TestDiscardDeallocate(t *testing.T) {
	te := openEngine(t, "", -1)
	defer te.Close()
	ctx := context.Background()
	w := &wireStatements{stmts: map[string]bool{"a": true, "b": true, "": true}, portals: 2}
	if err := te.sess.Query(ctx, "DEALLOCATE a; DEALLOCATE PREPARE b", w); err != nil {
		t.Fatal(err)
	}
	if len(w.stmts) != 1 || !w.stmts[""] {
		t.Fatalf("statements left: %v", w.stmts)
	}
	wantCode(t, te.sess.Query(ctx, "DEALLOCATE a", w), sqlerr.InvalidSQLStatementName, `prepared statement "a" does not exist`)
	// Without protocol-level statements there is nothing to deallocate.
	_, err := te.execErr("DEALLOCATE x", "")
	wantCode(t, err, sqlerr.InvalidSQLStatementName, "does not exist")

	te.exec(t, "SET application_name = 'pool'; SET extra_float_digits = 3; SET tocsin.custom = 'x'")
	te.exec(t, "CREATE TABLE t (a INT); INSERT INTO t VALUES (1); BEGIN; DECLARE c CURSOR WITH HOLD FOR SELECT a FROM t; COMMIT")
	w = &wireStatements{stmts: map[string]bool{"a": true}, portals: 2}
	if err := te.sess.Query(ctx, "BEGIN", w); err != nil {
		t.Fatal(err)
	}
	wantCode(t, te.sess.Query(ctx, "DISCARD ALL", w), sqlerr.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
	te.exec(t, "ROLLBACK")
	// DISCARD PLANS etc. are allowed in a transaction block.
	r := te.exec(t, "BEGIN; DISCARD PLANS; DISCARD SEQUENCES; DISCARD TEMPORARY; COMMIT")
	if !slices.Equal(r.tags, []string{"BEGIN", "DISCARD PLANS", "DISCARD SEQUENCES", "DISCARD TEMP", "COMMIT"}) {
		t.Fatalf("tags %v", r.tags)
	}
	w.tags = nil
	if err := te.sess.Query(ctx, "DISCARD ALL", w); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.tags, []string{"DISCARD ALL"}) || len(w.stmts) != 0 || w.portals != 0 {
		t.Fatalf("after DISCARD ALL: tags %v, statements %v, portals %d", w.tags, w.stmts, w.portals)
	}
	if got := te.exec(t, "SHOW application_name").rows[0][0].S; got != "" {
		t.Fatalf("application_name = %q after DISCARD ALL", got)
	}
	if got := te.exec(t, "SHOW extra_float_digits").rows[0][0].S; got != "1" {
		t.Fatalf("extra_float_digits = %q after DISCARD ALL", got)
	}
	_, err = te.execErr("FETCH 1 FROM c", "")
	wantCode(t, err, sqlerr.InvalidCursorName, `cursor "c" does not exist`)

	// RESET name restores the session's starting value.
	te.exec(t, "SET extra_float_digits = 3; RESET extra_float_digits")
	if got := te.exec(t, "SHOW extra_float_digits").rows[0][0].S; got != "1" {
		t.Fatalf("extra_float_digits = %q after RESET", got)
	}
}
