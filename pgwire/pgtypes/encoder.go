package pgtypes

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/tocsin-db/tocsin/sql/types"
)

// Format is a Postgres value format code, as carried by Bind and
// RowDescription.
type Format int16

// The two value formats of the Postgres protocol.
const (
	Text   Format = 0
	Binary Format = 1
)

// SupportsBinary reports whether values of type t (after ResultType) can
// be sent in binary format: every type with a Postgres counterpart can
// (scalars and one-dimensional arrays of them).
func SupportsBinary(t types.Type) bool {
	_, ok := Info(ResultType(t))
	return ok
}

// span locates one encoded value in a column's base bytes; start < 0
// marks NULL.
type span struct{ start, end int32 }

var nullSpan = span{-1, -1}

const (
	// maxArena keeps every span offset within int32.
	maxArena = math.MaxInt32
	// keepArena is the largest arena capacity Reset keeps for reuse;
	// anything bigger was a one-off huge batch and is dropped.
	keepArena = 16 << 20
)

// Encoder encodes Arrow record batches into DataRow field values, one
// column at a time, into a reused arena. The zero value is ready to use.
// An Encoder is not safe for concurrent use.
type Encoder struct {
	arena []byte
	// spans is column-major: spans[c*rows+r] locates row r of column c.
	spans []span
	// bases[c] is what column c's spans index: the arena, or the Arrow
	// value buffer of a zero-copy column.
	bases [][]byte
	rows  int
	cols  int
	// elems encodes the element values of array columns.
	elems *Encoder
}

// Encode encodes every value of rec. typs gives each column's SQL type
// (unknown is encoded as text, see ResultType); formats gives the format
// of each column as Bind does: empty means all text, one entry applies
// to every column, otherwise one entry per column. Encode fails if a
// column's Arrow type does not match its SQL type's physical type (see
// sql/types), if binary is asked for a type without a binary form, or
// if the encoded batch exceeds 2 GiB.
//
// After Encode, Row returns the values; they stay valid until the next
// Encode or Reset call and only while rec is alive.
func (e *Encoder) Encode(rec arrow.RecordBatch, typs []types.Type, formats []Format) error {
	e.Reset()
	rows, cols := int(rec.NumRows()), int(rec.NumCols())
	if len(typs) != cols {
		return fmt.Errorf("pgtypes: batch has %d columns but %d types", cols, len(typs))
	}
	if len(formats) > 1 && len(formats) != cols {
		return fmt.Errorf("pgtypes: batch has %d columns but %d formats", cols, len(formats))
	}
	if e.arena == nil {
		e.arena = make([]byte, 0, 4096)
	}
	e.spans = resize(e.spans, rows*cols)
	e.bases = resize(e.bases, cols)
	for c := range cols {
		arr := rec.Column(c)
		if arr.Len() != rows {
			e.Reset()
			return fmt.Errorf("pgtypes: column %d has %d rows, batch has %d", c, arr.Len(), rows)
		}
		f := Text
		switch {
		case len(formats) == 1:
			f = formats[0]
		case len(formats) > 1:
			f = formats[c]
		}
		base, err := e.encodeColumn(arr, ResultType(typs[c]), f, e.spans[c*rows:(c+1)*rows])
		if err == nil && len(e.arena) > maxArena {
			err = errors.New("batch too large to encode")
		}
		if err != nil {
			e.Reset()
			return fmt.Errorf("pgtypes: column %d (%s): %w", c, typs[c], err)
		}
		e.bases[c] = base
	}
	// Arena columns are pointed at the arena only now that it has
	// stopped growing.
	for c, b := range e.bases {
		if b == nil {
			e.bases[c] = e.arena
		}
	}
	e.rows, e.cols = rows, cols
	return nil
}

// Rows returns the number of rows of the last encoded batch.
func (e *Encoder) Rows() int { return e.rows }

// Row appends row r's values to dst[:0] and returns it: one slice per
// column, nil for NULL (never nil for an empty value).
func (e *Encoder) Row(r int, dst [][]byte) [][]byte {
	dst = dst[:0]
	for c := range e.cols {
		s := e.spans[c*e.rows+r]
		if s.start < 0 {
			dst = append(dst, nil)
			continue
		}
		dst = append(dst, e.bases[c][s.start:s.end:s.end])
	}
	return dst
}

