package pgwire

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// BenchmarkExtendedCycle measures one pgx-style cached-statement round
// (Bind with a binary int8 parameter and binary results, Execute, Sync)
// against the fake session, without the network: the per-query cost of
// the extended protocol on top of the statement itself.
func BenchmarkExtendedCycle(b *testing.B) {
	exec := newFakeExecutor()
	sess, err := exec.Connect(context.Background(), map[string]string{"user": "u"})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	dc := &discardConn{}
	srv := NewServer(Config{Executor: exec, Logger: slog.New(slog.DiscardHandler)})
	c := &conn{srv: srv, nc: dc, log: srv.log, session: sess}
	c.rw.c = c
	ctx := context.Background()
	c.extended(ctx, &pgproto3.Parse{Name: "s", Query: "SELECT $1::int8 + 1"})
	bind := &pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1},
		Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 0, 41}}, ResultFormatCodes: []int16{1}}
	execute := &pgproto3.Execute{}
	b.ReportAllocs()
	for b.Loop() {
		c.extended(ctx, bind)
		c.extended(ctx, execute)
		c.sync()
		if c.ignoreTillSync || c.writeErr != nil {
			b.Fatal("cycle failed")
		}
	}
}
