package durable

import (
	"time"

	"github.com/tocsin-db/tocsin/engine/state"
)

// CheckpointInfo describes one committed checkpoint.
type CheckpointInfo struct {
	ID       uint64
	Started  time.Time
	Duration time.Duration
	// Bytes is the size of the checkpoint's writes; StateBytes the size of
	// the whole checkpointed state on disk after it.
	Bytes      int64
	StateBytes int64
	Views      int
}

// historyKeep is how many checkpoints the history keeps.
const historyKeep = 100

func (c CheckpointInfo) encode() []byte {
	var w state.Writer
	w.Uvarint(c.ID)
	w.Varint(c.Started.UnixMicro())
	w.Varint(int64(c.Duration))
	w.Varint(c.Bytes)
	w.Varint(c.StateBytes)
	w.Uvarint(uint64(c.Views))
	return w.Buf
}

func decodeCheckpoint(b []byte) (CheckpointInfo, error) {
	r := state.Reader{Buf: b}
	c := CheckpointInfo{ID: r.Uvarint()}
	c.Started = time.UnixMicro(r.Varint()).UTC()
	c.Duration = time.Duration(r.Varint())
	c.Bytes = r.Varint()
	c.StateBytes = r.Varint()
	c.Views = int(r.Uvarint())
	return c, r.Err
}

// RecordCheckpoint adds a checkpoint's metadata to b (its last entry and
// its history entry, trimming the history).
func (b *Batch) RecordCheckpoint(c CheckpointInfo) {
	v := c.encode()
	b.Put([]byte{pLast}, v)
	b.Put(be64([]byte{pHistory}, c.ID), v)
	if c.ID > historyKeep {
		b.Delete(be64([]byte{pHistory}, c.ID-historyKeep))
	}
}

// LastCheckpoint returns the last committed checkpoint, ok false if none.
func (d *DB) LastCheckpoint() (CheckpointInfo, bool, error) {
	v, ok, err := d.Get([]byte{pLast})
	if err != nil || !ok {
		return CheckpointInfo{}, false, err
	}
	c, err := decodeCheckpoint(v)
	return c, err == nil, err
}

// Checkpoints returns the recent checkpoints, oldest first.
func (d *DB) Checkpoints() ([]CheckpointInfo, error) {
	var out []CheckpointInfo
	err := d.Entries([]byte{pHistory})(func(_, value []byte) error {
		c, err := decodeCheckpoint(value)
		out = append(out, c)
		return err
	})
	return out, err
}