// Reset forgets the last batch, dropping references into its Arrow
// buffers, and keeps the arena for reuse unless it grew very large.
func (e *Encoder) Reset() {
	clear(e.bases)
	e.bases = e.bases[:0]
	e.rows, e.cols = 0, 0
	if cap(e.arena) > keepArena {
		e.arena = nil
	} else {
		e.arena = e.arena[:0]
	}
	if cap(e.spans) > keepArena/8 {
		e.spans = nil
	}
	if e.elems != nil {
		e.elems.Reset()
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// nulls answers IsNull from the validity bitmap without an interface
// call per value.
type nulls struct {
	bits []byte
	off  int
	any  bool
}

func nullsOf(arr arrow.Array) nulls {
	bits := arr.NullBitmapBytes()
	return nulls{bits: bits, off: arr.Data().Offset(), any: arr.NullN() > 0 && len(bits) > 0}
}

func (n nulls) null(i int) bool { return n.any && !bitutil.BitIsSet(n.bits, n.off+i) }

// mark records that row i's value is what was appended to the arena
// since start.
func (e *Encoder) mark(sp []span, i, start int) {
	sp[i] = span{int32(start), int32(len(e.arena))}
}

func mismatch(arr arrow.Array, t types.Type) error {
	return fmt.Errorf("arrow type %s does not hold %s (want %s)", arr.DataType(), t, t.Arrow())
}

// encodeColumn encodes arr, of SQL type t, in format f, filling sp (one
// span per value). It returns the base the spans index: nil for the
// arena, or a non-nil Arrow value buffer for zero-copy columns.
func (e *Encoder) encodeColumn(arr arrow.Array, t types.Type, f Format, sp []span) ([]byte, error) {
	if f != Text && f != Binary {
		return nil, fmt.Errorf("unknown format code %d", f)
	}
	if f == Binary && !SupportsBinary(t) {
		return nil, fmt.Errorf("binary format is not supported for %s", t)
	}
	bin := f == Binary
	nl := nullsOf(arr)
	switch t.Kind {
	case types.Bool:
		a, ok := arr.(*array.Boolean)
		if !ok {
			return nil, mismatch(arr, t)
		}
		for i := range sp {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			start := len(e.arena)
			if bin {
				e.arena = appendBinBool(e.arena, a.Value(i))
			} else {
				e.arena = appendBool(e.arena, a.Value(i))
			}
			e.mark(sp, i, start)
		}
	case types.Int16:
		a, ok := arr.(*array.Int16)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Int16Values(), nl, sp, appendBinInt16)
		} else {
			eachValue(e, a.Int16Values(), nl, sp, appendTextInt16)
		}
	case types.Int32:
		a, ok := arr.(*array.Int32)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Int32Values(), nl, sp, appendBinInt32)
		} else {
			eachValue(e, a.Int32Values(), nl, sp, appendTextInt32)
		}
	case types.Int64:
		a, ok := arr.(*array.Int64)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Int64Values(), nl, sp, appendBinInt64)
		} else {
			eachValue(e, a.Int64Values(), nl, sp, appendTextInt64)
		}
	case types.Oid:
		a, ok := arr.(*array.Uint32)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Uint32Values(), nl, sp, appendBinUint32)
		} else {
			eachValue(e, a.Uint32Values(), nl, sp, appendTextUint32)
		}
	case types.Float32:
		a, ok := arr.(*array.Float32)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Float32Values(), nl, sp, appendBinFloat32)
		} else {
			eachValue(e, a.Float32Values(), nl, sp, appendTextFloat32)
		}
	case types.Float64:
		a, ok := arr.(*array.Float64)
		if !ok {
			return nil, mismatch(arr, t)
		}
		if bin {
			eachValue(e, a.Float64Values(), nl, sp, appendBinFloat64)
		} else {
			eachValue(e, a.Float64Values(), nl, sp, appendTextFloat64)
		}
	case types.Timestamp, types.TimestampTZ:
		return nil, e.encodeTimestamps(arr, t, bin, nl, sp)
	case types.Date:
		return nil, e.encodeDates(arr, t, bin, nl, sp)
	case types.Interval:
		a, ok := arr.(*array.MonthDayNanoInterval)
		if !ok {
			return nil, mismatch(arr, t)
		}
		for i, v := range a.MonthDayNanoIntervalValues() {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			start := len(e.arena)
			if bin {
				e.arena = appendBinInterval(e.arena, v.Months, v.Days, v.Nanoseconds/1000)
			} else {
				e.arena = appendInterval(e.arena, v.Months, v.Days, v.Nanoseconds/1000)
			}
			e.mark(sp, i, start)
		}
	case types.Text, types.Varchar, types.Name, types.JSONB:
		return e.encodeStrings(arr, t, bin, nl, sp)
	case types.Bytea:
		return e.encodeBytea(arr, t, bin, nl, sp)
	case types.Array:
		return nil, e.encodeArrays(arr, t, bin, nl, sp)
	default:
		return nil, fmt.Errorf("type %s has no Postgres encoding", t)
	}
	return nil, nil
}

