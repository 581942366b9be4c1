package query

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tocsin-db/tocsin/engine/batch"
	"github.com/tocsin-db/tocsin/engine/rowcodec"
	"github.com/tocsin-db/tocsin/sql/plan"
)

// The window operator sorts its input by (partition key encoding, ORDER
// BY keys), finds partition and peer-group boundaries in one pass, then
// computes each function over typed slices for all rows at once: ranking
// functions from the boundaries, navigation functions as one gather, and
// aggregates over frames with prefix sums, running values or monotonic
// deques (see winagg.go). Frames are computed once per distinct frame
// clause as [start, end) row ranges of the sorted input.

// winLayout describes the sorted input of a Window.
type winLayout struct {
	n int
	// partStart and partEnd bound each row's partition.
	partStart, partEnd []int32
	// peerStart and peerEnd bound each row's peer group (rows equal on
	// every ORDER BY key; the whole partition without ORDER BY).
	peerStart, peerEnd []int32
	// group is each row's peer-group number within its partition.
	group []int32
	// groupFirst lists, per partition (indexed by the partition's first
	// row), the first row of each of its peer groups.
	groupFirst map[int32][]int32
}

func (r *Runner) window(n *plan.Window) ([]arrow.RecordBatch, error) {
	in, err := r.Run(n.Input)
	if err != nil {
		return nil, err
	}
	inSchema := n.Input.Schema()
	rec, err := batch.Concat(inSchema.Arrow(), in)
	if err != nil {
		return nil, err
	}
	rows := int(rec.NumRows())
	var prefix [][]byte
	if len(n.PartitionBy) > 0 {
		prefix = arenaRows(rows, 10*len(n.PartitionBy))
		rowcodec.NewEncoder(inSchema, n.PartitionBy).Append(prefix, rec)
	}
	keys := sortKeyBytes(rec, inSchema, n.OrderBy)
	idx := sortIndex(prefix, keys)
	sorted := batch.Take(rec, idx)
	lay := newWinLayout(idx, prefix, keys)
	var rc *rangeColumn
	if len(n.OrderBy) == 1 {
		rc = newRangeColumn(sorted.Column(n.OrderBy[0].Col), inSchema[n.OrderBy[0].Col].Type, n.OrderBy[0])
	}
	frames := map[plan.Frame]*frameRanges{}
	cols := append([]arrow.Array{}, sorted.Columns()...)
	for _, f := range n.Funcs {
		var fr *frameRanges
		if f.Kind.UsesFrame() {
			if fr = frames[f.Frame]; fr == nil {
				if fr, err = lay.frames(f.Frame, rc, len(n.OrderBy) > 0); err != nil {
					return nil, err
				}
				frames[f.Frame] = fr
			}
		}
		args := make([]arrow.Array, len(f.Args))
		for i, a := range f.Args {
			args[i] = sorted.Column(a)
		}
		var filter arrow.Array
		if f.Filter >= 0 {
			filter = sorted.Column(f.Filter)
		}
		col, err := computeWindowFunc(f, lay, fr, args, filter)
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
	}
	return []arrow.RecordBatch{array.NewRecordBatch(n.Schema().Arrow(), cols, int64(rows))}, nil
}

// newWinLayout finds the partition and peer boundaries of the rows in
// sorted order idx, from their partition prefixes (nil: one partition)
// and sort keys.
func newWinLayout(idx []int32, prefix, keys [][]byte) *winLayout {
	n := len(idx)
	l := &winLayout{
		n:         n,
		partStart: make([]int32, n), partEnd: make([]int32, n),
		peerStart: make([]int32, n), peerEnd: make([]int32, n),
		group:      make([]int32, n),
		groupFirst: map[int32][]int32{},
	}
	var ps, gs, g int32
	for i := 0; i < n; i++ {
		newPart := i == 0 || (prefix != nil && !bytes.Equal(prefix[idx[i]], prefix[idx[i-1]]))
		if newPart {
			ps, gs, g = int32(i), int32(i), 0
			l.groupFirst[ps] = append(l.groupFirst[ps], gs)
		} else if !bytes.Equal(keys[idx[i]], keys[idx[i-1]]) {
			gs = int32(i)
			g++
			l.groupFirst[ps] = append(l.groupFirst[ps], gs)
		}
		l.partStart[i], l.peerStart[i], l.group[i] = ps, gs, g
	}
	// Ends, walking backwards.
	for i := n - 1; i >= 0; i-- {
		if i == n-1 || l.partStart[i+1] != l.partStart[i] {
			l.partEnd[i] = int32(i + 1)
		} else {
			l.partEnd[i] = l.partEnd[i+1]
		}
		if i == n-1 || l.peerStart[i+1] != l.peerStart[i] {
			l.peerEnd[i] = int32(i + 1)
		} else {
			l.peerEnd[i] = l.peerEnd[i+1]
		}
	}
	return l
}
