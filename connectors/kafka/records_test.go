package kafka

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go/compress"
	"github.com/twmb/franz-go/pkg/kbin"
)

// testRec is one record of a hand-built batch.
type testRec struct {
	delta   int32 // offset delta
	key     []byte
	value   []byte // nil: a null value
	headers int
}

// appendTestBatch appends a v2 record batch at base with the given
// attributes (compression in the low bits, attrControl for a marker) and
// last offset delta, compressing its records as the attributes say.
func appendTestBatch(t testing.TB, dst []byte, base int64, attrs int16, lastDelta int32, recs []testRec) []byte {
	t.Helper()
	var body []byte
	for i, r := range recs {
		var rec []byte
		rec = kbin.AppendInt8(rec, 0)
		rec = kbin.AppendVarlong(rec, int64(i)*7) // timestamp delta
		rec = kbin.AppendVarint(rec, r.delta)
		if r.key == nil {
			rec = kbin.AppendVarint(rec, -1)
		} else {
			rec = kbin.AppendVarintBytes(rec, r.key)
		}
		if r.value == nil {
			rec = kbin.AppendVarint(rec, -1)
		} else {
			rec = kbin.AppendVarintBytes(rec, r.value)
		}
		rec = kbin.AppendVarint(rec, int32(r.headers))
		for h := 0; h < r.headers; h++ {
			rec = kbin.AppendVarintString(rec, fmt.Sprintf("h%d", h))
			rec = kbin.AppendVarintBytes(rec, []byte("header value"))
		}
		body = kbin.AppendVarint(body, int32(len(rec)))
		body = append(body, rec...)
	}
	if c := compress.Compression(attrs & attrCompression); c != compress.None {
		var buf bytes.Buffer
		w := c.Codec().NewWriter(&buf)
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		body = buf.Bytes()
	}
	start := len(dst)
	dst = kbin.AppendInt64(dst, base)
	dst = kbin.AppendInt32(dst, 0) // length, set below
	dst = kbin.AppendInt32(dst, -1)
	dst = kbin.AppendInt8(dst, 2)
	dst = kbin.AppendInt32(dst, 0) // CRC, set below
	dst = kbin.AppendInt16(dst, attrs)
	dst = kbin.AppendInt32(dst, lastDelta)
	dst = kbin.AppendInt64(dst, 1700000000000)
	dst = kbin.AppendInt64(dst, 1700000000000)
	dst = kbin.AppendInt64(dst, -1)
	dst = kbin.AppendInt16(dst, -1)
	dst = kbin.AppendInt32(dst, -1)
	dst = kbin.AppendInt32(dst, int32(len(recs)))
	dst = append(dst, body...)
	b := dst[start:]
	binary.BigEndian.PutUint32(b[batchLengthAt:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:], crc32c))
	return dst
}

// walkAll walks every record, rendering "offset:value" (value "null"
// for a null one).
func walkAll(w *recordWalker) (string, error) {
	var out []string
	for {
		off, v, ok, err := w.next()
		if err != nil || !ok {
			return strings.Join(out, " "), err
		}
		s := "null"
		if v != nil {
			s = string(v)
		}
		out = append(out, fmt.Sprintf("%d:%s", off, s))
	}
}

func vals(vs ...string) []testRec {
	recs := make([]testRec, len(vs))
	for i, v := range vs {
		recs[i] = testRec{delta: int32(i), value: []byte(v)}
	}
	return recs
}

