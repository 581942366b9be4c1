// Tocsin dashboard: hand-written, no framework. One EventSource
// (api/live) carries the catalog, every view's snapshot and changes,
// alert changes and source samples; see package dashboard's doc.go.
"use strict";
(() => {
  const TABLE_ROWS = 100;     // rows a view's table shows
  const MAX_SERIES = 8;       // lines a view's chart draws
  const MAX_LOG = 200;        // alert changes the log lists
  const MAX_LANES = 30;       // alerts the timeline shows
  const MAX_ALERTS = 200;     // alerts the page remembers
  const MAX_ALERT_EVENTS = 100; // changes it remembers per alert
  const MIN_SPAN = 5 * 60e3;  // the timeline shows at least 5 minutes
  const MAX_SPAN = 60 * 60e3; // and at most an hour
  const MAX_HISTORY = 300;    // points of a source's sparkline
  const LIFECYCLE = new Set(["pending", "firing", "resolved"]);
  const PALETTE = ["#3b6fd4", "#d62f2f", "#2e9d5b", "#e0a800", "#8a4fd6", "#1aa3a3", "#d65f9c", "#6b7385"];

  let maxRows = 500;
  const panels = new Map();   // view name → ViewPanel
  const alerts = new Map();   // alert id → {id, sink, labels, events: [{state, t}]}
  const log = [];             // alert changes, newest first
  const sources = new Map();  // source name → {stats, history: [{t, rate, lag}]}

  // el builds an element: el("td", {class: "num", text: "1"}, child...).
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.includes("-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    e.append(...children);
    return e;
  }

  // throttle runs fn at most once per ms, after the last call's burst.
  function throttle(fn, ms) {
    let timer = null;
    return () => { if (timer === null) timer = setTimeout(() => { timer = null; fn(); }, ms); };
  }

  const toNumber = v => (typeof v === "number" ? v : null);
  const timeText = s => s.replace("T", " ").replace("Z", "");

  function cellText(v, col) {
    if (v === null) return "NULL";
    if (col.kind === "time" && typeof v === "string") return timeText(v);
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(+v.toFixed(4));
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function setStatus(state, text) {
    const s = document.getElementById("status");
    s.dataset.state = state;
    s.textContent = text;
  }

  // ViewPanel draws one view: a table, plus a chart when the view has a
  // time column and numeric columns. Its rows are a set (doc.go says why).
  class ViewPanel {
    constructor(view) {
      this.view = view;
      this.rows = new Map(); // JSON of the row → row
      this.timeIdx = view.columns.findIndex(c => c.name === view.time);
      this.render = throttle(() => this.draw(), 150);
      this.note = el("p", {class: "note"});
      this.error = el("p", {class: "error"});
      this.tbody = el("tbody");
      const thead = el("thead", {}, el("tr", {}, ...view.columns.map(c => el("th", {text: c.name, title: c.type}))));
      const tableEl = el("table", {}, thead, this.tbody);
      this.root = el("div", {class: "view", "data-view": view.name}, el("h3", {text: view.name}));
      if (view.time && view.values.length > 0) {
        this.select = el("select", {"aria-label": "column to chart"}, ...view.values.map(v => el("option", {value: v, text: v})));
        this.select.addEventListener("change", () => { this.destroyPlot(); this.draw(); });
        this.chart = el("div", {class: "chart"});
        this.root.firstChild.append(this.select);
        this.root.append(this.chart, this.error, el("details", {}, el("summary", {text: "rows"}), this.note, tableEl));
      } else {
        this.root.append(this.error, this.note, tableEl);
      }
    }

    reset(rows) {
      this.rows.clear();
      for (const r of rows) this.rows.set(JSON.stringify(r), r);
      this.error.textContent = "";
      this.trim();
      this.render();
    }

    // apply sums a batch's diffs per row, then adds or removes each row.
    apply(changes) {
      const net = new Map();
      for (const c of changes) {
        const key = JSON.stringify(c.row);
        const n = net.get(key) || {row: c.row, diff: 0};
        n.diff += c.diff;
        net.set(key, n);
      }
      for (const [key, n] of net) {
        if (n.diff > 0) this.rows.set(key, n.row);
        else if (n.diff < 0) this.rows.delete(key);
      }
      this.trim();
      this.render();
    }

    fail(message) {
      this.error.textContent = "not live: " + message;
    }

    // sorted returns the rows, latest first when the view has a time column.
    sorted() {
      const rows = [...this.rows.values()];
      const t = this.timeIdx;
      const byKey = (a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      if (t >= 0) rows.sort((a, b) => (Date.parse(b[t]) || 0) - (Date.parse(a[t]) || 0) || byKey(a, b));
      else rows.sort(byKey);
      return rows;
    }

    // trim keeps the latest maxRows rows.
    trim() {
      if (this.rows.size <= maxRows) return;
      const keep = this.sorted().slice(0, maxRows);
      this.rows = new Map(keep.map(r => [JSON.stringify(r), r]));
    }

    draw() {
      const rows = this.sorted();
      this.tbody.replaceChildren(...rows.slice(0, TABLE_ROWS).map(r =>
        el("tr", {}, ...r.map((v, i) => el("td", {text: cellText(v, this.view.columns[i]), class: typeof v === "number" ? "num" : ""})))));
      this.note.textContent = rows.length > TABLE_ROWS ? `latest ${TABLE_ROWS} of ${rows.length} rows` : `${rows.length} rows`;
      if (this.chart) this.drawChart(rows);
    }

    // drawChart plots the chosen numeric column over time, one line per
    // key (the text columns' values).
    drawChart(rows) {
      const cols = this.view.columns;
      const vi = cols.findIndex(c => c.name === this.select.value);
      const ki = this.view.keys.map(k => cols.findIndex(c => c.name === k));
      const series = new Map();
      const xs = new Set();
      for (const r of rows) {
        const x = Date.parse(r[this.timeIdx]) / 1000;
        if (Number.isNaN(x)) continue;
        const key = ki.map(i => String(r[i])).join(" ") || this.select.value;
        if (!series.has(key)) series.set(key, new Map());
        series.get(key).set(x, toNumber(r[vi]));
        xs.add(x);
      }
      const keys = [...series.keys()].sort().slice(0, MAX_SERIES);
      const x = [...xs].sort((a, b) => a - b);
      const data = [x, ...keys.map(k => x.map(t => series.get(k).get(t) ?? null))];
      if (series.size > MAX_SERIES) this.note.textContent += ` · chart shows ${MAX_SERIES} of ${series.size} series`;
      const shape = keys.join("\u0000");
      if (this.plot && this.plotShape === shape) {
        this.plot.setData(data);
        return;
      }
      this.destroyPlot();
      this.plotShape = shape;
      this.plot = new uPlot({
        width: Math.max(this.chart.clientWidth, 300),
        height: 220,
        scales: {x: {time: true}},
        // Tables show times in UTC; so does the chart.
        tzDate: ts => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
        series: [{}, ...keys.map((k, i) => ({label: k, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true}))],
      }, data, this.chart);
    }

    destroyPlot() {
      if (this.plot) this.plot.destroy();
      this.plot = null;
    }

    remove() {
      this.destroyPlot();
      this.root.remove();
    }
  }

  function onCatalog(cat) {
    maxRows = cat.maxRows;
    const container = document.getElementById("views");
    const want = new Map(cat.views.map(v => [v.name, v]));
    for (const [name, p] of panels) {
      const v = want.get(name);
      if (!v || v.id !== p.view.id || JSON.stringify(v) !== JSON.stringify(p.view)) {
        p.remove();
        panels.delete(name);
      }
    }
    for (const v of cat.views) {
      if (!panels.has(v.name)) {
        const p = new ViewPanel(v);
        panels.set(v.name, p);
        container.append(p.root);
      }
    }
    // Keep the panels in the catalog's (name) order.
    for (const v of cat.views) container.append(panels.get(v.name).root);
    document.getElementById("no-views").hidden = cat.views.length > 0;
  }

  function onView(ev) {
    const p = panels.get(ev.view);
    if (!p || p.view.id !== ev.id) return;
    if (ev.error) p.fail(ev.error);
    else if (ev.reset) p.reset(ev.rows || []);
    else p.apply(ev.changes || []);
  }

  // --- alerts: a lane per alert, a segment per lifecycle state.

  function alertLabel(a) {
    const labels = Object.entries(a.labels || {}).map(([k, v]) => `${k}=${v}`).join(" ");
    return labels ? `${a.sink} · ${labels}` : a.sink;
  }

  const lastChange = a => a.events[a.events.length - 1].t;

  function addAlertEvent(e) {
    const t = Date.parse(e.at);
    let a = alerts.get(e.id);
    if (!a) {
      a = {id: e.id, sink: e.sink, labels: e.labels, events: []};
      alerts.set(e.id, a);
    }
    if (a.events.some(x => x.state === e.state && x.t === t)) return; // heard twice (a reload)
    a.events.push({state: e.state, t});
    a.events.sort((x, y) => x.t - y.t);
    if (a.events.length > MAX_ALERT_EVENTS) a.events.splice(0, a.events.length - MAX_ALERT_EVENTS);
    if (alerts.size > MAX_ALERTS) {
      const oldest = [...alerts.values()].reduce((x, y) => (lastChange(x) <= lastChange(y) ? x : y));
      alerts.delete(oldest.id);
    }
    log.unshift(e);
    log.sort((x, y) => Date.parse(y.at) - Date.parse(x.at));
    log.length = Math.min(log.length, MAX_LOG);
    renderAlerts();
  }

  function drawTimeline() {
    const now = Date.now();
    const lanes = [...alerts.values()].sort((a, b) => lastChange(b) - lastChange(a)).slice(0, MAX_LANES);
    const box = document.getElementById("timeline");
    if (lanes.length === 0) return;
    const t0 = Math.max(now - MAX_SPAN, Math.min(now - MIN_SPAN, ...lanes.map(a => a.events[0].t)));
    const pct = t => `${(100 * (Math.max(t, t0) - t0) / (now - t0)).toFixed(3)}%`;
    const rows = lanes.map(a => {
      const track = el("div", {class: "track"});
      const life = a.events.filter(e => LIFECYCLE.has(e.state));
      life.forEach((e, i) => {
        const end = i + 1 < life.length ? life[i + 1].t : now;
        if (end < t0) return;
        track.append(el("div", {class: `seg ${e.state}`, title: `${e.state} at ${new Date(e.t).toISOString()}`,
          style: `left:${pct(e.t)};width:calc(${pct(end)} - ${pct(e.t)})`}));
      });
      for (const e of a.events.filter(e => !LIFECYCLE.has(e.state) && e.t >= t0)) {
        track.append(el("div", {class: "seg mark", title: `${e.state} at ${new Date(e.t).toISOString()}`, style: `left:${pct(e.t)};width:3px`}));
      }
      return el("div", {class: "lane", "data-alert": a.id}, el("span", {class: "label", text: alertLabel(a), title: alertLabel(a)}), track);
    });
    const axis = el("div", {class: "axis"}, el("span", {text: timeText(new Date(t0).toISOString()).slice(0, 19)}), el("span", {text: "now"}));
    box.replaceChildren(...rows, axis);
  }

  function drawLog() {
    document.getElementById("alert-log").replaceChildren(...log.map(e =>
      el("li", {"data-state": e.state, "data-alert": e.id},
        el("time", {text: timeText(e.at).slice(0, 19)}),
        el("span", {class: `state ${e.state}`, text: e.state}),
        `${alertLabel(e)} (${e.severity})`)));
  }

  const renderAlerts = throttle(() => { drawTimeline(); drawLog(); }, 150);

  async function loadAlerts() {
    const res = await fetch("api/alerts");
    if (!res.ok) throw new Error(`api/alerts: ${res.status}`);
    const body = await res.json();
    for (const e of body.events) addAlertEvent(e);
  }

  // --- sources: a row each, with a sparkline of records/s.

  function sparkline(history) {
    const w = 80, h = 18;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    if (history.length > 1) {
      const max = Math.max(1, ...history.map(p => p.rate));
      const pts = history.map((p, i) => `${(w * i / (history.length - 1)).toFixed(1)},${(h - 1 - (h - 2) * p.rate / max).toFixed(1)}`);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      line.setAttribute("points", pts.join(" "));
      svg.append(line);
    }
    return svg;
  }

  function onSources(list) {
    const names = new Set();
    for (const s of list) {
      names.add(s.name);
      const entry = sources.get(s.name) || {history: []};
      entry.stats = s;
      const last = entry.history[entry.history.length - 1];
      if (!last || last.t !== s.t) entry.history.push({t: s.t, rate: s.rate, lag: s.lag});
      if (entry.history.length > MAX_HISTORY) entry.history.splice(0, entry.history.length - MAX_HISTORY);
      sources.set(s.name, entry);
    }
    for (const name of [...sources.keys()]) if (!names.has(name)) sources.delete(name);
    drawSources();
  }

  function drawSources() {
    const num = v => el("td", {class: "num", text: String(v)});
    const rows = [...sources.values()].map(({stats: s, history}) => el("tr", {"data-source": s.name},
      el("td", {text: s.name}), el("td", {text: s.topic}), num(s.rate.toFixed(1)), el("td", {}, sparkline(history)),
      num(s.lag), num(s.records), num(s.dead_letters), num(s.late),
      el("td", {text: s.watermark ? timeText(s.watermark) : "—"})));
    const tbody = document.getElementById("source-rows");
    if (rows.length === 0) tbody.replaceChildren(el("tr", {class: "empty"}, el("td", {colSpan: 9, text: "No sources yet."})));
    else tbody.replaceChildren(...rows);
  }

  async function loadSources() {
    const res = await fetch("api/sources");
    if (!res.ok) throw new Error(`api/sources: ${res.status}`);
    const body = await res.json();
    for (const s of body.sources) sources.set(s.name, {stats: s, history: body.history[s.name] || []});
    drawSources();
  }

  // --- the live stream.

  function connect() {
    const es = new EventSource("api/live");
    let reconnecting = false;
    es.addEventListener("open", () => {
      setStatus("live", "live");
      // Alert changes made while the stream was down come with a reload.
      if (reconnecting) loadAlerts().catch(err => setStatus("error", err.message));
    });
    es.addEventListener("error", () => {
      reconnecting = true;
      setStatus("error", "reconnecting…");
    });
    const on = (name, fn) => es.addEventListener(name, m => fn(JSON.parse(m.data)));
    on("catalog", onCatalog);
    on("view", onView);
    on("alert", addAlertEvent);
    on("sources", p => onSources(p.sources));
  }

  async function start() {
    try {
      await Promise.all([loadAlerts(), loadSources()]);
    } catch (err) {
      setStatus("error", err.message);
    }
    connect();
    setInterval(renderAlerts, 5000); // the timeline's "now" moves on
    window.addEventListener("resize", throttle(() => {
      for (const p of panels.values()) if (p.plot) p.plot.setSize({width: Math.max(p.chart.clientWidth, 300), height: 220});
    }, 200));
  }

  start();
})();
