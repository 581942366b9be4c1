package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// Config says where Run writes and how fast.
type Config struct {
	// Brokers to write to (required).
	Brokers []string
	// Topic to write to (default "requests"); it is created with
	// Partitions partitions (default 4) if it does not exist.
	Topic      string
	Partitions int
	// Rate is the target events per second (default 1000).
	Rate int
	// Services is the fleet size (default DefaultServices).
	Services int
	// Seed makes the event stream reproducible (default 1).
	Seed int64
	// Tick is the pacing interval; each tick writes one batch (default
	// 100ms).
	Tick time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.Topic == "" {
		c.Topic = "requests"
	}
	if c.Partitions <= 0 {
		c.Partitions = 4
	}
	if c.Rate <= 0 {
		c.Rate = 1000
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Tick <= 0 {
		c.Tick = 100 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// statsEvery is how often Run logs its progress.
const statsEvery = 30 * time.Second

// Run generates events at about cfg.Rate per second until ctx ends, and
// then returns nil. It fails only if the topic cannot be created; write
// errors are logged and the tick's events dropped (the generator keeps
// its pace rather than bursting). If it falls more than a second behind,
// it skips ahead.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	cfg = cfg.withDefaults()
	if len(cfg.Brokers) == 0 {
		return errors.New("demo generator: no brokers")
	}
	if logger == nil {
		logger = slog.Default()
	}
	if err := kafka.CreateTopic(ctx, cfg.Brokers, cfg.Topic, cfg.Partitions); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("demo generator: %w", err)
	}
	w := kafka.NewWriter(cfg.Brokers, cfg.Topic)
	defer w.Close()
	g := NewGenerator(cfg.Seed, cfg.Services)
	logger.Info("demo generator started", "topic", cfg.Topic, "rate", cfg.Rate, "services", len(g.services))

	ticker := time.NewTicker(cfg.Tick)
	defer ticker.Stop()
	start := cfg.Now()
	lastStats := start
	var due, sent, written int64 // events owed, accounted for, and written
	for {
		select {
		case <-ctx.Done():
			logger.Info("demo generator stopped", "events", written)
			return nil
		case <-ticker.C:
		}
		now := cfg.Now()
		due = int64(now.Sub(start).Seconds() * float64(cfg.Rate))
		n := due - sent
		if n > int64(cfg.Rate) {
			logger.Warn("demo generator fell behind; skipping events", "skipped", n-int64(cfg.Rate))
			n = int64(cfg.Rate)
			sent = due - n
		}
		if n <= 0 {
			continue
		}
		msgs := make([]kafka.Message, n)
		for i := range msgs {
			key, value, _ := g.Next(now)
			msgs[i] = kafka.Message{Key: key, Value: value, Partition: kafka.HashPartition}
		}
		sent += n
		if err := w.Write(ctx, msgs...); err != nil {
			if ctx.Err() != nil {
				continue
			}
			logger.Warn("demo generator: write failed; events dropped", "events", n, "err", err)
		} else {
			written += n
		}
		if now.Sub(lastStats) >= statsEvery {
			logger.Info("demo generator", "events", written)
			lastStats = now
		}
	}
}
