package scenario

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
	"github.com/tocsin-db/tocsin/examples"
)

// Executor runs SQL statements.
type Executor interface {
	Exec(ctx context.Context, text string) error
}

// Pacer decides when the runner writes each live step.
type Pacer interface {
	// Wait returns when the step whose event time is offset after the
	// first live step's may be written. Offsets never decrease.
	Wait(ctx context.Context, offset time.Duration) error
	// Written is called after the history and the SQL are loaded, and
	// after each live step is in the broker.
	Written(ctx context.Context) error
}

// Config is what Run needs besides the scenario.
type Config struct {
	// Brokers are the Kafka brokers the topics are created on and
	// written to (required). The first one replaces ${KAFKA}.
	Brokers []string
	// Receiver is the alert receiver's base URL, which replaces
	// ${RECEIVER} (required).
	Receiver string
	// Exec loads the scenario's SQL (required).
	Exec Executor
	// Pacer paces the live steps (required).
	Pacer Pacer
	// Seed and Start configure the generator (Seed 0 means
	// examples.DefaultSeed; a zero Start means the current minute).
	Seed  int64
	Start time.Time
	// Progress, if set, is called after each live step with the number
	// of steps and records written so far.
	Progress func(steps, records int)
}

// chunk is how many records one write carries at most.
const chunk = 5000

// Run plays sc: it creates the topics (one partition each), writes the
// generator's history, loads the SQL, then writes the live steps as the
// pacer allows. It returns when the data ends, or with the first error.
func Run(ctx context.Context, sc examples.Scenario, cfg Config) error {
	if len(cfg.Brokers) == 0 || cfg.Receiver == "" || cfg.Exec == nil || cfg.Pacer == nil {
		return errors.New("scenario: Config needs Brokers, Receiver, Exec and Pacer")
	}
	if cfg.Seed == 0 {
		cfg.Seed = examples.DefaultSeed
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now().UTC().Truncate(time.Minute)
	}
	text, err := Substitute(sc.SQL, map[string]string{"KAFKA": cfg.Brokers[0], "RECEIVER": cfg.Receiver})
	if err != nil {
		return fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	w := newTopicWriter(cfg.Brokers)
	defer w.close()
	for _, topic := range sc.Topics {
		if err := kafka.CreateTopic(ctx, cfg.Brokers, topic, 1); err != nil {
			return fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
	}
	gen := sc.NewGenerator(examples.Config{Seed: cfg.Seed, Start: cfg.Start})
	if err := w.write(ctx, gen.History()); err != nil {
		return fmt.Errorf("scenario %s: history: %w", sc.Name, err)
	}
	if err := cfg.Exec.Exec(ctx, text); err != nil {
		return fmt.Errorf("scenario %s: load %s.sql: %w", sc.Name, sc.Name, err)
	}
	if err := cfg.Pacer.Written(ctx); err != nil {
		return err
	}
	var first time.Time
	steps, records := 0, 0
	for {
		st, ok := gen.Next()
		if !ok {
			return nil
		}
		if steps == 0 {
			first = st.At
		}
		if err := cfg.Pacer.Wait(ctx, st.At.Sub(first)); err != nil {
			return err
		}
		if err := w.write(ctx, st.Records); err != nil {
			return fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		if err := cfg.Pacer.Written(ctx); err != nil {
			return err
		}
		steps++
		records += len(st.Records)
		if cfg.Progress != nil {
			cfg.Progress(steps, records)
		}
	}
}

// topicWriter writes records to their topics, keeping each topic's
// order.
type topicWriter struct {
	brokers []string
	writers map[string]*kafka.Writer
}

func newTopicWriter(brokers []string) *topicWriter {
	return &topicWriter{brokers: brokers, writers: map[string]*kafka.Writer{}}
}

func (t *topicWriter) write(ctx context.Context, recs []examples.Record) error {
	byTopic := map[string][]kafka.Message{}
	var order []string
	for _, r := range recs {
		if _, ok := byTopic[r.Topic]; !ok {
			order = append(order, r.Topic)
		}
		byTopic[r.Topic] = append(byTopic[r.Topic], kafka.Message{Key: r.Key, Value: r.Value})
	}
	for _, topic := range order {
		w, ok := t.writers[topic]
		if !ok {
			w = kafka.NewWriter(t.brokers, topic)
			t.writers[topic] = w
		}
		msgs := byTopic[topic]
		for i := 0; i < len(msgs); i += chunk {
			if err := w.Write(ctx, msgs[i:min(len(msgs), i+chunk)]...); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *topicWriter) close() {
	for _, w := range t.writers {
		_ = w.Close()
	}
}

// placeholder matches ${NAME}.
var placeholder = regexp.MustCompile(`\$\{([A-Z_]+)\}`)

// Substitute replaces every ${NAME} in text by vars[NAME]; a name vars
// lacks is an error.
func Substitute(text string, vars map[string]string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for ${%s}", missing[0])
	}
	return out, nil
}
