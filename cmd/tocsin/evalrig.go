package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// evalRig is the real path the evaluations feed: an embedded broker, a
// Tocsin server, and a Postgres client connected to it. Data goes in
// through Kafka and results come out of views over the wire protocol.
type evalRig struct {
	ctx     context.Context
	dir     string
	broker  *broker.Broker
	srv     *server
	conn    *pgx.Conn
	brokers []string
}

func startEvalRig(ctx context.Context, log *slog.Logger) (*evalRig, error) {
	dir, err := os.MkdirTemp("", "tocsin-eval-")
	if err != nil {
		return nil, err
	}
	r := &evalRig{ctx: ctx, dir: dir}
	r.broker, err = broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Partitions: 1, Logger: log})
	if err != nil {
		r.close()
		return nil, err
	}
	r.brokers = []string{r.broker.Addr()}
	r.srv, err = startServer(ctx, serverFlags{dataDir: dir, pgAddr: "127.0.0.1:0", idleTimeout: time.Hour}, log)
	if err != nil {
		r.close()
		return nil, err
	}
	r.conn, err = pgx.Connect(ctx, "postgres://tocsin@"+r.srv.pgAddr+"/tocsin?sslmode=disable&default_query_exec_mode=simple_protocol")
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *evalRig) close() {
	if r.conn != nil {
		_ = r.conn.Close(context.Background())
	}
	if r.srv != nil {
		_ = r.srv.close()
	}
	if r.broker != nil {
		r.broker.Close()
	}
	_ = os.RemoveAll(r.dir)
}

func (r *evalRig) exec(sql string) error {
	_, err := r.conn.Exec(r.ctx, sql)
	if err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// produce writes JSON values to a one-partition topic, in order.
func (r *evalRig) produce(topic string, values [][]byte) error {
	if err := kafka.CreateTopic(r.ctx, r.brokers, topic, 1); err != nil {
		return err
	}
	w := kafka.NewWriter(r.brokers, topic)
	defer w.Close()
	const chunk = 5000
	for i := 0; i < len(values); i += chunk {
		msgs := make([]kafka.Message, 0, chunk)
		for _, v := range values[i:min(len(values), i+chunk)] {
			msgs = append(msgs, kafka.Message{Value: v})
		}
		if err := w.Write(r.ctx, msgs...); err != nil {
			return err
		}
	}
	return nil
}

// waitCount polls until SELECT count(*) FROM view reaches want.
func (r *evalRig) waitCount(view string, want int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var n int64
		err := r.conn.QueryRow(r.ctx, "SELECT count(*) FROM "+view).Scan(&n)
		switch {
		case err != nil:
			return err
		case n >= want:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("view %s has %d of %d rows after %v", view, n, want, timeout)
		}
		select {
		case <-r.ctx.Done():
			return r.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
