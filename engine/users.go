package engine

import (
	"fmt"
	"strings"

	"github.com/tocsin-db/tocsin/engine/durable"
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/catalog"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Roles created in SQL: CREATE ROLE / CREATE USER, ALTER ROLE / USER and
// DROP ROLE / USER, PostgreSQL's statements.
//
//   - A role lives in the catalog (catalog.Role) and is stored durably as
//     a catalog entry of kind catalog.KindRole whose SQL is a canonical
//     CREATE ROLE holding the password verifier, never the password;
//     recovery replays it (restoreRole). Its oid is its catalog ID.
//   - A password is stored only as a verifier, in PostgreSQL's
//     pg_authid.rolpassword format, made by Options.PasswordVerifier
//     (pgwire.StoredVerifier: a literal that already is a SCRAM-SHA-256
//     or MD5 verifier is kept as is, anything else becomes a
//     SCRAM-SHA-256 verifier). An empty password clears it, with
//     PostgreSQL's notice.
//   - The server's own configuration (Options.Roles, the users file)
//     defines roles too; their names are taken (42710) and SQL cannot
//     alter or drop them (42501). The built-in superuser "tocsin" is
//     taken as well.
//   - Who may run the statements: with Options.Roles nil (authentication
//     off) every session; otherwise only sessions of users the
//     configuration marks superuser, plus ALTER ROLE of one's own
//     password (PASSWORD only), which PostgreSQL allows every role.
//   - SQL roles are never superusers: SUPERUSER, CREATEDB, CREATEROLE,
//     REPLICATION and BYPASSRLS are refused (0A000) and their NO forms
//     accepted; INHERIT / NOINHERIT are accepted and mean nothing (there
//     is no role membership); CONNECTION LIMIT is accepted only as -1 and
//     VALID UNTIL only as 'infinity'.
//   - The statements are not transactional: they take effect at once,
//     inside a transaction block too.

// ConfiguredRoles is what the engine needs to know about the roles the
// server's configuration defines outside SQL. Its methods are called
// concurrently from sessions.
type ConfiguredRoles interface {
	// ConfiguredRole reports whether the configuration defines name and
	// whether it marks it superuser.
	ConfiguredRole(name string) (defined, superuser bool)
	// ConfiguredRoleNames returns the names the configuration defines.
	ConfiguredRoleNames() []string
}

// LoginVerifier returns the password verifier of a role created in SQL
// that may log in. ok is false for an unknown role, a NOLOGIN role and
// a role without a password. It is safe for concurrent use: the server's
// login lookup calls it from connection goroutines, so a role created,
// altered or dropped takes effect at the next login.
func (e *Engine) LoginVerifier(name string) (verifier string, ok bool) {
	r, found := e.cat.Role(name)
	if !found || !r.Login || r.Password == "" {
		return "", false
	}
	return r.Password, true
}

// roleTaken reports why name cannot be created: the built-in superuser,
// a configured role or an existing SQL role.
func (e *Engine) roleTaken(name string) bool {
	if name == superuser {
		return true
	}
	if e.opts.Roles != nil {
		if defined, _ := e.opts.Roles.ConfiguredRole(name); defined {
			return true
		}
	}
	_, ok := e.cat.Role(name)
	return ok
}

// roleAdmin reports whether the session may create, alter and drop
// roles.
func (s *Session) roleAdmin() bool {
	if s.e.opts.Roles == nil {
		return true
	}
	defined, super := s.e.opts.Roles.ConfiguredRole(s.user)
	return defined && super
}

// sqlRole returns the SQL role name for ALTER or DROP, or the error for
// a name SQL cannot change.
func (s *Session) sqlRole(name string, off int, verb string) (catalog.Role, error) {
	if name == superuser {
		return catalog.Role{}, sqlerr.At(sqlerr.InsufficientPrivilege, off, "cannot %s role %s: it is the built-in superuser", verb, name)
	}
	if s.e.opts.Roles != nil {
		if defined, _ := s.e.opts.Roles.ConfiguredRole(name); defined {
			return catalog.Role{}, sqlerr.At(sqlerr.InsufficientPrivilege, off, "cannot %s role %q: it is defined in the server's users file", verb, name).
				WithHint("Edit the users file (--users-file) and restart the server.")
		}
	}
	r, ok := s.e.cat.Role(name)
	if !ok {
		return catalog.Role{}, sqlerr.At(sqlerr.UndefinedObject, off, "role %q does not exist", name)
	}
	return r, nil
}

func (s *Session) createRole(st *ast.CreateRole, w ResultWriter) error {
	if !s.roleAdmin() {
		return sqlerr.At(sqlerr.InsufficientPrivilege, st.Off, "permission denied to create role").
			WithDetail("Only users the server's users file marks superuser may create roles.")
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.e.roleTaken(st.Name) {
		return sqlerr.At(sqlerr.DuplicateObject, st.Off, "role %q already exists", st.Name)
	}
	r := catalog.Role{Name: st.Name, Login: st.User}
	if err := s.e.applyRoleOptions(&r, st.Options, w); err != nil {
		return err
	}
	r.ID = s.e.cat.NextID()
	if err := s.e.persistRole(r); err != nil {
		return err
	}
	return s.e.cat.AddRole(r)
}

func (s *Session) alterRole(st *ast.AlterRole, w ResultWriter) error {
	name := st.Name
	if st.Current {
		name = s.user
	}
	if !s.roleAdmin() && !(name == s.user && onlyPassword(st.Options)) {
		return sqlerr.At(sqlerr.InsufficientPrivilege, st.Off, "permission denied to alter role").
			WithDetail("Only users the server's users file marks superuser may alter roles; a role may change its own password.")
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	r, err := s.sqlRole(name, st.Off, "alter")
	if err != nil {
		return err
	}
	if err := s.e.applyRoleOptions(&r, st.Options, w); err != nil {
		return err
	}
	if err := s.e.persistRole(r); err != nil {
		return err
	}
	return s.e.cat.ReplaceRole(r)
}

// onlyPassword reports whether opts change nothing but the password.
func onlyPassword(opts []ast.RoleOption) bool {
	for _, o := range opts {
		if o.Kind != ast.RolePassword {
			return false
		}
	}
	return len(opts) > 0
}

func (s *Session) dropRole(st *ast.DropRole, w ResultWriter) error {
	if !s.roleAdmin() {
		return sqlerr.At(sqlerr.InsufficientPrivilege, st.Off, "permission denied to drop role").
			WithDetail("Only users the server's users file marks superuser may drop roles.")
	}
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	// Check every name first, so a failure drops nothing.
	var drop []catalog.Role
	seen := map[string]bool{}
	for _, name := range st.Names {
		r, err := s.sqlRole(name, st.Off, "drop")
		if err == nil && seen[r.Name] {
			// Named twice: PostgreSQL drops it, then does not find it.
			err = sqlerr.At(sqlerr.UndefinedObject, st.Off, "role %q does not exist", name)
		}
		if sqlerr.CodeOf(err) == sqlerr.UndefinedObject && st.IfExists {
			if err := w.Notice("NOTICE", fmt.Sprintf("role %q does not exist, skipping", name)); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if name == s.user {
			return sqlerr.At(sqlerr.ObjectInUse, st.Off, "current user cannot be dropped")
		}
		seen[r.Name] = true
		drop = append(drop, r)
	}
	for _, r := range drop {
		if err := s.e.db.DropObject(r.ID); err != nil {
			return sqlerr.Wrap(err, sqlerr.IOError, "drop role %s", r.Name)
		}
		s.e.cat.RemoveRole(r.Name)
	}
	return nil
}

// applyRoleOptions applies CREATE / ALTER ROLE options to r.
func (e *Engine) applyRoleOptions(r *catalog.Role, opts []ast.RoleOption, w ResultWriter) error {
	for _, o := range opts {
		switch o.Kind {
		case ast.RoleLogin:
			r.Login = o.On
		case ast.RolePassword:
			switch {
			case o.Null:
				r.Password = ""
			case o.Value == "":
				if err := w.Notice("NOTICE", "empty string is not a valid password, clearing password"); err != nil {
					return err
				}
				r.Password = ""
			case e.opts.PasswordVerifier == nil:
				return sqlerr.At(sqlerr.FeatureNotSupported, o.Off, "this server does not store passwords")
			default:
				v, err := e.opts.PasswordVerifier(o.Value)
				if err != nil {
					return err
				}
				r.Password = v
			}
		case ast.RoleInherit:
		case ast.RoleSuperuser, ast.RoleCreateDB, ast.RoleCreateRole, ast.RoleReplication, ast.RoleBypassRLS:
			if o.On {
				return sqlerr.At(sqlerr.FeatureNotSupported, o.Off, "roles created in SQL cannot have the %s attribute", o.Kind).
					WithHint("Superusers are the users the server's users file marks superuser.")
			}
		case ast.RoleConnectionLimit:
			if o.Value != "-1" {
				return sqlerr.At(sqlerr.FeatureNotSupported, o.Off, "CONNECTION LIMIT is not supported per role").
					WithHint("The server's --max-connections limits connections.")
			}
		case ast.RoleValidUntil:
			if !strings.EqualFold(o.Value, "infinity") {
				return sqlerr.At(sqlerr.FeatureNotSupported, o.Off, "VALID UNTIL is not supported")
			}
		default:
			return sqlerr.At(sqlerr.FeatureNotSupported, o.Off, "role option %s is not supported", o.Kind)
		}
	}
	return nil
}

// persistRole stores r's canonical CREATE ROLE durably. e.mu is held.
func (e *Engine) persistRole(r catalog.Role) error {
	err := e.db.PutCatalog(durable.CatalogEntry{ID: r.ID, Kind: uint8(catalog.KindRole), Name: r.Name, SQL: roleSQL(r)})
	if err != nil {
		return sqlerr.Wrap(err, sqlerr.IOError, "store the catalog")
	}
	return nil
}

// roleSQL is the statement that re-creates r: its password is the
// verifier, which CREATE ROLE keeps as is.
func roleSQL(r catalog.Role) string {
	st := &ast.CreateRole{Name: r.Name, Options: []ast.RoleOption{{Kind: ast.RoleLogin, On: r.Login}}}
	if r.Password != "" {
		st.Options = append(st.Options, ast.RoleOption{Kind: ast.RolePassword, Value: r.Password})
	}
	return ast.Format(st)
}

// restoreRole re-creates a stored role while the catalog is replayed.
func (e *Engine) restoreRole(st *ast.CreateRole, id uint32) error {
	r := catalog.Role{ID: id, Name: st.Name, Login: st.User}
	for _, o := range st.Options {
		switch {
		case o.Kind == ast.RoleLogin:
			r.Login = o.On
		case o.Kind == ast.RolePassword && !o.Null:
			r.Password = o.Value // written by roleSQL: a verifier
		}
	}
	return e.cat.AddRole(r)
}
