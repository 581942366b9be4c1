// Package dashboard owns the live web page that `tocsin serve` and
// `tocsin playground` serve on --http-addr: every materialized view as a
// live table (and a time-series chart when it has a time column and
// numeric columns), alerts on a timeline with their state changes, and
// each source's throughput and lag.
//
// # Layers
//
//   - server.go: Server, Options, the routes, Run (the background
//     loops) and Serve (an HTTP server plus Run, all stopped by one
//     context).
//   - api.go: the JSON endpoints (views and their columns, a view's
//     rows, alerts with their state changes, sources).
//   - live.go: the Server-Sent Events stream (GET /api/live) and the
//     per-view followers that feed it.
//   - broadcast.go: what every live client shares: the view catalog,
//     the latest source sample and the recent alert changes, and the
//     fan-out to the connected clients.
//   - table.go: statement results as JSON-ready values, and the
//     chart/table decision for a view's columns.
//   - assets/: the page (index.html, app.js, app.css; hand-written, no
//     framework) and assets/vendor/ (uPlot, pinned and checksummed by
//     scripts/dashboard/vendor.sh), embedded with go:embed: the binary
//     needs no CDN and no network at run time.
//
// # How it reads the engine
//
// Only through the engine's public SQL surface, as a client would:
// every request and every loop has its own engine.Session (a session is
// used by one goroutine at a time). The catalog gives the views and
// their columns; a snapshot SELECT gives a view's rows; a SUBSCRIBE
// cursor (DECLARE ... CURSOR FOR SUBSCRIBE TO v WITH (snapshot = false),
// then FETCH) gives its changes; LISTEN tocsin_alerts gives the alert
// state changes and the tocsin_alerts relation the alerts that changed
// before the dashboard started; SHOW SOURCES gives records and lag, from
// which a sampler derives throughput.
//
// A view's follower declares its change cursor before it reads the
// snapshot, so no change is lost between the two; a change that is
// also in the snapshot is applied twice. The page therefore keeps a
// view's rows as a set (a batch's changes are summed per row, then a
// positive net adds the row and a negative one removes it), which is
// exact for the views dashboards show (grouped views, whose rows are
// unique) and shows identical duplicate rows of other views once.
// Snapshots are limited to Options.MaxRows rows (the latest by time
// when the view has a time column), and so is the page's copy.
//
// # Concurrency and lifetime
//
// Run runs the sampler (catalog and SHOW SOURCES every
// Options.SampleInterval) and the alert listener until its context
// ends. Serve runs an HTTP server and Run until its context ends, and
// returns only after every goroutine it started, including each live
// client's followers, has stopped: the engine may be closed right
// after. Request contexts derive from Serve's context,
// so live streams end with it. A live client that does not read its
// events fast enough is disconnected (its buffer is bounded); the
// browser's EventSource reconnects and starts from fresh snapshots.
// A view's change cursor that falls behind ends with the engine's
// 54000 error; the follower reports it to the page and starts again
// after a pause.
//
// The dashboard has no authentication and is read-only: it runs no SQL
// a visitor supplies (view names in URLs are checked against the
// catalog and quoted). Bind it to a loopback address, or put it behind
// a proxy that authenticates.
package dashboard
