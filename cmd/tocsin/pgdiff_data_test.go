//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors/kafka"
)

// This file generates the differential test's datasets: deterministic
// event streams with a fixed schema, written to Kafka as JSON (one topic
// and one Tocsin source per dataset) and to PostgreSQL with COPY (one
// table, <name>_all, and a view, <name>, without the late events).
//
// Every dataset has the same columns, so every case can use any of them:
//
//	ts  TIMESTAMP         event time (millisecond precision)
//	seq BIGINT            unique, in generation order; never NULL
//	k   VARCHAR           key 'k01'..'kNN'
//	g   INT               small category 0..4
//	i   BIGINT            integer in [-500, 500]
//	v   DOUBLE PRECISION  positive, skewed (a latency), 3 decimals
//	x   DOUBLE PRECISION  signed in [-50, 50], 2 decimals, often exactly 0
//	s   VARCHAR           text: mixed case, accents, separators, padding
//	b   BOOLEAN
//	j   JSONB             an object: user, n, score, tags[], o{depth, ok}
//
// Event times. Events are spread step apart (±50%) from start, with gaps
// silent stretches, and each lags its slot by up to disorder; dup
// repeats the previous timestamp exactly. Partitions are assigned round
// robin, so every partition has data. No data event is ever late: within
// a partition each event is at least the largest earlier one minus the
// delay, which generate checks.
//
// Late events (late=N) are 2 hours to 1.5 hours before start, spread over
// the partitions. They are written only after every view that windows
// the dataset has read all the data, so each partition's watermark is
// already far past them whatever the batching: every windowed view drops
// them. PostgreSQL keeps them in <name>_all with late = true; the view
// <name> leaves them out. A view that does not window its source keeps
// late events (it has no window to close), so its PostgreSQL query reads
// <name>_all.
//
// The sentinel. To compare final results the watermark must pass the end
// of the data: after the data (and the late events), one sentinel event
// goes to every partition, at S = the hour after the last data event + 6
// hours. Its watermark closes every data window (windows and session gaps
// are at most an hour). Sentinels are ordinary rows on both sides (ts =
// S, seq unique, every other column NULL), so aggregates over the whole
// stream include them on both sides alike. Their own windows are still
// open in Tocsin, so the comparison drops, on both sides, every row whose
// window_start (or the case's cut column) is at or after the cut,
// S - 3 hours: no data window starts that late and every window holding
// a sentinel does. Queries that hide window_start use {cut} themselves.
// S stays within 24 hours of the data, the default retention, so Tocsin
// keeps every data window.

// Column indexes of the fixed schema, for NULL bits.
const (
	pdColK = iota
	pdColG
	pdColI
	pdColV
	pdColX
	pdColS
	pdColB
	pdColJ
	pdNumNullable
)

var pdNullableNames = [pdNumNullable]string{"k", "g", "i", "v", "x", "s", "b", "j"}

func pdNullableColumn(name string) bool {
	for _, n := range pdNullableNames {
		if n == name {
			return true
		}
	}
	return false
}

// datasetSpec is a dataset block of a case file.
type datasetSpec struct {
	name                  string
	seed                  int64
	events, keys          int
	partitions            int
	start                 time.Time
	step, disorder, delay time.Duration
	dup                   float64
	gaps                  int
	gapLen                time.Duration
	late                  int
	nulls                 map[string]float64
}

// pdEvent is one generated event.
type pdEvent struct {
	ts   int64 // epoch milliseconds
	seq  int64
	part int32
	late bool
	null uint16 // bit c set: nullable column c is NULL
	k, s string
	j    string // JSON text
	g    int32
	i    int64
	v, x float64
	b    bool
}

func (e *pdEvent) isNull(c int) bool { return e.null&(1<<c) != 0 }

// dataset is a generated dataset.
type dataset struct {
	spec      *datasetSpec
	data      []pdEvent
	late      []pdEvent
	sentinels []pdEvent
	sentinel  time.Time // S
	cut       time.Time // S - 3h
}

