package pgtypes

import (
	"encoding/binary"
	"math"
)

// This file holds the per-value binary (send) formatters: big-endian
// integers and IEEE floats, and Postgres's 2000-01-01 epoch for
// timestamps and dates.

const (
	// pgEpochMicros is 2000-01-01 00:00:00 UTC in microseconds since the
	// Unix epoch; Postgres's binary timestamps count from it.
	pgEpochMicros = int64(946684800) * 1_000_000
	// pgEpochDays is 2000-01-01 in days since the Unix epoch.
	pgEpochDays = int32(10957)
)

func appendBinBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

func appendBinInt16(dst []byte, v int16) []byte {
	return binary.BigEndian.AppendUint16(dst, uint16(v))
}

func appendBinInt32(dst []byte, v int32) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(v))
}

func appendBinInt64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}

func appendBinUint32(dst []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(dst, v)
}

func appendBinFloat32(dst []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(dst, math.Float32bits(v))
}

func appendBinFloat64(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}

// appendBinTimestamp appends microseconds since the Unix epoch as
// Postgres's binary timestamp: microseconds since 2000-01-01. The int64
// extremes are infinity and -infinity in both representations and are
// sent unchanged; values too early to shift saturate to -infinity.
func appendBinTimestamp(dst []byte, us int64) []byte {
	switch {
	case us == math.MaxInt64 || us == math.MinInt64:
	case us < math.MinInt64+pgEpochMicros:
		us = math.MinInt64
	default:
		us -= pgEpochMicros
	}
	return appendBinInt64(dst, us)
}

// appendBinDate appends days since the Unix epoch as Postgres's binary
// date: days since 2000-01-01, keeping the int32 extremes (infinity and
// -infinity) unchanged and saturating values too early to shift.
func appendBinDate(dst []byte, days int32) []byte {
	switch {
	case days == math.MaxInt32 || days == math.MinInt32:
	case days < math.MinInt32+pgEpochDays:
		days = math.MinInt32
	default:
		days -= pgEpochDays
	}
	return appendBinInt32(dst, days)
}

// appendBinInterval appends Postgres's binary interval: microseconds
// (int64), days (int32), months (int32).
func appendBinInterval(dst []byte, months, days int32, micros int64) []byte {
	dst = appendBinInt64(dst, micros)
	dst = appendBinInt32(dst, days)
	return appendBinInt32(dst, months)
}

// jsonbVersion is the version byte that starts jsonb's binary format.
const jsonbVersion = 1
