package kafka

import (
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// The WITH (...) options a Kafka source understands. Any other option
// starting with "properties." is accepted and ignored (they are librdkafka
// / Java client settings that have no meaning here).
const (
	optConnector        = "connector"
	optTopic            = "topic"
	optBootstrap        = "properties.bootstrap.server"
	optBootstrapPlural  = "properties.bootstrap.servers"
	optStartupMode      = "scan.startup.mode"
	optIsolation        = "properties.isolation.level"
	propertiesPrefix    = "properties."
	defaultKafkaPort    = "9092"
	defaultRecordBytes  = 1 << 20
	defaultDeadLetter   = 4 << 10
	defaultClientID     = "tocsin"
	defaultFetchMinByte = 1
	defaultFetchMaxByte = 4 << 20
)

// Config tunes the sources a factory builds. The zero value gives the
// defaults noted on each field.
type Config struct {
	// Logger receives reconnects and offset resets; nil means
	// slog.Default().
	Logger *slog.Logger
	// Allocator provides the Arrow memory of decoded batches; nil means
	// a Go allocator.
	Allocator memory.Allocator
	// MaxWait bounds how long one fetch waits for FetchMinBytes to
	// accumulate, and so the latency a quiet partition adds (default
	// 20ms).
	MaxWait time.Duration
	// FetchMinBytes and FetchMaxBytes bound one fetch (defaults 1 byte, as
	// Kafka's consumer, so a fetch returns as soon as a record is there,
	// and 4 MiB; the maximum is raised to fit SourceSpec.MaxRecordBytes).
	FetchMinBytes, FetchMaxBytes int
	// MaxBatchRows caps the records of one batch (default 16384). A
	// partition that is behind fills batches up to it; one that keeps up
	// hands over what each fetch returned, so the cap costs latency only
	// when there is a backlog. Larger batches mean fewer view updates
	// per event for keyed views (a group changed several times in a
	// batch is written once).
	MaxBatchRows int
	// BufferedBatches is how many decoded batches may wait for ReadBatch
	// before the readers stop fetching (default 4).
	BufferedBatches int
	// MinBackoff and MaxBackoff bound the reconnect delay, which doubles
	// after each consecutive failure (defaults 100ms and 5s).
	MinBackoff, MaxBackoff time.Duration
	// RequestTimeout bounds dials and admin requests, and is added to
	// MaxWait for a fetch's I/O deadline (default 10s).
	RequestTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Allocator == nil {
		c.Allocator = memory.NewGoAllocator()
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 20 * time.Millisecond
	}
	if c.FetchMaxBytes <= 0 {
		c.FetchMaxBytes = defaultFetchMaxByte
	}
	if c.FetchMinBytes <= 0 {
		c.FetchMinBytes = defaultFetchMinByte
	}
	if c.MaxBatchRows <= 0 {
		c.MaxBatchRows = 16384
	}
	if c.BufferedBatches <= 0 {
		c.BufferedBatches = 4
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(5*time.Second, c.MinBackoff)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	return c
}

// sourceOptions is the validated WITH clause.
type sourceOptions struct {
	topic   string
	brokers []string
	// mode is the scan.startup.mode option, or 0 if it was not given.
	mode connectors.StartMode
	// readCommitted: properties.isolation.level is read_committed (the
	// default, as in RisingWave and Druid): records of aborted
	// transactions are skipped, and records of open ones wait for
	// their commit.
	readCommitted bool
}

func invalid(format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameterValue, format, args...)
}

// parseOptions validates a source's options, format and encoding.
func parseOptions(spec connectors.SourceSpec) (sourceOptions, error) {
	o := sourceOptions{readCommitted: true}
	if f := strings.ToLower(spec.Format); f != "" && f != "plain" {
		return o, sqlerr.New(sqlerr.FeatureNotSupported, "kafka source %q: FORMAT %s is not supported", spec.Name, strings.ToUpper(spec.Format)).
			WithHint("Use FORMAT PLAIN ENCODE JSON.")
	}
	if e := strings.ToLower(spec.Encode); e != "" && e != "json" {
		return o, sqlerr.New(sqlerr.FeatureNotSupported, "kafka source %q: ENCODE %s is not supported", spec.Name, strings.ToUpper(spec.Encode)).
			WithHint("Use FORMAT PLAIN ENCODE JSON.")
	}
	keys := make([]string, 0, len(spec.Options))
	for key := range spec.Options {
		keys = append(keys, key)
	}
	sort.Strings(keys) // report the first bad option deterministically
	for _, key := range keys {
		val := spec.Options[key]
		switch key {
		case optConnector:
		case optTopic:
			o.topic = strings.TrimSpace(val)
		case optBootstrap, optBootstrapPlural:
			brokers, err := parseBrokers(val)
			if err != nil {
				return o, err
			}
			o.brokers = brokers
		case optStartupMode:
			switch strings.ToLower(strings.TrimSpace(val)) {
			case "earliest":
				o.mode = connectors.StartEarliest
			case "latest":
				o.mode = connectors.StartLatest
			default:
				return o, invalid("invalid value for option %q: %q", optStartupMode, val).
					WithHint("Valid values are 'earliest' and 'latest'.")
			}
		case optIsolation:
			switch strings.ToLower(strings.TrimSpace(val)) {
			case "read_committed":
				o.readCommitted = true
			case "read_uncommitted":
				o.readCommitted = false
			default:
				return o, invalid("invalid value for option %q: %q", optIsolation, val).
					WithHint("Valid values are 'read_committed' and 'read_uncommitted'.")
			}
		default:
			if !strings.HasPrefix(key, propertiesPrefix) {
				return o, invalid("unrecognized kafka source option %q", key).
					WithHint("Valid options are topic, %s, %s and properties.*.", optBootstrap, optStartupMode)
			}
		}
	}
	if o.topic == "" {
		return o, invalid("kafka source %q requires the option %q", spec.Name, optTopic)
	}
	if len(o.brokers) == 0 {
		return o, invalid("kafka source %q requires the option %q", spec.Name, optBootstrap)
	}
	return o, nil
}

// parseBrokers splits a comma-separated broker list; a broker without a
// port gets Kafka's default port.
func parseBrokers(list string) ([]string, error) {
	var out []string
	for _, b := range strings.Split(list, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			if strings.Contains(err.Error(), "missing port") {
				host, port = strings.Trim(b, "[]"), defaultKafkaPort
			} else {
				return nil, invalid("invalid broker address %q in option %q: %v", b, optBootstrap, err)
			}
		}
		if host == "" {
			return nil, invalid("invalid broker address %q in option %q: missing host", b, optBootstrap)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, invalid("invalid broker address %q in option %q: bad port %q", b, optBootstrap, port)
		}
		addr := net.JoinHostPort(host, port)
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, invalid("invalid broker address %q in option %q: %v", b, optBootstrap, err)
		}
		out = append(out, addr)
	}
	if len(out) == 0 {
		return nil, invalid("option %q lists no broker", optBootstrap)
	}
	return out, nil
}
