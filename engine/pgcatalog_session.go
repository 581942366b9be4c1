package engine

import (
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The system functions whose value is the session's: current_user (and
// user, session_user, current_role), current_setting. Each statement is
// bound against a child of the engine's registry holding them, as
// closures over a snapshot of the session taken when the statement is
// bound: a plan never reads the live Session, which a SET may change
// and whose goroutine is not the plan's.

// sessionRegistry returns the registry a statement of s binds against.
func (s *Session) sessionRegistry() *functions.Registry {
	r := functions.NewChildRegistry(s.e.opts.Functions)
	name, text, b := types.NameType, types.TextType, types.BoolType
	stable := functions.Stable
	user := s.user
	if user == "" {
		user = superuser
	}
	for _, f := range []string{"current_user", "session_user", "current_role"} {
		catalogFn(r, f, nil, name, stable, func([]types.Datum) types.Datum { return types.StringDatum(name, user) })
	}
	vars := make(map[string]string, len(s.vars))
	for k, v := range s.vars {
		vars[k] = v
	}
	setting := func(n string) (string, bool) {
		n = strings.ToLower(strings.TrimSpace(n))
		if v, ok := vars[n]; ok {
			return v, true
		}
		for _, kv := range pgSettings(s.e) {
			if strings.ToLower(kv[0]) == n {
				return kv[1], true
			}
		}
		return "", false
	}
	// current_setting(name) of a parameter that does not exist is NULL
	// rather than PostgreSQL's error: a row-wise catalog function has no
	// error channel, and clients probe with missing_ok anyway.
	catalogFn(r, "current_setting", []types.Type{text}, text, stable, func(a []types.Datum) types.Datum {
		if v, ok := setting(a[0].S); ok {
			return types.StringDatum(text, v)
		}
		return types.NullDatum(text)
	})
	catalogFn(r, "current_setting", []types.Type{text, b}, text, stable, func(a []types.Datum) types.Datum {
		if v, ok := setting(a[0].S); ok {
			return types.StringDatum(text, v)
		}
		return types.NullDatum(text)
	})
	return r
}
