package kafka

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/tocsin-db/tocsin/connectors"
	"github.com/tocsin-db/tocsin/sql/sqlerr"
	"github.com/tocsin-db/tocsin/sql/types"
)

func TestParseOptions(t *testing.T) {
	base := func(extra map[string]string) connectors.SourceSpec {
		spec := testSpec([]string{"b1:9093", " b2 ", ""}, "events", nil)
		for k, v := range extra {
			if v == "" {
				delete(spec.Options, k)
			} else {
				spec.Options[k] = v
			}
		}
		return spec
	}
	o, err := parseOptions(base(map[string]string{"properties.security.protocol": "PLAINTEXT"}))
	if err != nil {
		t.Fatal(err)
	}
	if o.topic != "events" || strings.Join(o.brokers, ",") != "b1:9093,b2:9092" || o.mode != 0 {
		t.Fatalf("parsed %+v", o)
	}
	for mode, want := range map[string]connectors.StartMode{"earliest": connectors.StartEarliest, "LATEST": connectors.StartLatest} {
		o, err := parseOptions(base(map[string]string{"scan.startup.mode": mode}))
		if err != nil || o.mode != want {
			t.Fatalf("%s: %v %v", mode, o.mode, err)
		}
	}
	o, err = parseOptions(base(map[string]string{"properties.bootstrap.server": "", "properties.bootstrap.servers": "[::1]:9094"}))
	if err != nil || o.brokers[0] != "[::1]:9094" {
		t.Fatalf("plural alias: %v %v", o.brokers, err)
	}

	bad := []struct {
		name  string
		spec  connectors.SourceSpec
		code  sqlerr.Code
		names string
	}{
		{"unknown option", base(map[string]string{"scan.starup.mode": "latest"}), sqlerr.InvalidParameterValue, "scan.starup.mode"},
		{"missing topic", base(map[string]string{"topic": ""}), sqlerr.InvalidParameterValue, "topic"},
		{"missing brokers", base(map[string]string{"properties.bootstrap.server": ""}), sqlerr.InvalidParameterValue, "properties.bootstrap.server"},
		{"empty broker list", base(map[string]string{"properties.bootstrap.server": " , "}), sqlerr.InvalidParameterValue, "properties.bootstrap.server"},
		{"bad broker", base(map[string]string{"properties.bootstrap.server": "a:1:2"}), sqlerr.InvalidParameterValue, "a:1:2"},
		{"bad port", base(map[string]string{"properties.bootstrap.server": "a:http"}), sqlerr.InvalidParameterValue, "a:http"},
		{"bad mode", base(map[string]string{"scan.startup.mode": "timestamp"}), sqlerr.InvalidParameterValue, "scan.startup.mode"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSource(tc.spec)
			if sqlerr.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("got %v (%v), want %v naming %q", err, sqlerr.CodeOf(err), tc.code, tc.names)
			}
		})
	}

	spec := base(nil)
	spec.Encode = "avro"
	if _, err := NewSource(spec); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("ENCODE AVRO: %v", err)
	}
	spec = base(nil)
	spec.Schema = types.Schema{{Name: "b", Type: types.ByteaType, Nullable: true}}
	if _, err := NewSource(spec); sqlerr.CodeOf(err) != sqlerr.FeatureNotSupported {
		t.Fatalf("bytea column: %v", err)
	}
}

func FuzzParseBrokers(f *testing.F) {
	for _, s := range []string{"a:1", "a,b", " [::1]:9092 , host", "a:1:2", ":9092", ",,", "[::1", "h:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, list string) {
		brokers, err := parseBrokers(list)
		if err != nil {
			if sqlerr.CodeOf(err) != sqlerr.InvalidParameterValue {
				t.Fatalf("%q: error %v has code %v", list, err, sqlerr.CodeOf(err))
			}
			return
		}
		if len(brokers) == 0 {
			t.Fatalf("%q: no brokers and no error", list)
		}
		for _, b := range brokers {
			host, port, err := net.SplitHostPort(b)
			if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
				t.Fatalf("%q: produced %q", list, b)
			}
		}
	})
}
