package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// DefaultMaxDepth is the container nesting limit used when
// JSONOptions.MaxDepth is zero.
const DefaultMaxDepth = 128

// JSONOptions tunes a JSONDecoder. The zero value is the default.
type JSONOptions struct {
	// MaxDepth is how deeply objects and arrays may nest, counting the
	// top-level object as 1; deeper records are RejectMalformed. Zero
	// means DefaultMaxDepth.
	MaxDepth int
}

// DecodeError is why one record could not be decoded. Class is the reject
// class the connector reports; Msg is a human-readable reason that names
// the column when one is involved.
type DecodeError struct {
	Class connectors.ErrorClass
	Msg   string
}

// Error implements error.
func (e *DecodeError) Error() string { return e.Class.String() + ": " + e.Msg }

// JSONDecoder decodes JSON objects into rows of a declared schema,
// appending straight into Arrow builders. See the package documentation
// for the accepted language and the memory rules.
//
// Keys are matched to column names exactly, then case-insensitively (an
// exact key wins over a case-insensitive one wherever it appears; among
// keys of equal rank the last one wins). Unknown keys are validated and
// skipped. An absent key or a JSON null yields SQL NULL; NULL in a column
// whose Nullable is false rejects the record as RejectMissing.
//
// Conversions (anything else for a column is RejectConversion, and objects
// and arrays are accepted only by JSONB):
//
//	boolean           true/false, or a string Postgres's boolin accepts
//	                  ('t', 'yes', 'off', ...)
//	smallint/integer/ integer numbers in range, or strings holding one
//	bigint/oid        (optional sign and surrounding spaces, as
//	                  '500'::int); fractions and exponents are rejected
//	real/double       numbers or decimal strings; non-finite results
//	                  (1e400, "NaN", "Infinity") are rejected
//	text/varchar/name strings (unescaped; \u0000 rejected, as in
//	                  Postgres), other scalars as their JSON text
//	jsonb             any value, as its raw JSON text
//	timestamp[tz]     numbers as epoch milliseconds (fractions give
//	                  microseconds, rounded half away from zero), strings
//	                  via types.ParseTimestamp (RFC 3339 and Postgres
//	                  forms; a zone offset is applied)
//	date              strings via types.ParseDate ("YYYY-MM-DD")
//	interval          strings via types.ParseInterval
type JSONDecoder struct {
	schema types.Schema
	arrow  *arrow.Schema
	cols   []jsonColumn
	slots  []slot

	// exact maps column names to indexes; fold maps ASCII-lowered ASCII
	// names to the first such column; nonASCII lists columns whose names
	// need Unicode case folding.
	exact    map[string]int
	fold     map[string]int
	nonASCII []int

	// hints[k] is what the k-th key of the previous record resolved to,
	// a column or none: producers repeat their key order, so comparing
	// the key with the hint's saves hashing it, and a key the schema does
	// not name (most records carry some) costs no map lookups at all.
	hints []keyHint

	sc      scanner
	scratch []byte // unescaped string values of the current row
	keyBuf  []byte // unescaped key
	lowBuf  []byte // ASCII-lowered key
	n       int
}

// jsonColumn is one output column with its builder or typed column.
// Exactly one of the typed builder or typed column pointers matching kind
// is set.
type jsonColumn struct {
	name      string
	nameBytes []byte
	kind      types.Kind
	notNull   bool
	b         array.Builder

	bools  *array.BooleanBuilder
	i16    *array.Int16Builder
	u32    *array.Uint32Builder
	f32    *array.Float32Builder
	date   *array.Date32Builder
	ivl    *array.MonthDayNanoIntervalBuilder
	quoted string // name quoted for messages

	// Typed columns (json_columns.go) instead of a builder, for the
	// kinds typedKind lists; b is nil then.
	i64c *fixedCol[int64] // int64, timestamp[tz]
	i32c *fixedCol[int32]
	f64c *fixedCol[float64]
	txt  *textCol // text, varchar, name, jsonb
}

