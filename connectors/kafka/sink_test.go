package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/connectors/notify"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
)

// fetched is one record read back from the broker.
type fetched struct {
	key, value, idem string
}

// fetchAll reads want records from partition 0 of topic.
func fetchAll(t *testing.T, brokers []string, topic string, want int) []fetched {
	t.Helper()
	client, done := adminClient(brokers, topic)
	defer done()
	ctx := testCtx(t)
	var out []fetched
	for len(out) < want {
		resp, err := client.Fetch(ctx, &kafkago.FetchRequest{Topic: topic, Partition: 0, Offset: int64(len(out)), MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if resp.Error != nil {
			t.Fatalf("fetch: %v", resp.Error)
		}
		for {
			r, err := resp.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read record: %v", err)
			}
			if r.Offset < int64(len(out)) {
				continue
			}
			f := fetched{}
			if r.Key != nil {
				b, _ := io.ReadAll(r.Key)
				f.key = string(b)
			}
			if r.Value != nil {
				b, _ := io.ReadAll(r.Value)
				f.value = string(b)
			}
			for _, h := range r.Headers {
				if h.Key == idempotencyHeader {
					f.idem = string(h.Value)
				}
			}
			out = append(out, f)
		}
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records", len(out), want)
		}
	}
	return out
}

func newSinkChannel(t *testing.T, brokers []string, topic string) connectors.Channel {
	t.Helper()
	r := connectors.NewChannelRegistry()
	RegisterChannel(r)
	f, ok := r.Channel("kafka")
	if !ok {
		t.Fatal("kafka channel not registered")
	}
	ch, err := f(connectors.ChannelSpec{Sink: "pager", Name: "default", Options: map[string]string{
		"connector": "kafka", "topic": topic, "properties.bootstrap.server": strings.Join(brokers, ","), "labels": "service",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	return ch
}

func TestSinkChannelRecords(t *testing.T) {
	_, brokers := startCluster(t)
	ctx := testCtx(t)
	if err := CreateTopic(ctx, brokers, "rows", 1); err != nil {
		t.Fatal(err)
	}
	ch := newSinkChannel(t, brokers, "rows")
	var recs []connectors.Record
	for _, k := range []string{"b", "a", "c", "a", "b"} {
		recs = append(recs, connectors.Record{Key: []byte(k), Value: []byte(`{"k":"` + k + `","i":` + string(rune('0'+len(recs))) + `}`)})
	}
	if err := ch.Send(ctx, &connectors.Notification{Sink: "pager", Key: "n-1", Records: recs[:3]}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Send(ctx, &connectors.Notification{Sink: "pager", Key: "n-2", Records: recs[3:]}); err != nil {
		t.Fatal(err)
	}
	got := fetchAll(t, brokers, "rows", 5)
	for i, r := range recs {
		idem := "n-1"
		if i >= 3 {
			idem = "n-2"
		}
		if want := (fetched{string(r.Key), string(r.Value), idem}); got[i] != want {
			t.Fatalf("record %d = %+v, want %+v", i, got[i], want)
		}
	}
	assertNoLeaksAfterClose(t, ch)
}

func TestSinkChannelAlerts(t *testing.T) {
	_, brokers := startCluster(t)
	ctx := testCtx(t)
	if err := CreateTopic(ctx, brokers, "alerts", 1); err != nil {
		t.Fatal(err)
	}
	ch := newSinkChannel(t, brokers, "alerts")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n := &connectors.Notification{Sink: "pager", Key: "k-9", Status: connectors.AlertFiring, Alerts: []connectors.Alert{
		{ID: 1, Fingerprint: "fp1", Status: connectors.AlertFiring, Severity: "P1", StartsAt: t0, FiredAt: t0.Add(time.Minute),
			Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "host", Value: "a"}},
			Annotations: []connectors.Label{{Name: "summary", Value: "slow \"api\""}}},
		{ID: 2, Fingerprint: "fp2", Status: connectors.AlertResolved, StartsAt: t0, EndsAt: t0.Add(time.Hour + time.Millisecond),
			Labels: []connectors.Label{{Name: "service", Value: "db"}}, Flapping: true, Duplicates: 3},
	}}
	if err := ch.Send(ctx, n); err != nil {
		t.Fatal(err)
	}
	got := fetchAll(t, brokers, "alerts", 2)
	for i := range n.Alerts {
		a := &n.Alerts[i]
		if got[i].key != a.Fingerprint || got[i].idem != "k-9" {
			t.Fatalf("record %d: %+v", i, got[i])
		}
		// The value is the webhook's alert object plus sink and key.
		want := notify.AppendAlertJSON(nil, a, connectors.Label{Name: "sink", Value: "pager"}, connectors.Label{Name: "idempotencyKey", Value: "k-9"})
		var g, w any
		if err := json.Unmarshal([]byte(got[i].value), &g); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("record %d value\ngot  %s\nwant %s", i, got[i].value, want)
		}
	}
	if !strings.Contains(got[0].value, `"labels":{"service":"api","host":"a"}`) {
		t.Fatalf("labels out of order: %s", got[0].value)
	}
}

func TestSinkChannelErrors(t *testing.T) {
	_, brokers := startCluster(t, kfake.AllowAutoTopicCreation())
	ctx := testCtx(t)
	ch := newSinkChannel(t, brokers, "missing")
	err := ch.Send(ctx, &connectors.Notification{Sink: "pager", Key: "k", Records: []connectors.Record{{Key: []byte("a"), Value: []byte("{}")}}})
	var se *connectors.SendError
	if !errors.As(err, &se) || se.Permanent {
		t.Fatalf("unknown topic: %v, want a retryable error (the topic may be created later)", err)
	}
	t.Logf("unknown topic: %v", err)
	if ends, err := PartitionEnds(ctx, brokers, "missing"); err == nil {
		t.Fatalf("the channel created the topic: %v", ends)
	}
	// Once the topic exists, the retry succeeds.
	if err := CreateTopic(ctx, brokers, "missing", 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := ch.Send(ctx, &connectors.Notification{Sink: "pager", Key: "k", Records: []connectors.Record{{Key: []byte("a"), Value: []byte("{}")}}})
		if err == nil {
			break
		}
		if connectors.IsPermanent(err) || time.Now().After(deadline) {
			t.Fatalf("send after the topic was created: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // the dispatcher's retry, in miniature: poll with a deadline
	}

	// A broker that is gone: retryable.
	port := freePort(t)
	dead := newSinkChannel(t, []string{"127.0.0.1:" + strconv.Itoa(port)}, "rows")
	short, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = dead.Send(short, &connectors.Notification{Sink: "pager", Key: "k", Records: []connectors.Record{{Value: []byte("{}")}}})
	if !errors.As(err, &se) || se.Permanent {
		t.Fatalf("dead broker: %v", err)
	}
	t.Logf("dead broker: %v", err)

	// Nothing to send is success.
	if err := dead.Send(ctx, &connectors.Notification{Sink: "pager"}); err != nil {
		t.Fatal(err)
	}

	if !permanentWriteError(kafkago.WriteErrors{nil, kafkago.TopicAuthorizationFailed}) ||
		permanentWriteError(kafkago.WriteErrors{kafkago.NotLeaderForPartition}) ||
		!permanentWriteError(kafkago.MessageTooLargeError{}) {
		t.Fatal("permanentWriteError misclassifies")
	}
}

func TestSinkChannelOptions(t *testing.T) {
	for _, c := range []struct {
		opts   map[string]string
		option string
	}{
		{map[string]string{"properties.bootstrap.server": "b:9092"}, "topic"},
		{map[string]string{"topic": "t"}, "properties.bootstrap.server"},
		{map[string]string{"topic": "t", "properties.bootstrap.server": "b:notaport"}, "properties.bootstrap.server"},
	} {
		_, err := NewSinkChannel(connectors.ChannelSpec{Sink: "s", Name: "default", Options: c.opts})
		var e *sqlerr.Error
		if !errors.As(err, &e) || e.Code != sqlerr.InvalidParameterValue || !strings.Contains(e.Msg, `"`+c.option+`"`) {
			t.Errorf("%v: %v", c.opts, err)
		}
	}
	ch, err := NewSinkChannel(connectors.ChannelSpec{Options: map[string]string{"topic": "t", "properties.bootstrap.servers": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
}

// assertNoLeaksAfterClose closes ch and checks no kafka-go goroutine
// survives it.
func assertNoLeaksAfterClose(t *testing.T, ch connectors.Channel) {
	t.Helper()
	if err := ch.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoLeaks(t)
}
