-- Log anomalies: an online shop's application logs. DRAIN_TEMPLATE mines
-- each message's template online (the variable parts become <*>), the
-- templates are counted per minute, and two rules watch the counts: a
-- template never seen before, and a template whose count spikes against
-- its own recent minutes (a z-score).
--
-- ${KAFKA} and ${RECEIVER} are filled in by `tocsin playground --scenario
-- log-anomalies` (the embedded broker and the console receiver).

CREATE SOURCE app_logs (ts TIMESTAMP, service VARCHAR, level VARCHAR, msg VARCHAR,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'kafka', topic = 'app_logs', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

-- Each line with its template: one Drain model for the view, fed the
-- lines in order.
CREATE MATERIALIZED VIEW log_templates AS
  SELECT ts, service, level, msg,
         DRAIN_TEMPLATE_ID(msg) AS template_id,
         DRAIN_TEMPLATE(msg) AS template
  FROM app_logs;

-- Lines per template and closed minute.
CREATE MATERIALIZED VIEW template_counts AS
  SELECT window_start, template_id, 'shop' AS app,
         count(*) AS n, last_value(template ORDER BY ts) AS template, max(level) AS level
  FROM TUMBLE(log_templates, ts, INTERVAL '1' MINUTE)
  GROUP BY window_start, template_id
  EMIT ON WINDOW CLOSE;

-- Each template-minute against the template's history: how many minutes
-- it has been seen, the z-score of its count against its previous 30
-- minutes, and the first minute of the whole stream (every template is
-- new at first; the new-template rule waits ten minutes).
CREATE MATERIALIZED VIEW template_stats AS
  SELECT window_start, template_id, template, level, n,
         count(*) OVER (PARTITION BY template_id ORDER BY window_start) AS minutes_seen,
         round(zscore(n, 30) OVER (PARTITION BY template_id ORDER BY window_start), 2) AS z,
         min(window_start) OVER (PARTITION BY app ORDER BY window_start) AS stream_start
  FROM template_counts;

CREATE SINK new_template FROM template_stats
  WHERE minutes_seen = 1 AND window_start >= stream_start + INTERVAL '10' MINUTE
WITH (connector = 'webhook', url = '${RECEIVER}/webhook',
      labels = 'template_id', severity = 'P2', group_by = 'template_id',
      group_wait = '0s', group_interval = '10s',
      summary = 'new {{.level}} template: {{.template}} ({{.n}} lines in its first minute)');

CREATE SINK template_spike FROM template_stats WHERE minutes_seen > 10 AND z > 6
WITH (connector = 'webhook', url = '${RECEIVER}/webhook',
      labels = 'template_id', severity = 'P2', group_by = 'template_id',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.n}} lines a minute (z-score {{.z}}): {{.template}}');
