package pgwire

import (
	"context"
	"testing"
)

// TestStats counts connections, queries and errors by SQLSTATE class
// over real pgx connections.
func TestStats(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	a := ts.pgxConn(t, "")
	b := ts.pgxConn(t, "")
	eventually(t, "two connections", func() bool { return ts.srv.Stats().Connections == 2 })
	base := ts.srv.Stats().Queries // pgx may send queries of its own at startup
	for i := 0; i < 3; i++ {
		if _, err := a.Exec(ctx, "select 1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Exec(ctx, "bad col"); err == nil {
		t.Fatal("bad col succeeded")
	}
	if _, err := b.Exec(ctx, "nonsense"); err == nil {
		t.Fatal("nonsense succeeded")
	}
	if _, err := b.Exec(ctx, "internal"); err == nil {
		t.Fatal("internal succeeded")
	}
	st := ts.srv.Stats()
	if st.Queries-base != 6 {
		t.Errorf("queries: %d, want 6", st.Queries-base)
	}
	if st.Errors["42"] != 2 || st.Errors["XX"] != 1 || len(st.Errors) != 2 {
		t.Errorf("errors by class: %v", st.Errors)
	}
	// An extended-protocol Execute counts as a query too.
	c := ts.pgConn(t, nil)
	before := ts.srv.Stats().Queries
	if res := c.ExecParams(ctx, "select 1", nil, nil, nil, nil).Read(); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := ts.srv.Stats().Queries - before; got != 1 {
		t.Errorf("extended Execute counted %d queries, want 1", got)
	}
	_ = a.Close(ctx)
	_ = b.Close(ctx)
	_ = c.Close(ctx)
	eventually(t, "connections closed", func() bool { return ts.srv.Stats().Connections == 0 })
	if got := ts.srv.Stats().ConnectionsTotal; got != 3 {
		t.Errorf("connections total %d, want 3", got)
	}
}