const (
	pdLateBehind   = 2 * time.Hour
	pdLateSpread   = 30 * time.Minute
	pdSentinelLead = 6 * time.Hour
	pdCutBefore    = 3 * time.Hour
	pdMaxDataSpan  = 12 * time.Hour
)

var (
	pdWords = []string{"alpha", "Beta", "GAMMA", "delta", "Épée", "naïve", "café", "x_y", "50%", "zeta", "Omega", "straße"}
	pdSeps  = []string{" ", "-", "_", ", ", "  ", "", "-", " "}
	pdTags  = []string{"red", "green", "blue", "urgent", "low"}
)

// generate builds the dataset from its spec, deterministically.
func (d *datasetSpec) generate() (*dataset, error) {
	rng := rand.New(rand.NewSource(d.seed))
	n := d.events
	gapAt := map[int]bool{}
	for len(gapAt) < min(d.gaps, n-1) {
		gapAt[1+rng.Intn(n-1)] = true
	}
	base := d.start.UnixMilli()
	stepMS := d.step.Milliseconds()
	disorderMS := d.disorder.Milliseconds()
	used := map[int64]bool{}
	ds := &dataset{spec: d, data: make([]pdEvent, 0, n)}
	var seq int64
	for i := 0; i < n; i++ {
		var ts int64
		if i > 0 && d.dup > 0 && rng.Float64() < d.dup {
			ts = ds.data[i-1].ts
		} else {
			if i > 0 {
				base += stepMS/2 + rng.Int63n(stepMS+1)
			}
			if gapAt[i] {
				base += d.gapLen.Milliseconds()
			}
			ts = base - rng.Int63n(disorderMS+1)
			if d.dup == 0 {
				for used[ts] {
					ts++
				}
			}
		}
		used[ts] = true
		e := d.values(rng)
		e.ts, e.seq, e.part = ts, seq, int32(i%d.partitions)
		seq++
		ds.data = append(ds.data, e)
	}
	// Check the promise that no data event is late.
	maxTS := int64(math.MinInt64)
	partMax := make([]int64, d.partitions)
	for p := range partMax {
		partMax[p] = math.MinInt64
	}
	for _, e := range ds.data {
		if m := partMax[e.part]; m != math.MinInt64 && e.ts < m-d.delay.Milliseconds() {
			return nil, fmt.Errorf("dataset %s: BUG: event seq %d at %d is more than the delay behind %d", d.name, e.seq, e.ts, m)
		}
		partMax[e.part] = max(partMax[e.part], e.ts)
		maxTS = max(maxTS, e.ts)
	}
	if span := time.Duration(maxTS-d.start.UnixMilli()) * time.Millisecond; span > pdMaxDataSpan {
		return nil, fmt.Errorf("dataset %s spans %v; keep it within %v (the sentinel must stay within the 24h retention)", d.name, span, pdMaxDataSpan)
	}
	lateBase := d.start.Add(-pdLateBehind).UnixMilli()
	for l := 0; l < d.late; l++ {
		e := d.values(rng)
		e.ts = lateBase + rng.Int63n(pdLateSpread.Milliseconds())
		e.seq, e.part, e.late = seq, int32(l%d.partitions), true
		seq++
		ds.late = append(ds.late, e)
	}
	last := time.UnixMilli(maxTS).UTC()
	ds.sentinel = last.Truncate(time.Hour).Add(time.Hour + pdSentinelLead)
	ds.cut = ds.sentinel.Add(-pdCutBefore)
	for p := 0; p < d.partitions; p++ {
		ds.sentinels = append(ds.sentinels, pdEvent{ts: ds.sentinel.UnixMilli(), seq: seq, part: int32(p), null: 1<<pdNumNullable - 1})
		seq++
	}
	return ds, nil
}