// TestRecordWalkerBatches walks what a fetch response holds: plain
// records with keys, headers and a null value, a transaction marker, every
// compression codec, a compacted batch with gaps, and a trailing batch the
// broker cut short. Offsets, values and the resume offset are compared
// with the batches' definitions.
func TestRecordWalkerBatches(t *testing.T) {
	var blob []byte
	blob = appendTestBatch(t, blob, 0, 0, 2, []testRec{
		{delta: 0, key: []byte("k0"), value: []byte("a")},
		{delta: 1, value: []byte("b"), headers: 2},
		{delta: 2, key: []byte("k2")}, // null value
	})
	blob = appendTestBatch(t, blob, 3, attrControl, 0, []testRec{{delta: 0, key: []byte{0, 0, 0, 0}, value: []byte{0, 0, 0, 0, 0, 0}}})
	want := []string{"0:a", "1:b", "2:null"}
	base := int64(4)
	for c := compress.Gzip; c <= compress.Zstd; c++ {
		v := fmt.Sprintf(`{"codec":"%s","pad":"%s"}`, c, strings.Repeat("x", 300))
		blob = appendTestBatch(t, blob, base, int16(c), 1, vals(v, v+"2"))
		want = append(want, fmt.Sprintf("%d:%s", base, v), fmt.Sprintf("%d:%s2", base+1, v))
		base += 2
	}
	// Compacted: offsets base, base+2 remain of base..base+4.
	blob = appendTestBatch(t, blob, base, 0, 4, []testRec{{delta: 0, value: []byte("c0")}, {delta: 2, value: []byte("c2")}})
	want = append(want, fmt.Sprintf("%d:c0", base), fmt.Sprintf("%d:c2", base+2))
	complete := len(blob)
	end := base + 5
	blob = appendTestBatch(t, blob, end, 0, 1, vals("cut", "short"))

	for _, cut := range []int{complete, len(blob) - 1, complete + 30} {
		var w recordWalker
		w.reset(blob[:cut], 0, nil)
		got, err := walkAll(&w)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if got != strings.Join(want, " ") {
			t.Fatalf("cut at %d:\n got %s\nwant %s", cut, got, strings.Join(want, " "))
		}
		if w.resume != end {
			t.Fatalf("cut at %d: resume at %d, want %d", cut, w.resume, end)
		}
	}
	var w recordWalker
	w.reset(blob, 0, nil)
	got, err := walkAll(&w)
	if err != nil || !strings.HasSuffix(got, fmt.Sprintf("%d:cut %d:short", end, end+1)) || w.resume != end+2 {
		t.Fatalf("whole blob: %s, resume %d, err %v", got, w.resume, err)
	}

	// Stopping in the middle of a batch resumes after the last record
	// returned (offset 4, the gzip batch's first), not after the batch.
	w.reset(blob, 0, nil)
	for i := 0; i < 4; i++ {
		if _, _, ok, err := w.next(); !ok || err != nil {
			t.Fatalf("record %d: %v %v", i, ok, err)
		}
	}
	if w.resume != 5 {
		t.Fatalf("after four records resume at %d, want 5", w.resume)
	}
	// A fetch that starts past a marker-only tail still moves on.
	w.reset(appendTestBatch(t, nil, 40, attrControl, 0, []testRec{{value: []byte{0}}}), 40, nil)
	if got, err := walkAll(&w); got != "" || err != nil || w.resume != 41 {
		t.Fatalf("marker only: %q %v resume %d", got, err, w.resume)
	}
}

