package delivery

import (
	"fmt"
	"math"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/engine/state"
)

// notificationVersion is the first byte of an encoded notification.
const notificationVersion = 1

// EncodeNotification appends the binary form of n to dst and returns the
// extended slice. Every field is kept; times are kept as UTC instants
// (location and monotonic reading are dropped), and empty slices decode
// as nil.
//
// Layout (state.Writer primitives): version byte; Sink, Channel, Key,
// GroupKey; GroupLabels; Status; Alerts; Escalation; Summary; Records;
// CreatedAt. A string is a length-prefixed byte string, a list a uvarint
// count then its elements, a time a varint of Unix seconds then a uvarint
// of nanoseconds.
func EncodeNotification(dst []byte, n *connectors.Notification) []byte {
	w := state.Writer{Buf: append(dst, notificationVersion)}
	putString(&w, n.Sink)
	putString(&w, n.Channel)
	putString(&w, n.Key)
	putString(&w, n.GroupKey)
	putLabels(&w, n.GroupLabels)
	w.Uvarint(uint64(n.Status))
	w.Uvarint(uint64(len(n.Alerts)))
	for i := range n.Alerts {
		a := &n.Alerts[i]
		w.Varint(a.ID)
		putString(&w, a.Fingerprint)
		putLabels(&w, a.Labels)
		putLabels(&w, a.Annotations)
		w.Uvarint(uint64(a.Status))
		putString(&w, a.Severity)
		putTime(&w, a.StartsAt)
		putTime(&w, a.FiredAt)
		putTime(&w, a.EndsAt)
		w.Bool(a.Flapping)
		w.Varint(int64(a.Duplicates))
	}
	w.Varint(int64(n.Escalation))
	putString(&w, n.Summary)
	w.Uvarint(uint64(len(n.Records)))
	for _, r := range n.Records {
		w.Bytes(r.Key)
		w.Bytes(r.Value)
	}
	putTime(&w, n.CreatedAt)
	return w.Buf
}

// DecodeNotification decodes what EncodeNotification wrote; src must hold
// exactly one notification. The result does not alias src. Bytes that do
// not decode give an error wrapping state.ErrCorrupt.
func DecodeNotification(src []byte) (*connectors.Notification, error) {
	if len(src) == 0 {
		return nil, fmt.Errorf("delivery: decode notification: empty: %w", state.ErrCorrupt)
	}
	if src[0] != notificationVersion {
		return nil, fmt.Errorf("delivery: decode notification: unknown version %d: %w", src[0], state.ErrCorrupt)
	}
	r := state.Reader{Buf: src[1:]}
	n := &connectors.Notification{}
	n.Sink = getString(&r)
	n.Channel = getString(&r)
	n.Key = getString(&r)
	n.GroupKey = getString(&r)
	n.GroupLabels = getLabels(&r)
	n.Status = getStatus(&r)
	if c := getCount(&r); c > 0 {
		n.Alerts = make([]connectors.Alert, c)
		for i := range n.Alerts {
			a := &n.Alerts[i]
			a.ID = r.Varint()
			a.Fingerprint = getString(&r)
			a.Labels = getLabels(&r)
			a.Annotations = getLabels(&r)
			a.Status = getStatus(&r)
			a.Severity = getString(&r)
			a.StartsAt = getTime(&r)
			a.FiredAt = getTime(&r)
			a.EndsAt = getTime(&r)
			a.Flapping = r.Bool()
			a.Duplicates = getInt(&r)
			if r.Err != nil {
				break
			}
		}
	}
	n.Escalation = getInt(&r)
	n.Summary = getString(&r)
	if c := getCount(&r); c > 0 {
		n.Records = make([]connectors.Record, c)
		for i := range n.Records {
			n.Records[i].Key = getBytes(&r)
			n.Records[i].Value = getBytes(&r)
			if r.Err != nil {
				break
			}
		}
	}
	n.CreatedAt = getTime(&r)
	if r.Err != nil {
		return nil, fmt.Errorf("delivery: decode notification: %w", r.Err)
	}
	if len(r.Buf) != 0 {
		return nil, fmt.Errorf("delivery: decode notification: %d trailing bytes: %w", len(r.Buf), state.ErrCorrupt)
	}
	return n, nil
}

func putString(w *state.Writer, s string) {
	w.Uvarint(uint64(len(s)))
	w.Buf = append(w.Buf, s...)
}

func putLabels(w *state.Writer, ls []connectors.Label) {
	w.Uvarint(uint64(len(ls)))
	for _, l := range ls {
		putString(w, l.Name)
		putString(w, l.Value)
	}
}

func putTime(w *state.Writer, t time.Time) {
	w.Varint(t.Unix())
	w.Uvarint(uint64(t.Nanosecond()))
}

// corrupt makes r's first error stick, as state.Reader does for short
// input.
func corrupt(r *state.Reader) {
	if r.Err == nil {
		r.Err = state.ErrCorrupt
	}
	r.Buf = nil
}

func getString(r *state.Reader) string {
	return string(r.Bytes())
}

// getBytes returns a copy of a byte string, nil when it is empty.
func getBytes(r *state.Reader) []byte {
	b := r.Bytes()
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// getCount reads a list length. Every element takes at least one byte,
// so a count above the bytes left is corrupt; this bounds allocation by
// the input size.
func getCount(r *state.Reader) int {
	c := r.Uvarint()
	if c > uint64(len(r.Buf)) {
		corrupt(r)
		return 0
	}
	return int(c)
}

func getLabels(r *state.Reader) []connectors.Label {
	c := getCount(r)
	if c == 0 {
		return nil
	}
	ls := make([]connectors.Label, c)
	for i := range ls {
		ls[i].Name = getString(r)
		ls[i].Value = getString(r)
		if r.Err != nil {
			return nil
		}
	}
	return ls
}

func getStatus(r *state.Reader) connectors.AlertStatus {
	v := r.Uvarint()
	if v > math.MaxUint8 {
		corrupt(r)
		return 0
	}
	return connectors.AlertStatus(v)
}

func getInt(r *state.Reader) int {
	v := r.Varint()
	if int64(int(v)) != v {
		corrupt(r)
		return 0
	}
	return int(v)
}

func getTime(r *state.Reader) time.Time {
	sec := r.Varint()
	nsec := r.Uvarint()
	if r.Err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		corrupt(r)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}
