package bench

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Partitions is the partition count of every benchmark stream (memory
// logs and Kafka topics alike). Events are partitioned by key, as a Kafka
// producer does, so one key's events keep their order.
const Partitions = 4

// baseTime is the event time of the first event of a throughput run
// (2026-05-01T00:00:00Z, in milliseconds).
const baseTime = 1_777_593_600_000

// eventStepMs is how far event time advances per event in a throughput
// run: 1,000 events per second of event time, so a 1-minute window holds
// 60,000 events and windows close every 60,000 events.
const eventStepMs = 1

// jitterMs bounds how far an event's time lags its position in the
// stream (disorder well inside the 5 s watermark delay: no event is late).
const jitterMs = 200

// Request is one request-like event of workloads 1-5 and 7.
type Request struct {
	Seq       int64
	TS        int64 // event time, epoch milliseconds
	Service   int   // key: svc-0000 .. svc-(keys-1)
	LatencyMs float64
	Status    int
	Method    string
	Path      string
	Region    string
	Bytes     int
}

var (
	methods = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	regions = []string{"eu-west-1", "us-east-1", "ap-south-1"}
	paths   = []string{"/api/v1/items", "/api/v1/users", "/api/v1/orders", "/healthz", "/api/v2/search"}
)

// RequestGen produces a fixed, seeded stream of requests: the same seed,
// key count and start give the same events.
type RequestGen struct {
	rng  *rand.Rand
	keys int
	seq  int64
	// oneWindow gives event i key i % keys and puts every event in the
	// first minute, in order (mem1m: one live group per key).
	oneWindow bool
}

// NewRequestGen returns a generator over keys services.
func NewRequestGen(seed uint64, keys int) *RequestGen {
	return &RequestGen{rng: rand.New(rand.NewPCG(seed, 0x70c5)), keys: keys}
}

// Next returns the next event; its time is baseTime plus its sequence
// number times eventStepMs, less a seeded jitter.
func (g *RequestGen) Next() Request {
	if g.oneWindow {
		return g.NextAt(baseTime + g.seq*59_000/int64(max(g.keys, 1)))
	}
	return g.NextAt(baseTime + g.seq*eventStepMs - g.rng.Int64N(jitterMs))
}

// NextAt returns the next event with event time ts (the latency phase
// stamps events with their send time).
func (g *RequestGen) NextAt(ts int64) Request {
	rng := g.rng
	r := Request{Seq: g.seq, TS: ts}
	if g.oneWindow {
		r.Service = int(g.seq % int64(g.keys))
	} else {
		r.Service = rng.IntN(g.keys)
	}
	g.seq++
	// A log-normal latency around 40 ms with a long tail.
	r.LatencyMs = math.Round(math.Exp(3.7+0.6*rng.NormFloat64())*100) / 100
	switch s := rng.IntN(100); {
	case s < 85:
		r.Status = 200
	case s < 92:
		r.Status = 404
	case s < 97:
		r.Status = 500
	default:
		r.Status = 503
	}
	r.Method = methods[rng.IntN(len(methods))]
	r.Path = paths[rng.IntN(len(paths))]
	r.Region = regions[r.Service%len(regions)]
	r.Bytes = 200 + rng.IntN(20_000)
	return r
}

// Partition returns the event's partition (by key).
func (r *Request) Partition() int32 { return int32(r.Service % Partitions) }

// AppendJSON appends the event as a JSON object, e.g.
// {"seq":7,"ts":1777593600007,"service":"svc-0042","latency_ms":41.25,"status":200,...}.
func (r *Request) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, r.TS, 10)
	b = append(b, `,"service":"`...)
	b = appendService(b, r.Service)
	b = append(b, `","latency_ms":`...)
	b = strconv.AppendFloat(b, r.LatencyMs, 'f', -1, 64)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"method":"`...)
	b = append(b, r.Method...)
	b = append(b, `","path":"`...)
	b = append(b, r.Path...)
	b = append(b, '/')
	b = strconv.AppendInt(b, r.Seq%10_000, 10)
	b = append(b, `","region":"`...)
	b = append(b, r.Region...)
	b = append(b, `","bytes":`...)
	b = strconv.AppendInt(b, int64(r.Bytes), 10)
	b = append(b, `,"user_agent":"bench/1.0"}`...)
	return b
}

// ServiceName returns the key of service number i ("svc-0042").
func ServiceName(i int) string { return string(appendService(nil, i)) }

func appendService(b []byte, i int) []byte {
	b = append(b, "svc-"...)
	if i < 1000 {
		b = append(b, '0')
	}
	if i < 100 {
		b = append(b, '0')
	}
	if i < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(i), 10)
}

// Threshold returns workload 7's latency threshold of service i (the
// threshold table's max_ms): 60 to 240 ms, so about 5% of events breach.
func Threshold(i int) float64 { return 60 + float64(i%10)*20 }

