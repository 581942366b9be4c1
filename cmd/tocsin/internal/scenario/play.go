package scenario

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/engine"
	"github.com/tocsin-db/tocsin/examples"
)

// PlayConfig is what Play needs.
type PlayConfig struct {
	Scenario examples.Scenario
	// Engine is the playground's engine; Brokers its embedded broker.
	Engine  *engine.Engine
	Brokers []string
	// Speed is event time per wall time (<= 0: DefaultSpeed).
	Speed float64
	// ReceiverAddr is the alert receiver's listen address (default
	// "127.0.0.1:0").
	ReceiverAddr string
	// Out receives the console lines.
	Out io.Writer
}

// settleMargin is how much longer than the scenario's Settle Play waits
// on the wall clock before comparing, for an engine that lags.
const settleMargin = 5 * time.Second

// Play runs a scenario in the playground: it starts the alert receiver,
// loads the SQL, writes the data in real time and, once the data has
// ended and the alert timers have settled, prints whether the alerts
// were exactly the expected ones. The receiver keeps printing until ctx
// ends; Play returns then (nil), or at the first error.
func Play(ctx context.Context, cfg PlayConfig) error {
	sc, out := cfg.Scenario, cfg.Out
	if out == nil {
		out = io.Discard
	}
	want, err := ParseExpected(sc.Expected)
	if err != nil {
		return fmt.Errorf("scenario %s: expected-alerts.txt: %w", sc.Name, err)
	}
	rcv, err := StartReceiver(ReceiverOptions{Addr: cfg.ReceiverAddr, Out: out})
	if err != nil {
		return err
	}
	defer rcv.Close()
	sql := NewSQL(cfg.Engine)
	defer sql.Close()
	speed := cfg.Speed
	if speed <= 0 {
		speed = DefaultSpeed
	}
	fmt.Fprintf(out, "scenario %s: %s\n  event time runs %gx the wall clock; alert notifications print here (receiver %s)\n\n",
		sc.Name, sc.Title, speed, rcv.URL())
	err = Run(ctx, sc, Config{Brokers: cfg.Brokers, Receiver: rcv.URL(), Exec: sql, Pacer: NewRealTime(speed)})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fmt.Fprintf(out, "\nscenario %s: all data written; waiting %v for the last notifications\n", sc.Name, sc.Settle+settleMargin)
	if pause(ctx, sc.Settle+settleMargin) != nil {
		return nil
	}
	if d := want.Diff(rcv.Messages()); d.Empty() {
		fmt.Fprintf(out, "scenario %s: done; the %d expected alert changes arrived and no other.\n", sc.Name, len(want.Events))
	} else {
		fmt.Fprintf(out, "scenario %s: done; the alerts differ from expected-alerts.txt:\n%s", sc.Name, indent(d.String()))
	}
	fmt.Fprintf(out, "The views and tocsin_alerts stay queryable; press Ctrl-C to stop.\n")
	<-ctx.Done()
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}
