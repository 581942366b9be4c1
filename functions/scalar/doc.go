// Package scalar owns Tocsin's built-in scalar functions, operators and
// casts as vectorised kernels over Arrow arrays, one file per family
// (compare.go, arith.go, temporal.go, cast.go, ...). Register adds them
// all to a functions.Registry.
//
// Kernels follow one pattern: resolve the physical Go type once per call
// (a switch outside the loop), then run a tight loop over typed slices
// from package vec, with validity bitmaps combined up front. Postgres's
// error semantics are kept: integer overflow is 22003, division by zero
// 22012, bad text input 22P02 — and a row whose inputs are NULL never
// raises an error.
package scalar