// LogLine is one Loghub-like log event of workload 6.
type LogLine struct {
	Seq      int64
	TS       int64
	Host     int
	Template int // index into logTemplates: the line's true template
	Msg      string
}

// logTemplates are the line shapes of workload 6, after Loghub's SSH and
// HDFS logs. Each has a distinct (token count, first token), so Drain's
// parse tree cannot put two of them in one cluster, and fewer variable
// than constant tokens, so each stays one cluster. %s marks a variable.
var logTemplates = []struct {
	text string
	vars []varKind
}{
	{"Accepted password for %s from %s port %s ssh2", []varKind{vUser, vIP, vPort}},
	{"Failed password for invalid user %s from %s port %s ssh2 attempt", []varKind{vUser, vIP, vPort}},
	{"Received disconnect from %s: 11: Bye Bye [preauth]", []varKind{vIP}},
	{"pam_unix(sshd:session): session opened for user root by (uid=%s)", []varKind{vNum}},
	{"Connection closed by %s [preauth]", []varKind{vIP}},
	{"Receiving block %s src: /%s dest: /%s", []varKind{vBlock, vIPPort, vIPPort}},
	{"PacketResponder %s for block %s terminating", []varKind{vNum, vBlock}},
	{"Verification succeeded for %s", []varKind{vBlock}},
	{"Served block %s to /%s", []varKind{vBlock, vIP}},
	{"Deleting block %s file /mnt/hadoop/dfs/data/current/subdir%s/%s", []varKind{vBlock, vNum, vBlock}},
}

// LogTemplates returns the number of distinct line templates.
func LogTemplates() int { return len(logTemplates) }

type varKind uint8

const (
	vUser varKind = iota
	vIP
	vPort
	vNum
	vBlock
	vIPPort
)

var users = []string{"root", "admin", "oracle", "test", "guest", "alice", "bob", "ftpuser", "postgres", "ubuntu"}

// LogGen produces a fixed, seeded stream of log lines over hosts hosts.
type LogGen struct {
	rng   *rand.Rand
	hosts int
	seq   int64
	buf   []byte
}

// NewLogGen returns a generator over hosts hosts.
func NewLogGen(seed uint64, hosts int) *LogGen {
	return &LogGen{rng: rand.New(rand.NewPCG(seed, 0x1065)), hosts: hosts}
}

// Next returns the next line, in event time like RequestGen.Next.
func (g *LogGen) Next() LogLine {
	return g.NextAt(baseTime + g.seq*eventStepMs - g.rng.Int64N(jitterMs))
}

// NextAt returns the next line with event time ts.
func (g *LogGen) NextAt(ts int64) LogLine {
	rng := g.rng
	l := LogLine{Seq: g.seq, TS: ts, Host: rng.IntN(g.hosts), Template: rng.IntN(len(logTemplates))}
	g.seq++
	t := logTemplates[l.Template]
	b := g.buf[:0]
	v := 0
	for i := 0; i < len(t.text); i++ {
		if t.text[i] == '%' && i+1 < len(t.text) && t.text[i+1] == 's' {
			b = g.appendVar(b, t.vars[v])
			v++
			i++
			continue
		}
		b = append(b, t.text[i])
	}
	g.buf = b
	l.Msg = string(b)
	return l
}

func (g *LogGen) appendVar(b []byte, k varKind) []byte {
	rng := g.rng
	switch k {
	case vUser:
		return append(b, users[rng.IntN(len(users))]...)
	case vIP, vIPPort:
		b = strconv.AppendInt(b, 10, 10)
		for range 3 {
			b = append(b, '.')
			b = strconv.AppendInt(b, int64(rng.IntN(256)), 10)
		}
		if k == vIPPort {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(1024+rng.IntN(60000)), 10)
		}
		return b
	case vPort:
		return strconv.AppendInt(b, int64(1024+rng.IntN(60000)), 10)
	case vNum:
		return strconv.AppendInt(b, int64(rng.IntN(10_000)), 10)
	case vBlock:
		b = append(b, "blk_"...)
		return strconv.AppendInt(b, rng.Int64N(1<<62)-1<<61, 10)
	}
	return b
}

// Partition returns the line's partition (by host).
func (l *LogLine) Partition() int32 { return int32(l.Host % Partitions) }

// AppendJSON appends the line as a JSON object:
// {"seq":..,"ts":..,"host":"node-017","level":"INFO","msg":"..."}.
func (l *LogLine) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, l.Seq, 10)
	b = append(b, `,"ts":`...)
	b = strconv.AppendInt(b, l.TS, 10)
	b = append(b, `,"host":"node-`...)
	b = strconv.AppendInt(b, int64(l.Host), 10)
	b = append(b, `","level":"INFO","component":"sshd","msg":`...)
	b = strconv.AppendQuote(b, l.Msg)
	return append(b, '}')
}
