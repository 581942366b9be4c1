// Package aggregate owns the built-in aggregate functions, one file per
// function family, each a functions.GroupState that keeps its state as
// struct-of-arrays indexed by dense group id (count []int64, sum
// []float64, ...), so one Update call folds a whole batch into many
// groups with a typed loop and no per-row interface call or boxing.
//
// Every state can take retractions (sign -1) when it is created with
// retractable = true, or says it cannot with a 0A000 error, so the
// planner never computes an updating aggregate with the wrong meaning.
// MarshalGroup / UnmarshalGroup give each group's state as bytes for
// checkpoints.
package aggregate
