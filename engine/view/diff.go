package view

import (
	"cmp"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tidwall/btree"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
)

// ApplyDiff applies a chunk like Apply and returns the changelog it
// caused, for views that read this one: the retraction (-1) of every row
// replaced or deleted, then the insertion (+1) of every row added or
// replaced. A row replaced by an identical one produces nothing.
func (s *Store) ApplyDiff(c batch.Chunk) (batch.Chunk, error) {
	if s.log != nil {
		return s.appendDiff(c)
	}
	n := c.Len()
	if err := s.checkSigns(c); err != nil {
		return batch.Chunk{}, err
	}
	s.encode(c.Rec)
	if s.olds == nil {
		s.olds = rowcodec.NewColumns(s.layout.types)
	}
	olds := s.olds
	s.diffOld, s.diffNew = s.diffOld[:0], s.diffNew[:0]
	if !s.keyed {
		for i := 0; i < n; i++ {
			s.set(string(s.bufs[i]), nil)
			s.diffNew = append(s.diffNew, int32(i))
		}
		s.nextID += uint64(n)
	} else if n < sortedApplyMin {
		for i := 0; i < n; i++ {
			s.applyDiffRow(c, int32(i), nil)
		}
	} else {
		// In key order with a path hint, as Apply: the lookup of the
		// replaced row and the write then share one descent's path.
		s.sortChanges(n)
		var hint btree.PathHint
		for _, e := range s.order {
			s.applyDiffRow(c, e.i, &hint)
		}
		// The changelog lists rows in the chunk's order, as they were
		// before the sort.
		slices.SortFunc(s.diffOld, func(a, b oldRow) int { return cmp.Compare(a.i, b.i) })
		slices.Sort(s.diffNew)
	}
	for _, o := range s.diffOld {
		if err := s.layout.decode(olds, o.row); err != nil {
			olds.Arrays()
			return batch.Chunk{}, err
		}
	}
	// Let the replaced rows go.
	clear(s.diffOld)
	newIdx := s.diffNew
	nOld := olds.Len()
	total := nOld + len(newIdx)
	if total == 0 {
		return batch.Chunk{}, nil
	}
	signs := make([]int8, total)
	for i := range signs {
		signs[i] = 1
		if i < nOld {
			signs[i] = -1
		}
	}
	schema := s.schema.Arrow()
	var parts []arrow.RecordBatch
	if nOld > 0 {
		parts = append(parts, array.NewRecordBatch(schema, olds.Arrays(), int64(nOld)))
	}
	if len(newIdx) > 0 {
		parts = append(parts, batch.Take(c.Rec, newIdx))
	}
	rec, err := batch.Concat(schema, parts)
	if err != nil {
		return batch.Chunk{}, err
	}
	return batch.Chunk{Rec: rec, Signs: signs}, nil
}

// oldRow is a row a chunk replaced or deleted, at the chunk position
// that did it.
type oldRow struct {
	i   int32
	row string
}

// applyDiffRow applies row i of a chunk to a keyed store for ApplyDiff,
// noting the stored row it replaces (in s.diffOld) and whether it
// inserts (in s.diffNew). Stored rows are immutable strings, so a noted
// row stays valid after the tree lets it go.
func (s *Store) applyDiffRow(c batch.Chunk, i int32, hint *btree.PathHint) {
	if c.Signs != nil && c.Signs[i] < 0 {
		if old, existed := s.delete(probeBytes(s.bufs[i][:s.keyLen[i]]), hint); existed {
			s.diffOld = append(s.diffOld, oldRow{i, old})
		}
		return
	}
	// The write returns the row it replaces, so an insert, update or
	// deletion is one descent (a lookup first, then the write, was two:
	// a tenth of workload 3's latency run). A row replaced by an
	// identical one is put back, so that its checkpoint epoch does not
	// move.
	row := string(s.bufs[i])
	old, existed := s.put(row, hint)
	if existed && restOf(old) == restOf(row) {
		s.put(old, hint)
		return
	}
	if existed {
		s.diffOld = append(s.diffOld, oldRow{i, old})
	}
	s.markDirty(keyOf(row))
	s.diffNew = append(s.diffNew, i)
}
