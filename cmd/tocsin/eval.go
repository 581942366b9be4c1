package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
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

// nabGaussianViews compute NAB's windowedGaussian statistics in SQL.
// NAB's detector (windowSize 6400, stepSize 100) scores each value
// against the mean and population stddev of a window it refreshes after
// every value until the window holds 6400 values, and from then on only
// once every 100 values (its step buffer). In rows numbered from 1 per
// series: row rn <= 6400 is scored against rows 1..rn-1, and a later
// row against the 6400 rows ending at the last multiple of 100 before
// it, which is the only such row among the 100 preceding ones.
var nabGaussianViews = []string{
	`CREATE MATERIALIZED VIEW nab_wg_stats AS
  SELECT series, ts, value,
         count(*) OVER (PARTITION BY series ORDER BY ts ROWS UNBOUNDED PRECEDING) AS rn,
         avg(value) OVER (PARTITION BY series ORDER BY ts ROWS BETWEEN 6399 PRECEDING AND CURRENT ROW) AS m,
         stddev_pop(value) OVER (PARTITION BY series ORDER BY ts ROWS BETWEEN 6399 PRECEDING AND CURRENT ROW) AS s
  FROM nab WITH (retention = 'forever')`,
	`CREATE MATERIALIZED VIEW nab_wg_marks AS
  SELECT series, ts, value, rn,
         lag(m) OVER (PARTITION BY series ORDER BY ts) AS m_prev,
         lag(s) OVER (PARTITION BY series ORDER BY ts) AS s_prev,
         CASE WHEN rn % 100 = 0 THEN m END AS m_step,
         CASE WHEN rn % 100 = 0 THEN s END AS s_step
  FROM nab_wg_stats WITH (retention = 'forever')`,
}

// nabGaussianStat is the statistic (m or s) a row of nab_wg_marks is
// scored against.
func nabGaussianStat(stat string) string {
	return "CASE WHEN rn <= 6400 THEN " + stat + "_prev ELSE max(" + stat +
		"_step) OVER (PARTITION BY series ORDER BY ts ROWS BETWEEN 100 PRECEDING AND 1 PRECEDING) END"
}

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
// the harness check: NAB's windowedGaussian (a z-score against
// nabGaussianViews' statistics turned into 1 - Q(|z|)) written in
// Tocsin SQL. |z| / (|z| + 1) maps the other z-scores: erf
// saturates to exactly 1.0 beyond |z| ≈ 8.3 and the ties cost points.
var nabDetectors = []nabDetector{
	{name: "windowedGaussian (SQL)", from: "nab_wg_marks", setup: nabGaussianViews,
		score: "1 - 0.5 * erfc(abs(value - " + nabGaussianStat("m") + ") / greatest(" + nabGaussianStat("s") + ", 1e-6) / sqrt(2))"},
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
	var asJSON, nabCheck bool
	nabCmd := &cobra.Command{
		Use:   "nab",
		Short: "Numenta Anomaly Benchmark: standard, reward_low_FP_rate and reward_low_FN_rate scores",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return evalNAB(cmd.Context(), dir, cmd.OutOrStdout(), asJSON, nabCheck)
		},
	}
	nabCmd.Flags().StringVar(&dir, "dir", "../shared/datasets/nab", "NAB corpus directory (holding data/, labels/ and config/)")
	nabCmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	nabCmd.Flags().BoolVar(&nabCheck, "check", false, "fail unless the windowedGaussian view scores within 0.3 of NAB's published 39.6/20.9/47.4 and the best detector scores at least 55 (standard)")
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

// nabPublishedGaussian is NAB's published windowedGaussian score per
// profile (standard, reward_low_FP_rate, reward_low_FN_rate), which the
// SQL recipe must reproduce within nabHarnessTolerance; nabBestGoal is
// the standard score the best built-in detector must reach.
var nabPublishedGaussian = []float64{39.6, 20.9, 47.4}

const (
	nabHarnessTolerance = 0.3
	nabBestGoal         = 55
)

// checkNAB returns an error unless the first row (the windowedGaussian
// harness check) is within tolerance of the published scores and the
// last (the shipped best recipe) reaches the goal.
func checkNAB(rows []nabRow) error {
	if len(rows) == 0 {
		return fmt.Errorf("no detector scored")
	}
	h := rows[0]
	if len(h.Scores) != len(nabPublishedGaussian) {
		return fmt.Errorf("%s: %d profiles scored, want %d", h.Detector, len(h.Scores), len(nabPublishedGaussian))
	}
	for i, want := range nabPublishedGaussian {
		if math.Abs(h.Scores[i]-want) > nabHarnessTolerance {
			return fmt.Errorf("%s: profile %d scores %.2f, published %.1f (tolerance %.1f)", h.Detector, i, h.Scores[i], want, nabHarnessTolerance)
		}
	}
	best := rows[len(rows)-1]
	if best.Scores[0] < nabBestGoal {
		return fmt.Errorf("%s: standard score %.2f is below the goal %d", best.Detector, best.Scores[0], nabBestGoal)
	}
	return nil
}

func evalNAB(ctx context.Context, dir string, out io.Writer, asJSON, check bool) error {
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
		if err := json.NewEncoder(out).Encode(rows); err != nil {
			return err
		}
	} else if err := printNAB(out, corpus, rows); err != nil {
		return err
	}
	if check {
		return checkNAB(rows)
	}
	return nil
}

func printNAB(out io.Writer, corpus *nab.Corpus, rows []nabRow) error {
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
