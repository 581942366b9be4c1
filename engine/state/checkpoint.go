package state

// Sink receives an operator's state changes during a checkpoint. Keys
// are the operator's own (the caller prefixes them); a Put of a key
// deleted earlier in the same checkpoint wins. Sink copies its
// arguments.
type Sink interface {
	Put(key, value []byte)
	Delete(key []byte)
}

// RunSink is a Sink that also takes runs of new entries written outside
// the checkpoint's batch (the append-only view store's pages): AppendRun
// records the run, and write is called later, once, on the checkpoint
// coordinator's goroutine while the caller's dataflow goes on, so it
// must read only data that no longer changes. The run's entries are
// made durable (an ingested table) before the rest of the checkpoint
// commits, so they can outlive a checkpoint that then fails, or a crash
// before its commit: the caller's restore must ignore entries that its
// committed metadata does not cover.
//
// A run replaces every stored entry with a key in [from, end), and its
// entries' keys, passed to put in increasing order, must lie in that
// range. A full checkpoint (which the caller begins by deleting the
// operator's entries in the batch) must not use runs: the batch
// commits after them and would delete them.
type RunSink interface {
	Sink
	AppendRun(from, end []byte, write func(put func(key, value []byte) error) error)
}

// Entries iterates an operator's stored state in key order for Restore;
// the byte slices are valid only during the callback.
type Entries func(fn func(key, value []byte) error) error

// Checkpointer is implemented by operators whose state is large (group
// tables, view contents): each checkpoint writes only what changed since
// the previous one, so a checkpoint's cost follows the rate of change,
// not the size of the state.
type Checkpointer interface {
	// Checkpoint writes the changes since the previous Checkpoint (or
	// since Restore or creation). With full set it writes everything: the
	// caller has removed the operator's stored entries first (after a
	// checkpoint that failed to commit).
	Checkpoint(s Sink, full bool) error
	// RestoreEntries replaces the operator's state with the stored one.
	RestoreEntries(e Entries) error
}

// MapSink collects a checkpoint's changes in memory (tests, and
// operators that only implement Snapshotter adapted to Checkpointer).
type MapSink struct {
	Puts    map[string][]byte
	Deletes map[string]bool
}

// NewMapSink returns an empty MapSink.
func NewMapSink() *MapSink {
	return &MapSink{Puts: map[string][]byte{}, Deletes: map[string]bool{}}
}

// Put implements Sink.
func (m *MapSink) Put(key, value []byte) {
	delete(m.Deletes, string(key))
	m.Puts[string(key)] = append([]byte(nil), value...)
}

// Delete implements Sink.
func (m *MapSink) Delete(key []byte) {
	delete(m.Puts, string(key))
	m.Deletes[string(key)] = true
}

// Apply applies the changes to a map standing for stored state.
func (m *MapSink) Apply(stored map[string][]byte) {
	for k := range m.Deletes {
		delete(stored, k)
	}
	for k, v := range m.Puts {
		stored[k] = v
	}
}
