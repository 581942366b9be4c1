package notify

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

// The options every HTTP channel understands.
const (
	optURL         = "url"
	optTimeout     = "timeout"
	defaultTimeout = 10 * time.Second
)

// options reads a channel's WITH options. Options a channel does not
// know are ignored: the spec of a sink's default channel also carries the
// sink's own options (labels, severity, for, ...).
type options struct {
	connector string
	spec      connectors.ChannelSpec
}

func newOptions(connector string, spec connectors.ChannelSpec) options {
	return options{connector: connector, spec: spec}
}

// invalid returns a 22023 error naming the channel and the option.
func (o options) invalid(option, format string, args ...any) *sqlerr.Error {
	return sqlerr.New(sqlerr.InvalidParameterValue, "sink %q: %s channel %q: option %q: %s",
		o.spec.Sink, o.connector, o.spec.Name, option, fmt.Sprintf(format, args...))
}

// get returns the trimmed value of option name ("" if absent).
func (o options) get(name string) string {
	return strings.TrimSpace(o.spec.Options[name])
}

// required returns the value of option name or an error if it is absent
// or blank.
func (o options) required(name string) (string, error) {
	v := o.get(name)
	if v == "" {
		return "", o.invalid(name, "is required")
	}
	return v, nil
}

// httpURL returns option name as an absolute http(s) URL; def is used
// when it is absent (an empty def makes it required).
func (o options) httpURL(name, def string) (string, error) {
	v := o.get(name)
	if v == "" {
		if def == "" {
			return "", o.invalid(name, "is required")
		}
		v = def
	}
	u, err := url.Parse(v)
	if err != nil {
		return "", o.invalid(name, "invalid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", o.invalid(name, "URL scheme must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return "", o.invalid(name, "URL %q has no host", v)
	}
	return v, nil
}

// duration returns option name as a positive duration, written as a Go
// duration ("10s", "1m30s") or an SQL interval ("10 seconds",
// "1 minute"); def when absent.
func (o options) duration(name string, def time.Duration) (time.Duration, error) {
	v := o.get(name)
	if v == "" {
		return def, nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return 0, o.invalid(name, "%v", err)
	}
	return d, nil
}

// parseDuration parses a positive Go duration or fixed-length SQL
// interval.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		iv, ierr := types.ParseInterval(v, "")
		if ierr != nil {
			return 0, fmt.Errorf("invalid duration %q (use e.g. '10s' or '10 seconds')", v)
		}
		us, fixed := iv.Fixed()
		if !fixed {
			return 0, fmt.Errorf("duration %q has no fixed length (months)", v)
		}
		d = time.Duration(us) * time.Microsecond
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", v)
	}
	return d, nil
}

// boolean returns option name as a boolean; set is false when the
// option is absent.
func (o options) boolean(name string) (val, set bool, err error) {
	switch strings.ToLower(o.get(name)) {
	case "":
		return false, false, nil
	case "true", "on", "yes", "1":
		return true, true, nil
	case "false", "off", "no", "0":
		return false, true, nil
	}
	return false, false, o.invalid(name, "must be 'true' or 'false', not %q", o.get(name))
}
