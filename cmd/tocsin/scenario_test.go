package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/scenario"
	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/examples"
)

// scenarioClock is the engine's clock in the scenario tests: the
// lockstep pacer moves it as the playground's wall clock would move.
type scenarioClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *scenarioClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *scenarioClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// testLogWriter sends the receiver's console lines to the test log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// scenarioOrigin is the fake clock's reading, and the event time, at the
// first live step of every scenario test.
var scenarioOrigin = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// TestScenarios plays every scenario of examples/ against an in-process
// engine and kfake broker, with the engine's clock moved in lockstep
// with the data (as the playground's wall clock moves at the default
// speed), and checks that the receiver got exactly the notifications
// of the scenario's expected-alerts.txt.
func TestScenarios(t *testing.T) {
	for _, sc := range scenario.All() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			runScenario(t, sc)
		})
	}
}

func runScenario(t *testing.T, sc examples.Scenario) {
	want, err := scenario.ParseExpected(sc.Expected)
	if err != nil {
		t.Fatalf("expected-alerts.txt: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := quietLogger()
	b, err := broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Partitions: 1, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	clock := &scenarioClock{t: scenarioOrigin}
	eng, err := engine.Open(engine.Options{
		Functions: builtins(), Connectors: connectorRegistry(log), Channels: channelRegistry(),
		Logger: log, Now: clock.Now, AlertTick: 5 * time.Millisecond, IdleTimeout: time.Hour,
		CheckpointInterval: -1, // in memory: Lockstep checkpoints after every step
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := eng.Close(); err != nil {
			t.Error(err)
		}
	}()
	rcv, err := scenario.StartReceiver(scenario.ReceiverOptions{Out: testLogWriter{t}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer rcv.Close()
	sql := scenario.NewSQL(eng)
	defer sql.Close()
	brokers := []string{b.Addr()}
	pacer := &scenario.Lockstep{Engine: eng, SQL: sql, Brokers: brokers, SetClock: clock.Set, Origin: scenarioOrigin}
	start := time.Now()
	err = scenario.Run(ctx, sc, scenario.Config{
		Brokers: brokers, Receiver: rcv.URL(), Exec: sql, Pacer: pacer, Start: scenarioOrigin,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("data played in %v", time.Since(start).Round(time.Millisecond))
	clock.Set(clock.Now().Add(sc.Settle))

	deadline := time.Now().Add(20 * time.Second)
	for {
		d := want.Diff(rcv.Messages())
		if len(d.Unexpected) > 0 {
			t.Fatalf("unexpected notifications:\n%s", d)
		}
		if len(d.Missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications differ from expected-alerts.txt:\n%s", d)
		}
		time.Sleep(5 * time.Millisecond) // polling the receiver, with a deadline
	}
	// Every outbox is empty, so nothing else is on its way.
	for {
		_, rows, err := sql.Query(ctx, "SELECT count(*) FROM tocsin_sink_channels WHERE queue_depth > 0")
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][0] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s channels still have queued notifications", rows[0][0])
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := want.Diff(rcv.Messages()); !d.Empty() {
		t.Fatalf("notifications differ from expected-alerts.txt:\n%s", d)
	}
	if err := rcv.Err(); err != nil {
		t.Fatalf("the receiver could not read a notification: %v", err)
	}
}
