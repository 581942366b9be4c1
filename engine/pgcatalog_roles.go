package engine

import (
	"sort"

	"github.com/tocsin-db/tocsin/sql/types"
)

// The rows of pg_authid, pg_roles and pg_user: the built-in superuser
// "tocsin" (oid 10), the roles the server's configuration defines
// (superusers as it marks them), the roles created in SQL (never
// superusers; oid = catalog ID; rolcanlogin = LOGIN) and, when
// authentication is off (no configured roles), any other user name with
// an open session, as a superuser: every such client is one. Passwords are never shown: pg_roles and pg_user show
// PostgreSQL's "********" and pg_authid.rolpassword is NULL.

// pgRoleRow is one role as the catalogs show it.
type pgRoleRow struct {
	oid   uint32
	name  string
	super bool
	login bool
}

// pgRoleRows returns every role, by name.
func (e *Engine) pgRoleRows() []pgRoleRow {
	byName := map[string]pgRoleRow{}
	if e.opts.Roles == nil {
		for _, r := range e.users.roles() {
			byName[r.name] = pgRoleRow{oid: r.oid, name: r.name, super: true, login: true}
		}
	} else {
		for _, name := range e.opts.Roles.ConfiguredRoleNames() {
			_, super := e.opts.Roles.ConfiguredRole(name)
			byName[name] = pgRoleRow{oid: roleOID(name), name: name, super: super, login: true}
		}
	}
	for _, r := range e.cat.Roles() {
		byName[r.Name] = pgRoleRow{oid: r.ID, name: r.Name, login: r.Login}
	}
	byName[superuser] = pgRoleRow{oid: superuserOID, name: superuser, super: true, login: true}
	out := make([]pgRoleRow, 0, len(byName))
	for _, r := range byName {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// roleRows adds the rows of pg_authid, pg_roles or pg_user (rel is
// "schema.name").
func (e *Engine) roleRows(rel string, w pgRows) {
	for _, r := range e.pgRoleRows() {
		super, login := dBool(r.super), dBool(r.login)
		if rel == "pg_catalog.pg_user" {
			w.row(map[string]types.Datum{"usesysid": dOID(r.oid), "usename": dName(r.name), "usesuper": super,
				"usecreatedb": super, "userepl": super, "usebypassrls": super})
			continue
		}
		w.row(map[string]types.Datum{"oid": dOID(r.oid), "rolname": dName(r.name), "rolsuper": super,
			"rolcreaterole": super, "rolcreatedb": super, "rolcanlogin": login, "rolreplication": super, "rolbypassrls": super})
	}
}
