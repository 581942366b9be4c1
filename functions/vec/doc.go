// Package vec provides typed views over Arrow arrays and builds Arrow
// arrays from Go slices without copying: the plumbing every kernel and
// operator uses to work on []int64, []float64, string offsets and
// validity bitmaps directly instead of calling per-value accessors.
//
// Arrays built here wrap Go-allocated memory (memory.NewBufferBytes), so
// Release on them only drops references; the garbage collector frees the
// memory. Slices returned by the accessors alias the array's buffers and
// are valid while the array is.
package vec
