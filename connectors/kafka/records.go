package kafka

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"

	"github.com/segmentio/kafka-go/compress"
)

// recordWalker walks the records of a Fetch response's record batches
// (Kafka's v2 format, "magic" 2, which every broker since 0.11 writes and
// the only one Kafka 4 keeps). Values are slices of the response, or of
// the walker's decompression buffer for compressed batches, valid until
// the next call to next or reset.
//
// A response may end with a truncated batch (the broker cuts at its byte
// limit); the walker stops before it, and the reader fetches it again
// from its first unread offset. Control batches (transaction markers)
// are skipped. Reading committed records only (isolation level
// read_committed), it also skips the data batches of the transactions
// the response lists as aborted, as Kafka's consumer does: from a
// transaction's first offset, the batches of its producer are skipped
// until that producer's abort marker. A batch whose CRC does not match,
// an unknown compression or a record that overruns its batch is an
// error: the reader drops the connection and fetches again rather than
// skip records.
type recordWalker struct {
	// data is what is left of the response's batches.
	data []byte
	// recs is what is left of the current batch's records, left their
	// count, base the batch's base offset and end the offset after it.
	recs      []byte
	left      int32
	base, end int64
	// open says a batch is underway.
	open bool
	// resume is the offset after the last record or batch walked: where
	// the next fetch starts.
	resume int64

	inflate bytes.Buffer
	// inflateLimit bounds what one compressed batch may decompress to
	// (0: maxInflated).
	inflateLimit int

	// readCommitted skips aborted transactions: aborted are the
	// response's aborted transactions not reached yet, by first offset,
	// and abortedPIDs the producers whose aborted transaction is under
	// way (a few at most, so a slice).
	readCommitted bool
	aborted       []abortedTxn
	abortedPIDs   []int64
}

// abortedTxn is an aborted transaction a Fetch response lists.
type abortedTxn struct {
	producerID, firstOffset int64
}

// v2 record batch header layout.
const (
	batchLengthAt  = 8  // int32: bytes after this field
	batchMagicAt   = 16 // int8
	batchCRCAt     = 17 // uint32, CRC-32C of everything after it
	batchAttrsAt   = 21 // int16
	batchLastDelta = 23 // int32: last offset delta
	batchProducer  = 43 // int64: producer ID
	batchCountAt   = 57 // int32: number of records
	batchHeader    = 61
)

