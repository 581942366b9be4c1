-- Service monitoring: request events of six services become, per service
-- and minute, the request rate, the error rate and the average and p95
-- latency. Two threshold rules (error rate over 5%, p95 over 2 s) and a
-- z-score rule on the request rate alert to a Slack-format webhook.
--
-- ${KAFKA} and ${RECEIVER} are filled in by `tocsin playground --scenario
-- service-monitoring` (the embedded broker and the console receiver).

CREATE SOURCE requests (
  ts TIMESTAMP, service VARCHAR, host VARCHAR, latency_ms DOUBLE PRECISION, status INT,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'kafka', topic = 'sm_requests', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

-- One final row per service and closed minute.
CREATE MATERIALIZED VIEW service_1m AS
  SELECT window_start, window_end, service,
         count(*) AS requests,
         round(count(*) / 60.0, 2) AS rps,
         count(*) FILTER (WHERE status >= 500) AS errors,
         round(100.0 * count(*) FILTER (WHERE status >= 500) / count(*), 1) AS error_pct,
         round(avg(latency_ms), 1) AS avg_ms,
         round(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms), 1) AS p95_ms
  FROM TUMBLE(requests, ts, INTERVAL '1' MINUTE)
  GROUP BY window_start, window_end, service
  EMIT ON WINDOW CLOSE;

-- How unusual each minute's request count is against the service's
-- previous 30 minutes (z-score), and how many minutes the service has
-- been seen (the z-score means little before about ten).
CREATE MATERIALIZED VIEW service_rate_z AS
  SELECT window_start, service, requests,
         count(*) OVER (PARTITION BY service ORDER BY window_start) AS minutes_seen,
         round(zscore(requests, 30) OVER (PARTITION BY service ORDER BY window_start), 2) AS z
  FROM service_1m;

-- Each rule is a sink: a row that matches makes its service's alert
-- fire, the service's next row that does not match resolves it.
-- group_wait = '0s' notifies at once; group_interval spaces the later
-- notifications of a service (its resolution).
CREATE SINK high_error_rate FROM service_1m WHERE error_pct > 5
WITH (connector = 'slack', url = '${RECEIVER}/slack',
      labels = 'service', severity = 'P1', group_by = 'service',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.service}}: {{.error_pct}}% of {{.requests}} requests failed');

CREATE SINK slow_p95 FROM service_1m WHERE p95_ms > 2000
WITH (connector = 'slack', url = '${RECEIVER}/slack',
      labels = 'service', severity = 'P2', group_by = 'service',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.service}}: p95 latency {{.p95_ms}} ms (average {{.avg_ms}} ms)');

CREATE SINK traffic_anomaly FROM service_rate_z WHERE minutes_seen > 10 AND abs(z) > 4
WITH (connector = 'slack', url = '${RECEIVER}/slack',
      labels = 'service', severity = 'P3', group_by = 'service',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.service}}: {{.requests}} requests in a minute, z-score {{.z}}');
