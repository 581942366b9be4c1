package scalar

import (
	"strconv"
	"strings"

	"github.com/tocsin-db/tocsin/functions"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Postgres's date/time template patterns, shared by to_char (format.go's
// output side, in datefmtout.go) and to_timestamp / to_date (the input
// side, in datefmtin.go). A template compiles once into a list of nodes:
// literal text or a field with its FM prefix and TH/th suffix. Pattern
// names match case-sensitively against Postgres's keyword table, which
// spells most numeric fields in both cases and the text fields (Month,
// MON, month ...) in the case they are printed in. Unknown characters
// are literal; "quoted text" is literal, with \" for a quote.

// dtField is a template pattern.
type dtField uint8

const (
	fLiteral dtField = iota
	fYYYY
	fYCommaYYY
	fYYY
	fYY
	fY
	fIYYY
	fIYY
	fIY
	fI
	fMM
	fMonth
	fMon
	fRM
	fDD
	fDDD
	fIDDD
	fD
	fID
	fDay
	fDy
	fW
	fWW
	fIW
	fQ
	fCC
	fJ
	fHH24
	fHH12
	fMI
	fSS
	fSSSS
	fMS
	fUS
	fFF1
	fFF2
	fFF3
	fFF4
	fFF5
	fFF6
	fAM  // AM / PM
	fAMd // A.M. / P.M.
	fBC  // BC / AD
	fBCd // B.C. / A.D.
	fTZ
	fTZH
	fTZM
	fOF
)

// Letter case of a text field's output.
const (
	caseUpper uint8 = iota
	caseCap
	caseLower
)

type dtKeyword struct {
	name  string
	field dtField
	cs    uint8
}

// dtKeywords is Postgres's DCH keyword table, longest spellings first so
// that a prefix scan finds the longest match.
var dtKeywords = []dtKeyword{
	{"Y,YYY", fYCommaYYY, caseUpper}, {"y,yyy", fYCommaYYY, caseLower},
	{"SSSSS", fSSSS, caseUpper}, {"sssss", fSSSS, caseLower},
	{"MONTH", fMonth, caseUpper}, {"Month", fMonth, caseCap}, {"month", fMonth, caseLower},
	{"A.D.", fBCd, caseUpper}, {"a.d.", fBCd, caseLower}, {"B.C.", fBCd, caseUpper}, {"b.c.", fBCd, caseLower},
	{"A.M.", fAMd, caseUpper}, {"a.m.", fAMd, caseLower}, {"P.M.", fAMd, caseUpper}, {"p.m.", fAMd, caseLower},
	{"HH24", fHH24, caseUpper}, {"hh24", fHH24, caseLower}, {"HH12", fHH12, caseUpper}, {"hh12", fHH12, caseLower},
	{"IDDD", fIDDD, caseUpper}, {"iddd", fIDDD, caseLower},
	{"IYYY", fIYYY, caseUpper}, {"iyyy", fIYYY, caseLower},
	{"YYYY", fYYYY, caseUpper}, {"yyyy", fYYYY, caseLower},
	{"SSSS", fSSSS, caseUpper}, {"ssss", fSSSS, caseLower},
	{"DAY", fDay, caseUpper}, {"Day", fDay, caseCap}, {"day", fDay, caseLower},
	{"DDD", fDDD, caseUpper}, {"ddd", fDDD, caseLower},
	{"FF1", fFF1, caseUpper}, {"FF2", fFF2, caseUpper}, {"FF3", fFF3, caseUpper},
	{"FF4", fFF4, caseUpper}, {"FF5", fFF5, caseUpper}, {"FF6", fFF6, caseUpper},
	{"ff1", fFF1, caseLower}, {"ff2", fFF2, caseLower}, {"ff3", fFF3, caseLower},
	{"ff4", fFF4, caseLower}, {"ff5", fFF5, caseLower}, {"ff6", fFF6, caseLower},
	{"IYY", fIYY, caseUpper}, {"iyy", fIYY, caseLower},
	{"MON", fMon, caseUpper}, {"Mon", fMon, caseCap}, {"mon", fMon, caseLower},
	{"TZH", fTZH, caseUpper}, {"tzh", fTZH, caseLower}, {"TZM", fTZM, caseUpper}, {"tzm", fTZM, caseLower},
	{"YYY", fYYY, caseUpper}, {"yyy", fYYY, caseLower},
	{"AD", fBC, caseUpper}, {"ad", fBC, caseLower}, {"BC", fBC, caseUpper}, {"bc", fBC, caseLower},
	{"AM", fAM, caseUpper}, {"am", fAM, caseLower}, {"PM", fAM, caseUpper}, {"pm", fAM, caseLower},
	{"CC", fCC, caseUpper}, {"cc", fCC, caseLower},
	{"DD", fDD, caseUpper}, {"dd", fDD, caseLower},
	{"DY", fDy, caseUpper}, {"Dy", fDy, caseCap}, {"dy", fDy, caseLower},
	{"HH", fHH12, caseUpper}, {"hh", fHH12, caseLower},
	{"ID", fID, caseUpper}, {"id", fID, caseLower},
	{"IW", fIW, caseUpper}, {"iw", fIW, caseLower},
	{"IY", fIY, caseUpper}, {"iy", fIY, caseLower},
	{"MI", fMI, caseUpper}, {"mi", fMI, caseLower},
	{"MM", fMM, caseUpper}, {"mm", fMM, caseLower},
	{"MS", fMS, caseUpper}, {"ms", fMS, caseLower},
	{"OF", fOF, caseUpper}, {"of", fOF, caseLower},
	{"RM", fRM, caseUpper}, {"rm", fRM, caseLower},
	{"SS", fSS, caseUpper}, {"ss", fSS, caseLower},
	{"TZ", fTZ, caseUpper}, {"tz", fTZ, caseLower},
	{"US", fUS, caseUpper}, {"us", fUS, caseLower},
	{"WW", fWW, caseUpper}, {"ww", fWW, caseLower},
	{"YY", fYY, caseUpper}, {"yy", fYY, caseLower},
	{"D", fD, caseUpper}, {"d", fD, caseLower},
	{"I", fI, caseUpper}, {"i", fI, caseLower},
	{"J", fJ, caseUpper}, {"j", fJ, caseLower},
	{"Q", fQ, caseUpper}, {"q", fQ, caseLower},
	{"W", fW, caseUpper}, {"w", fW, caseLower},
	{"Y", fY, caseUpper}, {"y", fY, caseLower},
}

// dtNode is one compiled template element.
type dtNode struct {
	field dtField
	name  string // the keyword as written, for error messages
	lit   string // literal text (field == fLiteral)
	cs    uint8
	fm    bool // FM: no padding
	th    int8 // 1: TH suffix, 2: th suffix
	// quoted marks literal text that was double-quoted: to_timestamp
	// skips one input character per character of it.
	quoted bool
}

// isDigitField reports whether a field reads and prints digits.
func (n *dtNode) isDigitField() bool {
	switch n.field {
	case fLiteral, fMonth, fMon, fRM, fDay, fDy, fAM, fAMd, fBC, fBCd, fTZ, fOF:
		return false
	}
	return true
}

// compileDateFormat parses a template.
func compileDateFormat(f string) []dtNode {
	var nodes []dtNode
	lit := func(s string) {
		if k := len(nodes) - 1; k >= 0 && nodes[k].field == fLiteral && !nodes[k].quoted {
			nodes[k].lit += s
			return
		}
		nodes = append(nodes, dtNode{lit: s})
	}
	for i := 0; i < len(f); {
		if f[i] == '"' {
			var b strings.Builder
			i++
			for i < len(f) && f[i] != '"' {
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				b.WriteByte(f[i])
				i++
			}
			i++ // closing quote (or end)
			if b.Len() > 0 {
				nodes = append(nodes, dtNode{lit: b.String(), quoted: true})
			}
			continue
		}
		if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
			lit(`"`)
			i += 2
			continue
		}
		fm := false
		for {
			if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
				fm = true
				i += 2
				continue
			}
			if strings.HasPrefix(f[i:], "FX") || strings.HasPrefix(f[i:], "fx") ||
				strings.HasPrefix(f[i:], "TM") || strings.HasPrefix(f[i:], "tm") {
				i += 2
				continue
			}
			break
		}
		matched := false
		for _, kw := range dtKeywords {
			if !strings.HasPrefix(f[i:], kw.name) {
				continue
			}
			n := dtNode{field: kw.field, name: kw.name, cs: kw.cs, fm: fm}
			i += len(kw.name)
			if strings.HasPrefix(f[i:], "TH") {
				n.th, i = 1, i+2
			} else if strings.HasPrefix(f[i:], "th") {
				n.th, i = 2, i+2
			}
			nodes = append(nodes, n)
			matched = true
			break
		}
		if !matched && i < len(f) {
			lit(f[i : i+1])
			i++
		}
	}
	return nodes
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

