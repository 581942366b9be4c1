package durable

import (
	"fmt"

	"github.com/tocsin-db/tocsin/engine/state"
)

// CatalogEntry is one object as stored: enough to re-create it by
// running its CREATE statement again under the same ID.
type CatalogEntry struct {
	ID   uint32
	Kind uint8
	Name string
	SQL  string
}

const catalogVersion = 1

func (e CatalogEntry) encode() []byte {
	w := state.Writer{Buf: []byte{catalogVersion}}
	w.Uvarint(uint64(e.Kind))
	w.Bytes([]byte(e.Name))
	w.Bytes([]byte(e.SQL))
	return w.Buf
}

// PutCatalog stores an object's entry durably.
func (d *DB) PutCatalog(e CatalogEntry) error {
	b := d.NewBatch()
	b.Put(be32([]byte{pCatalog}, e.ID), e.encode())
	return b.Commit()
}

// DropObject durably removes an object's catalog entry and all its
// state, dead letters and late rows.
func (d *DB) DropObject(id uint32) error {
	b := d.NewBatch()
	b.Delete(be32([]byte{pCatalog}, id))
	b.DeletePrefix(ObjectPrefix(id))
	b.DeletePrefix(DeadLetterPrefix(id))
	b.DeletePrefix(LatePrefix(id))
	return b.Commit()
}

// Catalog returns every stored object in ID (creation) order.
func (d *DB) Catalog() ([]CatalogEntry, error) {
	var out []CatalogEntry
	prefix := []byte{pCatalog}
	err := d.Entries(prefix)(func(key, value []byte) error {
		if len(key) != 4 || len(value) == 0 || value[0] != catalogVersion {
			return fmt.Errorf("catalog entry %x: %w", key, state.ErrCorrupt)
		}
		r := state.Reader{Buf: value[1:]}
		e := CatalogEntry{ID: uint32(key[0])<<24 | uint32(key[1])<<16 | uint32(key[2])<<8 | uint32(key[3])}
		e.Kind = uint8(r.Uvarint())
		e.Name = string(r.Bytes())
		e.SQL = string(r.Bytes())
		out = append(out, e)
		return r.Err
	})
	return out, err
}
