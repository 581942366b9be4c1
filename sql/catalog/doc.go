// Package catalog owns Tocsin's metadata: the named objects a user
// creates (sources, tables, materialized views, sinks), their schemas,
// their definitions as SQL text, and the dependencies between them that
// DROP ... [CASCADE] follows. The binder resolves names through the
// Resolver interface; the engine owns the one Catalog value and is the
// only writer.
//
// A Catalog is safe for concurrent use. Objects are immutable once
// added: DDL replaces them as a whole, so readers can hold an *Object
// without locking. IDs are assigned from 16384 upward, like user OIDs in
// Postgres, and double as pg_class OIDs.
package catalog
