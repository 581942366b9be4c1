package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultPartitions is the partition count of auto-created topics when
// Config.Partitions is zero.
const DefaultPartitions = 4

// Config says where and how the broker runs.
type Config struct {
	// Addr is the listen address, e.g. "127.0.0.1:9092"; port 0 picks a
	// free port. A wildcard host (0.0.0.0, ::) is advertised to clients
	// as the loopback address. Empty means "127.0.0.1:0".
	Addr string
	// DataDir holds the broker's state across restarts; it is created if
	// needed. Empty keeps everything in memory.
	DataDir string
	// Partitions is the partition count of auto-created topics (default
	// DefaultPartitions).
	Partitions int
	// Logger receives kfake's log lines; nil means slog.Default().
	Logger *slog.Logger
	// SegmentBytes is the size at which a partition's log rolls to a new
	// segment (Kafka's log.segment.bytes); zero keeps kfake's default,
	// 100 MiB. Without a DataDir, kfake keeps a segment in a byte slice
	// that doubles as it grows, copying the segment on the goroutine that
	// serves every request: a smaller size bounds those pauses.
	SegmentBytes int64
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	stop    func() bool
	once    sync.Once
}

// Start starts a broker. It stops when ctx is cancelled or Close is
// called.
func Start(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Partitions <= 0 {
		cfg.Partitions = DefaultPartitions
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		// kfake dials "127.0.0.1:<port>"; listen on the configured
		// address instead.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			ln, err := net.Listen(network, cfg.Addr)
			if err != nil {
				return nil, err
			}
			return advertised(ln), nil
		}),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.WithLogger(slogLogger{cfg.Logger}),
		kfake.ClusterID("tocsin-playground"),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
	}
	if cfg.SegmentBytes > 0 {
		opts = append(opts, kfake.BrokerConfigs(map[string]string{"log.segment.bytes": strconv.FormatInt(cfg.SegmentBytes, 10)}))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded broker on %s: %w", cfg.Addr, err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) != 1 {
		c.Close()
		return nil, fmt.Errorf("BUG: embedded broker listens on %v", addrs)
	}
	b := &Broker{cluster: c, addr: addrs[0]}
	b.stop = context.AfterFunc(ctx, b.shutdown)
	cfg.Logger.Info("embedded Kafka broker started", "addr", b.addr, "data_dir", cfg.DataDir, "partitions", cfg.Partitions)
	return b, nil
}

// Addr returns the host:port clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker and persists its state. It is idempotent.
func (b *Broker) Close() {
	b.stop()
	b.shutdown()
}

func (b *Broker) shutdown() {
	b.once.Do(b.cluster.Close)
}

// advertised makes a listener on a wildcard address report the IPv4
// loopback address, which is what kfake then advertises to clients.
func advertised(ln net.Listener) net.Listener {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return ln
	}
	// Go's wildcard listeners are dual-stack, so IPv4 loopback works for
	// "0.0.0.0" and "::" alike.
	return &advertisedListener{Listener: ln, addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tcp.Port}}
}

type advertisedListener struct {
	net.Listener
	addr net.Addr
}

func (l *advertisedListener) Addr() net.Addr { return l.addr }

// slogLogger adapts slog to kfake.Logger.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	lvl := slog.LevelDebug
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	}
	if !s.l.Enabled(context.Background(), lvl) {
		return
	}
	s.l.Log(context.Background(), lvl, "kfake: "+fmt.Sprintf(format, args...))
}