// TestRecordWalkerRejectsDamage: damaged bytes are errors, never records
// and never a panic.
func TestRecordWalkerRejectsDamage(t *testing.T) {
	good := appendTestBatch(t, nil, 0, 0, 1, vals(`{"a":1}`, `{"a":2}`))
	flip := func(at int) []byte {
		b := bytes.Clone(good)
		b[at] ^= 0x40
		return b
	}
	oldMagic := bytes.Clone(good)
	oldMagic[batchMagicAt] = 1
	overrun := bytes.Clone(good)
	binary.BigEndian.PutUint32(overrun[batchCountAt:], 3)
	binary.BigEndian.PutUint32(overrun[batchCRCAt:], crc32.Checksum(overrun[batchAttrsAt:], crc32c))
	unknownCodec := appendTestBatch(t, nil, 0, 0, 1, vals("x", "y"))
	unknownCodec[batchAttrsAt+1] |= 0x07
	binary.BigEndian.PutUint32(unknownCodec[batchCRCAt:], crc32.Checksum(unknownCodec[batchAttrsAt:], crc32c))
	badSize := bytes.Clone(good)
	binary.BigEndian.PutUint32(badSize[batchLengthAt:], 10)
	// Snappy sizes that kafka-go's reader would allocate: an xerial
	// frame claiming 3.9 GB in a few bytes, and a raw block whose
	// decoded length is 4 GB.
	xerialBomb := append(append(append([]byte{}, xerialMagic...), 0, 0, 0, 1, 0, 0, 0, 1), 0xeb, 0x5f, 0, 0, 1, 2, 3)
	rawBomb := binary.AppendUvarint(nil, 4<<30)
	withRecords := func(attrs int16, recs []byte) []byte {
		b := appendTestBatch(t, nil, 0, 0, 0, vals("x"))
		b = append(b[:batchHeader], recs...)
		b[batchAttrsAt+1] = byte(attrs)
		binary.BigEndian.PutUint32(b[batchLengthAt:], uint32(len(b)-12))
		binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:], crc32c))
		return b
	}
	for name, b := range map[string][]byte{
		"snappy frame":   withRecords(int16(compress.Snappy), xerialBomb),
		"snappy block":   withRecords(int16(compress.Snappy), rawBomb),
		"crc":            flip(len(good) - 2),
		"magic":          oldMagic,
		"count overruns": overrun,
		"unknown codec":  unknownCodec,
		"batch length":   badSize,
	} {
		var w recordWalker
		w.reset(b, 0, nil)
		got, err := walkAll(&w)
		if !errors.Is(err, errRecordBatch) {
			t.Errorf("%s: records %q, err %v; want errRecordBatch", name, got, err)
		}
	}

	// A batch that inflates past the limit is an error, each codec; at
	// the limit it reads.
	for c := compress.Gzip; c <= compress.Zstd; c++ {
		v := strings.Repeat("z", 4000)
		b := appendTestBatch(t, nil, 0, int16(c), 1, vals(v, v))
		var w recordWalker
		w.reset(b, 0, nil)
		w.inflateLimit = 4000
		if got, err := walkAll(&w); !errors.Is(err, errRecordBatch) {
			t.Errorf("%v past the limit: records %d bytes, err %v", c, len(got), err)
		}
		w.reset(b, 0, nil)
		w.inflateLimit = 2 * 4010
		if got, err := walkAll(&w); err != nil || len(got) != 2*(2+len(v))+1 {
			t.Errorf("%v within the limit: %d bytes, err %v", c, len(got), err)
		}
	}
}

// FuzzRecordWalker: any bytes walk to records or an error, without a
// panic.
func FuzzRecordWalker(f *testing.F) {
	f.Add(appendTestBatch(f, nil, 0, 0, 1, vals(`{"a":1}`, `{"a":2}`)), false)
	f.Add(appendTestBatch(f, nil, 0, 0, 1, vals(`{"a":1}`, `{"a":2}`)), true)
	f.Add(appendTestBatch(f, nil, 5, int16(compress.Snappy), 0, vals(`{"b":1}`)), true)
	f.Add(appendTestBatch(f, nil, 9, attrControl, 0, vals("m")), false)
	f.Add(appendTxnBatch(f, nil, 3, 7, attrControl, 0, []testRec{{key: []byte{0, 0, 0, 0}, value: []byte{0, 0, 0, 0, 0, 0}}}), true)
	f.Add(appendTxnBatch(f, nil, 4, 7, 0, 1, vals("x", "y")), true)
	f.Fuzz(func(t *testing.T, b []byte, fix bool) {
		if fix && len(b) >= batchHeader {
			// Make the bytes one batch with a good CRC, so the fuzzer
			// reaches the records and the codecs rather than stop at
			// the checksum. (It found a snappy frame header claiming
			// 3.9 GB, which kafka-go's reader allocated: see
			// checkSnappySizes.)
			b[batchMagicAt] = 2
			binary.BigEndian.PutUint32(b[batchLengthAt:], uint32(len(b)-12))
			binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:], crc32c))
		}
		// Read committed, with the batch's producer aborted from its
		// start, so that transactional and control batches go through
		// skipAborted and isAbortMarker.
		var w recordWalker
		var aborted []abortedTxn
		if fix && len(b) >= batchHeader {
			w.readCommitted = true
			aborted = []abortedTxn{{producerID: int64(binary.BigEndian.Uint64(b[batchProducer:])), firstOffset: 0}}
		}
		w.reset(b, 0, aborted)
		for i := 0; i < 1<<16; i++ {
			_, _, ok, err := w.next()
			if !ok || err != nil {
				return
			}
		}
	})
}

