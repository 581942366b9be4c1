package scalar

import "github.com/tocsin-db/tocsin/functions"

// Register adds every built-in scalar function, operator and cast to r.
func Register(r *functions.Registry) {
	registerCompare(r)
	registerArith(r)
	registerTemporal(r)
	registerCasts(r)
	registerStrings(r)
	registerLike(r)
	registerRegex(r)
	registerJSON(r)
	registerMath(r)
	registerDateTrunc(r)
	registerDatePart(r)
	registerDateTime(r)
	registerDateFormat(r)
}
