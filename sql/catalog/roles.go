package catalog

import (
	"sort"

	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// Role is a role created with CREATE ROLE or CREATE USER. Roles live in
// their own namespace, apart from relations, and their names are
// case-sensitive (the parser folds unquoted names to lower case). A Role
// is a value: the catalog hands out copies.
type Role struct {
	// ID is the role's oid, from the same sequence as object IDs.
	ID   uint32
	Name string
	// Login is the LOGIN attribute: whether the role may connect.
	Login bool
	// Password is the stored verifier, in PostgreSQL's
	// pg_authid.rolpassword form ("SCRAM-SHA-256$..." or "md5..."), or
	// empty for a role without a password.
	Password string
}

// Role returns the role named name.
func (c *Catalog) Role(name string) (Role, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	r, ok := c.roles[name]
	return r, ok
}

// Roles returns every role, sorted by name.
func (c *Catalog) Roles() []Role {
	c.mu.RLock()
	out := make([]Role, 0, len(c.roles))
	for _, r := range c.roles {
		out = append(out, r)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// AddRole inserts r, whose ID came from NextID or from a durable catalog
// being replayed. It fails with 42710 if a role of that name exists.
func (c *Catalog) AddRole(r Role) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.roles[r.Name]; dup {
		return sqlerr.New(sqlerr.DuplicateObject, "role %q already exists", r.Name)
	}
	if r.ID >= c.nextID {
		c.nextID = r.ID + 1
	}
	c.roles[r.Name] = r
	return nil
}

// ReplaceRole replaces the role with r's name (ALTER ROLE). It fails
// with 42704 if there is none.
func (c *Catalog) ReplaceRole(r Role) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.roles[r.Name]; !ok {
		return sqlerr.New(sqlerr.UndefinedObject, "role %q does not exist", r.Name)
	}
	c.roles[r.Name] = r
	return nil
}

// RemoveRole deletes the role named name, if any.
func (c *Catalog) RemoveRole(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.roles, name)
}
