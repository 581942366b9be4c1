package anomaly

import (
	"math"
	"slices"
	"strings"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// DrainConfig holds the parameters of a Drain model. Start from
// DefaultDrainConfig (or a preset's Config) and override fields.
type DrainConfig struct {
	// SimThreshold (st) is the least fraction of a message's tokens that
	// must equal a cluster template's non-wildcard tokens, position by
	// position, for the message to join that cluster. In [0, 1].
	SimThreshold float64
	// Depth is Drain's "depth of all leaf nodes", counting the root and
	// the token-count layer: a message is routed by its first Depth-3
	// tokens. At least 3.
	Depth int
	// MaxChildren bounds the children of a tree node; tokens past it
	// share the node's wildcard child. At least 1.
	MaxChildren int
	// MaxClusters bounds the clusters kept. Creating one more evicts the
	// least recently used (created or matched) cluster. At least 1.
	MaxClusters int
	// Masking preprocesses each message's content before tokenising.
	Masking []DrainMask
	// LogFormat, when set, extracts each message's Content field first;
	// a line it does not match gets no cluster.
	LogFormat *LogFormat
}

// Limits of DrainConfig's integer fields.
const (
	MaxDrainDepth       = 64
	MaxDrainChildren    = 1 << 16
	MaxDrainClusterSize = 1 << 22
)

// DefaultDrainConfig returns logparser's and Drain3's defaults (st 0.4,
// depth 4, 100 children) with at most 1000 clusters, no masking and no
// log format.
func DefaultDrainConfig() DrainConfig {
	return DrainConfig{SimThreshold: 0.4, Depth: 4, MaxChildren: 100, MaxClusters: 1000}
}

// Validate reports the first out-of-range field as an invalid parameter
// error.
func (c DrainConfig) Validate() error {
	switch {
	case math.IsNaN(c.SimThreshold) || c.SimThreshold < 0 || c.SimThreshold > 1:
		return sqlerr.New(sqlerr.InvalidParameterValue, "sim_threshold must be between 0 and 1, got %v", c.SimThreshold)
	case c.Depth < 3 || c.Depth > MaxDrainDepth:
		return sqlerr.New(sqlerr.InvalidParameterValue, "depth must be between 3 and %d, got %d", MaxDrainDepth, c.Depth)
	case c.MaxChildren < 1 || c.MaxChildren > MaxDrainChildren:
		return sqlerr.New(sqlerr.InvalidParameterValue, "max_children must be between 1 and %d, got %d", MaxDrainChildren, c.MaxChildren)
	case c.MaxClusters < 1 || c.MaxClusters > MaxDrainClusterSize:
		return sqlerr.New(sqlerr.InvalidParameterValue, "max_clusters must be between 1 and %d, got %d", MaxDrainClusterSize, c.MaxClusters)
	}
	for i, m := range c.Masking {
		if m.Pattern == nil {
			return sqlerr.New(sqlerr.InvalidParameterValue, "masking rule %d has no pattern", i+1)
		}
	}
	return nil
}

// Drain is an online log-template miner: the Drain algorithm (He et al.,
// ICWS'17) as logparser implements it, the implementation behind the
// published Loghub accuracies, with Drain3's bounded cluster cache.
//
// Each message is (optionally) cut down to its Content field by the log
// format, masked by the masking rules in order, and split on whitespace
// (Python str.split rules). A fixed-depth prefix tree routes it by its
// token count and then its first Depth-3 tokens (a token containing a
// digit always takes the wildcard branch, as does any new token once a
// node has MaxChildren children) to a leaf list of clusters. Among them
// it joins the cluster whose template has the most positions equal to
// the message, wildcard positions not counting, ties going to the
// template with more wildcards and then to the older cluster, provided
// that count over the message length reaches SimThreshold. Joining
// replaces every template token that differs from the message with <*>;
// otherwise the message founds a new cluster whose template is the
// message itself.
//
// A message with fewer than Depth-2 tokens (the empty message too) joins
// only a cluster with exactly its tokens: logparser never matches such
// messages against the tree and its output step merges their clusters by
// identical text, which this reproduces online.
//
// Cluster ids count from 1 in creation order and never change or get
// reused. The cluster cache holds at most MaxClusters clusters; founding
// one more evicts the least recently created-or-matched cluster (Drain3's
// LRU), and tree nodes left without clusters are removed, so memory is
// bounded by MaxClusters times the message size. With no eviction the
// model groups messages exactly as logparser does.
//
// A Drain is not safe for concurrent use. Templates it returns are
// immutable strings owned by nobody; it keeps no reference to input
// messages after AddBatch returns.
type Drain struct {
	cfg     DrainConfig
	prefix  int // Depth-2: the layers below the root, length layer included
	lengths map[int]*drainNode
	live    map[int64]*drainCluster
	// oldest and newest end the LRU list (drainCluster.newer/older).
	oldest, newest *drainCluster
	nextID         int64
	size           int
	toks           []string // scratch
}

// drainNode is a tree node: a token-count node (parent nil) or a prefix
// token node. Inner nodes have children, leaves have clusters; a node
// with neither is removed.
type drainNode struct {
	parent   *drainNode
	key      string // token in the parent's children; "" for a length node
	length   int    // token count of the messages below
	children map[string]*drainNode
	clusters []*drainCluster
}

type drainCluster struct {
	id     int64
	tpl    string   // tokens joined by single spaces
	tokens []string // substrings of tpl
	leaf   *drainNode
	// newer and older link the LRU list.
	newer, older *drainCluster
}

// Estimated fixed footprints for SizeBytes.
const (
	drainClusterBytes = 160 // struct, live-map entry, leaf-list slot
	drainNodeBytes    = 144 // struct, parent-map entry, empty map header
	drainStringBytes  = 16
)

// NewDrain returns an empty model. cfg must pass Validate: an invalid
// configuration is a caller bug and panics.
func NewDrain(cfg DrainConfig) *Drain {
	if err := cfg.Validate(); err != nil {
		panic("BUG: anomaly.NewDrain: " + err.Error())
	}
	cfg.Masking = append([]DrainMask(nil), cfg.Masking...)
	d := &Drain{cfg: cfg, prefix: cfg.Depth - 2}
	d.reset()
	return d
}

func (d *Drain) reset() {
	d.lengths = make(map[int]*drainNode)
	d.live = make(map[int64]*drainCluster)
	d.oldest, d.newest = nil, nil
	d.nextID = 1
	d.size = 0
}

// Config returns the model's configuration.
func (d *Drain) Config() DrainConfig {
	c := d.cfg
	c.Masking = append([]DrainMask(nil), c.Masking...)
	return c
}

// AddBatch feeds one batch of messages in stream order. valid[i] false
// marks a NULL message (valid nil: all are valid). For each valid message
// whose line matches the log format (if any) it writes the cluster's id
// to ids[i] and its template after merging the message to tpls[i], and
// sets ok[i]; otherwise it writes 0, "" and false. ids, tpls and ok must
// be at least as long as msgs, and valid as long when it is not nil.
func (d *Drain) AddBatch(msgs []string, valid []bool, ids []int64, tpls []string, ok []bool) {
	if valid != nil && len(valid) < len(msgs) || len(ids) < len(msgs) || len(tpls) < len(msgs) || len(ok) < len(msgs) {
		panic("BUG: anomaly.Drain.AddBatch: output slices shorter than the input")
	}
	for i, m := range msgs {
		var c *drainCluster
		if valid == nil || valid[i] {
			c = d.add(m)
		}
		if c == nil {
			ids[i], tpls[i], ok[i] = 0, "", false
			continue
		}
		ids[i], tpls[i], ok[i] = c.id, c.tpl, true
	}
	clear(d.toks)
}

// add routes one message and returns its cluster, or nil when the log
// format does not match it.
func (d *Drain) add(msg string) *drainCluster {
	content := msg
	if d.cfg.LogFormat != nil {
		var matched bool
		if content, matched = d.cfg.LogFormat.Content(msg); !matched {
			return nil
		}
	}
	content = drainApplyMasks(d.cfg.Masking, content)
	d.toks = drainFields(d.toks[:0], content)
	toks := d.toks
	if c := d.search(toks); c != nil {
		d.merge(c, toks)
		d.touch(c)
		return c
	}
	if len(d.live) >= d.cfg.MaxClusters {
		d.evict(d.oldest)
	}
	c := &drainCluster{id: d.nextID}
	d.nextID++
	d.setTemplate(c, toks)
	d.size += drainClusterBytes
	d.live[c.id] = c
	d.pushNewest(c)
	d.attach(c, d.insertPath(toks))
	return c
}

// steps is the number of prefix tokens that route an n-token message.
func (d *Drain) steps(n int) int { return min(d.prefix-1, n) }

// search returns the cluster msg joins, or nil.
func (d *Drain) search(toks []string) *drainCluster {
	n := len(toks)
	node := d.lengths[n]
	if node == nil {
		return nil
	}
	for _, t := range toks[:d.steps(n)] {
		next := node.children[t]
		if next == nil {
			next = node.children[DrainWildcard]
		}
		if next == nil {
			return nil
		}
		node = next
	}
	if n < d.prefix {
		for _, c := range node.clusters {
			if drainEqualTokens(c.tokens, toks) {
				return c
			}
		}
		return nil
	}
	var best *drainCluster
	bestSim, bestPar := -1, -1
	for _, c := range node.clusters {
		sim, par := 0, 0
		for j, t := range c.tokens {
			if t == DrainWildcard {
				par++
			} else if t == toks[j] {
				sim++
			}
		}
		if sim > bestSim || sim == bestSim && par > bestPar {
			best, bestSim, bestPar = c, sim, par
		}
	}
	if best != nil && float64(bestSim)/float64(n) >= d.cfg.SimThreshold {
		return best
	}
	return nil
}

func drainEqualTokens(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// insertPath returns the leaf a new cluster with tokens toks belongs to,
// creating nodes on the way.
func (d *Drain) insertPath(toks []string) *drainNode {
	n := len(toks)
	node := d.lengths[n]
	if node == nil {
		node = d.newNode(nil, "", n)
		d.lengths[n] = node
	}
	maxChild := d.cfg.MaxChildren
	for _, t := range toks[:d.steps(n)] {
		if next := node.children[t]; next != nil {
			node = next
			continue
		}
		wild := node.children[DrainWildcard]
		switch {
		case drainHasDigit(t) || wild != nil && len(node.children) >= maxChild:
			// A numeric token, or a full node: the wildcard branch.
		case wild != nil || len(node.children)+1 < maxChild:
			node = d.child(node, t)
			continue
		}
		// Also reached with no wildcard child and one free slot: the
		// last slot is reserved for the wildcard.
		if wild == nil {
			wild = d.child(node, DrainWildcard)
		}
		node = wild
	}
	return node
}

func (d *Drain) newNode(parent *drainNode, key string, length int) *drainNode {
	d.size += drainNodeBytes + len(key)
	return &drainNode{parent: parent, key: key, length: length}
}

// child creates node's child under key (cloned: keys outlive messages).
func (d *Drain) child(node *drainNode, key string) *drainNode {
	if node.children == nil {
		node.children = make(map[string]*drainNode)
	}
	c := d.newNode(node, strings.Clone(key), node.length)
	node.children[c.key] = c
	return c
}

func (d *Drain) attach(c *drainCluster, leaf *drainNode) {
	leaf.clusters = append(leaf.clusters, c)
	c.leaf = leaf
}

// merge generalises c's template with the message's tokens.
func (d *Drain) merge(c *drainCluster, toks []string) {
	j := 0
	for j < len(toks) && (c.tokens[j] == toks[j] || c.tokens[j] == DrainWildcard) {
		j++
	}
	if j == len(toks) {
		return
	}
	for ; j < len(toks); j++ {
		if c.tokens[j] != toks[j] {
			c.tokens[j] = DrainWildcard
		}
	}
	d.setTemplate(c, c.tokens)
}

// setTemplate makes toks c's template: one new string, with c.tokens
// re-sliced from it. toks may alias c.tokens.
func (d *Drain) setTemplate(c *drainCluster, toks []string) {
	d.size -= len(c.tpl) + drainStringBytes*len(c.tokens)
	c.tpl = strings.Join(toks, " ")
	if cap(c.tokens) < len(toks) {
		c.tokens = make([]string, len(toks))
	}
	c.tokens = c.tokens[:len(toks)]
	off := 0
	for i := range c.tokens {
		n := len(toks[i])
		c.tokens[i] = c.tpl[off : off+n]
		off += n + 1
	}
	d.size += len(c.tpl) + drainStringBytes*len(c.tokens)
}

// pushNewest links c as the most recently used cluster.
func (d *Drain) pushNewest(c *drainCluster) {
	c.older, c.newer = d.newest, nil
	if d.newest != nil {
		d.newest.newer = c
	} else {
		d.oldest = c
	}
	d.newest = c
}

func (d *Drain) unlink(c *drainCluster) {
	if c.older != nil {
		c.older.newer = c.newer
	} else {
		d.oldest = c.newer
	}
	if c.newer != nil {
		c.newer.older = c.older
	} else {
		d.newest = c.older
	}
	c.newer, c.older = nil, nil
}

// touch marks c most recently used.
func (d *Drain) touch(c *drainCluster) {
	if d.newest != c {
		d.unlink(c)
		d.pushNewest(c)
	}
}

// evict drops c and prunes the tree nodes it leaves empty.
func (d *Drain) evict(c *drainCluster) {
	d.unlink(c)
	delete(d.live, c.id)
	d.size -= drainClusterBytes + len(c.tpl) + drainStringBytes*len(c.tokens)
	node := c.leaf
	i := 0
	for node.clusters[i] != c {
		i++
	}
	node.clusters = slices.Delete(node.clusters, i, i+1)
	for node != nil && len(node.clusters) == 0 && len(node.children) == 0 {
		d.size -= drainNodeBytes + len(node.key)
		p := node.parent
		if p == nil {
			delete(d.lengths, node.length)
		} else {
			delete(p.children, node.key)
		}
		node = p
	}
}

// Len returns the number of clusters held.
func (d *Drain) Len() int { return len(d.live) }

// Template returns the current template of cluster id, or false if the
// cluster was evicted or never existed.
func (d *Drain) Template(id int64) (string, bool) {
	c := d.live[id]
	if c == nil {
		return "", false
	}
	return c.tpl, true
}

// SizeBytes estimates the model's memory footprint: templates, tree
// nodes and bookkeeping (not the per-message scratch, which is bounded
// by the longest message). It is O(1).
func (d *Drain) SizeBytes() int {
	return 128 + d.size
}