var romanMonths = [...]string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}

func registerDateFormat(r *functions.Registry) {
	text := types.TextType
	for _, t := range []types.Type{types.TimestampType, types.TimestampTZType} {
		t := t
		r.AddScalar(&functions.Scalar{
			Name: "to_char", Args: []types.Type{t, text}, Ret: text, Doc: "format a timestamp",
			Kernel: strict(text, toCharKernel(t, nil)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				if consts[1] == nil || anyNullConst(consts) {
					return strict(text, toCharKernel(t, nil)), nil
				}
				return strict(text, toCharKernel(t, compileDateFormat(consts[1].S))), nil
			},
		})
	}
	for _, t := range []types.Type{types.TimestampTZType, types.DateType} {
		t := t
		name := "to_timestamp"
		if t.Kind == types.Date {
			name = "to_date"
		}
		r.AddScalar(&functions.Scalar{
			Name: name, Args: []types.Type{text, text}, Ret: t, Doc: "parse text with a template",
			Kernel: strict(t, parseDateKernel(t, nil)),
			Prepare: func(consts []*types.Datum) (functions.Kernel, error) {
				if consts[1] == nil || anyNullConst(consts) {
					return strict(t, parseDateKernel(t, nil)), nil
				}
				return strict(t, parseDateKernel(t, compileDateFormat(consts[1].S))), nil
			},
		})
	}
}

