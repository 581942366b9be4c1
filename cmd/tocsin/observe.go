package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/metrics"
	"github.com/tocsin-db/tocsin/engine"
)

// metricsAddrUsage documents --metrics-addr of serve and playground.
const metricsAddrUsage = "address of the Prometheus metrics endpoint (http://ADDR/metrics); empty serves none"

// defaultPlaygroundMetricsAddr is playground's --metrics-addr.
const defaultPlaygroundMetricsAddr = "127.0.0.1:9187"

// startMetrics serves s's metrics on f.metricsAddr, if set. When the
// address is playground's default and taken (another playground runs),
// it warns and serves none rather than failing.
func (s *server) startMetrics(f serverFlags, log *slog.Logger) error {
	if f.metricsAddr == "" {
		return nil
	}
	log = log.With("component", "metrics")
	ms, err := metrics.Listen(f.metricsAddr, metrics.NewRegistry(s.engine, s.pg), log)
	switch {
	case err == nil:
		s.metrics = ms
	case f.metricsOptional:
		log.Warn("no metrics endpoint; pass --metrics-addr to choose another address", "err", err)
	default:
		return err
	}
	return nil
}

// backfillEvery is how often the playground console reports backfills.
const backfillEvery = 3 * time.Second

// watchBackfill prints a progress line to w every interval while any
// source is backfilling, and a last line when one has caught up, until
// ctx is done.
func watchBackfill(ctx context.Context, w io.Writer, stats func() engine.Stats, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	active := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, line := range backfillLines(stats(), active) {
			fmt.Fprintln(w, line)
		}
	}
}

// backfillLines returns the progress lines for a snapshot: one per
// source backfilling, and one per source that was backfilling at the
// last call (active, updated) and has caught up since.
func backfillLines(st engine.Stats, active map[string]bool) []string {
	var out []string
	for _, s := range st.Sources {
		b := s.Backfill
		switch {
		case b.Known && b.Active:
			active[s.Name] = true
			line := fmt.Sprintf("backfill %s: %.1f%% caught up (%d of %d records), %s events/s", s.Name, b.Percent, b.Consumed, b.Target, humanRate(b.Rate))
			if b.ETA >= 0 {
				line += ", ETA " + b.ETA.String()
			}
			out = append(out, line)
		case active[s.Name]:
			delete(active, s.Name)
			out = append(out, fmt.Sprintf("backfill %s: caught up (%d records)", s.Name, b.Consumed))
		}
	}
	return out
}

// humanRate renders events per second with a thousands separator.
func humanRate(r float64) string {
	s := fmt.Sprintf("%.0f", r)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
