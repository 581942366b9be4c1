package anomaly

import (
	"fmt"
	"testing"
)

// BenchmarkDrainAddBatch measures ns per message over a synthetic
// HDFS-like stream in batches of 1024: raw messages with the HDFS
// masking, and full log lines with the HDFS log format too.
func BenchmarkDrainAddBatch(b *testing.B) {
	msgs := drainStream(42, 1<<14)
	lines := make([]string, len(msgs))
	for i, m := range msgs {
		lines[i] = fmt.Sprintf("081109 2036%02d %d INFO dfs.DataNode$PacketResponder: %s", i%60, 100+i%900, m)
	}
	preset, _ := LookupDrainPreset("hdfs")
	full, err := preset.Config()
	if err != nil {
		b.Fatal(err)
	}
	masked := full
	masked.LogFormat = nil
	plain := DefaultDrainConfig()
	for _, bc := range []struct {
		name  string
		cfg   DrainConfig
		input []string
	}{{"plain", plain, msgs}, {"masked", masked, msgs}, {"format+masked", full, lines}} {
		b.Run(bc.name, func(b *testing.B) {
			const batch = 1024
			d := NewDrain(bc.cfg)
			ids := make([]int64, batch)
			tpls := make([]string, batch)
			ok := make([]bool, batch)
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				off := (i * batch) % len(bc.input)
				d.AddBatch(bc.input[off:off+batch], nil, ids, tpls, ok)
				n += batch
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
		})
	}
}

func BenchmarkDrainAppendState(b *testing.B) {
	d := NewDrain(DefaultDrainConfig())
	drainRun(d, drainStream(42, 1<<14)...)
	b.ReportAllocs()
	var buf []byte
	for i := 0; i < b.N; i++ {
		buf = d.AppendState(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
