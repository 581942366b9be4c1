package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/nab"
)

// nabDetector is one detector `tocsin eval nab` scores: score is an SQL
// expression over relation from (default the source nab: series, ts,
// value) giving an anomaly score in [0, 1], detectors OVER (PARTITION BY
// series ORDER BY ts); setup creates the views it reads.
type nabDetector struct {
	name, score string
	from        string
	setup       []string
}

// nabWindow is the window clause the detectors use.
const nabWindow = "OVER (PARTITION BY series ORDER BY ts)"

// nabPrev6400 is windowedGaussian's window: the 6400 values before.
const nabPrev6400 = "OVER (PARTITION BY series ORDER BY ts ROWS BETWEEN 6400 PRECEDING AND 1 PRECEDING)"

// nabBestSteps is the first view of the best recipe (examples/nab, kept
// equal to examples/nab/detector.sql by TestNABExampleMatches): each
// value's step from the previous one and how far the value lies beyond
// every earlier value's range.
const nabBestSteps = `CREATE MATERIALIZED VIEW nab_steps AS
  SELECT series, ts, value,
         abs(value - lag(value) OVER (PARTITION BY series ORDER BY ts)) AS step,
         RANGE_EXCESS(value) OVER (PARTITION BY series ORDER BY ts) AS level_excess
  FROM nab WITH (retention = 'forever')`

// nabDetectors are the detectors `tocsin eval nab` reports. The first is
// the harness check: NAB's windowedGaussian (a z-score against the
// previous 6400 values, population stddev, turned into 1 - Q(|z|))
// written in Tocsin SQL. |z| / (|z| + 1) maps the other z-scores: erf
// saturates to exactly 1.0 beyond |z| ≈ 8.3 and the ties cost points.
var nabDetectors = []nabDetector{
	{name: "windowedGaussian (SQL)", score: "erf(abs(value - avg(value) " + nabPrev6400 + ") / greatest(stddev_pop(value) " + nabPrev6400 + ", 1e-6) / sqrt(2))"},
	{name: "ZSCORE(100)", score: "abs(ZSCORE(value, 100) " + nabWindow + ") / (abs(ZSCORE(value, 100) " + nabWindow + ") + 1)"},
	{name: "ZSCORE(2000)", score: "abs(ZSCORE(value, 2000) " + nabWindow + ") / (abs(ZSCORE(value, 2000) " + nabWindow + ") + 1)"},
	{name: "MAD_ZSCORE(500)", score: "abs(MAD_ZSCORE(value, 500) " + nabWindow + ") / (abs(MAD_ZSCORE(value, 500) " + nabWindow + ") + 1)"},
	{name: "EWM_ZSCORE(0.001)", score: "abs(EWM_ZSCORE(value, 0.001) " + nabWindow + ") / (abs(EWM_ZSCORE(value, 0.001) " + nabWindow + ") + 1)"},
	{name: "ADWIN_DRIFT", score: "CASE WHEN ADWIN_DRIFT(value) " + nabWindow + " THEN 1.0 ELSE 0.0 END"},
	{name: "LSTM_SCORE", score: "LSTM_SCORE(value) " + nabWindow + " / (LSTM_SCORE(value) " + nabWindow + " + 1)"},
	{name: "RANGE_EXCESS", score: "RANGE_EXCESS(value) " + nabWindow + " / (RANGE_EXCESS(value) " + nabWindow + " + 0.01)"},
	{name: "best: RANGE_EXCESS of level and step (examples/nab)", from: "nab_steps", setup: []string{nabBestSteps},
		score: "coalesce(greatest(level_excess / (level_excess + 0.01), RANGE_EXCESS(step, 500) " + nabWindow +
			" / (RANGE_EXCESS(step, 500) " + nabWindow + " + 2)), 0)"},
}

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Score Tocsin's detectors on public benchmarks through SQL",
		Long: `Feed a benchmark through the real path (an embedded Kafka broker, a source,
views using the detectors, results read over the Postgres wire protocol) and
score the views' outputs.`,
	}
	var dir string
	var asJSON bool
	nabCmd := &cobra.Command{
		Use:   "nab",
		Short: "Numenta Anomaly Benchmark: standard, reward_low_FP_rate and reward_low_FN_rate scores",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return evalNAB(cmd.Context(), dir, cmd.OutOrStdout(), asJSON)
		},
	}
	nabCmd.Flags().StringVar(&dir, "dir", "../shared/datasets/nab", "NAB corpus directory (holding data/, labels/ and config/)")
	nabCmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	var lhDir string
	var lhJSON, lhCheck bool
	lhCmd := &cobra.Command{
		Use:   "loghub",
		Short: "Loghub-2k log parsing: DRAIN_TEMPLATE's grouping accuracy per dataset",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return evalLoghub(cmd.Context(), lhDir, cmd.OutOrStdout(), lhJSON, lhCheck)
		},
	}
	lhCmd.Flags().StringVar(&lhDir, "dir", "../shared/datasets/loghub", "directory of Loghub-format datasets (<Name>_2k.log and <Name>_2k.log_structured.csv, or <Name>/ holding them)")
	lhCmd.Flags().BoolVar(&lhJSON, "json", false, "print the results as JSON")
	lhCmd.Flags().BoolVar(&lhCheck, "check", false, "fail unless every dataset's grouping accuracy is within 0.005 of Drain's published one")
	cmd.AddCommand(nabCmd, lhCmd)
	return cmd
}

type nabRow struct {
	Detector string    `json:"detector"`
	SQL      string    `json:"sql"`
	Scores   []float64 `json:"scores"`
}

func evalNAB(ctx context.Context, dir string, out io.Writer, asJSON bool) error {
	corpus, err := nab.Load(dir)
	if err != nil {
		return err
	}
	log, err := (&serverFlags{logLevel: "warn", logFormat: "text"}).logger()
	if err != nil {
		return err
	}
	rig, err := startEvalRig(ctx, log)
	if err != nil {
		return err
	}
	defer rig.close()
	total, err := feedNAB(rig, corpus)
	if err != nil {
		return err
	}
	var rows []nabRow
	for i, d := range nabDetectors {
		for _, st := range d.setup {
			if err := rig.exec(st); err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
		}
		from := d.from
		if from == "" {
			from = "nab"
		}
		scores, err := nabScores(rig, corpus, fmt.Sprintf("det%d", i), d.score, from, total)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		res, err := corpus.Score(scores)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		r := nabRow{Detector: d.name, SQL: d.score}
		for _, p := range res.Profiles {
			r.Scores = append(r.Scores, p.Score)
		}
		rows = append(rows, r)
		if !asJSON {
			fmt.Fprintf(out, "scored %s\n", d.name)
		}
	}
	if asJSON {
		return json.NewEncoder(out).Encode(rows)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	names := make([]string, len(corpus.Profiles))
	for i, p := range corpus.Profiles {
		names[i] = p.Name
	}
	fmt.Fprintf(tw, "detector\t%s\tscore expression\n", strings.Join(names, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r.Scores))
		for i, s := range r.Scores {
			cells[i] = fmt.Sprintf("%.1f", s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Detector, strings.Join(cells, "\t"), r.SQL)
	}
	return tw.Flush()
}
