package delivery

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

// fullNotification returns a notification with every field set to a
// non-zero value (checked by requireAllSet).
func fullNotification(key string) *connectors.Notification {
	t0 := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	return &connectors.Notification{
		Sink:        "pager",
		Channel:     "oncall",
		Key:         key,
		GroupKey:    `{service="api"}`,
		GroupLabels: []connectors.Label{{Name: "service", Value: "api"}},
		Status:      connectors.AlertFiring,
		Alerts: []connectors.Alert{{
			ID:          42,
			Fingerprint: "9f86d081884c7d65",
			Labels:      []connectors.Label{{Name: "service", Value: "api"}, {Name: "region", Value: "eu-1"}},
			Annotations: []connectors.Label{{Name: "summary", Value: "latency of api is 912 ms"}, {Name: "avg_ms", Value: "912"}},
			Status:      connectors.AlertResolved,
			Severity:    "P1",
			StartsAt:    t0,
			FiredAt:     t0.Add(time.Minute),
			EndsAt:      t0.Add(17 * time.Minute),
			Flapping:    true,
			Duplicates:  3,
		}, {
			ID:          -7,
			Fingerprint: "e3b0c44298fc1c14",
			Labels:      []connectors.Label{{Name: "service", Value: "db"}},
			Annotations: []connectors.Label{{Name: "summary", Value: "ünïcode ✓"}},
			Status:      connectors.AlertFiring,
			Severity:    "P0",
			StartsAt:    time.Date(1969, 7, 20, 20, 17, 40, 1, time.UTC),
			FiredAt:     t0,
			EndsAt:      time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Flapping:    true,
			Duplicates:  1 << 40,
		}},
		Escalation: 2,
		Summary:    "37 notifications folded while the rate limit held",
		Records:    []connectors.Record{{Key: []byte("k1"), Value: []byte(`{"a":1}`)}, {Key: []byte{0, 255}, Value: []byte("v")}},
		CreatedAt:  t0.Add(time.Hour),
	}
}

// requireAllSet fails if any field of v (recursively through structs and
// the first element of slices) is the zero value, so that a field added
// to Notification later must be added to the codec and this test.
func requireAllSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.IsZero() {
		t.Errorf("%s is not set", path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		requireAllSet(t, v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			requireAllSet(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			requireAllSet(t, v.Index(0), path+"[0]")
		}
	}
}

func TestNotificationRoundTrip(t *testing.T) {
	n := fullNotification("k")
	requireAllSet(t, reflect.ValueOf(n), "Notification")
	b := EncodeNotification([]byte("prefix"), n)
	if string(b[:6]) != "prefix" {
		t.Fatalf("EncodeNotification did not append to dst")
	}
	got, err := DecodeNotification(b[6:])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, n) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, n)
	}
	// The decoded notification must not alias the input.
	clear(b)
	if !reflect.DeepEqual(got, n) {
		t.Fatalf("decoded notification aliases its input")
	}

	// The zero notification round-trips too.
	zero := &connectors.Notification{}
	got, err = DecodeNotification(EncodeNotification(nil, zero))
	if err != nil || !reflect.DeepEqual(got, zero) {
		t.Fatalf("zero: got %+v, %v", got, err)
	}
}

func TestDecodeNotificationCorrupt(t *testing.T) {
	b := EncodeNotification(nil, fullNotification("k"))
	for i := range len(b) {
		if _, err := DecodeNotification(b[:i]); !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("truncated at %d: err = %v, want ErrCorrupt", i, err)
		}
	}
	if _, err := DecodeNotification(append(b, 0)); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("trailing byte: err = %v", err)
	}
	bad := append([]byte{99}, b[1:]...)
	if _, err := DecodeNotification(bad); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("bad version: err = %v", err)
	}
	// A huge count must fail without allocating it.
	huge := []byte{notificationVersion, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	if _, err := DecodeNotification(huge); !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("huge count: err = %v", err)
	}
}

func FuzzDecodeNotification(f *testing.F) {
	f.Add(EncodeNotification(nil, fullNotification("k")))
	f.Add(EncodeNotification(nil, &connectors.Notification{}))
	f.Add(EncodeNotification(nil, &connectors.Notification{Sink: "s", Channel: "default", Records: []connectors.Record{{Value: []byte("{}")}}}))
	f.Add([]byte{})
	f.Add([]byte{notificationVersion})
	f.Add([]byte{notificationVersion, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := DecodeNotification(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes to the same.
		again, err := DecodeNotification(EncodeNotification(nil, n))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(again, n) {
			t.Fatalf("unstable round trip:\n%+v\n%+v", again, n)
		}
	})
}
