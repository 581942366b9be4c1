// Package loghub is the evaluation harness for DRAIN_TEMPLATE on Loghub
// datasets (Zhu et al., "Loghub", ISSRE'23; "Tools and Benchmarks for
// Automated Log Parsing", ICSE'19): it reads a dataset in Loghub's
// format, knows the Drain settings and the accuracies the ICSE'19
// benchmark published for each dataset, and computes grouping accuracy
// (GA) and the pairwise F-measure exactly as logparser's evaluator does.
//
// Layers:
//   - dataset.go reads <Name>_2k.log (universal newlines, one message per
//     line) and the ground truth <Name>_2k.log_structured.csv (EventId
//     and EventTemplate per line) and <Name>_2k.log_templates.csv.
//   - settings.go is the per-dataset table: the log format, masking
//     patterns, similarity threshold and depth (anomaly.DrainPresets, the
//     single source of these numbers, shared with the SQL presets) and
//     the published GA and F1.
//   - metric.go is GA and pairwise precision/recall/F1 over two label
//     slices aligned by line.
//   - drain.go turns per-line predictions into logparser's labels: the
//     first 8 hex digits of the MD5 of the cluster's final template.
//
// The harness takes predictions from any source: DrainLabels runs the
// model directly, and LabelsFromClusters accepts the (cluster id,
// template) pairs a DRAIN_TEMPLATE query emits per row, since a
// cluster's template at its last row is its final template. Labels are
// compared after the stream ends, as logparser does: clusters whose
// final templates are equal count as one group.
//
// Nothing here runs in `make test` against real data: TestLoghubEval
// reads the datasets from $TOCSIN_LOGHUB_DIR and skips when it is unset.
// The package has no state; every function is safe for concurrent use.
package loghub
