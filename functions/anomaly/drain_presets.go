package anomaly

import (
	"slices"
	"strings"
)

// DrainPreset is the Drain configuration the Loghub benchmark used for
// one dataset (logparser's Drain benchmark_settings, as in the ICSE'19
// evaluation "Tools and Benchmarks for Automated Log Parsing"): the log
// format that extracts each line's message, the masking patterns, the
// similarity threshold and the tree depth. MaxChildren is logparser's
// default, 100.
type DrainPreset struct {
	// Name is the preset's name in SQL options: the dataset name in
	// lower case ("hdfs").
	Name string
	// Dataset is the Loghub dataset name ("HDFS").
	Dataset      string
	LogFormat    string
	Masking      []string
	SimThreshold float64
	Depth        int
}

// drainPresets is logparser @ db272234 logparser/Drain/benchmark.py; the
// patterns are Python regex syntax that RE2 reads the same way.
var drainPresets = [...]DrainPreset{
	{"hdfs", "HDFS", `<Date> <Time> <Pid> <Level> <Component>: <Content>`,
		[]string{`blk_-?\d+`, `(\d+\.){3}\d+(:\d+)?`}, 0.5, 4},
	{"hadoop", "Hadoop", `<Date> <Time> <Level> \[<Process>\] <Component>: <Content>`,
		[]string{`(\d+\.){3}\d+`}, 0.5, 4},
	{"spark", "Spark", `<Date> <Time> <Level> <Component>: <Content>`,
		[]string{`(\d+\.){3}\d+`, `\b[KGTM]?B\b`, `([\w-]+\.){2,}[\w-]+`}, 0.5, 4},
	{"zookeeper", "Zookeeper", `<Date> <Time> - <Level>  \[<Node>:<Component>@<Id>\] - <Content>`,
		[]string{`(/|)(\d+\.){3}\d+(:\d+)?`}, 0.5, 4},
	{"bgl", "BGL", `<Label> <Timestamp> <Date> <Node> <Time> <NodeRepeat> <Type> <Component> <Level> <Content>`,
		[]string{`core\.\d+`}, 0.5, 4},
	{"hpc", "HPC", `<LogId> <Node> <Component> <State> <Time> <Flag> <Content>`,
		[]string{`=\d+`}, 0.5, 4},
	{"thunderbird", "Thunderbird", `<Label> <Timestamp> <Date> <User> <Month> <Day> <Time> <Location> <Component>(\[<PID>\])?: <Content>`,
		[]string{`(\d+\.){3}\d+`}, 0.5, 4},
	{"windows", "Windows", `<Date> <Time>, <Level>                  <Component>    <Content>`,
		[]string{`0x.*?\s`}, 0.7, 5},
	{"linux", "Linux", `<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`,
		[]string{`(\d+\.){3}\d+`, `\d{2}:\d{2}:\d{2}`}, 0.39, 6},
	{"android", "Android", `<Date> <Time>  <Pid>  <Tid> <Level> <Component>: <Content>`,
		[]string{`(/[\w-]+)+`, `([\w-]+\.){2,}[\w-]+`, `\b(\-?\+?\d+)\b|\b0[Xx][a-fA-F\d]+\b|\b[a-fA-F\d]{4,}\b`}, 0.2, 6},
	{"healthapp", "HealthApp", `<Time>\|<Component>\|<Pid>\|<Content>`,
		nil, 0.2, 4},
	{"apache", "Apache", `\[<Time>\] \[<Level>\] <Content>`,
		[]string{`(\d+\.){3}\d+`}, 0.5, 4},
	{"proxifier", "Proxifier", `\[<Time>\] <Program> - <Content>`,
		[]string{`<\d+\ssec`, `([\w-]+\.)+[\w-]+(:\d+)?`, `\d{2}:\d{2}(:\d{2})*`, `[KGTM]B`}, 0.6, 3},
	{"openssh", "OpenSSH", `<Date> <Day> <Time> <Component> sshd\[<Pid>\]: <Content>`,
		[]string{`(\d+\.){3}\d+`, `([\w-]+\.){2,}[\w-]+`}, 0.6, 5},
	{"openstack", "OpenStack", `<Logrecord> <Date> <Time> <Pid> <Level> <Component> \[<ADDR>\] <Content>`,
		[]string{`((\d+\.){3}\d+,?)+`, `/.+?\s`, `\d+`}, 0.5, 5},
	{"mac", "Mac", `<Month>  <Date> <Time> <User> <Component>\[<PID>\]( \(<Address>\))?: <Content>`,
		[]string{`([\w-]+\.){2,}[\w-]+`}, 0.7, 6},
}

// DrainPresets returns the presets for the 16 Loghub datasets, in the
// benchmark's order.
func DrainPresets() []DrainPreset {
	out := make([]DrainPreset, len(drainPresets))
	for i, p := range drainPresets {
		p.Masking = slices.Clone(p.Masking)
		out[i] = p
	}
	return out
}

// LookupDrainPreset returns the preset named name (case-insensitive;
// the dataset name works too).
func LookupDrainPreset(name string) (DrainPreset, bool) {
	for _, p := range drainPresets {
		if strings.EqualFold(name, p.Name) {
			p.Masking = slices.Clone(p.Masking)
			return p, true
		}
	}
	return DrainPreset{}, false
}

// Config returns the preset as a DrainConfig: DefaultDrainConfig with
// the preset's threshold, depth, masking and log format.
func (p DrainPreset) Config() (DrainConfig, error) {
	cfg := DefaultDrainConfig()
	cfg.SimThreshold = p.SimThreshold
	cfg.Depth = p.Depth
	masks, err := drainCompileMasks(p.Masking)
	if err != nil {
		return DrainConfig{}, err
	}
	cfg.Masking = masks
	if p.LogFormat != "" {
		f, err := ParseLogFormat(p.LogFormat)
		if err != nil {
			return DrainConfig{}, err
		}
		cfg.LogFormat = f
	}
	return cfg, nil
}
