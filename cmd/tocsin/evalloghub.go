package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/loghub"
)

// loghubRow is one dataset's result of `tocsin eval loghub`.
type loghubRow struct {
	Dataset     string  `json:"dataset"`
	Lines       int     `json:"lines"`
	GA          float64 `json:"ga"`
	PublishedGA float64 `json:"published_ga"`
	F1          float64 `json:"f1"`
	SQL         string  `json:"sql"`
}

// evalLoghub mines every Loghub-format dataset found in dir through SQL:
// each dataset's raw lines go to a Kafka topic, a view computes
// DRAIN_TEMPLATE_ID and DRAIN_TEMPLATE with the dataset's published
// settings (its preset: log format, masking, threshold, depth), and the
// view's rows are scored with logparser's grouping accuracy.
func evalLoghub(ctx context.Context, dir string, out io.Writer, asJSON, check bool) error {
	log, err := (&serverFlags{logLevel: "warn", logFormat: "text"}).logger()
	if err != nil {
		return err
	}
	rig, err := startEvalRig(ctx, log)
	if err != nil {
		return err
	}
	defer rig.close()
	var rows []loghubRow
	for _, name := range loghub.Names() {
		if !loghubPresent(dir, name) {
			continue
		}
		ds, err := loghub.LoadDataset(dir, name)
		if err != nil {
			return err
		}
		set, _ := loghub.Settings(name)
		row, err := mineThroughSQL(rig, ds, set)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return fmt.Errorf("no Loghub dataset (<Name>_2k.log and its structured CSV) under %s", dir)
	}
	var off []string
	for _, r := range rows {
		if math.Abs(r.GA-r.PublishedGA) > loghubTolerance {
			off = append(off, fmt.Sprintf("%s (GA %.4f, published %.4f)", r.Dataset, r.GA, r.PublishedGA))
		}
	}
	if asJSON {
		if err := json.NewEncoder(out).Encode(rows); err != nil {
			return err
		}
	} else if err := printLoghub(out, rows); err != nil {
		return err
	}
	if check && len(off) > 0 {
		return fmt.Errorf("grouping accuracy off by more than %g: %s", loghubTolerance, strings.Join(off, ", "))
	}
	return nil
}

// loghubTolerance is how far from Drain's published grouping accuracy
// `tocsin eval loghub --check` accepts.
const loghubTolerance = 0.005

func printLoghub(out io.Writer, rows []loghubRow) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "dataset\tlines\tGA\tpublished\tΔGA\tF1")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%+.4f\t%.6f\n", r.Dataset, r.Lines, r.GA, r.PublishedGA, r.GA-r.PublishedGA, r.F1)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nper dataset: %s\n", rows[0].SQL)
	return nil
}

func loghubPresent(dir, name string) bool {
	for _, p := range []string{filepath.Join(dir, name+"_2k.log"), filepath.Join(dir, name, name+"_2k.log")} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

func mineThroughSQL(rig *evalRig, ds *loghub.Dataset, set loghub.Setting) (loghubRow, error) {
	topic := "loghub_" + strings.ToLower(ds.Name)
	values := make([][]byte, len(ds.Lines))
	for i, l := range ds.Lines {
		b, err := json.Marshal(map[string]any{"ts": int64(i), "line_no": i, "line": l})
		if err != nil {
			return loghubRow{}, err
		}
		values[i] = b
	}
	if err := rig.produce(topic, values); err != nil {
		return loghubRow{}, err
	}
	if err := rig.exec(fmt.Sprintf(`CREATE SOURCE %s (ts TIMESTAMP, line_no INT, line VARCHAR, WATERMARK FOR ts AS ts)
		WITH (connector = 'kafka', topic = '%s', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`,
		topic, topic, rig.brokers[0])); err != nil {
		return loghubRow{}, err
	}
	preset := strings.ToLower(set.Name)
	args := fmt.Sprintf("line, %g, %d, '%s', '%s'", set.SimThreshold, set.Depth, preset, preset)
	sql := fmt.Sprintf("SELECT line_no, DRAIN_TEMPLATE_ID(%s) AS id, DRAIN_TEMPLATE(%s) AS tpl FROM %s", args, args, topic)
	view := topic + "_tpl"
	if err := rig.exec(fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS %s WITH (retention = 'forever')", view, sql)); err != nil {
		return loghubRow{}, err
	}
	if err := rig.waitCount(view, int64(len(ds.Lines)), 5*time.Minute); err != nil {
		return loghubRow{}, err
	}
	n := len(ds.Lines)
	ids, tpls, ok := make([]int64, n), make([]string, n), make([]bool, n)
	res, err := rig.conn.Query(rig.ctx, "SELECT line_no, id, tpl FROM "+view)
	if err != nil {
		return loghubRow{}, err
	}
	defer res.Close()
	for res.Next() {
		var i int
		var id *int64
		var tpl *string
		if err := res.Scan(&i, &id, &tpl); err != nil {
			return loghubRow{}, err
		}
		if id != nil && tpl != nil {
			ids[i], tpls[i], ok[i] = *id, *tpl, true
		}
	}
	if err := res.Err(); err != nil {
		return loghubRow{}, err
	}
	score := loghub.Evaluate(ds.EventIDs, loghub.LabelsFromClusters(ids, tpls, ok))
	return loghubRow{Dataset: ds.Name, Lines: n, GA: score.GA, PublishedGA: set.PublishedGA, F1: score.F1, SQL: sql}, nil
}
