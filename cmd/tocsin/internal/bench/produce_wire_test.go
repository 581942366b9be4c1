package bench

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestWireChunksDecode decodes the producer's pre-encoded Produce requests
// as a broker does: every planned event must come out once, in order, in
// its partition, in a batch whose length and CRC check.
func TestWireChunksDecode(t *testing.T) {
	w, err := Lookup("2")
	if err != nil {
		t.Fatal(err)
	}
	const rate, base = 7000.0, int64(1_700_000_000_000)
	spec := Spec{Rate: rate, Keys: 50}
	p := planLatency(w, spec, 300*time.Millisecond, base, nil)
	chunks := encodeChunks(p, "t", rate, base)
	if len(chunks) < 2 {
		t.Fatalf("%d chunks", len(chunks))
	}
	next := 0
	for k, c := range chunks {
		if c.from != next || c.to <= c.from {
			t.Fatalf("chunk %d covers [%d, %d), want it to start at %d", k, c.from, c.to, next)
		}
		next = c.to
		if got := int(binary.BigEndian.Uint32(c.req)); got != len(c.req)-4 {
			t.Fatalf("chunk %d: size prefix %d, request %d bytes", k, got, len(c.req)-4)
		}
		r := kbin.Reader{Src: c.req[4:]}
		key, version, corr := r.Int16(), r.Int16(), r.Int32()
		r.NullableString()
		if key != 0 || version != produceVersion || corr != int32(k) {
			t.Fatalf("chunk %d: header key %d version %d correlation %d", k, key, version, corr)
		}
		req := kmsg.NewPtrProduceRequest()
		req.Version = produceVersion
		if err := req.ReadFrom(r.Src); err != nil {
			t.Fatalf("chunk %d: %v", k, err)
		}
		var want [Partitions][][]byte
		for i := c.from; i < c.to; i++ {
			want[p.parts[i]] = append(want[p.parts[i]], p.recs[i])
		}
		if req.Acks != 1 || len(req.Topics) != 1 || req.Topics[0].Topic != "t" {
			t.Fatalf("chunk %d: acks %d, topics %+v", k, req.Acks, req.Topics)
		}
		seen := 0
		for _, rp := range req.Topics[0].Partitions {
			var b kmsg.RecordBatch
			if err := b.ReadFrom(rp.Records); err != nil {
				t.Fatal(err)
			}
			if int(b.Length) != len(rp.Records)-12 || b.Magic != 2 || b.CRC != int32(crc32.Checksum(rp.Records[crcStart:], castagnoli)) {
				t.Fatalf("chunk %d partition %d: bad batch header %+v", k, rp.Partition, b)
			}
			if int(b.NumRecords) != len(want[rp.Partition]) || b.LastOffsetDelta != b.NumRecords-1 {
				t.Fatalf("chunk %d partition %d: %d records, want %d", k, rp.Partition, b.NumRecords, len(want[rp.Partition]))
			}
			rr := kbin.Reader{Src: b.Records}
			for i := range int(b.NumRecords) {
				before := rr.Src
				n := int(rr.Varint())
				whole := before[:len(before)-len(rr.Src)+n]
				rr.Span(n)
				var rec kmsg.Record
				if err := rec.ReadFrom(whole); err != nil {
					t.Fatal(err)
				}
				if int(rec.OffsetDelta) != i || rec.Key != nil || !bytes.Equal(rec.Value, want[rp.Partition][i]) {
					t.Fatalf("chunk %d partition %d record %d: %+v", k, rp.Partition, i, rec)
				}
			}
			if !rr.Ok() || len(rr.Src) != 0 {
				t.Fatalf("chunk %d partition %d: trailing bytes", k, rp.Partition)
			}
			seen += int(b.NumRecords)
		}
		if seen != c.to-c.from {
			t.Fatalf("chunk %d: %d records, want %d", k, seen, c.to-c.from)
		}
	}
	if next != len(p.recs) {
		t.Fatalf("chunks cover %d of %d events", next, len(p.recs))
	}
}
