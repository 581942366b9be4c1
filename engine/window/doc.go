// Package window owns event-time windowing: the window assigners
// (tumbling and hopping: which windows a timestamp falls in), and
// watermark tracking for a partitioned source (each partition's
// watermark is the maximum of the watermark expression over its rows;
// the source's is the minimum over partitions that are not idle; it
// never moves backwards).
//
// Times are microseconds since the epoch throughout. A window is
// [start, end); it is closed, and an event for it is late, once the
// watermark reaches its end.
package window
