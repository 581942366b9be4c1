// Package functions owns the function registry and the contracts every
// SQL function implements: scalar kernels that evaluate a whole batch at
// once over Arrow arrays, and grouped aggregate states that fold a batch
// of rows into many groups at once.
//
// The registry is an explicit value (NewRegistry, NewChildRegistry); the
// binary fills it by calling scalar.Register, aggregate.Register and
// anomaly.Register. Nothing registers itself and nothing is global.
//
// Overload resolution follows Postgres: an exact match on argument types
// wins; otherwise the candidate that needs the fewest implicit casts (see
// types.ImplicitCast) is chosen, and a tie is an ambiguity error.
//
// Kernels never see per-row interfaces: arguments arrive as Values (an
// Arrow array of the batch's length, or a scalar standing for that many
// copies) and results are built with package vec over typed slices.
// Null handling is explicit per function (NullPolicy).
package functions