// eachValue is the loop for fixed-width types: one call of app per
// non-NULL value, appending its encoding to the arena.
func eachValue[T any](e *Encoder, vals []T, nl nulls, sp []span, app func([]byte, T) []byte) {
	for i, v := range vals {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		start := len(e.arena)
		e.arena = app(e.arena, v)
		e.mark(sp, i, start)
	}
}

func (e *Encoder) encodeTimestamps(arr arrow.Array, t types.Type, bin bool, nl nulls, sp []span) error {
	a, ok := arr.(*array.Timestamp)
	if !ok {
		return mismatch(arr, t)
	}
	unit := a.DataType().(*arrow.TimestampType).Unit
	tz := t.Kind == types.TimestampTZ
	for i, v := range a.TimestampValues() {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		us := toMicros(int64(v), unit)
		start := len(e.arena)
		if bin {
			e.arena = appendBinTimestamp(e.arena, us)
		} else {
			e.arena = appendTimestamp(e.arena, us, tz)
		}
		e.mark(sp, i, start)
	}
	return nil
}

// toMicros converts a timestamp in unit to microseconds, flooring
// nanoseconds and saturating at the int64 extremes (infinity).
func toMicros(v int64, unit arrow.TimeUnit) int64 {
	var mul int64
	switch unit {
	case arrow.Microsecond:
		return v
	case arrow.Nanosecond:
		q := v / 1000
		if v%1000 < 0 {
			q--
		}
		return q
	case arrow.Millisecond:
		mul = 1000
	default:
		mul = 1_000_000
	}
	switch {
	case v > math.MaxInt64/mul:
		return math.MaxInt64
	case v < math.MinInt64/mul:
		return math.MinInt64
	}
	return v * mul
}

func (e *Encoder) encodeDates(arr arrow.Array, t types.Type, bin bool, nl nulls, sp []span) error {
	switch a := arr.(type) {
	case *array.Date32:
		for i, v := range a.Date32Values() {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			start := len(e.arena)
			if bin {
				e.arena = appendBinDate(e.arena, int32(v))
			} else {
				e.arena = appendDate(e.arena, int32(v))
			}
			e.mark(sp, i, start)
		}
	case *array.Date64:
		const msPerDay = 86_400_000
		for i, v := range a.Date64Values() {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			days := int64(v) / msPerDay
			if int64(v)%msPerDay < 0 {
				days--
			}
			start := len(e.arena)
			if bin {
				e.arena = appendBinDate(e.arena, int32(days))
			} else {
				e.arena = appendDate(e.arena, int32(days))
			}
			e.mark(sp, i, start)
		}
	default:
		return mismatch(arr, t)
	}
	return nil
}

// stringValues is what the string arrays other than *array.String
// (large strings, string views) offer.
type stringValues interface{ Value(int) string }

// encodeStrings encodes text-like columns. The text form of an
// *array.String is its value buffer, so the spans index that buffer
// directly (zero copy); jsonb's binary form adds a version byte and is
// copied to the arena.
func (e *Encoder) encodeStrings(arr arrow.Array, t types.Type, bin bool, nl nulls, sp []span) ([]byte, error) {
	jsonbBinary := bin && t.Kind == types.JSONB
	if a, ok := arr.(*array.String); ok && !jsonbBinary {
		if len(sp) == 0 {
			return valueBuffer(a), nil
		}
		offs := a.ValueOffsets()
		for i := range sp {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			sp[i] = span{offs[i], offs[i+1]}
		}
		return valueBuffer(a), nil
	}
	a, ok := arr.(stringValues)
	if !ok || !isStringType(arr.DataType()) {
		return nil, mismatch(arr, t)
	}
	for i := range sp {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		start := len(e.arena)
		if jsonbBinary {
			e.arena = append(e.arena, jsonbVersion)
		}
		e.arena = append(e.arena, a.Value(i)...)
		e.mark(sp, i, start)
	}
	return nil, nil
}

func isStringType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// bytesValues is what every Arrow binary array offers.
type bytesValues interface{ Value(int) []byte }

// encodeBytea encodes bytea columns: hex text into the arena, or, for
// binary format, the value buffer itself (zero copy).
func (e *Encoder) encodeBytea(arr arrow.Array, t types.Type, bin bool, nl nulls, sp []span) ([]byte, error) {
	if a, ok := arr.(*array.Binary); ok && bin {
		if len(sp) == 0 {
			return valueBuffer(a), nil
		}
		offs := a.ValueOffsets()
		for i := range sp {
			if nl.null(i) {
				sp[i] = nullSpan
				continue
			}
			sp[i] = span{offs[i], offs[i+1]}
		}
		return valueBuffer(a), nil
	}
	a, ok := arr.(bytesValues)
	if !ok || !isBinaryType(arr.DataType()) {
		return nil, mismatch(arr, t)
	}
	for i := range sp {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		start := len(e.arena)
		if bin {
			e.arena = append(e.arena, a.Value(i)...)
		} else {
			e.arena = appendBytea(e.arena, a.Value(i))
		}
		e.mark(sp, i, start)
	}
	return nil, nil
}

