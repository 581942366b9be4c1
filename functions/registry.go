package functions

import (
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Volatility is how a function's result depends on things other than its
// arguments, as in Postgres.
type Volatility uint8

// The volatilities.
const (
	Immutable Volatility = iota
	Stable
	Volatile
)

// NullPolicy says who handles NULL arguments.
type NullPolicy uint8

// The null policies.
const (
	// NullPropagate: the result is NULL wherever any argument is NULL
	// (STRICT in Postgres). The kernel still gets every row and must not
	// fail on a row whose inputs are NULL; it may leave garbage there.
	NullPropagate NullPolicy = iota
	// NullCustom: the kernel decides (COALESCE, concat, IS DISTINCT ...).
	NullCustom
)

// Kernel evaluates a scalar function over a batch of n rows.
type Kernel func(ctx *Context, args []Value, n int) (Value, error)

// Scalar is one overload of a scalar function or operator.
type Scalar struct {
	Name string
	Args []types.Type
	// Variadic means the last argument type may repeat zero or more
	// times beyond len(Args)-1.
	Variadic bool
	// VariadicAny makes the variadic tail Postgres's VARIADIC "any": each
	// argument from the last declared position on keeps its own type
	// (an untyped literal is text), and the kernel renders it.
	VariadicAny bool
	// Ret is the result type; ReturnFn, if set, computes it from the
	// (coerced) argument types instead.
	Ret      types.Type
	ReturnFn func(args []types.Type) types.Type
	Nulls    NullPolicy
	Vol      Volatility
	Kernel   Kernel
	// Prepare, if set, is called once at plan time with the arguments
	// that are constants (nil entries for the rest) and returns the
	// kernel to use, so a constant regex or LIKE pattern is compiled
	// once. It returns a *sqlerr.Error for invalid constants.
	Prepare func(consts []*types.Datum) (Kernel, error)
	// NewState, if set, makes the function stateful (DRAIN_TEMPLATE):
	// each call site gets its own kernel and state, which sees the rows
	// in the order the plan evaluates them and is checkpointed with the
	// operator that holds the call. Such a function is Volatile.
	NewState func(consts []*types.Datum) (Kernel, KernelState, error)
	// Doc is the one-line description \df shows.
	Doc string
}

// ReturnType returns the overload's result type for the given argument
// types.
func (s *Scalar) ReturnType(args []types.Type) types.Type {
	if s.ReturnFn != nil {
		return s.ReturnFn(args)
	}
	return s.Ret
}

// ParamTypes returns the declared type of each of n arguments, expanding
// a variadic tail.
func (s *Scalar) ParamTypes(n int) []types.Type {
	return expand(s.Args, s.Variadic, n)
}

func expand(decl []types.Type, variadic bool, n int) []types.Type {
	if !variadic || n <= len(decl) {
		return decl
	}
	out := make([]types.Type, 0, n)
	out = append(out, decl...)
	for len(out) < n {
		out = append(out, decl[len(decl)-1])
	}
	return out
}

// Aggregate is one overload of an aggregate function.
type Aggregate struct {
	Name string
	Args []types.Type
	Ret  types.Type
	// ReturnFn, if set, computes the result type from the argument types.
	ReturnFn func(args []types.Type) types.Type
	// New returns an empty grouped state. args are the types of every
	// argument the state's Update receives: the direct arguments (as in
	// Args, after coercion) followed by one per AggOptions.Order key. It
	// returns a *sqlerr.Error 0A000 for options it does not support (a
	// retraction it cannot undo, DISTINCT where meaningless, ...).
	New func(args []types.Type, opts AggOptions) (GroupState, error)
	// Ordered marks ordered-set aggregates written WITHIN GROUP (ORDER BY
	// x) (percentile_cont); their ordering key is a required argument.
	Ordered bool
	// Star marks count(*) (no argument expressions).
	Star bool
	// IgnoresNulls is true for aggregates that skip NULL inputs (all
	// standard ones but count(*)).
	IgnoresNulls bool
	Doc          string
}

// AggOptions are the per-call options of an aggregate.
type AggOptions struct {
	// Retractable asks for a state that accepts retractions (sign -1),
	// because the input is an updating view.
	Retractable bool
	// Distinct is f(DISTINCT x): each distinct value of the arguments
	// counts once per group.
	Distinct bool
	// Order describes the ORDER BY inside the call (string_agg(x, ','
	// ORDER BY y)) or WITHIN GROUP (ORDER BY x): one entry per ordering
	// argument, which follow the direct arguments in Update's args.
	Order []OrderKey
}

// OrderKey is one ordering key of an aggregate call.
type OrderKey struct {
	Desc       bool
	NullsFirst bool
}

// ReturnType returns the aggregate's result type.
func (a *Aggregate) ReturnType(args []types.Type) types.Type {
	if a.ReturnFn != nil {
		return a.ReturnFn(args)
	}
	return a.Ret
}

// NoGroup in a group-id vector means "skip this row" (filtered out, late,
// or excluded by an aggregate's FILTER clause).
const NoGroup = ^uint32(0)

// GroupState holds one aggregate's state for many groups addressed by
// dense group ids, so that one call folds a whole batch.
//
// Update folds row i of args into group groups[i] (skipping NoGroup);
// signs, if non-nil, gives +1 (insert) or -1 (retract) per row. States
// created without retractable never see -1. Finalize computes the
// results of the listed groups as one array. Reset returns a group to
// the empty state so its id can be reused. MarshalGroup and
// UnmarshalGroup serialise one group's state for checkpoints; the bytes
// are stable across versions of the same aggregate.
type GroupState interface {
	Resize(n int)
	Update(args []arrow.Array, groups []uint32, signs []int8) error
	Finalize(groups []uint32) (arrow.Array, error)
	Reset(g uint32)
	MarshalGroup(dst []byte, g uint32) []byte
	UnmarshalGroup(g uint32, src []byte) ([]byte, error)
	// Empty reports whether group g has seen no rows (after retractions),
	// so an updating aggregate can delete its row.
	Empty(g uint32) bool
}

// Registry holds function overloads by lower-case name. A child registry
// sees its parent's functions and may shadow them.
type Registry struct {
	parent     *Registry
	scalars    map[string][]*Scalar
	aggregates map[string][]*Aggregate
	casts      map[castKey]*Cast
	detectors  map[string]*Detector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{scalars: map[string][]*Scalar{}, aggregates: map[string][]*Aggregate{}}
}

// NewChildRegistry returns an empty registry that falls back to parent.
func NewChildRegistry(parent *Registry) *Registry {
	r := NewRegistry()
	r.parent = parent
	return r
}

// AddScalar registers a scalar overload.
func (r *Registry) AddScalar(s *Scalar) {
	n := strings.ToLower(s.Name)
	r.scalars[n] = append(r.scalars[n], s)
}

// AddAggregate registers an aggregate overload.
func (r *Registry) AddAggregate(a *Aggregate) {
	n := strings.ToLower(a.Name)
	r.aggregates[n] = append(r.aggregates[n], a)
}

// IsAggregate reports whether name is an aggregate function.
func (r *Registry) IsAggregate(name string) bool {
	for reg := r; reg != nil; reg = reg.parent {
		if len(reg.aggregates[strings.ToLower(name)]) > 0 {
			return true
		}
	}
	return false
}

// HasScalar reports whether any scalar overload is named name.
func (r *Registry) HasScalar(name string) bool {
	for reg := r; reg != nil; reg = reg.parent {
		if len(reg.scalars[strings.ToLower(name)]) > 0 {
			return true
		}
	}
	return false
}

func (r *Registry) scalarCandidates(name string) []*Scalar {
	for reg := r; reg != nil; reg = reg.parent {
		if c := reg.scalars[name]; len(c) > 0 {
			return c
		}
	}
	return nil
}

func (r *Registry) aggregateCandidates(name string) []*Aggregate {
	for reg := r; reg != nil; reg = reg.parent {
		if c := reg.aggregates[name]; len(c) > 0 {
			return c
		}
	}
	return nil
}

// ResolveScalar picks the overload of name for the argument types and
// returns it with the parameter types each argument must be cast to.
// The error is a *sqlerr.Error 42883 (no such function) or 42725
// (ambiguous), positioned at pos.
func (r *Registry) ResolveScalar(name string, args []types.Type, pos int) (*Scalar, []types.Type, error) {
	name = strings.ToLower(name)
	cands := r.scalarCandidates(name)
	best, params, err := resolve(cands, args, func(s *Scalar) ([]types.Type, bool) {
		if len(args) < len(s.Args) || (!s.Variadic && len(args) != len(s.Args)) || (s.Variadic && len(args) < len(s.Args)-1) {
			return nil, false
		}
		ps := s.ParamTypes(len(args))
		if s.VariadicAny {
			ps = append([]types.Type(nil), ps...)
			for i := len(s.Args) - 1; i < len(args); i++ {
				ps[i] = args[i]
				if args[i].Kind == types.Unknown {
					ps[i] = types.TextType
				}
			}
		}
		return ps, true
	})
	if err != nil {
		return nil, nil, resolveError(err, name, args, pos)
	}
	return best, params, nil
}

// ResolveAggregate picks the overload of aggregate name.
func (r *Registry) ResolveAggregate(name string, args []types.Type, pos int) (*Aggregate, []types.Type, error) {
	name = strings.ToLower(name)
	cands := r.aggregateCandidates(name)
	best, params, err := resolve(cands, args, func(a *Aggregate) ([]types.Type, bool) {
		if len(args) != len(a.Args) {
			return nil, false
		}
		return a.Args, true
	})
	if err != nil {
		return nil, nil, resolveError(err, name, args, pos)
	}
	return best, params, nil
}

type resolveErr uint8

const (
	errNoMatch resolveErr = iota + 1
	errAmbiguous
)

func (e resolveErr) Error() string { return "resolve" }

// resolve implements the overload choice shared by scalars and aggregates.
func resolve[F any](cands []F, args []types.Type, params func(F) ([]types.Type, bool)) (F, []types.Type, error) {
	var zero F
	bestCost, tie := -1, false
	var best F
	var bestParams []types.Type
	for _, c := range cands {
		ps, ok := params(c)
		if !ok {
			continue
		}
		cost := 0
		for i, a := range args {
			p := ps[i]
			switch {
			case a == p:
			case a.Kind == types.Unknown:
				cost++
				// Prefer text for untyped literals, as Postgres's
				// preferred-type rule does.
				if !p.IsString() {
					cost++
				}
			case types.ImplicitCast(a, p):
				cost += 2
			default:
				cost = -1
			}
			if cost < 0 {
				break
			}
		}
		if cost < 0 {
			continue
		}
		switch {
		case bestCost < 0 || cost < bestCost:
			best, bestParams, bestCost, tie = c, ps, cost, false
		case cost == bestCost:
			tie = true
		}
	}
	if bestCost < 0 {
		return zero, nil, errNoMatch
	}
	if tie {
		return zero, nil, errAmbiguous
	}
	return best, bestParams, nil
}

func resolveError(err error, name string, args []types.Type, pos int) error {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.String()
	}
	sig := name + "(" + strings.Join(names, ", ") + ")"
	if err == errAmbiguous {
		return sqlerr.At(sqlerr.AmbiguousFunction, pos, "function %s is not unique", sig).
			WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
	}
	return sqlerr.At(sqlerr.UndefinedFunction, pos, "function %s does not exist", sig).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

// Names lists every function name (scalar, aggregate, detector) visible from r,
// sorted, for catalogs such as pg_proc.
func (r *Registry) Names() []string {
	seen := map[string]bool{}
	for reg := r; reg != nil; reg = reg.parent {
		for n := range reg.scalars {
			seen[n] = true
		}
		for n := range reg.aggregates {
			seen[n] = true
		}
		for n := range reg.detectors {
			seen[n] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Scalars returns the overloads of a scalar function.
func (r *Registry) Scalars(name string) []*Scalar { return r.scalarCandidates(strings.ToLower(name)) }

// Aggregates returns the overloads of an aggregate function.
func (r *Registry) Aggregates(name string) []*Aggregate {
	return r.aggregateCandidates(strings.ToLower(name))
}
