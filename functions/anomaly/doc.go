// Package anomaly owns Tocsin's detector functions: the per-partition
// models behind ZSCORE, MAD_ZSCORE, EWMA, EWM_ZSCORE, ADWIN_DRIFT,
// ADWIN_MEAN, RANGE_EXCESS, ANOMALY_LIKELIHOOD, LSTM_RESIDUAL, LSTM_SCORE
// (window functions, Register adds them as functions.Detector) and
// DRAIN_TEMPLATE / DRAIN_TEMPLATE_ID (stateful scalars, one model per call
// site).
//
// A model is plain state with no goroutines and no locks: the engine owns
// one model per partition key (per view and call site) and feeds it the
// partition's rows in event-time order, one batch slice at a time, so a
// model makes one interface call per partition per batch, never per row.
// Models are deterministic: the same input sequence gives the same
// outputs bit for bit (LSTM weights come from a fixed seed), which is
// what lets recovery tests compare a restarted view exactly. Every model
// serialises its whole state for checkpoints and its size is bounded by
// its parameters, never by the length of the stream.
package anomaly
