package functions

import "github.com/tocsin-db/tocsin/sql/types"

// CastKernel converts a Value of type from to type to.
type CastKernel func(ctx *Context, v Value, from, to types.Type, n int) (Value, error)

// CastContext says where a cast may be applied without being written, as
// in pg_cast.castcontext.
type CastContext uint8

// The cast contexts.
const (
	CastExplicit CastContext = iota
	CastAssignment
	CastImplicit
)

// Cast is one conversion from a type to another.
type Cast struct {
	From, To types.Type
	Context  CastContext
	Kernel   CastKernel
}

type castKey struct{ from, to types.Kind }

// AddCast registers a cast. Array casts are keyed by the Array kind.
func (r *Registry) AddCast(c *Cast) {
	if r.casts == nil {
		r.casts = map[castKey]*Cast{}
	}
	r.casts[castKey{c.From.Kind, c.To.Kind}] = c
}

// LookupCast returns the cast from one type to another, if any.
func (r *Registry) LookupCast(from, to types.Type) (*Cast, bool) {
	for reg := r; reg != nil; reg = reg.parent {
		if c, ok := reg.casts[castKey{from.Kind, to.Kind}]; ok {
			return c, true
		}
	}
	return nil, false
}
