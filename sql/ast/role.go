package ast

import "strconv"

// The statements about roles (CREATE / ALTER / DROP ROLE and USER) and
// about the session's own state (DISCARD, DEALLOCATE).

// RoleOptionKind is the kind of a CREATE ROLE / ALTER ROLE option.
type RoleOptionKind uint8

// The role options, as PostgreSQL spells them. The attribute options
// (Login ... BypassRLS) use RoleOption.On for the plain form (LOGIN) and
// its NO form (NOLOGIN).
const (
	RoleLogin RoleOptionKind = iota + 1
	RoleSuperuser
	RoleCreateDB
	RoleCreateRole
	RoleInherit
	RoleReplication
	RoleBypassRLS
	// RolePassword is [ENCRYPTED] PASSWORD 'secret' (Value) or PASSWORD
	// NULL (Null).
	RolePassword
	// RoleConnectionLimit is CONNECTION LIMIT n (Value).
	RoleConnectionLimit
	// RoleValidUntil is VALID UNTIL 'timestamp' (Value).
	RoleValidUntil
)

// roleAttrWords are the keywords of the attribute options, indexed by
// kind.
var roleAttrWords = [...]string{
	RoleLogin:       "LOGIN",
	RoleSuperuser:   "SUPERUSER",
	RoleCreateDB:    "CREATEDB",
	RoleCreateRole:  "CREATEROLE",
	RoleInherit:     "INHERIT",
	RoleReplication: "REPLICATION",
	RoleBypassRLS:   "BYPASSRLS",
}

// String returns the option's keyword (the plain form of an attribute).
func (k RoleOptionKind) String() string {
	switch k {
	case RolePassword:
		return "PASSWORD"
	case RoleConnectionLimit:
		return "CONNECTION LIMIT"
	case RoleValidUntil:
		return "VALID UNTIL"
	}
	if int(k) < len(roleAttrWords) && roleAttrWords[k] != "" {
		return roleAttrWords[k]
	}
	return "RoleOptionKind(" + strconv.Itoa(int(k)) + ")"
}

// RoleAttribute returns the attribute kind a keyword such as "login" or
// "nologin" names (lower case), and whether it is the plain form.
func RoleAttribute(word string) (k RoleOptionKind, on bool, ok bool) {
	find := func(w string) RoleOptionKind {
		for i, kw := range roleAttrWords {
			if kw != "" && asciiUpper(w) == kw {
				return RoleOptionKind(i)
			}
		}
		return 0
	}
	if k := find(word); k != 0 {
		return k, true, true
	}
	if len(word) > 2 && asciiUpper(word[:2]) == "NO" {
		if k := find(word[2:]); k != 0 {
			return k, false, true
		}
	}
	return 0, false, false
}

// RoleOption is one option of CREATE ROLE or ALTER ROLE.
type RoleOption struct {
	Pos
	Kind RoleOptionKind
	// On is true for an attribute's plain form (LOGIN), false for its NO
	// form (NOLOGIN).
	On bool
	// Value is the password, the connection limit or the VALID UNTIL
	// text; Null marks PASSWORD NULL.
	Value string
	Null  bool
}

// CreateRole is CREATE ROLE | USER | GROUP name [[WITH] option ...].
// User is set for CREATE USER, which implies LOGIN unless NOLOGIN is
// given.
type CreateRole struct {
	Pos
	Name    string
	User    bool
	Options []RoleOption
}

// AlterRole is ALTER ROLE | USER name [[WITH] option ...]. Current is
// set, with an empty Name, for CURRENT_USER, SESSION_USER or
// CURRENT_ROLE in place of the name.
type AlterRole struct {
	Pos
	Name    string
	Current bool
	Options []RoleOption
}

// DropRole is DROP ROLE | USER | GROUP [IF EXISTS] name [, ...].
type DropRole struct {
	Pos
	Names    []string
	IfExists bool
}

// DiscardKind is what DISCARD discards.
type DiscardKind uint8

// The DISCARD targets.
const (
	DiscardAll DiscardKind = iota + 1
	DiscardPlans
	DiscardSequences
	DiscardTemp
)

// String returns the target's keyword.
func (k DiscardKind) String() string {
	switch k {
	case DiscardAll:
		return "ALL"
	case DiscardPlans:
		return "PLANS"
	case DiscardSequences:
		return "SEQUENCES"
	case DiscardTemp:
		return "TEMP"
	}
	return "DiscardKind(" + strconv.Itoa(int(k)) + ")"
}

// Discard is DISCARD ALL | PLANS | SEQUENCES | TEMP | TEMPORARY.
type Discard struct {
	Pos
	Kind DiscardKind
}

// Deallocate is DEALLOCATE [PREPARE] name or DEALLOCATE [PREPARE] ALL
// (All, with an empty Name).
type Deallocate struct {
	Pos
	Name string
	All  bool
}

func (*CreateRole) statement() {}
func (*AlterRole) statement()  {}
func (*DropRole) statement()   {}
func (*Discard) statement()    {}
func (*Deallocate) statement() {}

// roleStmt prints the statements of this file; it reports false for
// other statements.
func (p *printer) roleStmt(s Statement) bool {
	switch s := s.(type) {
	case *CreateRole:
		if s.User {
			p.w("CREATE USER ", QuoteIdent(s.Name))
		} else {
			p.w("CREATE ROLE ", QuoteIdent(s.Name))
		}
		p.roleOptions(s.Options)
	case *AlterRole:
		if s.Current {
			p.w("ALTER ROLE CURRENT_USER")
		} else {
			p.w("ALTER ROLE ", QuoteIdent(s.Name))
		}
		p.roleOptions(s.Options)
	case *DropRole:
		p.w("DROP ROLE ")
		if s.IfExists {
			p.w("IF EXISTS ")
		}
		for i, n := range s.Names {
			if i > 0 {
				p.w(", ")
			}
			p.w(QuoteIdent(n))
		}
	case *Discard:
		p.w("DISCARD ", s.Kind.String())
	case *Deallocate:
		if s.All {
			p.w("DEALLOCATE ALL")
		} else {
			p.w("DEALLOCATE ", QuoteIdent(s.Name))
		}
	default:
		return false
	}
	return true
}

func (p *printer) roleOptions(opts []RoleOption) {
	if len(opts) > 0 {
		p.w(" WITH")
	}
	for _, o := range opts {
		p.w(" ")
		switch o.Kind {
		case RolePassword:
			if o.Null {
				p.w("PASSWORD NULL")
			} else {
				p.w("PASSWORD ", quoteString(o.Value))
			}
		case RoleConnectionLimit:
			p.w("CONNECTION LIMIT ", o.Value)
		case RoleValidUntil:
			p.w("VALID UNTIL ", quoteString(o.Value))
		default:
			if !o.On {
				p.w("NO")
			}
			p.w(o.Kind.String())
		}
	}
}
