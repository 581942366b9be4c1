package parser

// Keyword classes, as in Postgres's kwlist.h. Words not listed are plain
// identifiers (or unreserved keywords, which behave like identifiers
// except in the few places the grammar gives them meaning).
var (
	// reservedWords can never be column, table or function names
	// unquoted.
	reservedWords = wordSet(`all analyse analyze and any array as asc asymmetric both case cast
		check collate column constraint create current_catalog current_date current_role
		current_time current_timestamp current_user default deferrable desc distinct do else end
		except false fetch for foreign from grant group having in initially intersect into lateral
		leading limit localtime localtimestamp not null offset on only or order placing primary
		references returning select session_user some symmetric system_user table then to trailing
		true union unique user using variadic when where window with`)

	// typeFuncWords can name functions and types but not columns.
	typeFuncWords = wordSet(`authorization binary collation concurrently cross current_schema
		freeze full ilike inner is isnull join left like natural notnull outer overlaps right
		similar tablesample verbose`)

	// colNameWords can name columns but not functions (some have their own
	// call syntax).
	colNameWords = wordSet(`between bigint bit boolean char character coalesce dec decimal exists
		extract float greatest grouping inout int integer interval least national nchar none
		normalize nullif numeric out overlay position precision real row setof smallint substring
		time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement xmlexists
		xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`)

	// callableColNames are the column-name keywords that are called with
	// ordinary function syntax.
	callableColNames = wordSet(`coalesce greatest least nullif grouping`)

	// sqlValueFuncs are the SQL-standard functions written without
	// parentheses. Some take an optional precision in parentheses.
	sqlValueFuncs = wordSet(`current_date current_time current_timestamp localtime localtimestamp
		current_user session_user user current_role current_catalog current_schema system_user`)

	// precisionFuncs are the sqlValueFuncs that accept (precision).
	precisionFuncs = wordSet(`current_time current_timestamp localtime localtimestamp`)
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	w := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' || s[i] == '\n' || s[i] == '\t' {
			if i > w {
				m[s[w:i]] = true
			}
			w = i + 1
		}
	}
	return m
}

// isReserved reports whether an unquoted word can never be a column or
// table name.
func isReserved(w string) bool { return reservedWords[w] || typeFuncWords[w] }
