package parser

// FieldSelectFunc is the function name under which the parser returns
// PostgreSQL's field selection from a composite value, (x).field: a
// call FieldSelectFunc(x, 'field'), with the field's (folded) name as a
// string literal. sql/ast has no node for field selection yet; this
// form prints and parses back to the same tree, and sql/binder binds it
// (it spells the same name). The name is not a PostgreSQL function.
const FieldSelectFunc = "__field_select"
