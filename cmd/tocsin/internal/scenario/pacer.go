package scenario

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/engine"
)

// DefaultSpeed is how much faster than the wall clock event time runs by
// default: a minute of events per second. The scenarios' alert timers
// (group_interval, escalate_after, silences, rate limits) are written
// for it.
const DefaultSpeed = 60

// RealTime paces steps on the wall clock: the step at event-time offset
// d is written d / Speed after the first one.
type RealTime struct {
	speed float64
	start time.Time
}

var _ Pacer = (*RealTime)(nil)

// NewRealTime returns a wall-clock pacer; speed <= 0 means DefaultSpeed.
func NewRealTime(speed float64) *RealTime {
	if speed <= 0 {
		speed = DefaultSpeed
	}
	return &RealTime{speed: speed}
}

// Wait implements Pacer.
func (p *RealTime) Wait(ctx context.Context, offset time.Duration) error {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	d := time.Until(p.start.Add(scale(offset, p.speed)))
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Written implements Pacer; the wall clock does not wait for the engine.
func (p *RealTime) Written(context.Context) error { return nil }

// scale divides an event-time offset by speed.
func scale(d time.Duration, speed float64) time.Duration {
	return time.Duration(float64(d) / speed)
}

// Lockstep paces steps on a fake engine clock. Wait sets the clock to
// Origin plus the step's offset divided by Speed, as the playground's
// wall clock would read; Written waits until every source has read its
// topic to the end and then takes a checkpoint, whose round reaches every
// view and sink behind the changes before it, so the step has been
// processed, alerts included, before the clock moves again.
type Lockstep struct {
	// Engine is the engine the scenario's SQL runs on; its Options.Now
	// must be the clock SetClock moves.
	Engine *engine.Engine
	// SQL is a session on Engine.
	SQL *SQL
	// Brokers are the brokers the topics are on.
	Brokers []string
	// SetClock sets the engine's clock.
	SetClock func(time.Time)
	// Origin is the clock's reading at the first live step.
	Origin time.Time
	// Speed is as for RealTime (<= 0: DefaultSpeed).
	Speed float64
	// Timeout bounds each wait for the engine (default 30 s).
	Timeout time.Duration
}

var _ Pacer = (*Lockstep)(nil)

// Wait implements Pacer.
func (p *Lockstep) Wait(_ context.Context, offset time.Duration) error {
	speed := p.Speed
	if speed <= 0 {
		speed = DefaultSpeed
	}
	p.SetClock(p.Origin.Add(scale(offset, speed)))
	return nil
}

// Written implements Pacer.
func (p *Lockstep) Written(ctx context.Context) error {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	ends := map[string]map[int32]int64{}
	for {
		behind, err := p.behind(ctx, ends)
		if err != nil {
			return err
		}
		if behind == "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("scenario: sources did not catch up within %v: %s", timeout, behind)
		}
		if err := pause(ctx, time.Millisecond); err != nil {
			return err
		}
	}
	if err := p.Engine.Checkpoint(); err != nil {
		return fmt.Errorf("scenario: checkpoint: %w", err)
	}
	return nil
}

// behind describes the first source whose slowest reader has not read
// its topic to the end, or returns "".
func (p *Lockstep) behind(ctx context.Context, ends map[string]map[int32]int64) (string, error) {
	cols, rows, err := p.SQL.Query(ctx, "SHOW SOURCES")
	if err != nil {
		return "", err
	}
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	for _, r := range rows {
		if r[idx["readers"]] == "0" {
			continue
		}
		topic := r[idx["topic"]]
		end, ok := ends[topic]
		if !ok {
			end, err = kafka.PartitionEnds(ctx, p.Brokers, topic)
			if err != nil {
				return "", err
			}
			ends[topic] = end
		}
		read, err := parseOffsets(r[idx["offsets"]])
		if err != nil {
			return "", err
		}
		for part, e := range end {
			if read[part] < e {
				return fmt.Sprintf("source %s has read %d of %d records of %s[%d]", r[idx["name"]], read[part], e, topic, part), nil
			}
		}
	}
	return "", nil
}

// parseOffsets parses SHOW SOURCES' offsets ("0:12,1:40"; "" for none).
func parseOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		p, o, ok := strings.Cut(part, ":")
		pi, err1 := strconv.ParseInt(p, 10, 32)
		oi, err2 := strconv.ParseInt(o, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("scenario: bad offsets %q in SHOW SOURCES", s)
		}
		out[int32(pi)] = oi
	}
	return out, nil
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
