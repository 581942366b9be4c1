package ast

// ObjectKind names a kind of catalog object in DDL.
type ObjectKind uint8

// The catalog object kinds.
const (
	ObjSource ObjectKind = iota + 1
	ObjTable
	ObjMaterializedView
	ObjView
	ObjSink
	ObjIndex
	ObjSilence
	ObjInhibition
	ObjUser
)

func (k ObjectKind) String() string {
	switch k {
	case ObjSource:
		return "source"
	case ObjTable:
		return "table"
	case ObjMaterializedView:
		return "materialized view"
	case ObjView:
		return "view"
	case ObjSink:
		return "sink"
	case ObjIndex:
		return "index"
	case ObjSilence:
		return "silence"
	case ObjInhibition:
		return "inhibition"
	case ObjUser:
		return "user"
	}
	return "object"
}

// ColumnDef is a column in CREATE SOURCE / CREATE TABLE.
type ColumnDef struct {
	Pos
	Name       string
	Type       TypeName
	NotNull    bool
	PrimaryKey bool
}

// Watermark is `WATERMARK FOR col AS expr`.
type Watermark struct {
	Pos
	Column string
	Expr   Expr
}

// CreateSource is CREATE SOURCE.
type CreateSource struct {
	Pos
	IfNotExists bool
	Name        Ident
	Columns     []ColumnDef
	Watermark   *Watermark
	With        []Option
	// Format and Encode are lower-cased: FORMAT PLAIN ENCODE JSON gives
	// ("plain", "json"); FORMAT JSON gives ("plain", "json") too.
	Format string
	Encode string
	// Text is the statement's own text, kept for the catalog.
	Text string
}

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Pos
	IfNotExists bool
	Name        Ident
	Columns     []ColumnDef
	// PrimaryKey lists the columns of a table-level PRIMARY KEY (...);
	// column-level PRIMARY KEY sets ColumnDef.PrimaryKey instead.
	PrimaryKey []string
	With       []Option
	Text       string
}

// EmitMode says when a windowed view emits results.
type EmitMode uint8

// The emit modes.
const (
	// EmitOnUpdate (the default) keeps each window's current result and
	// updates it as events arrive.
	EmitOnUpdate EmitMode = iota
	// EmitOnWindowClose appends a window's row once, when the watermark
	// passes the window's end.
	EmitOnWindowClose
)

// CreateView is CREATE [MATERIALIZED] VIEW name AS query [EMIT ON WINDOW
// CLOSE] [WITH (...)].
type CreateView struct {
	Pos
	Materialized bool
	IfNotExists  bool
	OrReplace    bool
	Name         Ident
	// Columns optionally renames the query's output columns.
	Columns []string
	Query   Query
	Emit    EmitMode
	With    []Option
	// QueryText is the text of the query alone (for pg_get_viewdef);
	// Text the whole statement.
	QueryText string
	Text      string
}

// CreateSink is CREATE SINK name FROM relation [WHERE cond] WITH (...)
// or CREATE SINK name AS query WITH (...).
type CreateSink struct {
	Pos
	IfNotExists bool
	Name        Ident
	// From is set for the FROM form, Query for the AS form.
	From  *Ident
	Where Expr
	Query Query
	With  []Option
	Text  string
}

// Drop is DROP <kind> [IF EXISTS] name [, ...] [CASCADE | RESTRICT].
type Drop struct {
	Pos
	Kind     ObjectKind
	IfExists bool
	Names    []Ident
	Cascade  bool
}

// ShowKind is what SHOW lists.
type ShowKind uint8

// The SHOW forms.
const (
	ShowVariable ShowKind = iota
	ShowSources
	ShowTables
	ShowMaterializedViews
	ShowViews
	ShowSinks
	ShowColumns
	ShowSilences
	ShowInhibitions
	ShowAlerts
	ShowAll
)

// Show is SHOW SOURCES / TABLES / MATERIALIZED VIEWS / SINKS / ALL, SHOW
// COLUMNS FROM name, or SHOW <variable>.
type Show struct {
	Pos
	Kind ShowKind
	// Name is the variable for ShowVariable ("transaction isolation
	// level" is folded to "transaction_isolation"), the relation for
	// ShowColumns.
	Name string
}

// Describe is DESCRIBE name (also DESC name).
type Describe struct {
	Pos
	Name Ident
}

// Select wraps a query used as a statement.
type SelectStmt struct {
	Pos
	Query Query
}

// Insert is INSERT INTO table [(cols)] VALUES ... | query.
type Insert struct {
	Pos
	Table   Ident
	Columns []string
	Query   Query
}

// Assignment is `col = expr` in UPDATE.
type Assignment struct {
	Pos
	Column string
	Value  Expr
}

// Update is UPDATE table SET ... [WHERE ...].
type Update struct {
	Pos
	Table Ident
	Set   []Assignment
	Where Expr
}

// Delete is DELETE FROM table [WHERE ...].
type Delete struct {
	Pos
	Table Ident
	Where Expr
}

// Copy is COPY table [(cols)] FROM STDIN [WITH (...)] (the only COPY
// form Tocsin accepts).
type Copy struct {
	Pos
	Table   Ident
	Columns []string
	Options []Option
}

// Set is SET [SESSION|LOCAL] name {TO|=} value[, ...] and SET TIME ZONE.
type Set struct {
	Pos
	Name   string
	Values []string
	Local  bool
}

// Reset is RESET name | RESET ALL.
type Reset struct {
	Pos
	Name string // "all" for RESET ALL
}

// TxnKind is a transaction-control verb.
type TxnKind uint8

// The transaction verbs.
const (
	TxnBegin TxnKind = iota + 1
	TxnCommit
	TxnRollback
)

// Transaction is BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK /
// ABORT.
type Transaction struct {
	Pos
	Kind TxnKind
}

// Explain is EXPLAIN [ANALYZE] statement, or EXPLAIN [ANALYZE]
// MATERIALIZED VIEW name (Materialize's form: the running view's
// dataflow), when View is set and Stmt is nil.
type Explain struct {
	Pos
	Analyze bool
	Stmt    Statement
	View    *Ident
}

// Generic is a statement recognised only by its leading keywords
// (DISCARD ALL, DEALLOCATE x, LISTEN ch, ...); Verb is the lower-cased
// keywords, Args the remaining tokens' text.
type Generic struct {
	Pos
	Verb string
	Args []string
	Text string
}

func (Pos) node()                {}
func (*CreateSource) statement() {}
func (*CreateTable) statement()  {}
func (*CreateView) statement()   {}
func (*CreateSink) statement()   {}
func (*Drop) statement()         {}
func (*Show) statement()         {}
func (*Describe) statement()     {}
func (*SelectStmt) statement()   {}
func (*Insert) statement()       {}
func (*Update) statement()       {}
func (*Delete) statement()       {}
func (*Copy) statement()         {}
func (*Set) statement()          {}
func (*Reset) statement()        {}
func (*Transaction) statement()  {}
func (*Explain) statement()      {}
func (*Generic) statement()      {}
