package parser

import (
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// tokAt returns token i of the range ending at end, or an EOF token at
// the range's end.
func (s *session) tokAt(i, end int) token {
	if i >= end {
		return token{kind: tEOF, off: s.at(end).off}
	}
	return s.toks[i]
}

// errIn is a syntax error at token i of the range ending at end.
func (s *session) errIn(i, end int) error {
	if i >= end {
		return s.syntaxErr(s.at(end))
	}
	return s.syntaxErr(s.toks[i])
}

// qualifiedName reads word(.word)* in [i, end): the parts (folded or as
// quoted), the offset of the first and the index after it.
func (s *session) qualifiedName(i, end int) ([]string, int, int, error) {
	t := s.tokAt(i, end)
	if !t.isWord() {
		return nil, 0, 0, s.errIn(i, end)
	}
	parts := []string{t.val}
	j := i + 1
	for s.tokAt(j, end).isOp(".") {
		n := s.tokAt(j+1, end)
		if !n.isWord() {
			return nil, 0, 0, s.errIn(j+1, end)
		}
		parts = append(parts, n.val)
		j += 2
	}
	return parts, t.off, j, nil
}

// typeName reads a type name in [i, end): Postgres's multi-word
// spellings (DOUBLE PRECISION, CHARACTER VARYING, TIMESTAMP(3) WITH TIME
// ZONE), qualified names (pg_catalog.text), modifiers (VARCHAR(20),
// NUMERIC(10,2)) and array suffixes (INT[], INT ARRAY). The name is the
// folded words joined by single spaces; any spelling is accepted here
// and checked by the binder.
func (s *session) typeName(i, end int) (ast.TypeName, int, error) {
	at := func(k int) token { return s.tokAt(k, end) }
	t := at(i)
	tn := ast.TypeName{Pos: ast.At(t.off)}
	if !t.isWord() {
		return tn, 0, s.errIn(i, end)
	}
	if t.is("setof") {
		return tn, 0, unsupported(t, "SETOF types are not supported")
	}
	var words []string
	j := i
	zone := false
	switch {
	case t.is("double") && at(j+1).is("precision"):
		words, j = []string{"double", "precision"}, j+2
	case t.is("national") && (at(j+1).is("character") || at(j+1).is("char")):
		words, j = []string{"national", at(j + 1).val}, j+2
		if at(j).is("varying") {
			words, j = append(words, "varying"), j+1
		}
	case t.is("character") || t.is("char") || t.is("nchar") || t.is("bit"):
		words, j = []string{t.val}, j+1
		if at(j).is("varying") {
			words, j = append(words, "varying"), j+1
		}
	case t.is("timestamp") || t.is("time"):
		words, j, zone = []string{t.val}, j+1, true
	case t.is("interval"):
		words, j = []string{"interval"}, j+1
		if f := at(j); f.kind == tIdent && intervalFields[f.val] {
			return tn, 0, unsupported(f, "interval fields in a type name are not supported")
		}
	default:
		if t.kind == tIdent && isReserved(t.val) {
			return tn, 0, s.errIn(i, end)
		}
		parts, _, k, err := s.qualifiedName(i, end)
		if err != nil {
			return tn, 0, err
		}
		words, j = []string{strings.Join(parts, ".")}, k
	}
	if at(j).isOp("(") {
		closer := s.match[j]
		if closer < 0 || closer >= end {
			return tn, 0, s.errIn(j, end)
		}
		k := j + 1
		for {
			n := at(k)
			if n.kind != tNumber || n.float {
				return tn, 0, s.errIn(k, end)
			}
			v, err := strconv.Atoi(n.val)
			if err != nil {
				return tn, 0, sqlerr.At(sqlerr.NumericValueOutOfRange, n.off, "type modifier %s is out of range", n.val)
			}
			tn.Args = append(tn.Args, v)
			k++
			if !at(k).isOp(",") {
				break
			}
			k++
		}
		if k != closer {
			return tn, 0, s.errIn(k, end)
		}
		j = closer + 1
	}
	if zone {
		with := at(j)
		if (with.is("with") || with.is("without")) && at(j+1).is("time") && at(j+2).is("zone") {
			words = append(words, with.val, "time", "zone")
			j += 3
		}
	}
	if at(j).is("array") {
		tn.Array = true
		j++
		if at(j).isOp("[") {
			if j = s.arrayBound(j, end); j < 0 {
				return tn, 0, s.errIn(-j, end)
			}
		}
	}
	for at(j).isOp("[") {
		tn.Array = true
		if j = s.arrayBound(j, end); j < 0 {
			return tn, 0, s.errIn(-j, end)
		}
	}
	tn.Name = strings.Join(words, " ")
	return tn, j, nil
}

// arrayBound skips "[ ]" or "[ n ]" at j; it returns -(bad index) on
// error.
func (s *session) arrayBound(j, end int) int {
	k := j + 1
	if t := s.tokAt(k, end); t.kind == tNumber && !t.float {
		k++
	}
	if !s.tokAt(k, end).isOp("]") {
		return -k
	}
	return k + 1
}
