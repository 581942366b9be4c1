package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/nab"
)

// nabSource is the source every NAB series is fed through: one Kafka
// partition, rows of all files interleaved in time order (so none is
// late), the series name as the partition key of the views.
const nabSource = `CREATE SOURCE nab (series VARCHAR, ts TIMESTAMP, value DOUBLE PRECISION,
  WATERMARK FOR ts AS ts)
  WITH (connector = 'kafka', topic = 'nab', properties.bootstrap.server = '%s',
        scan.startup.mode = 'earliest') FORMAT JSON`

// feedNAB writes the corpus to the topic "nab" and creates the source.
// A final sentinel row far after the data moves the watermark past every
// data row.
func feedNAB(r *evalRig, c *nab.Corpus) (int64, error) {
	type row struct {
		file int
		i    int
		ts   time.Time
	}
	var rows []row
	for fi, f := range c.Files {
		for i, t := range f.Times {
			rows = append(rows, row{fi, i, t})
		}
	}
	sort.SliceStable(rows, func(a, b int) bool { return rows[a].ts.Before(rows[b].ts) })
	values := make([][]byte, 0, len(rows)+1)
	for _, x := range rows {
		f := c.Files[x.file]
		b, err := json.Marshal(map[string]any{"series": f.Name, "ts": x.ts.UnixMilli(), "value": f.Values[x.i]})
		if err != nil {
			return 0, err
		}
		values = append(values, b)
	}
	end := rows[len(rows)-1].ts.Add(24 * time.Hour)
	values = append(values, []byte(fmt.Sprintf(`{"series": "", "ts": %d, "value": 0}`, end.UnixMilli())))
	if err := r.produce("nab", values); err != nil {
		return 0, err
	}
	return int64(len(rows)), r.exec(fmt.Sprintf(nabSource, r.brokers[0]))
}

// nabScores creates a view computing score (an SQL expression over the
// columns of from, detectors OVER (PARTITION BY series ORDER BY ts)
// included) and returns each file's scores in row order (NULL is 0).
func nabScores(r *evalRig, c *nab.Corpus, view, score, from string, total int64) (map[string][]float64, error) {
	sql := fmt.Sprintf("CREATE MATERIALIZED VIEW %s AS SELECT series, ts, %s AS score FROM %s WITH (retention = 'forever')", view, score, from)
	if err := r.exec(sql); err != nil {
		return nil, err
	}
	if err := r.waitCount(view, total, 10*time.Minute); err != nil {
		return nil, err
	}
	rows, err := r.conn.Query(r.ctx, "SELECT series, score FROM "+view)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]float64{}
	for rows.Next() {
		var series string
		var s *float64
		if err := rows.Scan(&series, &s); err != nil {
			return nil, err
		}
		v := 0.0
		if s != nil {
			// NAB's pipeline stores scores in CSV files with 12
			// significant digits, and its published thresholds are
			// found on those; score what NAB would read.
			v, _ = strconv.ParseFloat(strconv.FormatFloat(*s, 'g', 12, 64), 64)
		}
		out[series] = append(out[series], v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, f := range c.Files {
		if len(out[f.Name]) != len(f.Values) {
			return nil, fmt.Errorf("view %s: %d scores for %s, which has %d rows", view, len(out[f.Name]), f.Name, len(f.Values))
		}
	}
	return out, nil
}
