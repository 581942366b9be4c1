package functions

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tocsin-db/tocsin/sql/types"
)

// Value is a kernel argument or result: an Arrow array whose length is
// the batch's row count, or (Array == nil) a scalar that stands for that
// many copies of Scalar.
type Value struct {
	Array  arrow.Array
	Scalar types.Datum
}

// IsScalar reports whether v is a scalar.
func (v Value) IsScalar() bool { return v.Array == nil }

// ArrayValue wraps an array.
func ArrayValue(a arrow.Array) Value { return Value{Array: a} }

// ScalarValue wraps a datum.
func ScalarValue(d types.Datum) Value { return Value{Scalar: d} }

// Context carries what kernels may need beyond their arguments. It is
// created once per statement or per batch by the evaluator; kernels do
// not retain it.
type Context struct {
	// Now is the statement's start time in microseconds since the epoch
	// (now(), current_timestamp); streaming views use processing time at
	// the batch.
	Now int64
}
