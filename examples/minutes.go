package examples

import (
	"math/rand/v2"
	"time"
)

// Minutes is what a generator that writes one step per minute of event
// time keeps: its random source, the first minute's start and the
// number of minutes generated so far (Elapsed). Embedding it also gives
// the generator an empty History.
type Minutes struct {
	Rng     *rand.Rand
	Start   time.Time
	Elapsed int
}

// NewMinutes returns the clock of a generator for cfg. stream keeps the
// random sequences of different scenarios apart under one seed.
func NewMinutes(cfg Config, stream uint64) Minutes {
	return Minutes{Rng: rand.New(rand.NewPCG(uint64(cfg.Seed), stream)), Start: cfg.Start.UTC().Truncate(time.Minute)}
}

// Advance moves to the next minute and returns its number (from 0) and
// the event time it starts at.
func (c *Minutes) Advance() (int, time.Time) {
	m := c.Elapsed
	c.Elapsed++
	return m, c.Start.Add(time.Duration(m) * time.Minute)
}

// History implements Generator for scenarios with no history.
func (c *Minutes) History() []Record { return nil }
