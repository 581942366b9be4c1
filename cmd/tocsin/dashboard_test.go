package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/tocsin-db/tocsin/cmd/tocsin/internal/broker"
)

// chromiumPath finds Chromium; `make test` installs it
// (scripts/ensure-chromium), so a missing browser fails the test rather
// than skipping it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: run `make test` (it installs Debian's chromium package) or install it")
	return ""
}

// consoleLog collects the page's console errors and uncaught exceptions.
type consoleLog struct {
	mu     sync.Mutex
	errors []string
}

func (c *consoleLog) add(m chromedp.ConsoleMessage) {
	if m.Type != chromedp.ConsoleError && !m.IsException() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors = append(c.errors, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.errors, "\n")
}

// TestDashboardInBrowser opens the dashboard of a server started with
// --http-addr in headless Chromium and watches it live: the page loads,
// a view's rows appear in its table and change when new events arrive,
// a windowed view is charted, the source shows its records, and an
// alert that fires appears on the timeline. Any error on the page's
// console fails the test.
func TestDashboardInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)

	// The real path: an embedded broker, a server with the dashboard.
	rig := &evalRig{ctx: ctx, dir: t.TempDir()}
	defer rig.close()
	var err error
	if rig.broker, err = broker.Start(ctx, broker.Config{Addr: "127.0.0.1:0", Partitions: 1, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	rig.brokers = []string{rig.broker.Addr()}
	rig.srv, err = startServer(ctx, serverFlags{dataDir: rig.dir, pgAddr: "127.0.0.1:0", httpAddr: "127.0.0.1:0", idleTimeout: time.Hour}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if rig.conn, err = pgx.Connect(ctx, "postgres://tocsin@"+rig.srv.pgAddr+"/tocsin?sslmode=disable"); err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer hook.Close()
	if err := rig.produce("req", nil); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		fmt.Sprintf(`CREATE SOURCE req (ts TIMESTAMP, service VARCHAR, latency INT, WATERMARK FOR ts AS ts)
			WITH (connector = 'kafka', topic = 'req', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest') FORMAT JSON`, rig.brokers[0]),
		`CREATE MATERIALIZED VIEW worst AS SELECT service, max(latency) AS worst FROM req GROUP BY service`,
		`CREATE MATERIALIZED VIEW per_min AS SELECT window_start, window_end, service, count(*) AS n, avg(latency) AS avg_ms
			FROM TUMBLE(req, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, service`,
		fmt.Sprintf(`CREATE SINK pager FROM worst WHERE worst > 150 WITH (connector = 'webhook', url = '%s',
			labels = 'service', severity = 'P1', group_wait = '0s')`, hook.URL),
	} {
		if err := rig.exec(sql); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	event := func(offset time.Duration, service string, latency int) []byte {
		return fmt.Appendf(nil, `{"ts": %d, "service": %q, "latency": %d}`, at.Add(offset).UnixMilli(), service, latency)
	}
	if err := rig.produce("req", [][]byte{event(0, "api", 120), event(time.Second, "db", 30), event(2*time.Minute, "db", 20)}); err != nil {
		t.Fatal(err)
	}

	// The browser.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.WindowSize(1280, 1000))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, stopAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer stopAlloc()
	bctx, stopBrowser := chromedp.NewContext(actx)
	defer stopBrowser()
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatal(err)
	}
	console := &consoleLog{}
	messages := chromedp.Console(bctx)
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+rig.srv.httpAddr+"/")); err != nil {
		t.Fatal(err)
	}
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()

	// page evaluates a script that returns "" when the page shows what
	// the test waits for, and a description of what it shows otherwise.
	page := func(what, script string) {
		t.Helper()
		poll(t, 30*time.Second, what, func() string {
			if errs := console.String(); errs != "" {
				t.Fatalf("console errors:\n%s", errs)
			}
			got, err := chromedp.Run(bctx, chromedp.Evaluate[string](script))
			if err != nil {
				return err.Error()
			}
			return got
		})
	}
	page("the page is live", `document.getElementById("status").dataset.state === "live" ? "" : document.getElementById("status").textContent`)
	const worstRows = `[...document.querySelectorAll('.view[data-view="worst"] tbody tr')].map(tr => [...tr.cells].map(c => c.textContent).join(" ")).join(";")`
	page("worst's rows in its table", `(r => r === "api 120;db 30" ? "" : "rows: " + r)(`+worstRows+`)`)
	page("per_min charted", `(() => {
		const v = document.querySelector('.view[data-view="per_min"]');
		if (!v) return "no per_min panel";
		if (!v.querySelector(".uplot canvas")) return "no chart";
		const rows = v.querySelectorAll("tbody tr").length;
		return rows >= 1 ? "" : rows + " rows";
	})()`)
	page("the source's records", `(() => {
		const tr = document.querySelector('#source-rows tr[data-source="req"]');
		return tr && tr.textContent.includes("req") && tr.cells[5].textContent === "3" ? "" : (tr ? tr.textContent : "no row");
	})()`)
	if got := console.String(); got != "" {
		t.Fatalf("console errors:\n%s", got)
	}

	// api's latency rises over the threshold: the table changes and the
	// alert fires.
	if err := rig.produce("req", [][]byte{event(2*time.Minute+time.Second, "api", 400)}); err != nil {
		t.Fatal(err)
	}
	page("worst's rows change", `(r => r === "api 400;db 30" ? "" : "rows: " + r)(`+worstRows+`)`)
	page("the alert firing on the timeline", `(() => {
		const li = document.querySelector('#alert-log li[data-state="firing"]');
		if (!li) return "log: " + document.getElementById("alert-log").textContent;
		if (!li.textContent.includes("pager · service=api")) return "firing entry: " + li.textContent;
		const lane = document.querySelector('#timeline .lane[data-alert="' + li.dataset.alert + '"]');
		if (!lane || !lane.querySelector(".seg.firing")) return "timeline: " + document.getElementById("timeline").innerHTML;
		return "";
	})()`)
	if got := console.String(); got != "" {
		t.Fatalf("console errors:\n%s", got)
	}
}
