package scenario

import (
	"fmt"
	"io"
	"net"
	"os"

	"github.com/tocsin-db/tocsin/examples"
)

// Prepare resolves the playground's --scenario argument. An empty name
// returns nil (no scenario). "list" prints the scenarios to w and
// returns nil. Otherwise it returns the scenario and, unless
// keepDataDir, a fresh temporary directory for the playground's data,
// which the caller removes.
func Prepare(w io.Writer, name string, keepDataDir bool) (sc *examples.Scenario, dataDir string, err error) {
	switch name {
	case "":
		return nil, "", nil
	case "list":
		fmt.Fprintln(w, "Scenarios (tocsin playground --scenario <name>; each is described in examples/<name>/README.md):")
		for _, s := range All() {
			fmt.Fprintf(w, "  %-20s %s\n", s.Name, s.Title)
		}
		return nil, "", nil
	}
	s, ok := Lookup(name)
	if !ok {
		return nil, "", fmt.Errorf("--scenario %q: no such scenario (tocsin playground --scenario list)", name)
	}
	if !keepDataDir {
		if dataDir, err = os.MkdirTemp("", "tocsin-scenario-"); err != nil {
			return nil, "", err
		}
	}
	return &s, dataDir, nil
}

// PrintBanner prints how to reach a playground running a scenario;
// httpAddr is the dashboard's address ("" for none).
func PrintBanner(w io.Writer, pgAddr, kafkaAddr, httpAddr string) {
	host, port, _ := net.SplitHostPort(pgAddr)
	fmt.Fprintf(w, `
Tocsin playground

  Postgres wire:  %s      connect:  psql -h %s -p %s -U tocsin tocsin
  Kafka broker:   %s`, pgAddr, host, port, kafkaAddr)
	if httpAddr != "" {
		fmt.Fprintf(w, "\n  Dashboard:      http://%s/", httpAddr)
	}
	fmt.Fprint(w, `

Try SHOW MATERIALIZED VIEWS, SHOW SINKS, SHOW ALERTS or
SELECT state, sink, labels, fired_at FROM tocsin_alerts ORDER BY id;
Press Ctrl-C to stop.

`)
}
