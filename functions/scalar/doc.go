// Package scalar owns Tocsin's built-in scalar functions, operators and
// casts as vectorised kernels over Arrow arrays, one file per family.
// Register adds them all to a functions.Registry; the binder finds them
// by name (it spells LIKE as like/ilike, EXTRACT as date_part, TRIM as
// btrim/ltrim/rtrim and POSITION as strpos).
//
// # Files
//
//	compare.go arith.go cast.go temporal.go   operators, casts, timestamp ± interval
//	kernel.go                                 shared accessors, strict(), result builders
//	strings.go strfuncs.go                    || (with anynonarray), concat, text functions
//	like.go regex.go                          LIKE / ILIKE, ~ ~* !~ !~*, regexp_replace
//	jsonscan.go json.go jsonconv.go           the lazy JSON scanner, -> ->> #> #>>, to_jsonb
//	math.go extremes.go                       math functions, greatest / least
//	datetrunc.go datepart.go datetime.go      date_trunc, date_part, date and interval arithmetic
//	datefmt.go datefmtout.go datefmtin.go     template patterns, to_char, to_timestamp / to_date
//
// # Kernel pattern
//
// Kernels resolve the physical Go type once per call (a switch outside
// the loop), then run a tight loop over typed slices from package vec,
// with validity bitmaps combined up front. Arguments are read through
// small accessors (textArg, fixedArgOf, intArgOf) whose at(i) serves an
// array or a scalar alike. NULL-propagating functions are wrapped in
// strict(), which answers NULL for a NULL scalar argument without running
// the kernel and runs all-scalar calls on one row, so kernels only carry
// their array loop. Constant patterns, paths, units and templates are
// compiled once by Scalar.Prepare at plan time; when such an argument
// is a column instead, the kernel recompiles only when the value changes
// from one row to the next.
//
// # Errors
//
// Postgres's error semantics are kept: integer overflow is 22003,
// division by zero 22012, bad text input 22P02, date/time fields 22007 /
// 22008, and so on, always as *sqlerr.Error — and a row whose inputs are
// NULL never raises an error (kernels skip invalid rows before doing
// anything that can fail). An invalid constant argument fails at plan
// time, from Prepare, unless another constant argument is NULL.
//
// # Concurrency and memory
//
// Kernels are stateless functions: any cache (a compiled pattern column,
// a template) lives in the call's stack frame, so one kernel may run on
// many batches at once. Results are built in Go memory through package
// vec and own it; they never alias an input's buffers, except where a
// function is the identity (round of an integer, a same-type cast), which
// returns its argument. Text results grow their data buffer once from an
// estimate made after the first rows (presize), so a batch costs a
// handful of allocations whatever its size.
package scalar
