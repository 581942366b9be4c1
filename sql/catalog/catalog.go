package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// Kind is the kind of a catalog object.
type Kind uint8

// The object kinds.
const (
	KindSource Kind = iota + 1
	KindTable
	KindMaterializedView
	KindSink
	// KindSystem is a read-only relation the engine computes (dead
	// letters, late rows, checkpoints, ...).
	KindSystem
	// KindRole marks a role's entry in a durable catalog; roles are not
	// Objects (see Role).
	KindRole
)

// String returns the SQL name of the kind.
func (k Kind) String() string {
	switch k {
	case KindSource:
		return "source"
	case KindTable:
		return "table"
	case KindMaterializedView:
		return "materialized view"
	case KindSink:
		return "sink"
	case KindSystem:
		return "system table"
	case KindRole:
		return "role"
	}
	return "object"
}

// FirstID is the first ID handed out.
const FirstID = 16384

// Object is a named catalog entry. Exactly one of Source, Table, View and
// Sink is set, matching Kind.
type Object struct {
	ID     uint32
	Kind   Kind
	Name   string
	Schema types.Schema
	// SQL is the CREATE statement as the user wrote it.
	SQL string
	// Deps are the IDs of the objects this one reads.
	Deps []uint32

	Source *SourceDef
	View   *ViewDef
	Table  *TableDef
	// Owner is set on a system relation that belongs to another object
	// (a source's dead-letter table): it is dropped with its owner and
	// does not block the owner's DROP.
	Owner uint32
	// System names the engine's provider of a system relation's rows.
	System string
}

// SourceDef describes a source.
type SourceDef struct {
	Connector string
	Options   map[string]string
	Format    string
	Encode    string
	// EventTime is the index of the WATERMARK FOR column, or -1.
	EventTime int
	// Watermark is the watermark expression (over the source's columns),
	// nil if the source has none.
	Watermark ast.Expr
}

// ViewDef describes a materialized view.
type ViewDef struct {
	Query     ast.Query
	QueryText string
	Emit      ast.EmitMode
	Options   map[string]string
	// Key lists the columns that identify a row (the GROUP BY keys of an
	// aggregating view); empty for an append-only view without a key.
	Key []int
	// AppendOnly is true when the view never updates or deletes a row it
	// emitted (EMIT ON WINDOW CLOSE, or no aggregation over an
	// append-only input).
	AppendOnly bool
	// Time is the column carrying event time (a window bound or the
	// source's event-time column), -1 if none; Plus turns its value into
	// the time the row is final (the window size for window_start). Views
	// reading this one derive their windows and retention from it.
	Time int
	Plus int64
}

// TableDef describes a table.
type TableDef struct {
	// Key lists the PRIMARY KEY columns (empty: rows have no key).
	Key []int
}

// Resolver is what the binder needs: look a relation up by name.
type Resolver interface {
	// Relation returns the object named name (sources, tables and views)
	// or a *sqlerr.Error 42P01 positioned at name.
	Relation(name ast.Ident) (*Object, error)
}

// Catalog is the in-memory catalog.
type Catalog struct {
	mu     sync.RWMutex
	nextID uint32
	byName map[string]*Object
	byID   map[uint32]*Object
	// roles are the roles created in SQL, by name (roles.go).
	roles map[string]Role
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{nextID: FirstID, byName: map[string]*Object{}, byID: map[uint32]*Object{}, roles: map[string]Role{}}
}

func key(name string) string { return strings.ToLower(name) }

// Relation implements Resolver.
func (c *Catalog) Relation(name ast.Ident) (*Object, error) {
	if s := name.Schema(); s != "" && s != "public" {
		return nil, sqlerr.At(sqlerr.UndefinedTable, name.Off, "relation %q does not exist", name.String())
	}
	c.mu.RLock()
	o, ok := c.byName[key(name.Name())]
	c.mu.RUnlock()
	if !ok || o.Kind == KindSink {
		return nil, sqlerr.At(sqlerr.UndefinedTable, name.Off, "relation %q does not exist", name.Name())
	}
	return o, nil
}

// Lookup returns the object named name of any kind.
func (c *Catalog) Lookup(name string) (*Object, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.byName[key(name)]
	return o, ok
}

// ByID returns the object with the given ID.
func (c *Catalog) ByID(id uint32) (*Object, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	o, ok := c.byID[id]
	return o, ok
}

// NextID reserves and returns a fresh ID.
func (c *Catalog) NextID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextID
	c.nextID++
	return id
}

// Add inserts o (whose ID came from NextID, or from a durable catalog
// being replayed, or, for a system relation, is derived from its
// owner's). It fails with 42P07 if the name is taken.
func (c *Catalog) Add(o *Object) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.byName[key(o.Name)]; dup {
		return sqlerr.New(sqlerr.DuplicateTable, "relation %q already exists", o.Name)
	}
	if _, dup := c.byID[o.ID]; dup {
		return fmt.Errorf("catalog: object id %d of %q is taken", o.ID, o.Name)
	}
	if o.Kind != KindSystem && o.ID >= c.nextID {
		c.nextID = o.ID + 1
	}
	c.byName[key(o.Name)] = o
	c.byID[o.ID] = o
	return nil
}

// Dependents returns the objects that depend on id, directly or
// transitively, in an order safe for dropping (dependents first).
func (c *Catalog) Dependents(id uint32) []*Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Object
	seen := map[uint32]bool{}
	var visit func(id uint32)
	visit = func(id uint32) {
		for _, o := range c.sortedLocked() {
			if seen[o.ID] {
				continue
			}
			if o.Owner == id {
				continue
			}
			for _, d := range o.Deps {
				if d == id {
					seen[o.ID] = true
					visit(o.ID)
					out = append(out, o)
					break
				}
			}
		}
	}
	visit(id)
	return out
}

// Remove deletes the object with the given ID.
func (c *Catalog) Remove(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.byID[id]; ok {
		delete(c.byID, id)
		delete(c.byName, key(o.Name))
	}
}

// List returns the objects of a kind (all kinds if kind is 0), sorted by
// name.
func (c *Catalog) List(kind Kind) []*Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Object
	for _, o := range c.sortedLocked() {
		if kind == 0 || o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (c *Catalog) sortedLocked() []*Object {
	out := make([]*Object, 0, len(c.byID))
	for _, o := range c.byID {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Owned returns the system relations owned by id.
func (c *Catalog) Owned(id uint32) []*Object {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Object
	for _, o := range c.sortedLocked() {
		if o.Owner == id {
			out = append(out, o)
		}
	}
	return out
}