// formatCache compiles per-row templates, reusing the last one.
type formatCache struct {
	src   []byte
	nodes []dtNode
	ok    bool
}

func (c *formatCache) get(f []byte) []dtNode {
	if !c.ok || string(f) != string(c.src) {
		c.nodes, c.src, c.ok = compileDateFormat(string(f)), append(c.src[:0], f...), true
	}
	return c.nodes
}

// ordinal returns the English ordinal suffix of v.
func ordinal(v int64, upper bool) string {
	s := "th"
	if v%100 < 11 || v%100 > 13 {
		switch v % 10 {
		case 1:
			s = "st"
		case 2:
			s = "nd"
		case 3:
			s = "rd"
		}
	}
	if upper {
		return strings.ToUpper(s)
	}
	return s
}

// appendNum appends v zero-padded to width (no padding with FM) and its
// ordinal suffix if asked for.
func appendNum(dst []byte, v int64, width int, n *dtNode) []byte {
	if n.fm {
		width = 0
	}
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], v, 10)
	for k := len(b); k < width; k++ {
		dst = append(dst, '0')
	}
	dst = append(dst, b...)
	if n.th > 0 {
		dst = append(dst, ordinal(v, n.th == 1)...)
	}
	return dst
}

// appendCased appends a name in the node's letter case, padded to width
// with spaces unless FM.
func appendCased(dst []byte, s string, width int, n *dtNode) []byte {
	switch n.cs {
	case caseUpper:
		dst = append(dst, strings.ToUpper(s)...)
	case caseLower:
		dst = append(dst, strings.ToLower(s)...)
	default:
		dst = append(dst, s...)
	}
	if !n.fm {
		for k := len(s); k < width; k++ {
			dst = append(dst, ' ')
		}
	}
	return dst
}
