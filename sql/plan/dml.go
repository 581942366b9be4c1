package plan

import "github.com/tocsin-db/tocsin/sql/catalog"

// Insert is a bound INSERT: the rows of Source, whose column i goes to
// the table's column Columns[i] (already cast to its type); the table's
// other columns are NULL.
type Insert struct {
	Table   *catalog.Object
	Columns []int
	Source  Node
}

// Update is a bound UPDATE: rows of the table for which Filter holds (all
// rows when nil) get Set[col] (expressions over the table's columns, cast
// to the column's type).
type Update struct {
	Table  *catalog.Object
	Filter Expr
	Set    map[int]Expr
}

// Delete is a bound DELETE.
type Delete struct {
	Table  *catalog.Object
	Filter Expr
}
