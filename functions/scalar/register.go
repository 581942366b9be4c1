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
	registerJSONBuild(r)
	registerMath(r)
	registerDateTrunc(r)
	registerDatePart(r)
	registerDateTime(r)
	registerDateFormat(r)
	RegisterCatalog(r)
}

// RegisterCatalog adds the Postgres system functions that client
// catalog queries call and that need no catalog (array literals,
// privileges, sizes, quoting); Register includes them. The engine uses
// it alone to tell these support functions from the user-facing ones.
func RegisterCatalog(r *functions.Registry) {
	registerArrays(r)
	registerArrayOut(r)
	registerRecords(r)
	registerPgCatalog(r)
}
