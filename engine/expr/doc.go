// Package expr owns compiling bound plan expressions (sql/plan) into
// evaluators that run once per batch: a column reference returns the
// batch's array, a constant stays a scalar, a call runs its kernel over
// whole arrays, and AND / OR / NOT / IS NULL work on bitmaps with SQL's
// three-valued logic. There is one interface call per expression node
// per batch, never per row.
package expr
