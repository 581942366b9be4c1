package alert

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/tocsin-db/tocsin/connectors"
)

// rateLimiter is the sink-wide storm control: a fixed window that opens
// with the first notification and lets RateLimit notifications through;
// the rest are folded per channel and summarised when the window ends.
type rateLimiter struct {
	start  time.Time
	count  int
	folded []*foldedChan // by channel name
}

// foldedChan accumulates the notifications folded for one channel.
type foldedChan struct {
	channel string
	n       int
	keys    uint64 // FNV-1a over the folded keys, in order
	alerts  []connectors.Alert
}

// due is when the folded summary is sent (zero: nothing folded).
func (r *rateLimiter) due(cfg *Config) time.Time {
	if len(r.folded) == 0 {
		return time.Time{}
	}
	return r.start.Add(cfg.RateInterval)
}

// emit passes n through the rate limiter into out.
func (m *Manager) emit(n *connectors.Notification, t time.Time, out *[]*connectors.Notification) {
	if m.cfg.RateLimit <= 0 {
		*out = append(*out, n)
		return
	}
	r := &m.rate
	if r.start.IsZero() || !t.Before(r.start.Add(m.cfg.RateInterval)) {
		r.start, r.count = t, 0
	}
	if r.count < m.cfg.RateLimit {
		r.count++
		*out = append(*out, n)
		return
	}
	i := sort.Search(len(r.folded), func(i int) bool { return r.folded[i].channel >= n.Channel })
	if i == len(r.folded) || r.folded[i].channel != n.Channel {
		r.folded = append(r.folded, nil)
		copy(r.folded[i+1:], r.folded[i:])
		r.folded[i] = &foldedChan{channel: n.Channel, keys: fnvOffset}
	}
	f := r.folded[i]
	f.n++
	f.keys = fnvString(f.keys, n.Key)
	f.keys = fnvString(f.keys, "\n")
	for _, a := range n.Alerts {
		j := sort.Search(len(f.alerts), func(j int) bool { return f.alerts[j].ID >= a.ID })
		if j < len(f.alerts) && f.alerts[j].ID == a.ID {
			f.alerts[j] = a // the latest state wins
			continue
		}
		f.alerts = append(f.alerts, connectors.Alert{})
		copy(f.alerts[j+1:], f.alerts[j:])
		f.alerts[j] = a
	}
}

// maxSummaryAlerts bounds the alerts a folded summary names.
const maxSummaryAlerts = 10

// flushRate sends one summary per channel for the notifications folded
// in the window that ends at t, and closes the window.
func (m *Manager) flushRate(t time.Time, out *[]*connectors.Notification) {
	for _, f := range m.rate.folded {
		n := &connectors.Notification{
			Sink: m.cfg.Sink, Channel: f.channel, Status: connectors.AlertResolved,
			Alerts: f.alerts, CreatedAt: t,
			Key: "folded-" + fingerprintHex(fnvString(fnvString(f.keys, m.cfg.Sink), f.channel)),
		}
		var names []string
		for i, a := range f.alerts {
			if a.Status == connectors.AlertFiring {
				n.Status = connectors.AlertFiring
			}
			if i < maxSummaryAlerts {
				names = append(names, describe(m.cfg.Sink, &a))
			}
		}
		if len(f.alerts) > maxSummaryAlerts {
			names = append(names, fmt.Sprintf("and %d more", len(f.alerts)-maxSummaryAlerts))
		}
		n.Summary = fmt.Sprintf("%d notifications for %d alerts folded: %s",
			f.n, len(f.alerts), strings.Join(names, ", "))
		*out = append(*out, n)
	}
	m.rate = rateLimiter{}
}

// describe renders an alert as `sink{a="x"} firing`.
func describe(sink string, a *connectors.Alert) string {
	var b strings.Builder
	b.WriteString(sink)
	b.WriteByte('{')
	for i, l := range a.Labels {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", l.Name, l.Value)
	}
	b.WriteString("} ")
	b.WriteString(a.Status.String())
	return b.String()
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// foldDuplicates folds each alert whose annotation SimHash is within
// dist bits of an earlier kept alert of the same status into that one
// (Duplicates counts them). Alerts without annotation text are kept.
func foldDuplicates(alerts []connectors.Alert, dist int) []connectors.Alert {
	if len(alerts) < 2 {
		return alerts
	}
	type simhash struct {
		h  uint64
		ok bool
	}
	hashes := make([]simhash, 0, len(alerts))
	kept := alerts[:0]
next:
	for _, a := range alerts {
		h, ok := annotationSimHash(a.Annotations)
		if ok {
			for i := range kept {
				if hashes[i].ok && kept[i].Status == a.Status && bits.OnesCount64(hashes[i].h^h) <= dist {
					kept[i].Duplicates += 1 + a.Duplicates
					continue next
				}
			}
		}
		kept = append(kept, a)
		hashes = append(hashes, simhash{h, ok})
	}
	return kept
}

// annotationSimHash is the 64-bit SimHash of the annotations' values
// over lower-cased character 3-grams (words are separated by one space),
// and false when there is no text.
func annotationSimHash(anns []connectors.Label) (uint64, bool) {
	var text []rune
	for _, l := range anns {
		for _, r := range l.Value {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				text = append(text, unicode.ToLower(r))
			} else if len(text) > 0 && text[len(text)-1] != ' ' {
				text = append(text, ' ')
			}
		}
		if len(text) > 0 && text[len(text)-1] != ' ' {
			text = append(text, ' ')
		}
	}
	if len(text) == 0 {
		return 0, false
	}
	var votes [64]int
	add := func(gram []rune) {
		h := uint64(fnvOffset)
		for _, r := range gram {
			h ^= uint64(r)
			h *= fnvPrime
		}
		h ^= h >> 33 // spread the low-entropy FNV bits
		h *= 0xff51afd7ed558ccd
		h ^= h >> 33
		for b := 0; b < 64; b++ {
			if h&(1<<b) != 0 {
				votes[b]++
			} else {
				votes[b]--
			}
		}
	}
	if len(text) < 3 {
		add(text)
	} else {
		for i := 0; i+3 <= len(text); i++ {
			add(text[i : i+3])
		}
	}
	var h uint64
	for b, v := range votes {
		if v > 0 {
			h |= 1 << b
		}
	}
	return h, true
}