// values draws the non-time columns of one event.
func (d *datasetSpec) values(rng *rand.Rand) pdEvent {
	var e pdEvent
	e.k = fmt.Sprintf("k%02d", rng.Intn(d.keys)+1)
	e.g = int32(rng.Intn(5))
	e.i = int64(rng.Intn(1001) - 500)
	e.v = math.Round(rng.ExpFloat64()*50_000)/1000 + 0.001
	if rng.Intn(10) == 0 {
		e.x = 0
	} else {
		e.x = float64(rng.Intn(10001)-5000) / 100
	}
	e.s = pdText(rng)
	e.b = rng.Intn(2) == 0
	e.j = pdJSON(rng)
	for c, name := range pdNullableNames {
		if f := d.nulls[name]; f > 0 && rng.Float64() < f {
			e.null |= 1 << c
		}
	}
	return e
}

func pdText(rng *rand.Rand) string {
	var sb strings.Builder
	if rng.Intn(12) == 0 {
		sb.WriteString("  ")
	}
	sb.WriteString(pdWords[rng.Intn(len(pdWords))])
	sb.WriteString(pdSeps[rng.Intn(len(pdSeps))])
	sb.WriteString(pdWords[rng.Intn(len(pdWords))])
	switch rng.Intn(6) {
	case 0:
		fmt.Fprintf(&sb, "-%d", rng.Intn(100))
	case 1:
		sb.WriteString(" ")
	case 2:
		if rng.Intn(4) == 0 {
			sb.WriteString("\ttab\\slash")
		}
	}
	if rng.Intn(40) == 0 {
		return ""
	}
	return sb.String()
}

// pdJSON draws a JSON object with optional and NULL members, its keys
// in the order a producer might send them (not jsonb's order).
func pdJSON(rng *rand.Rand) string {
	var parts []string
	if rng.Intn(8) != 0 {
		parts = append(parts, fmt.Sprintf(`"user":"u%d"`, rng.Intn(20)))
	}
	switch rng.Intn(8) {
	case 0:
		parts = append(parts, `"n":null`)
	case 1:
	default:
		parts = append(parts, fmt.Sprintf(`"n":%d`, rng.Intn(200)-20))
	}
	if rng.Intn(3) != 0 {
		parts = append(parts, fmt.Sprintf(`"score":%s`, strconv.FormatFloat(float64(rng.Intn(1000))/8, 'g', -1, 64)))
	}
	if rng.Intn(2) == 0 {
		var ts []string
		for t := rng.Intn(3) + 1; t > 0; t-- {
			ts = append(ts, strconv.Quote(pdTags[rng.Intn(len(pdTags))]))
		}
		parts = append(parts, `"tags":[`+strings.Join(ts, ",")+`]`)
	}
	if rng.Intn(3) == 0 {
		parts = append(parts, fmt.Sprintf(`"o":{"ok":%t,"depth":%d}`, rng.Intn(2) == 0, rng.Intn(4)))
	}
	rng.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
	return "{" + strings.Join(parts, ",") + "}"
}

func pdJSONString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic("BUG: marshal a string: " + err.Error())
	}
	return string(b)
}

func pdFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// appendJSON appends the event as the JSON record Tocsin reads.
func (e *pdEvent) appendJSON(dst []byte) []byte {
	dst = fmt.Appendf(dst, `{"ts":%d,"seq":%d`, e.ts, e.seq)
	field := func(name string, c int, val string) {
		dst = append(dst, ',', '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
		if e.isNull(c) {
			dst = append(dst, "null"...)
		} else {
			dst = append(dst, val...)
		}
	}
	field("k", pdColK, pdJSONString(e.k))
	field("g", pdColG, strconv.Itoa(int(e.g)))
	field("i", pdColI, strconv.FormatInt(e.i, 10))
	field("v", pdColV, pdFloat(e.v))
	field("x", pdColX, pdFloat(e.x))
	field("s", pdColS, pdJSONString(e.s))
	field("b", pdColB, strconv.FormatBool(e.b))
	field("j", pdColJ, e.j)
	return append(dst, '}')
}

var pdCopyEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

// appendCopy appends the event as one line of COPY's text format, with
// the late flag as the last column.
func (e *pdEvent) appendCopy(dst []byte) []byte {
	dst = time.UnixMilli(e.ts).UTC().AppendFormat(dst, "2006-01-02 15:04:05.000")
	dst = fmt.Appendf(dst, "\t%d", e.seq)
	field := func(c int, val string) {
		dst = append(dst, '\t')
		if e.isNull(c) {
			dst = append(dst, `\N`...)
		} else {
			dst = append(dst, pdCopyEscaper.Replace(val)...)
		}
	}
	field(pdColK, e.k)
	field(pdColG, strconv.Itoa(int(e.g)))
	field(pdColI, strconv.FormatInt(e.i, 10))
	field(pdColV, pdFloat(e.v))
	field(pdColX, pdFloat(e.x))
	field(pdColS, e.s)
	field(pdColB, strconv.FormatBool(e.b))
	field(pdColJ, e.j)
	if e.late {
		dst = append(dst, "\tt\n"...)
	} else {
		dst = append(dst, "\tf\n"...)
	}
	return dst
}

// topic is the dataset's Kafka topic.
func (ds *dataset) topic() string { return "pgdiff_" + ds.spec.name }

// total is the number of records the topic ends up with.
func (ds *dataset) total() int { return len(ds.data) + len(ds.late) + len(ds.sentinels) }

// createSource is the Tocsin DDL of the dataset's source.
func (ds *dataset) createSource(broker string) string {
	return fmt.Sprintf(`CREATE SOURCE %s (ts TIMESTAMP, seq BIGINT, k VARCHAR, g INT, i BIGINT,
  v DOUBLE PRECISION, x DOUBLE PRECISION, s VARCHAR, b BOOLEAN, j JSONB,
  WATERMARK FOR ts AS ts - INTERVAL '%d' SECOND)
WITH (connector = 'kafka', topic = '%s', properties.bootstrap.server = '%s',
  scan.startup.mode = 'earliest') FORMAT JSON`,
		ds.spec.name, int(ds.spec.delay.Seconds()), ds.topic(), broker)
}

// postgresDDL creates the dataset's table and view in PostgreSQL; the
// rows follow with COPY (copyData).
func (ds *dataset) postgresDDL() []string {
	n := ds.spec.name
	return []string{
		fmt.Sprintf(`CREATE TABLE %s_all (ts timestamp, seq bigint, k varchar, g int, i bigint,
  v double precision, x double precision, s varchar, b boolean, j jsonb, late boolean NOT NULL)`, n),
		fmt.Sprintf(`CREATE VIEW %s AS SELECT ts, seq, k, g, i, v, x, s, b, j FROM %[1]s_all WHERE NOT late`, n),
	}
}

// copyData is the COPY text of every event: data, late and sentinels.
func (ds *dataset) copyData() []byte {
	var buf bytes.Buffer
	var line []byte
	for _, set := range [][]pdEvent{ds.data, ds.late, ds.sentinels} {
		for i := range set {
			line = set[i].appendCopy(line[:0])
			buf.Write(line)
		}
	}
	return buf.Bytes()
}

// pdMessages returns the Kafka records of events, to their partitions.
func pdMessages(evs []pdEvent) []kafka.Message {
	out := make([]kafka.Message, len(evs))
	for i := range evs {
		e := &evs[i]
		var key []byte
		if !e.isNull(pdColK) {
			key = []byte(e.k)
		}
		out[i] = kafka.Message{Key: key, Value: e.appendJSON(nil), Partition: e.part}
	}
	return out
}

// cutLiteral is the sentinel cut as a SQL TIMESTAMP literal, for {cut}.
func (ds *dataset) cutLiteral() string {
	return "TIMESTAMP '" + ds.cut.Format("2006-01-02 15:04:05") + "'"
}