// BenchmarkRecordWalker walks 1,000-record batches of demo-sized values.
func BenchmarkRecordWalker(b *testing.B) {
	var blob []byte
	const batches, per = 16, 1000
	for k := 0; k < batches; k++ {
		recs := make([]testRec, per)
		for i := range recs {
			recs[i] = testRec{delta: int32(i), value: fmt.Appendf(nil,
				`{"ts":%d,"service":"svc-%02d","host":"host-%02d","latency_ms":%d.%03d,"status":200}`,
				1700000000000+int64(i), i%20+1, i%80+1, i%300, i%1000)}
		}
		blob = appendTestBatch(b, blob, int64(k*per), 0, per-1, recs)
	}
	b.ReportAllocs()
	var w recordWalker
	n := 0
	for b.Loop() {
		w.reset(blob, 0, nil)
		for {
			_, v, ok, err := w.next()
			if !ok || err != nil {
				break
			}
			n += len(v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batches*per), "ns/record")
}

// appendTxnBatch appends a transactional batch of producer pid (see
// appendTestBatch).
func appendTxnBatch(t testing.TB, dst []byte, base, pid int64, attrs int16, lastDelta int32, recs []testRec) []byte {
	t.Helper()
	start := len(dst)
	dst = appendTestBatch(t, dst, base, attrs|attrTransactional, lastDelta, recs)
	b := dst[start:]
	binary.BigEndian.PutUint64(b[batchProducer:], uint64(pid))
	binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:], crc32c))
	return dst
}

// TestRecordWalkerSkipsAbortedTransactions: reading committed records,
// the batches of an aborted transaction (from its first offset to its
// producer's abort marker, compressed ones included) are skipped, while
// another producer's interleaved transaction and the first producer's
// next one are read; reading uncommitted records, all are.
func TestRecordWalkerSkipsAbortedTransactions(t *testing.T) {
	marker := func(typ byte) []testRec {
		return []testRec{{key: []byte{0, 0, 0, typ}, value: []byte{0, 0, 0, 0, 0, 0}}}
	}
	var blob []byte
	blob = appendTestBatch(t, blob, 0, 0, 0, vals("plain"))
	blob = appendTxnBatch(t, blob, 1, 7, 0, 1, vals("a1", "a2"))
	blob = appendTxnBatch(t, blob, 3, 8, 0, 0, vals("c1"))
	blob = appendTxnBatch(t, blob, 4, 7, int16(compress.Gzip), 0, vals("a3"))
	blob = appendTxnBatch(t, blob, 5, 7, attrControl, 0, marker(0)) // abort
	blob = appendTxnBatch(t, blob, 6, 8, attrControl, 0, marker(1)) // commit
	blob = appendTxnBatch(t, blob, 7, 7, 0, 0, vals("n1"))
	blob = appendTxnBatch(t, blob, 8, 7, attrControl, 0, marker(1))
	aborted := []abortedTxn{{producerID: 7, firstOffset: 1}}
	for _, tc := range []struct {
		committed bool
		want      string
	}{
		{false, "0:plain 1:a1 2:a2 3:c1 4:a3 7:n1"},
		{true, "0:plain 3:c1 7:n1"},
	} {
		w := recordWalker{readCommitted: tc.committed}
		w.reset(blob, 0, aborted)
		got, err := walkAll(&w)
		if err != nil || got != tc.want || w.resume != 9 {
			t.Errorf("read committed %v: %q (resume %d, err %v), want %q", tc.committed, got, w.resume, err, tc.want)
		}
	}
	// A fetch from offset 4: the aborted transaction began before it.
	start := 0
	for off := int64(0); off < 4; off++ {
		size := int(binary.BigEndian.Uint32(blob[start+batchLengthAt:]))
		off += int64(binary.BigEndian.Uint32(blob[start+batchLastDelta:]))
		start += 12 + size
	}
	w := recordWalker{readCommitted: true}
	w.reset(blob[start:], 4, aborted)
	if got, err := walkAll(&w); err != nil || got != "7:n1" || w.resume != 9 {
		t.Errorf("fetch from 4: %q (resume %d, err %v)", got, w.resume, err)
	}
}
