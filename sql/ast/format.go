package ast

import (
	"fmt"
	"strconv"
	"strings"
)

// Format prints n as canonical SQL: keywords in upper case, identifiers
// quoted only when needed, every operator expression parenthesised, and
// aliases always introduced by AS. Parsing the result gives a tree equal
// to n apart from positions (and the Text fields of DDL). It is used by
// golden tests, EXPLAIN and error messages.
func Format(n Node) string {
	var p printer
	p.node(n)
	return p.String()
}

type printer struct{ strings.Builder }

func (p *printer) w(parts ...string) {
	for _, s := range parts {
		p.WriteString(s)
	}
}

// The keyword classes of Postgres that matter for quoting: reserved
// words are never identifiers, type/function-name words may name
// functions and types, column-name words may name columns and types.
// Window specifications start with partition/rows/range/groups, so those
// are quoted too.
var (
	reservedKeywords = wordSet(`all analyse analyze and any array as asc asymmetric both case
		cast check collate column constraint create current_catalog current_date current_role
		current_time current_timestamp current_user default deferrable desc distinct do else end
		except false fetch for foreign from grant group having in initially intersect into lateral
		leading limit localtime localtimestamp not null offset on only or order placing primary
		references returning select session_user some symmetric system_user table then to
		trailing true union unique user using variadic when where window with`)
	typeFuncKeywords = wordSet(`authorization binary collation concurrently cross current_schema
		freeze full ilike inner is isnull join left like natural notnull outer overlaps right
		similar tablesample verbose`)
	colNameKeywords = wordSet(`between bigint bit boolean char character coalesce dec decimal
		exists extract float greatest grouping inout int integer interval least national nchar
		none normalize nullif numeric out overlay position precision real row setof smallint
		substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement
		xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
		partition rows range groups`)
	// callableColNames are column-name keywords called with ordinary
	// function syntax.
	callableColNames = wordSet(`coalesce greatest least nullif grouping substring position overlay`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func isSimpleIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || (c >= 'a' && c <= 'z') || c >= 0x80:
		case (c >= '0' && c <= '9') || c == '$':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// QuoteIdent returns name as an SQL identifier, quoted only if needed.
func QuoteIdent(name string) string {
	if isSimpleIdent(name) && !reservedKeywords[name] && !typeFuncKeywords[name] && !colNameKeywords[name] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteFunc quotes a function name; type/function-name keywords and a
// few column-name keywords are callable unquoted.
func quoteFunc(name string) string {
	if isSimpleIdent(name) && !reservedKeywords[name] && (!colNameKeywords[name] || callableColNames[name]) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteType quotes a one-word type name; column-name keywords (int,
// timestamp, ...) are type names already.
func quoteType(name string) string {
	if isSimpleIdent(name) && !reservedKeywords[name] && !typeFuncKeywords[name] {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// upperIdent prints a word-like value in upper case when that reads
// back the same.
func upperIdent(s string) string {
	if q := QuoteIdent(s); q != s {
		return q
	}
	return asciiUpper(s)
}

// asciiUpper upper-cases ASCII letters only: the parser folds only
// those, and other bytes must survive unchanged.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func quoteParts(parts []string) string {
	out := make([]string, len(parts))
	for i, s := range parts {
		out[i] = QuoteIdent(s)
	}
	return strings.Join(out, ".")
}

// quoteString returns s as a standard string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case nil:
	case Expr:
		p.expr(n)
	case Query:
		p.query(n)
	case TableExpr:
		p.table(n)
	case Statement:
		p.stmt(n)
	case *Ident:
		p.w(quoteParts(n.Parts))
	case *TypeName:
		p.typeName(*n)
	case *SelectItem:
		p.selectItem(*n)
	case *OrderItem:
		p.orderItems([]OrderItem{*n})
	case *Option:
		p.options([]Option{*n})
	case *WindowSpec:
		p.windowSpec(n)
	default:
		p.w(fmt.Sprintf("<%T>", n))
	}
}

// multiWordTypes are the words of Postgres's multi-word type names.
var multiWordTypes = map[string]bool{
	"double": true, "precision": true, "national": true, "character": true, "char": true,
	"nchar": true, "varying": true, "bit": true, "timestamp": true, "time": true,
	"with": true, "without": true, "zone": true,
}

func (p *printer) typeName(t TypeName) {
	words := strings.Fields(t.Name)
	multi := len(words) > 1
	for _, w := range words {
		multi = multi && multiWordTypes[w]
	}
	var args string
	if len(t.Args) > 0 {
		s := make([]string, len(t.Args))
		for i, a := range t.Args {
			s[i] = strconv.Itoa(a)
		}
		args = "(" + strings.Join(s, ", ") + ")"
	}
	switch {
	case multi && (words[0] == "timestamp" || words[0] == "time"):
		p.w(words[0], args, " ", strings.Join(words[1:], " "))
	case multi:
		p.w(t.Name, args)
	default:
		parts := strings.Split(t.Name, ".")
		for i := range parts {
			parts[i] = quoteType(parts[i])
		}
		p.w(strings.Join(parts, "."), args)
	}
	if t.Array {
		p.w("[]")
	}
}

func (p *printer) options(opts []Option) {
	p.w("(")
	for i, o := range opts {
		if i > 0 {
			p.w(", ")
		}
		p.w(quoteParts(strings.Split(o.Key, ".")), " = ")
		switch {
		case o.Quoted:
			p.w(quoteString(o.Value))
		case isNumber(o.Value) || isSimpleIdent(o.Value):
			p.w(o.Value)
		default:
			p.w(QuoteIdent(o.Value))
		}
	}
	p.w(")")
}

// withOptions prints " WITH (...)" when there are options.
func (p *printer) withOptions(opts []Option) {
	if opts != nil {
		p.w(" WITH ")
		p.options(opts)
	}
}

// isNumber reports whether an option value was written as a number.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

var unaryText = map[UnaryOp]string{UNeg: "- ", UPlus: "+ ", UNot: "NOT ", UBitNot: "~ "}

// sqlValueFuncs print without parentheses when they have no arguments.
var sqlValueFuncs = wordSet(`current_date current_time current_timestamp localtime localtimestamp
	current_user session_user current_role current_catalog current_schema system_user`)

func (p *printer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			p.w(", ")
		}
		p.expr(e)
	}
}

// seq prints its parts in order: strings as they are, and expressions,
// expression lists, queries, tables and type names with their printers;
// nil parts print nothing.
func (p *printer) seq(parts ...any) {
	for _, x := range parts {
		switch x := x.(type) {
		case string:
			p.WriteString(x)
		case Expr:
			p.expr(x)
		case []Expr:
			p.exprs(x)
		case Query:
			p.query(x)
		case TableExpr:
			p.table(x)
		case TypeName:
			p.typeName(x)
		case []OrderItem:
			if x != nil {
				p.orderItems(x)
			}
		case *WindowSpec:
			if x != nil {
				p.windowSpec(x)
			}
		}
	}
}

// opt returns s if cond holds.
func opt(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

var quantText = map[Quantifier]string{QuantAny: " ANY (", QuantAll: " ALL ("}

func (p *printer) expr(e Expr) {
	switch e := e.(type) {
	case nil:
	case *ColumnRef:
		p.w(quoteParts(e.Parts))
	case *Literal:
		switch e.Kind {
		case LitNull:
			p.w("NULL")
		case LitBool:
			p.w(strings.ToUpper(e.Value))
		case LitString:
			p.w(quoteString(e.Value))
		case LitBitString:
			p.w(strings.ToUpper(string(e.Prefix)), quoteString(e.Value))
		default:
			p.w(e.Value)
		}
	case *IntervalLit:
		p.w("INTERVAL ", quoteString(e.Value))
		if e.Unit != "" {
			p.w(" ", strings.ToUpper(e.Unit))
		}
	case *TypedLit:
		p.seq(e.Type, " ", quoteString(e.Value))
	case *Param:
		p.w("$", strconv.Itoa(e.Index))
	case *Unary:
		p.seq("(", unaryText[e.Op], e.X, ")")
	case *Binary:
		p.seq("(", e.L, " ", e.Op.String(), " ", e.R, ")")
	case *Quantified:
		p.seq("(", e.X, " ", e.Op.String(), quantText[e.Quant], e.Array, e.Query, "))")
	case *FuncCall:
		p.funcCall(e)
	case *Cast:
		p.seq("CAST(", e.X, " AS ", e.Type, ")")
	case *Case:
		p.w("CASE")
		if e.Operand != nil {
			p.seq(" ", e.Operand)
		}
		for _, w := range e.Whens {
			p.seq(" WHEN ", w.Cond, " THEN ", w.Result)
		}
		if e.Else != nil {
			p.seq(" ELSE ", e.Else)
		}
		p.w(" END")
	case *Between:
		sym := ""
		if e.Symmetric {
			sym = "SYMMETRIC "
		}
		p.seq("(", e.X, not(e.Not), " BETWEEN ", sym, e.Lo, " AND ", e.Hi, ")")
	case *InList:
		p.seq("(", e.X, not(e.Not), " IN (", e.List, "))")
	case *InSubquery:
		p.seq("(", e.X, not(e.Not), " IN (", e.Query, "))")
	case *Exists:
		p.seq("(", strings.TrimPrefix(not(e.Not)+" ", " "), "EXISTS (", e.Query, "))")
	case *SubqueryExpr:
		p.seq("(", e.Query, ")")
	case *ArraySubquery:
		p.seq("ARRAY(", e.Query, ")")
	case *ArrayLit:
		p.seq("ARRAY[", e.Elems, "]")
	case *Subscript:
		p.seq("(", e.X, ")[", e.Index, "]")
	case *IsNull:
		p.seq("(", e.X, " IS", not(e.Not), " NULL)")
	case *IsBool:
		v := "UNKNOWN"
		if e.Value != nil {
			v = strings.ToUpper(strconv.FormatBool(*e.Value))
		}
		p.seq("(", e.X, " IS", not(e.Not), " ", v, ")")
	case *Like:
		op := " LIKE "
		if e.CaseInsensitive {
			op = " ILIKE "
		}
		p.seq("(", e.X, not(e.Not), op, e.Pattern)
		if e.Escape != nil {
			p.seq(" ESCAPE ", e.Escape)
		}
		p.w(")")
	case *Row:
		p.seq("ROW(", e.Elems, ")")
	case *Collate:
		p.seq("(", e.X, " COLLATE ", quoteParts(strings.Split(e.Collation, ".")), ")")
	case *Extract:
		field := QuoteIdent(e.Field)
		if field != e.Field {
			field = quoteString(e.Field)
		}
		p.seq("EXTRACT(", field, " FROM ", e.X, ")")
	default:
		p.w(fmt.Sprintf("<%T>", e))
	}
}

func not(b bool) string {
	if b {
		return " NOT"
	}
	return ""
}

func (p *printer) funcCall(f *FuncCall) {
	if f.Schema == "" && sqlValueFuncs[f.Name] && !f.Star && !f.Distinct && f.OrderBy == nil &&
		f.WithinGroup == nil && f.Filter == nil && f.Over == nil && (len(f.Args) == 0 || f.Name != "current_schema") {
		p.w(strings.ToUpper(f.Name))
		if len(f.Args) > 0 {
			p.seq("(", f.Args, ")")
		}
		return
	}
	p.seq(opt(f.Schema != "", QuoteIdent(f.Schema)+"."), quoteFunc(f.Name), "(", opt(f.Distinct, "DISTINCT "),
		opt(f.Star, "*"), f.Args, opt(f.OrderBy != nil, " "), f.OrderBy, ")")
	if f.WithinGroup != nil {
		p.seq(" WITHIN GROUP (", f.WithinGroup, ")")
	}
	if f.Filter != nil {
		p.seq(" FILTER (WHERE ", f.Filter, ")")
	}
	switch w := f.Over; {
	case w == nil:
	case w.Ref != "" && w.PartitionBy == nil && w.OrderBy == nil && w.Frame == nil:
		p.w(" OVER ", QuoteIdent(w.Ref))
	default:
		p.seq(" OVER ", w)
	}
}

func (p *printer) orderItems(items []OrderItem) {
	p.w("ORDER BY ")
	for i, it := range items {
		if i > 0 {
			p.w(", ")
		}
		p.expr(it.Expr)
		if it.Desc {
			p.w(" DESC")
		}
		switch it.Nulls {
		case NullsFirst:
			p.w(" NULLS FIRST")
		case NullsLast:
			p.w(" NULLS LAST")
		}
	}
}

var boundText = map[BoundKind]string{
	BoundUnboundedPreceding: "UNBOUNDED PRECEDING", BoundPreceding: " PRECEDING",
	BoundCurrentRow: "CURRENT ROW", BoundFollowing: " FOLLOWING", BoundUnboundedFollowing: "UNBOUNDED FOLLOWING",
}

func (p *printer) windowSpec(w *WindowSpec) {
	var parts []string
	if w.Ref != "" {
		parts = append(parts, QuoteIdent(w.Ref))
	}
	var sub printer
	if w.PartitionBy != nil {
		sub.seq("PARTITION BY ", w.PartitionBy)
		parts = append(parts, sub.String())
	}
	if w.OrderBy != nil {
		sub.Reset()
		sub.orderItems(w.OrderBy)
		parts = append(parts, sub.String())
	}
	if f := w.Frame; f != nil {
		sub.Reset()
		sub.seq(map[WindowFrameUnit]string{FrameRows: "ROWS", FrameRange: "RANGE", FrameGroups: "GROUPS"}[f.Unit],
			" BETWEEN ", f.Start.Offset, boundText[f.Start.Kind], " AND ", f.End.Offset, boundText[f.End.Kind])
		parts = append(parts, sub.String())
	}
	p.w("(", strings.Join(parts, " "), ")")
}

func (p *printer) selectItem(it SelectItem) {
	switch {
	case it.Star && it.StarTable != "":
		p.w(QuoteIdent(it.StarTable), ".*")
	case it.Star:
		p.w("*")
	default:
		p.expr(it.Expr)
		if it.Alias != "" {
			p.w(" AS ", QuoteIdent(it.Alias))
		}
	}
}

func (p *printer) with(ctes []CTE) {
	for i, c := range ctes {
		p.w(opt(i == 0, "WITH "), opt(i > 0, ", "), QuoteIdent(c.Name))
		if len(c.Columns) > 0 {
			p.w(" (", quoteList(c.Columns), ")")
		}
		p.seq(" AS (", c.Query, ")", opt(i == len(ctes)-1, " "))
	}
}

func quoteList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = QuoteIdent(n)
	}
	return strings.Join(out, ", ")
}

func (p *printer) tail(order []OrderItem, limit, offset Expr) {
	p.seq(opt(order != nil, " "), order, opt(limit != nil, " LIMIT "), limit, opt(offset != nil, " OFFSET "), offset)
}

var setOpText = map[SetOpKind]string{Union: "UNION", Intersect: "INTERSECT", Except: "EXCEPT"}

func (p *printer) query(q Query) {
	switch q := q.(type) {
	case *Select:
		p.with(q.With)
		p.w("SELECT ", opt(q.Distinct, "DISTINCT "))
		for i, it := range q.Items {
			p.w(opt(i > 0, ", "))
			p.selectItem(it)
		}
		p.seq(opt(q.From != nil, " FROM "), q.From, opt(q.Where != nil, " WHERE "), q.Where,
			opt(q.GroupBy != nil, " GROUP BY "), q.GroupBy, opt(q.Having != nil, " HAVING "), q.Having)
		for i, w := range q.Windows {
			p.seq(opt(i == 0, " WINDOW "), opt(i > 0, ", "), QuoteIdent(w.Name), " AS ", w.Spec)
		}
		p.tail(q.OrderBy, q.Limit, q.Offset)
	case *SetOp:
		p.with(q.With)
		p.seq("(", q.Left, ") ", setOpText[q.Kind], opt(q.All, " ALL"), " (", q.Right, ")")
		p.tail(q.OrderBy, q.Limit, q.Offset)
	case *Values:
		p.w("VALUES ")
		for i, r := range q.Rows {
			p.seq(opt(i > 0, ", "), "(", r, ")")
		}
	default:
		p.w(fmt.Sprintf("<%T>", q))
	}
}

var joinText = map[JoinKind]string{JoinInner: "JOIN", JoinLeft: "LEFT JOIN", JoinRight: "RIGHT JOIN",
	JoinFull: "FULL JOIN", JoinCross: "CROSS JOIN"}

func alias(a string) string { return opt(a != "", " AS "+QuoteIdent(a)) }

func (p *printer) table(t TableExpr) {
	switch t := t.(type) {
	case *TableName:
		p.w(quoteParts(t.Name.Parts), alias(t.Alias))
	case *TableFunc:
		p.seq(quoteFunc(t.Name), "(", t.Args, ")", alias(t.Alias))
		if len(t.ColumnAliases) > 0 {
			p.w(" (", quoteList(t.ColumnAliases), ")")
		}
	case *Subquery:
		p.seq(opt(t.Lateral, "LATERAL "), "(", t.Query, ")", alias(t.Alias))
	case *Join:
		p.seq("(", t.Left, opt(t.Natural, " NATURAL"), " ", joinText[t.Kind], " ", t.Right, opt(t.On != nil, " ON "), t.On)
		if t.Using != nil {
			p.w(" USING (", quoteList(t.Using), ")")
		}
		p.w(")")
	default:
		p.w(fmt.Sprintf("<%T>", t))
	}
}

func (p *printer) columns(cols []ColumnDef) {
	for i, c := range cols {
		p.seq(opt(i > 0, ", "), QuoteIdent(c.Name), " ", c.Type, opt(c.NotNull, " NOT NULL"), opt(c.PrimaryKey, " PRIMARY KEY"))
	}
}

func ifNotExists(b bool) string {
	if b {
		return "IF NOT EXISTS "
	}
	return ""
}

var kindText = map[ObjectKind]string{ObjSource: "SOURCE", ObjTable: "TABLE", ObjMaterializedView: "MATERIALIZED VIEW",
	ObjView: "VIEW", ObjSink: "SINK", ObjIndex: "INDEX", ObjSilence: "SILENCE", ObjInhibition: "INHIBITION", ObjUser: "USER"}

var showText = map[ShowKind]string{ShowSources: "SOURCES", ShowTables: "TABLES",
	ShowMaterializedViews: "MATERIALIZED VIEWS", ShowViews: "VIEWS", ShowSinks: "SINKS",
	ShowSilences: "SILENCES", ShowInhibitions: "INHIBITIONS", ShowAlerts: "ALERTS", ShowAll: "ALL"}

// showWords are variable names SHOW would read as its own keywords.
var showWords = wordSet(`sources tables materialized views sinks silences inhibitions alerts all columns transaction time session`)

func (p *printer) stmt(s Statement) {
	switch s := s.(type) {
	case *CreateSource:
		p.w("CREATE SOURCE ", ifNotExists(s.IfNotExists), quoteParts(s.Name.Parts), " (")
		p.columns(s.Columns)
		if w := s.Watermark; w != nil {
			p.seq(opt(len(s.Columns) > 0, ", "), "WATERMARK FOR ", QuoteIdent(w.Column), " AS ", w.Expr)
		}
		p.w(")")
		p.withOptions(s.With)
		if s.Format != "" {
			p.w(" FORMAT ", upperIdent(s.Format), " ENCODE ", upperIdent(s.Encode))
		}
	case *CreateTable:
		p.w("CREATE TABLE ", ifNotExists(s.IfNotExists), quoteParts(s.Name.Parts), " (")
		p.columns(s.Columns)
		if s.PrimaryKey != nil {
			p.w(opt(len(s.Columns) > 0, ", "), "PRIMARY KEY (", quoteList(s.PrimaryKey), ")")
		}
		p.w(")")
		p.withOptions(s.With)
	case *CreateView:
		p.w("CREATE ", opt(s.OrReplace, "OR REPLACE "), opt(s.Materialized, "MATERIALIZED "), "VIEW ",
			ifNotExists(s.IfNotExists), quoteParts(s.Name.Parts))
		if s.Columns != nil {
			p.w(" (", quoteList(s.Columns), ")")
		}
		p.withOptions(s.With)
		p.seq(" AS ", s.Query, opt(s.Emit == EmitOnWindowClose, " EMIT ON WINDOW CLOSE"))
	case *CreateSink:
		p.w("CREATE SINK ", ifNotExists(s.IfNotExists), quoteParts(s.Name.Parts))
		if s.From != nil {
			p.seq(" FROM ", quoteParts(s.From.Parts), opt(s.Where != nil, " WHERE "), s.Where)
		} else {
			p.seq(" AS ", s.Query)
		}
		p.withOptions(s.With)
	case *Drop:
		p.w("DROP ", kindText[s.Kind], " ")
		if s.IfExists {
			p.w("IF EXISTS ")
		}
		for i, n := range s.Names {
			if i > 0 {
				p.w(", ")
			}
			p.w(quoteParts(n.Parts))
		}
		if s.Cascade {
			p.w(" CASCADE")
		}
	case *Show:
		switch {
		case s.Kind == ShowColumns:
			p.w("SHOW COLUMNS FROM ", quoteParts(strings.Split(s.Name, ".")))
		case s.Kind != ShowVariable:
			p.w("SHOW ", showText[s.Kind])
		case showWords[s.Name]:
			p.w("SHOW ", `"`+s.Name+`"`)
		default:
			p.w("SHOW ", quoteParts(strings.Split(s.Name, ".")))
		}
	case *Describe:
		p.w("DESCRIBE ", quoteParts(s.Name.Parts))
	case *SelectStmt:
		p.query(s.Query)
	case *Insert:
		p.w("INSERT INTO ", quoteParts(s.Table.Parts))
		if s.Columns != nil {
			p.w(" (", quoteList(s.Columns), ")")
		}
		p.w(" ")
		p.query(s.Query)
	case *Update:
		p.w("UPDATE ", quoteParts(s.Table.Parts), " SET ")
		for i, a := range s.Set {
			if i > 0 {
				p.w(", ")
			}
			p.w(QuoteIdent(a.Column), " = ")
			p.expr(a.Value)
		}
		p.where(s.Where)
	case *Delete:
		p.w("DELETE FROM ", quoteParts(s.Table.Parts))
		p.where(s.Where)
	case *Copy:
		p.w("COPY ", quoteParts(s.Table.Parts))
		if s.Columns != nil {
			p.w(" (", quoteList(s.Columns), ")")
		}
		p.w(" FROM STDIN")
		if s.Options != nil {
			p.w(" WITH (")
			for i, o := range s.Options {
				if i > 0 {
					p.w(", ")
				}
				p.w(QuoteIdent(o.Key), " ")
				if o.Quoted {
					p.w(quoteString(o.Value))
				} else {
					p.w(o.Value)
				}
			}
			p.w(")")
		}
	case *Set:
		p.w("SET ")
		if s.Local {
			p.w("LOCAL ")
		}
		p.w(quoteParts(strings.Split(s.Name, ".")), " TO ")
		for i, v := range s.Values {
			if i > 0 {
				p.w(", ")
			}
			p.w(quoteString(v))
		}
	case *Reset:
		if s.Name == "all" {
			p.w("RESET ALL")
		} else {
			p.w("RESET ", quoteParts(strings.Split(s.Name, ".")))
		}
	case *Transaction:
		p.w(map[TxnKind]string{TxnBegin: "BEGIN", TxnCommit: "COMMIT", TxnRollback: "ROLLBACK"}[s.Kind])
	case *Explain:
		p.w("EXPLAIN ")
		if s.Analyze {
			p.w("ANALYZE ")
		}
		if s.View != nil {
			p.w("MATERIALIZED VIEW ", quoteParts(s.View.Parts))
			break
		}
		p.stmt(s.Stmt)
	case *Generic:
		p.w(asciiUpper(s.Verb))
		for _, a := range s.Args {
			p.w(" ", a)
		}
	default:
		if !p.alertingStmt(s) && !p.liveStmt(s) && !p.roleStmt(s) {
			p.w(fmt.Sprintf("<%T>", s))
		}
	}
}

func (p *printer) where(e Expr) {
	if e != nil {
		p.w(" WHERE ")
		p.expr(e)
	}
}
