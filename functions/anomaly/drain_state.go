package anomaly

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
)

// Drain state format, version 1 (all integers unsigned varints unless
// noted; a string is its length then its bytes):
//
//	version      byte (1)
//	fingerprint  8 bytes little-endian: FNV-64a of the configuration
//	next id
//	cluster count, then per cluster from least to most recently used:
//	    id, template
//	length-node count, then per token count in ascending order:
//	    token count, node
//	node: cluster count, then each cluster's id in leaf order;
//	      child count, then per child in ascending key order: key, node
//
// The encoding is canonical (map contents are sorted), so two models
// that saw the same input have byte-identical states.
const drainStateVersion = 1

// fingerprint hashes the parameters a state is only valid for.
func (d *Drain) fingerprint() uint64 {
	h := fnv.New64a()
	var buf []byte
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(d.cfg.SimThreshold))
	buf = binary.AppendUvarint(buf, uint64(d.cfg.Depth))
	buf = binary.AppendUvarint(buf, uint64(d.cfg.MaxChildren))
	buf = binary.AppendUvarint(buf, uint64(d.cfg.MaxClusters))
	buf = binary.AppendUvarint(buf, uint64(len(d.cfg.Masking)))
	for _, m := range d.cfg.Masking {
		buf = drainAppendString(buf, m.Pattern.String())
		buf = drainAppendString(buf, m.Mask)
	}
	if d.cfg.LogFormat != nil {
		buf = drainAppendString(buf, d.cfg.LogFormat.String())
	}
	h.Write(buf)
	return h.Sum64()
}

func drainAppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendState appends the model's serialised state to dst.
func (d *Drain) AppendState(dst []byte) []byte {
	dst = append(dst, drainStateVersion)
	dst = binary.LittleEndian.AppendUint64(dst, d.fingerprint())
	dst = binary.AppendUvarint(dst, uint64(d.nextID))
	dst = binary.AppendUvarint(dst, uint64(len(d.live)))
	for c := d.oldest; c != nil; c = c.newer {
		dst = binary.AppendUvarint(dst, uint64(c.id))
		dst = drainAppendString(dst, c.tpl)
	}
	ns := make([]int, 0, len(d.lengths))
	for n := range d.lengths {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	dst = binary.AppendUvarint(dst, uint64(len(ns)))
	for _, n := range ns {
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = drainAppendNode(dst, d.lengths[n])
	}
	return dst
}

func drainAppendNode(dst []byte, node *drainNode) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(node.clusters)))
	for _, c := range node.clusters {
		dst = binary.AppendUvarint(dst, uint64(c.id))
	}
	keys := make([]string, 0, len(node.children))
	for k := range node.children {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = drainAppendString(dst, k)
		dst = drainAppendNode(dst, node.children[k])
	}
	return dst
}

// errDrainState is wrapped by every RestoreState decoding error.
var errDrainState = errors.New("corrupt drain state")

// drainReader decodes a state, remembering the first error.
type drainReader struct {
	b   []byte
	err error
}

func (r *drainReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{errDrainState}, args...)...)
	}
}

func (r *drainReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count that must not exceed limit.
func (r *drainReader) count(limit int, what string) int {
	v := r.uvarint()
	if v > uint64(limit) {
		r.fail("%s %d exceeds %d", what, v, limit)
		return 0
	}
	return int(v)
}

func (r *drainReader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail("string of %d bytes past the end", n)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// RestoreState replaces the model's state with bytes AppendState wrote
// for a model with the same configuration. On error the model is
// unchanged.
func (d *Drain) RestoreState(src []byte) error {
	if len(src) < 9 {
		return fmt.Errorf("%w: %d bytes", errDrainState, len(src))
	}
	if src[0] != drainStateVersion {
		return fmt.Errorf("%w: unknown version %d", errDrainState, src[0])
	}
	if fp := binary.LittleEndian.Uint64(src[1:9]); fp != d.fingerprint() {
		return fmt.Errorf("%w: written for a model with different parameters", errDrainState)
	}
	n := &Drain{cfg: d.cfg, prefix: d.prefix}
	n.reset()
	r := &drainReader{b: src[9:]}
	next := r.uvarint()
	if next < 1 || next > math.MaxInt64 {
		r.fail("next id %d", next)
	}
	n.nextID = int64(next)
	count := r.count(d.cfg.MaxClusters, "cluster count")
	for i := 0; i < count && r.err == nil; i++ {
		id, tpl := r.uvarint(), r.str()
		if r.err != nil {
			break
		}
		if id < 1 || id >= next || n.live[int64(id)] != nil {
			r.fail("cluster id %d", id)
			break
		}
		toks := drainFields(nil, tpl)
		if strings.Join(toks, " ") != tpl {
			r.fail("cluster %d: template %q is not canonical", id, tpl)
			break
		}
		c := &drainCluster{id: int64(id)}
		n.setTemplate(c, toks)
		n.size += drainClusterBytes
		n.live[c.id] = c
		n.pushNewest(c)
	}
	lengths := r.count(len(r.b), "length count")
	prev := -1
	for i := 0; i < lengths && r.err == nil; i++ {
		tokens := r.count(math.MaxInt32, "token count")
		if r.err == nil && tokens <= prev {
			r.fail("token counts out of order")
		}
		if r.err != nil {
			break
		}
		prev = tokens
		node := n.newNode(nil, "", tokens)
		n.lengths[tokens] = node
		n.decodeNode(r, node, 0)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	for _, c := range n.live {
		if r.err == nil && c.leaf == nil {
			r.fail("cluster %d is in no leaf", c.id)
		}
	}
	if r.err != nil {
		return r.err
	}
	*d = *n
	return nil
}

// decodeNode reads node's contents; node is k prefix tokens below its
// length node.
func (d *Drain) decodeNode(r *drainReader, node *drainNode, k int) {
	leaf := k == d.steps(node.length)
	nc := r.count(len(r.b), "leaf size")
	if r.err == nil && leaf != (nc > 0) {
		r.fail("clusters on an inner node or an empty leaf")
	}
	for i := 0; i < nc && r.err == nil; i++ {
		id := r.uvarint()
		c := d.live[int64(id)]
		switch {
		case r.err != nil:
		case c == nil || c.leaf != nil:
			r.fail("leaf refers to cluster %d", id)
		case len(c.tokens) != node.length:
			r.fail("cluster %d has %d tokens in a %d-token leaf", id, len(c.tokens), node.length)
		default:
			d.attach(c, node)
		}
	}
	nch := r.count(d.cfg.MaxChildren, "child count")
	if r.err == nil && leaf == (nch > 0) {
		r.fail("children on a leaf or an inner node without children")
	}
	prev := ""
	for i := 0; i < nch && r.err == nil; i++ {
		key := r.str()
		if r.err == nil && (key == "" || i > 0 && key <= prev) {
			r.fail("child keys empty or out of order")
		}
		if r.err != nil {
			return
		}
		prev = key
		if node.children == nil {
			node.children = make(map[string]*drainNode, nch)
		}
		c := d.newNode(node, key, node.length)
		node.children[key] = c
		d.decodeNode(r, c, k+1)
	}
	if r.err == nil && node.children[DrainWildcard] == nil && nch >= d.cfg.MaxChildren {
		r.fail("a full node without a wildcard child")
	}
}