func isBinaryType(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
		return true
	}
	return false
}

// valueBuffer returns the value buffer of a variable-width array, which
// its ValueOffsets index; never nil, so empty values are not mistaken
// for NULL.
func valueBuffer(arr arrow.Array) []byte {
	bufs := arr.Data().Buffers()
	if len(bufs) > 2 && bufs[2] != nil && bufs[2].Bytes() != nil {
		return bufs[2].Bytes()
	}
	return []byte{}
}

// encodeArrays encodes list columns as Postgres array literals, or in
// array_send's binary form. The element values are first encoded
// column-at-a-time by a child encoder, then each row's value is
// assembled from them: with array_out's quoting for text, with a header
// and length-prefixed elements for binary.
func (e *Encoder) encodeArrays(arr arrow.Array, t types.Type, bin bool, nl nulls, sp []span) error {
	a, ok := arr.(array.ListLike)
	if !ok {
		return mismatch(arr, t)
	}
	if t.Elem == types.Array {
		return errors.New("nested arrays are not supported")
	}
	if e.elems == nil {
		e.elems = new(Encoder)
	}
	ce := e.elems
	ce.Reset()
	if ce.arena == nil {
		ce.arena = make([]byte, 0, 4096)
	}
	child := a.ListValues()
	ce.spans = resize(ce.spans, child.Len())
	elemSpans := ce.spans
	elemFormat := Text
	if bin {
		elemFormat = Binary
	}
	elemType := ResultType(types.Type{Kind: t.Elem})
	base, err := ce.encodeColumn(child, elemType, elemFormat, elemSpans)
	if err != nil {
		return fmt.Errorf("array elements: %w", err)
	}
	if base == nil {
		base = ce.arena
	}
	if bin {
		info, ok := Info(elemType)
		if !ok {
			return fmt.Errorf("array elements of type %s have no Postgres counterpart", elemType)
		}
		e.appendBinArrays(a, info.OID, base, elemSpans, nl, sp)
		return nil
	}
	for i := range sp {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		start := len(e.arena)
		e.arena = append(e.arena, '{')
		from, to := a.ValueOffsets(i)
		for j := from; j < to; j++ {
			if j > from {
				e.arena = append(e.arena, ',')
			}
			s := elemSpans[j]
			if s.start < 0 {
				e.arena = append(e.arena, "NULL"...)
				continue
			}
			e.arena = appendArrayElem(e.arena, base[s.start:s.end])
		}
		e.arena = append(e.arena, '}')
		e.mark(sp, i, start)
	}
	return nil
}

// appendBinArrays appends each row's array in array_send's format:
// ndim, has-null flag, element OID, then (for a non-empty array) the
// length and lower bound (1) of its one dimension and each element as a
// length-prefixed value, -1 for NULL.
func (e *Encoder) appendBinArrays(a array.ListLike, elemOID uint32, base []byte, elemSpans []span, nl nulls, sp []span) {
	for i := range sp {
		if nl.null(i) {
			sp[i] = nullSpan
			continue
		}
		start := len(e.arena)
		from, to := a.ValueOffsets(i)
		hasNull := int32(0)
		for j := from; j < to; j++ {
			if elemSpans[j].start < 0 {
				hasNull = 1
				break
			}
		}
		if from == to {
			e.arena = appendBinInt32(e.arena, 0)
			e.arena = appendBinInt32(e.arena, 0)
			e.arena = appendBinUint32(e.arena, elemOID)
			e.mark(sp, i, start)
			continue
		}
		e.arena = appendBinInt32(e.arena, 1)
		e.arena = appendBinInt32(e.arena, hasNull)
		e.arena = appendBinUint32(e.arena, elemOID)
		e.arena = appendBinInt32(e.arena, int32(to-from))
		e.arena = appendBinInt32(e.arena, 1)
		for j := from; j < to; j++ {
			s := elemSpans[j]
			if s.start < 0 {
				e.arena = appendBinInt32(e.arena, -1)
				continue
			}
			e.arena = appendBinInt32(e.arena, s.end-s.start)
			e.arena = append(e.arena, base[s.start:s.end]...)
		}
		e.mark(sp, i, start)
	}
}
