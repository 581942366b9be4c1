package bench

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time so far
// (getrusage(RUSAGE_SELF)): every thread of this process, and nothing of
// its children (the Kafka broker runs in another process).
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// interval measures wall and CPU time between start and stop.
type interval struct {
	wall0           time.Time
	user0, sys0     time.Duration
	Wall, User, Sys time.Duration
}

func (iv *interval) start() {
	iv.user0, iv.sys0 = cpuTime()
	iv.wall0 = time.Now()
}

func (iv *interval) stop() {
	iv.Wall = time.Since(iv.wall0)
	u, s := cpuTime()
	iv.User, iv.Sys = u-iv.user0, s-iv.sys0
}

// record sets res's wall and CPU times (user + system) from iv, and
// its peak RSS.
func (iv *interval) record(res *Result) {
	res.WallSeconds, res.UserSeconds, res.SysSeconds = iv.Wall.Seconds(), iv.User.Seconds(), iv.Sys.Seconds()
	res.CPUSeconds = res.UserSeconds + res.SysSeconds
	res.PeakRSS = peakRSS()
}

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident set (VmHWM) to its current size; it reports false where the
// kernel does not allow it.
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns VmHWM from /proc/self/status in bytes (0 if unknown).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "VmHWM:") {
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
		if len(f) == 0 {
			return 0
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// heapInUse returns the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// poll calls f every period until it reports done, an error, or the
// deadline passes.
func poll(deadline time.Time, period time.Duration, f func() (bool, error)) (bool, error) {
	for {
		ok, err := f()
		if ok || err != nil {
			return ok, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		time.Sleep(period)
	}
}
