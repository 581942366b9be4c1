package parser

import (
	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Role and session-state statements, in PostgreSQL's syntax:
//
//	CREATE ROLE | USER | GROUP name [[WITH] option ...]
//	ALTER ROLE | USER name [[WITH] option ...]
//	DROP ROLE | USER | GROUP [IF EXISTS] name [, ...]
//	DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY
//	DEALLOCATE [PREPARE] name | ALL
//
// where option is SUPERUSER | NOSUPERUSER | CREATEDB | NOCREATEDB |
// CREATEROLE | NOCREATEROLE | INHERIT | NOINHERIT | LOGIN | NOLOGIN |
// REPLICATION | NOREPLICATION | BYPASSRLS | NOBYPASSRLS | CONNECTION
// LIMIT n | [ENCRYPTED] PASSWORD 'secret' | PASSWORD NULL | VALID UNTIL
// 'timestamp'. Role membership options (IN ROLE, ROLE, ADMIN, USER,
// SYSID) are refused with 0A000. CREATE USER MAPPING, ALTER ROLE ... SET
// / RESET / RENAME and the like stay *ast.Generic.

// roleStmt parses the statements above. ok is false when the statement
// at the cursor is none of them.
func (p *stmtParser) roleStmt() (st ast.Statement, ok bool, err error) {
	t, kind := p.tok(), p.peek(1)
	isRole := kind.is("role") || kind.is("user") || kind.is("group")
	ddl := t.is("create") || t.is("alter") || t.is("drop")
	switch {
	case ddl && kind.is("user") && p.peek(2).is("mapping"):
		st, err = p.generic(3)
	case t.is("create") && isRole:
		st, err = p.createRole()
	case t.is("alter") && (kind.is("role") || kind.is("user")):
		st, err = p.alterRole()
	case t.is("drop") && isRole:
		st, err = p.dropRole()
	case t.is("discard"):
		st, err = p.discard()
	case t.is("deallocate"):
		st, err = p.deallocate()
	default:
		return nil, false, nil
	}
	return st, true, err
}

// roleName reads a role name: an identifier that is not a reserved word.
func (p *stmtParser) roleName() (string, error) {
	name, _, err := p.name()
	return name, err
}

func (p *stmtParser) createRole() (ast.Statement, error) {
	p.i++
	st := &ast.CreateRole{Pos: p.pos(), User: p.tok().is("user")}
	p.i++
	if t := p.tok(); isCurrentRole(t) {
		return nil, sqlerr.At(sqlerr.ReservedName, t.off, "role name %q is reserved", t.val)
	}
	name, err := p.roleName()
	if err != nil {
		return nil, err
	}
	st.Name = name
	if st.Options, err = p.roleOptions(); err != nil {
		return nil, err
	}
	return st, nil
}

// alterRole parses ALTER ROLE name [WITH] options; the other ALTER ROLE
// forms (SET, RESET, RENAME TO, IN DATABASE, ALL) become Generic.
func (p *stmtParser) alterRole() (ast.Statement, error) {
	p.i += 2
	st := &ast.AlterRole{Pos: p.pos()}
	switch t := p.tok(); {
	case isCurrentRole(t):
		st.Current = true
		p.i++
	case t.is("all"):
		return p.generic(2)
	default:
		name, err := p.roleName()
		if err != nil {
			return nil, err
		}
		st.Name = name
	}
	if n := p.tok(); n.is("set") || n.is("reset") || n.is("rename") || n.is("in") {
		return p.generic(2)
	}
	var err error
	if st.Options, err = p.roleOptions(); err != nil {
		return nil, err
	}
	return st, nil
}

// isCurrentRole reports whether t is CURRENT_USER, SESSION_USER or
// CURRENT_ROLE, which ALTER ROLE accepts in place of a name.
func isCurrentRole(t token) bool {
	return t.is("current_user") || t.is("session_user") || t.is("current_role")
}

// roleOptions reads [WITH] option ... to the end of the statement. An
// option given twice is an error, as in PostgreSQL.
func (p *stmtParser) roleOptions() ([]ast.RoleOption, error) {
	p.accept("with")
	var opts []ast.RoleOption
	seen := map[ast.RoleOptionKind]bool{}
	for !p.atEnd() {
		t := p.tok()
		o := ast.RoleOption{Pos: ast.At(t.off)}
		switch {
		case t.is("password") || t.is("encrypted") && p.peek(1).is("password"):
			if t.is("encrypted") {
				p.i++
			}
			p.i++
			o.Kind = ast.RolePassword
			switch v := p.tok(); {
			case v.kind == tString:
				o.Value = v.val
			case v.is("null"):
				o.Null = true
			default:
				return nil, p.err()
			}
			p.i++
		case t.is("unencrypted"):
			return nil, sqlerr.At(sqlerr.FeatureNotSupported, t.off, "UNENCRYPTED PASSWORD is no longer supported").
				WithHint("Remove UNENCRYPTED to store the password in encrypted form instead.")
		case p.accept("connection", "limit"):
			o.Kind = ast.RoleConnectionLimit
			v := p.tok()
			val, _, err := p.optionValue()
			if err != nil {
				return nil, err
			}
			if val != "-1" && !isDigits(val) {
				return nil, p.s.syntaxErr(v)
			}
			o.Value = val
		case p.accept("valid", "until"):
			o.Kind = ast.RoleValidUntil
			v := p.tok()
			if v.kind != tString {
				return nil, p.err()
			}
			o.Value = v.val
			p.i++
		case t.is("in") || t.is("role") || t.is("admin") || t.is("user") || t.is("sysid"):
			return nil, unsupported(t, "%s is not supported: Tocsin has no role membership", upper(t.val))
		case t.kind == tIdent:
			k, on, ok := ast.RoleAttribute(t.val)
			if !ok {
				return nil, sqlerr.At(sqlerr.SyntaxError, t.off, "unrecognized role option %q", t.val)
			}
			o.Kind, o.On = k, on
			p.i++
		default:
			return nil, p.err()
		}
		if seen[o.Kind] {
			return nil, sqlerr.At(sqlerr.SyntaxError, t.off, "conflicting or redundant options")
		}
		seen[o.Kind] = true
		opts = append(opts, o)
	}
	return opts, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (p *stmtParser) dropRole() (ast.Statement, error) {
	p.i += 2
	st := &ast.DropRole{Pos: p.pos(), IfExists: p.accept("if", "exists")}
	for {
		name, err := p.roleName()
		if err != nil {
			return nil, err
		}
		st.Names = append(st.Names, name)
		if !p.acceptOp(",") {
			break
		}
	}
	return st, p.done()
}

// discard parses DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY.
func (p *stmtParser) discard() (ast.Statement, error) {
	p.i++
	st := &ast.Discard{Pos: p.pos()}
	switch t := p.tok(); {
	case t.is("all"):
		st.Kind = ast.DiscardAll
	case t.is("plans"):
		st.Kind = ast.DiscardPlans
	case t.is("sequences"):
		st.Kind = ast.DiscardSequences
	case t.is("temp"), t.is("temporary"):
		st.Kind = ast.DiscardTemp
	default:
		return nil, p.err()
	}
	p.i++
	return st, p.done()
}

// deallocate parses DEALLOCATE [PREPARE] name | ALL.
func (p *stmtParser) deallocate() (ast.Statement, error) {
	p.i++
	st := &ast.Deallocate{Pos: p.pos()}
	if p.tok().is("prepare") && p.i+1 < p.end {
		p.i++
	}
	if p.accept("all") {
		st.All = true
		return st, p.done()
	}
	name, _, err := p.name()
	if err != nil {
		return nil, err
	}
	st.Name = name
	return st, p.done()
}