const (
	attrCompression   = 0x07
	attrTransactional = 0x10
	attrControl       = 0x20
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// maxInflated bounds what one compressed batch may decompress to.
const maxInflated = maxFetchResponse

// xerialMagic starts snappy data in the xerial framing (Java clients):
// a 16-byte header, then blocks, each after its 4-byte big-endian length.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// checkSnappySizes rejects snappy data whose framing or block headers
// claim more than the data holds or than limit. kafka-go's snappy
// reader allocates what they claim before it reads anything: a 4-byte
// frame length of 3.9 GB in a few hundred bytes (found by
// FuzzRecordWalker) is allocated as such.
func checkSnappySizes(c compress.Compression, data []byte, limit int) error {
	if c != compress.Snappy {
		return nil
	}
	block := func(b []byte) error {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(limit) {
			return fmt.Errorf("%w: snappy block of %d bytes", errRecordBatch, n)
		}
		return nil
	}
	if len(data) < 16 || !bytes.Equal(data[:8], xerialMagic) {
		return block(data)
	}
	for rest := data[16:]; len(rest) > 0; {
		if len(rest) < 4 {
			return fmt.Errorf("%w: truncated snappy frame", errRecordBatch)
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return fmt.Errorf("%w: snappy frame of %d bytes in %d", errRecordBatch, n, len(rest)-4)
		}
		if err := block(rest[4 : 4+n]); err != nil {
			return err
		}
		rest = rest[4+n:]
	}
	return nil
}

// errRecordBatch marks a malformed record batch.
var errRecordBatch = errors.New("malformed kafka record batch")

// reset starts walking batches; resume starts at from, the fetch's
// offset. aborted are the response's aborted transactions (read
// committed only), copied.
func (w *recordWalker) reset(batches []byte, from int64, aborted []abortedTxn) {
	w.data, w.recs, w.left, w.open, w.resume = batches, nil, 0, false, from
	w.inflate.Reset()
	w.aborted = append(w.aborted[:0], aborted...)
	slices.SortFunc(w.aborted, func(a, b abortedTxn) int { return cmp.Compare(a.firstOffset, b.firstOffset) })
	w.abortedPIDs = w.abortedPIDs[:0]
}

// skipAborted reports whether the transactional batch b, ending before
// end, belongs to an aborted transaction, and follows the transactions'
// starts and abort markers.
func (w *recordWalker) skipAborted(b []byte, end int64, control bool) bool {
	for len(w.aborted) > 0 && w.aborted[0].firstOffset < end {
		w.abortedPIDs = append(w.abortedPIDs, w.aborted[0].producerID)
		w.aborted = w.aborted[1:]
	}
	pid := int64(binary.BigEndian.Uint64(b[batchProducer:]))
	i := slices.Index(w.abortedPIDs, pid)
	if i < 0 {
		return false
	}
	if control {
		if isAbortMarker(b) {
			w.abortedPIDs = slices.Delete(w.abortedPIDs, i, i+1)
		}
		return false
	}
	return true
}

// isAbortMarker reports whether control batch b holds an abort marker:
// its record's key is a version (int16) and a type, 0 for abort and 1
// for commit.
func isAbortMarker(b []byte) bool {
	rec := b[batchHeader:]
	_, k := varint(rec) // record length
	if k <= 0 || len(rec) < k+1 {
		return false
	}
	p := k + 1 // attributes
	_, k1 := varint(rec[p:])
	p += max(k1, 0)
	_, k2 := varint(rec[p:])
	p += max(k2, 0)
	keyLen, k3 := varint(rec[p:])
	p += max(k3, 0)
	if k1 <= 0 || k2 <= 0 || k3 <= 0 || keyLen < 4 || int64(len(rec)-p) < keyLen {
		return false
	}
	return binary.BigEndian.Uint16(rec[p+2:]) == 0
}

// nextBatch opens the next complete data batch, reporting false when
// none is left.
func (w *recordWalker) nextBatch() (bool, error) {
	for {
		if len(w.data) < batchHeader {
			return false, nil
		}
		size := int64(int32(binary.BigEndian.Uint32(w.data[batchLengthAt:])))
		if size < batchHeader-12 {
			return false, fmt.Errorf("%w: batch length %d", errRecordBatch, size)
		}
		if 12+size > int64(len(w.data)) {
			return false, nil // truncated by the broker's byte limit
		}
		b := w.data[:12+size]
		w.data = w.data[12+size:]
		if magic := b[batchMagicAt]; magic != 2 {
			return false, fmt.Errorf("%w: message format v%d (Kafka before 0.11) is not supported", errRecordBatch, magic)
		}
		if crc := binary.BigEndian.Uint32(b[batchCRCAt:]); crc32.Checksum(b[batchAttrsAt:], crc32c) != crc {
			return false, fmt.Errorf("%w: CRC mismatch", errRecordBatch)
		}
		base := int64(binary.BigEndian.Uint64(b))
		end := base + int64(int32(binary.BigEndian.Uint32(b[batchLastDelta:]))) + 1
		attrs := binary.BigEndian.Uint16(b[batchAttrsAt:])
		if w.readCommitted && attrs&attrTransactional != 0 && w.skipAborted(b, end, attrs&attrControl != 0) {
			w.resume = max(w.resume, end)
			continue
		}
		if attrs&attrControl != 0 {
			w.resume = max(w.resume, end)
			continue
		}
		recs := b[batchHeader:]
		if c := compress.Compression(attrs & attrCompression); c != compress.None {
			codec := c.Codec()
			if codec == nil {
				return false, fmt.Errorf("%w: unknown compression %d", errRecordBatch, c)
			}
			limit := w.inflateLimit
			if limit <= 0 {
				limit = maxInflated
			}
			if err := checkSnappySizes(c, recs, limit); err != nil {
				return false, err
			}
			w.inflate.Reset()
			rd := codec.NewReader(bytes.NewReader(recs))
			_, err := w.inflate.ReadFrom(io.LimitReader(rd, int64(limit)+1))
			_ = rd.Close()
			if err != nil {
				return false, fmt.Errorf("%w: %s: %v", errRecordBatch, codec.Name(), err)
			}
			if w.inflate.Len() > limit {
				return false, fmt.Errorf("%w: %s: records inflate to more than %d bytes", errRecordBatch, codec.Name(), limit)
			}
			recs = w.inflate.Bytes()
		}
		w.recs, w.left = recs, int32(binary.BigEndian.Uint32(b[batchCountAt:]))
		w.base, w.end, w.open = base, end, true
		return true, nil
	}
}

// next returns the next record's offset and value (nil for a null
// value), or ok false when no complete batch is left.
func (w *recordWalker) next() (offset int64, value []byte, ok bool, err error) {
	for w.left <= 0 {
		if w.open {
			// The batch is done: offsets up to its end may have been
			// compacted away.
			w.resume = max(w.resume, w.end)
			w.open = false
		}
		more, err := w.nextBatch()
		if !more || err != nil {
			return 0, nil, false, err
		}
	}
	w.left--
	n, k := varint(w.recs)
	if k <= 0 || n < 0 || int64(len(w.recs)-k) < n {
		return 0, nil, false, fmt.Errorf("%w: record length", errRecordBatch)
	}
	rec := w.recs[k : k+int(n)]
	w.recs = w.recs[k+int(n):]
	// attributes (int8), timestamp delta (varlong), offset delta
	// (varint), key and value (varint length, -1 for null, and bytes),
	// headers (not read: rec ends the record).
	if len(rec) < 1 {
		return 0, nil, false, fmt.Errorf("%w: empty record", errRecordBatch)
	}
	_, k1 := varint(rec[1:]) // timestamp delta
	p := 1 + k1
	delta, k2 := varint(rec[max(p, 0):])
	p += k2
	keyLen, k := varint(rec[max(p, 0):])
	p += k
	if k1 <= 0 || k2 <= 0 || k <= 0 || keyLen > int64(len(rec)-p) {
		return 0, nil, false, fmt.Errorf("%w: record header or key", errRecordBatch)
	}
	p += int(max(keyLen, 0))
	valueLen, k := varint(rec[p:])
	p += k
	if k <= 0 || valueLen > int64(len(rec)-p) {
		return 0, nil, false, fmt.Errorf("%w: record value", errRecordBatch)
	}
	if valueLen >= 0 {
		value = rec[p : p+int(valueLen)]
	}
	offset = w.base + delta
	w.resume = max(w.resume, offset+1)
	return offset, value, true, nil
}

// varint decodes a zigzag varint as binary.Varint does (n <= 0 when b
// holds none), with the one- and two-byte encodings of record fields
// inline.
func varint(b []byte) (v int64, n int) {
	if len(b) > 0 && b[0] < 0x80 {
		u := uint64(b[0])
		return int64(u>>1) ^ -int64(u&1), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		u := uint64(b[0]&0x7f) | uint64(b[1])<<7
		return int64(u>>1) ^ -int64(u&1), 2
	}
	return binary.Varint(b)
}