// slot is what the current row holds for one column: the value span found
// by the scan, then the converted value.
type slot struct {
	kind  valueKind
	rank  uint8 // 0 none, 1 case-insensitive key, 2 exact key
	esc   bool  // string with escapes
	start int   // raw value span [start, end) in the record
	end   int
	// A number that was an integer of at most 18 digits: its magnitude
	// and sign, as the scanner parsed them (numInt).
	num    uint64
	numNeg bool
	numInt bool

	null bool
	i    int64
	f    float64
	ivl  arrow.MonthDayNanoInterval
	// Text values: bytes [sOff, sOff+sLen) of the record, or of the
	// scratch buffer when inScratch.
	sOff, sLen int
	inScratch  bool
}

// NewJSONDecoder returns a decoder for schema allocating from mem. It
// fails with a *sqlerr.Error (0A000) if a column's type cannot be decoded
// from JSON.
func NewJSONDecoder(mem memory.Allocator, schema types.Schema, opts JSONOptions) (*JSONDecoder, error) {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	d := &JSONDecoder{
		schema: schema,
		arrow:  schema.Arrow(),
		cols:   make([]jsonColumn, len(schema)),
		slots:  make([]slot, len(schema)),
		exact:  make(map[string]int, len(schema)),
		fold:   make(map[string]int, len(schema)),
	}
	d.sc.maxDepth = opts.MaxDepth
	for i, c := range schema {
		col := jsonColumn{name: c.Name, nameBytes: []byte(c.Name), kind: c.Type.Kind, notNull: !c.Nullable, quoted: fmt.Sprintf("%q", c.Name)}
		if err := col.init(mem, c.Type); err != nil {
			d.releaseBuilders()
			return nil, err
		}
		d.cols[i] = col
		if _, dup := d.exact[c.Name]; !dup {
			d.exact[c.Name] = i
		}
		if isASCII(c.Name) {
			low := strings.ToLower(c.Name)
			if _, dup := d.fold[low]; !dup {
				d.fold[low] = i
			}
		} else {
			d.nonASCII = append(d.nonASCII, i)
		}
	}
	return d, nil
}

