package catalog

import (
	"testing"

	"github.com/tocsin-db/tocsin/sql/ast"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

func TestAddLookupDependents(t *testing.T) {
	c := New()
	src := &Object{ID: c.NextID(), Kind: KindSource, Name: "requests"}
	if err := c.Add(src); err != nil {
		t.Fatal(err)
	}
	v1 := &Object{ID: c.NextID(), Kind: KindMaterializedView, Name: "v1", Deps: []uint32{src.ID}}
	v2 := &Object{ID: c.NextID(), Kind: KindMaterializedView, Name: "v2", Deps: []uint32{v1.ID}}
	for _, o := range []*Object{v1, v2} {
		if err := c.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Add(&Object{ID: c.NextID(), Kind: KindTable, Name: "REQUESTS"}); sqlerr.CodeOf(err) != sqlerr.DuplicateTable {
		t.Fatalf("duplicate name: %v", err)
	}
	deps := c.Dependents(src.ID)
	if len(deps) != 2 || deps[0] != v2 || deps[1] != v1 {
		t.Fatalf("dependents = %v (want v2 before v1)", deps)
	}
	if _, err := c.Relation(ast.Ident{Pos: ast.At(5), Parts: []string{"nope"}}); sqlerr.CodeOf(err) != sqlerr.UndefinedTable || err.(*sqlerr.Error).Pos != 6 {
		t.Fatalf("missing relation: %v", err)
	}
	c.Remove(v2.ID)
	if _, ok := c.Lookup("v2"); ok {
		t.Fatal("v2 still present")
	}
	if got := c.List(KindMaterializedView); len(got) != 1 || got[0] != v1 {
		t.Fatalf("List = %v", got)
	}
}

// TestSystemIDs: system relations' IDs are derived from their owners'
// (with high bits set); they must not move the ID counter, or the next
// object would collide with the next system relation.
func TestSystemIDs(t *testing.T) {
	c := New()
	for _, name := range []string{"a", "b", "c"} {
		src := &Object{ID: c.NextID(), Kind: KindSource, Name: name}
		if err := c.Add(src); err != nil {
			t.Fatal(err)
		}
		if err := c.Add(&Object{ID: src.ID | 1<<31, Kind: KindSystem, Name: name + "_errors", Owner: src.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.List(KindSource); len(got) != 3 {
		t.Fatalf("sources = %d, want 3", len(got))
	}
	if id := c.NextID(); id >= 1<<30 {
		t.Fatalf("NextID = %#x after system relations", id)
	}
	if err := c.Add(&Object{ID: FirstID, Kind: KindTable, Name: "other"}); err == nil {
		t.Fatal("duplicate ID accepted")
	}
}

func TestRoles(t *testing.T) {
	c := New()
	id := c.NextID()
	if err := c.AddRole(Role{ID: id, Name: "alice", Login: true, Password: "md5x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRole(Role{ID: c.NextID(), Name: "alice"}); sqlerr.CodeOf(err) != sqlerr.DuplicateObject {
		t.Fatalf("duplicate role: %v", err)
	}
	// Roles do not share the relations' namespace, and replayed IDs move
	// the sequence on.
	if err := c.Add(&Object{ID: c.NextID(), Kind: KindTable, Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRole(Role{ID: 90000, Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if next := c.NextID(); next != 90001 {
		t.Fatalf("NextID after replayed role = %d", next)
	}
	if err := c.ReplaceRole(Role{ID: id, Name: "alice", Password: "new"}); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Role("alice"); !ok || r.Password != "new" || r.Login {
		t.Fatalf("Role = %+v, %v", r, ok)
	}
	if err := c.ReplaceRole(Role{Name: "bob"}); sqlerr.CodeOf(err) != sqlerr.UndefinedObject {
		t.Fatalf("replace unknown: %v", err)
	}
	c.RemoveRole("alice")
	if rs := c.Roles(); len(rs) != 1 || rs[0].Name != "Alice" {
		t.Fatalf("Roles = %+v", rs)
	}
}