func (c *jsonColumn) init(mem memory.Allocator, t types.Type) error {
	switch t.Kind {
	case types.Int64, types.Timestamp, types.TimestampTZ:
		c.i64c = newFixedCol[int64](mem, t.Arrow())
		return nil
	case types.Int32:
		c.i32c = newFixedCol[int32](mem, t.Arrow())
		return nil
	case types.Float64:
		c.f64c = newFixedCol[float64](mem, t.Arrow())
		return nil
	case types.Text, types.Varchar, types.Name, types.JSONB:
		c.txt = newTextCol(mem)
		return nil
	}
	switch t.Kind {
	case types.Bool:
		c.bools = array.NewBooleanBuilder(mem)
		c.b = c.bools
	case types.Int16:
		c.i16 = array.NewInt16Builder(mem)
		c.b = c.i16
	case types.Oid:
		c.u32 = array.NewUint32Builder(mem)
		c.b = c.u32
	case types.Float32:
		c.f32 = array.NewFloat32Builder(mem)
		c.b = c.f32
	case types.Date:
		c.date = array.NewDate32Builder(mem)
		c.b = c.date
	case types.Interval:
		c.ivl = array.NewMonthDayNanoIntervalBuilder(mem)
		c.b = c.ivl
	default:
		return sqlerr.New(sqlerr.FeatureNotSupported,
			"column %q: type %s cannot be decoded from JSON", c.name, t)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Len returns the number of rows appended since the last Flush.
func (d *JSONDecoder) Len() int { return d.n }

// Schema returns the Arrow schema of the batches Flush returns.
func (d *JSONDecoder) Schema() *arrow.Schema { return d.arrow }

// Append decodes one record and appends one row. On failure it appends
// nothing and returns a *DecodeError. value is not retained.
func (d *JSONDecoder) Append(value []byte) error {
	if err := d.scan(value); err != nil {
		return err
	}
	if err := d.convert(value); err != nil {
		return err
	}
	d.commit(value)
	d.n++
	return nil
}

// Flush returns the rows appended since the last Flush as a record batch
// with schema Schema() and resets the builders for reuse. The caller owns
// the batch and must Release it.
func (d *JSONDecoder) Flush() arrow.RecordBatch {
	arrs := make([]arrow.Array, len(d.cols))
	for i := range d.cols {
		arrs[i] = d.cols[i].flush(d.n)
	}
	rec := array.NewRecordBatch(d.arrow, arrs, int64(d.n))
	for _, a := range arrs {
		a.Release()
	}
	d.n = 0
	return rec
}

// Release frees the builders, dropping rows not yet flushed. The decoder
// must not be used afterwards.
func (d *JSONDecoder) Release() {
	d.releaseBuilders()
	d.n = 0
}

func (d *JSONDecoder) releaseBuilders() {
	for i := range d.cols {
		d.cols[i].release()
	}
}

// flush returns the column's n rows as an array and sizes the next batch
// like this one, so buffers do not regrow from nothing.
func (c *jsonColumn) flush(n int) arrow.Array {
	switch {
	case c.i64c != nil:
		return c.i64c.flush()
	case c.i32c != nil:
		return c.i32c.flush()
	case c.f64c != nil:
		return c.f64c.flush()
	case c.txt != nil:
		return c.txt.flush()
	}
	a := c.b.NewArray()
	c.b.Reserve(n)
	return a
}

func (c *jsonColumn) release() {
	switch {
	case c.i64c != nil:
		c.i64c.release()
	case c.i32c != nil:
		c.i32c.release()
	case c.f64c != nil:
		c.f64c.release()
	case c.txt != nil:
		c.txt.release()
	case c.b != nil:
		c.b.Release()
		c.b = nil
	}
}

// keyHint is one entry of JSONDecoder.hints.
type keyHint struct {
	raw []byte // the key as it appeared with its closing quote (and colon, if colon), a copy
	col int    // the column it named, -1 for none
	q   uint8  // the rank of the match (see lookup)
	set bool
	// colon says raw ends with the ':' that followed the closing quote
	// (compact JSON), so a match also consumes the separator.
	colon bool
	// A raw of at most 16 bytes (short) is also held as two
	// little-endian words w and masks m (the bytes past len(raw) masked
	// off), so a match is two loads and compares instead of a call to
	// bytes.Equal.
	short bool
	w, m  [2]uint64
}

// hintFast is hinted's common case, small enough to inline: a short
// hint matched by two words, with 16 bytes of record left to load.
func (d *JSONDecoder) hintFast(k int, value []byte, at int) *keyHint {
	if k >= len(d.hints) || at+16 > len(value) {
		return nil
	}
	h := &d.hints[k]
	v := value[at : at+16]
	if !h.short || binary.LittleEndian.Uint64(v)&h.m[0] != h.w[0] || binary.LittleEndian.Uint64(v[8:])&h.m[1] != h.w[1] {
		return nil
	}
	return h
}

// hinted reports the column and rank of the k-th key of a record whose
// text starts at value[at] (after the opening quote) when it is, byte for
// byte, the k-th key of the previous record, how many bytes that key and
// its closing quote (and the colon, if colon) take. The previous key was
// scanned and ended at its closing quote, so the same bytes are the same
// key.
func (d *JSONDecoder) hinted(k int, value []byte, at int) (col int, q uint8, n int, colon bool) {
	if k >= len(d.hints) {
		return -1, 0, 0, false
	}
	h := &d.hints[k]
	if !h.set {
		return -1, 0, 0, false
	}
	if len(h.raw) <= 16 && len(value)-at >= 16 {
		a := binary.LittleEndian.Uint64(value[at:])
		b := binary.LittleEndian.Uint64(value[at+8:])
		if a&h.m[0] != h.w[0] || b&h.m[1] != h.w[1] {
			return -1, 0, 0, false
		}
		return h.col, h.q, len(h.raw), h.colon
	}
	if len(value)-at < len(h.raw) || !bytes.Equal(value[at:at+len(h.raw)], h.raw) {
		return -1, 0, 0, false
	}
	return h.col, h.q, len(h.raw), h.colon
}

// lookup returns the column the k-th key of a record names and the rank
// of the match (2 exact, 1 case-insensitive), or -1 and 0, and remembers
// it as the k-th hint. key is unescaped; raw is the key as it appeared,
// with its closing quote and, if colon, the colon after it.
func (d *JSONDecoder) lookup(k int, key, raw []byte, colon bool) (int, uint8) {
	if k >= len(d.hints) && k < 4*len(d.cols)+8 {
		d.hints = append(d.hints, make([]keyHint, k+1-len(d.hints))...)
	}
	col, q := d.resolve(key)
	if k < len(d.hints) {
		h := &d.hints[k]
		h.raw = append(h.raw[:0], raw...)
		h.col, h.q, h.set, h.colon = col, q, true, colon
		h.w, h.m = [2]uint64{}, [2]uint64{}
		h.short = len(raw) <= 16
		if h.short {
			var buf [16]byte
			copy(buf[:], raw)
			h.w[0] = binary.LittleEndian.Uint64(buf[:8])
			h.w[1] = binary.LittleEndian.Uint64(buf[8:])
			for i := range raw {
				h.m[i/8] |= 0xff << (8 * (i % 8))
			}
		}
	}
	return col, q
}

// resolve looks key up in the schema: exactly, then case-insensitively.
func (d *JSONDecoder) resolve(key []byte) (int, uint8) {
	if i, ok := d.exact[string(key)]; ok {
		return i, 2
	}
	return d.lookupFold(key)
}

// lookupFold matches key case-insensitively.
func (d *JSONDecoder) lookupFold(key []byte) (int, uint8) {
	best := -1
	if isASCIIBytes(key) {
		d.lowBuf = append(d.lowBuf[:0], key...)
		for j, c := range d.lowBuf {
			if c >= 'A' && c <= 'Z' {
				d.lowBuf[j] = c + 'a' - 'A'
			}
		}
		if i, ok := d.fold[string(d.lowBuf)]; ok {
			best = i
		}
		for _, i := range d.nonASCII {
			if (best < 0 || i < best) && bytes.EqualFold(key, d.cols[i].nameBytes) {
				best = i
			}
		}
	} else {
		for i := range d.cols {
			if bytes.EqualFold(key, d.cols[i].nameBytes) {
				best = i
				break
			}
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, 1
}

func isASCIIBytes(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (d *JSONDecoder) malformed() error {
	return &DecodeError{Class: connectors.RejectMalformed, Msg: d.sc.message()}
}

// scan validates the whole record and fills the slots of matched keys.
func (d *JSONDecoder) scan(value []byte) error {
	s := &d.sc
	s.reset(value)
	for i := range d.slots {
		d.slots[i].kind = kindAbsent
		d.slots[i].rank = 0
	}
	s.skipWS()
	if s.pos >= len(value) {
		s.fail(synEOF)
		return d.malformed()
	}
	if value[s.pos] != '{' {
		start := s.pos
		k, ok := s.value(0)
		if !ok {
			return d.malformed()
		}
		s.pos = start
		s.fail(synNotObject)
		return &DecodeError{Class: connectors.RejectMalformed, Msg: "top-level JSON value is " + articled(k) + ", not an object"}
	}
	s.pos++
	s.skipWS()
	if s.pos < len(value) && value[s.pos] == '}' {
		s.pos++
		return d.trailing()
	}
	for k := 0; ; k++ {
		if s.pos >= len(value) {
			s.fail(synEOF)
			return d.malformed()
		}
		if value[s.pos] != '"' {
			s.fail(synUnexpected)
			return d.malformed()
		}
		keyStart := s.pos + 1
		var col, n int
		var rank uint8
		var colon bool
		if h := d.hintFast(k, value, keyStart); h != nil {
			col, rank, n, colon = h.col, h.q, len(h.raw), h.colon
		} else {
			col, rank, n, colon = d.hinted(k, value, keyStart)
		}
		if n > 0 {
			s.pos = keyStart + n
		} else {
			esc, ok := s.str()
			if !ok {
				return d.malformed()
			}
			key := value[keyStart : s.pos-1]
			if esc {
				d.keyBuf = appendUnescaped(d.keyBuf[:0], key)
				key = d.keyBuf
			}
			end := s.pos
			if colon = end < len(value) && value[end] == ':'; colon {
				end++
			}
			col, rank = d.lookup(k, key, value[keyStart:end], colon)
			if colon {
				s.pos = end
			}
		}
		if !colon {
			s.skipWS()
			if !s.expect(':') {
				return d.malformed()
			}
		}
		s.skipWS()
		start := s.pos
		var k valueKind
		var vesc, ok bool
		if s.pos < len(value) && value[s.pos] == '"' {
			k = kindString
			vesc, ok = s.str()
		} else if s.pos < len(value) && (isDigit(value[s.pos]) || value[s.pos] == '-') {
			k = kindNumber
			ok = s.number()
		} else {
			k, ok = s.value(1)
		}
		if !ok {
			return d.malformed()
		}
		if col >= 0 && rank >= d.slots[col].rank {
			sl := &d.slots[col]
			sl.kind, sl.rank, sl.esc, sl.start, sl.end = k, rank, vesc, start, s.pos
			sl.numInt = k == kindNumber && s.numInt
			sl.num, sl.numNeg = s.num, s.numNeg
		}
		s.skipWS()
		if s.pos >= len(value) {
			s.fail(synEOF)
			return d.malformed()
		}
		switch value[s.pos] {
		case ',':
			s.pos++
			s.skipWS()
		case '}':
			s.pos++
			return d.trailing()
		default:
			s.fail(synUnexpected)
			return d.malformed()
		}
	}
}

func (d *JSONDecoder) trailing() error {
	s := &d.sc
	s.skipWS()
	if s.pos != len(s.buf) {
		s.fail(synTrailing)
		return d.malformed()
	}
	return nil
}

func articled(k valueKind) string {
	switch k {
	case kindArray:
		return "an array"
	case kindNull:
		return "null"
	}
	return "a " + k.String()
}

// commit appends the converted slots to the builders.
func (d *JSONDecoder) commit(value []byte) {
	for i := range d.cols {
		c := &d.cols[i]
		sl := &d.slots[i]
		if sl.null {
			c.appendNull()
			continue
		}
		switch c.kind {
		case types.Int64, types.Timestamp, types.TimestampTZ:
			c.i64c.append(sl.i)
		case types.Int32:
			c.i32c.append(int32(sl.i))
		case types.Float64:
			c.f64c.append(sl.f)
		case types.Text, types.Varchar, types.Name, types.JSONB:
			src := value
			if sl.inScratch {
				src = d.scratch
			}
			c.txt.append(src[sl.sOff : sl.sOff+sl.sLen])
		case types.Bool:
			c.bools.Append(sl.i != 0)
		case types.Int16:
			c.i16.Append(int16(sl.i))
		case types.Oid:
			c.u32.Append(uint32(sl.i))
		case types.Float32:
			c.f32.Append(float32(sl.f))
		case types.Date:
			c.date.Append(arrow.Date32(sl.i))
		case types.Interval:
			c.ivl.Append(sl.ivl)
		}
	}
}

func (c *jsonColumn) appendNull() {
	switch {
	case c.i64c != nil:
		c.i64c.appendNull()
	case c.i32c != nil:
		c.i32c.appendNull()
	case c.f64c != nil:
		c.f64c.appendNull()
	case c.txt != nil:
		c.txt.appendNull()
	default:
		c.b.AppendNull()
	}
}
