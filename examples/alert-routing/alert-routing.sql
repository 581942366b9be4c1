-- Alert routing: six services report their health every ten seconds and
-- two hundred edge nodes send a heartbeat a minute. Rules of four
-- severities route to three channels (team chat, the on-call engineer,
-- the pager); an unacknowledged warning escalates; a maintenance window
-- is silenced; a critical alert inhibits the warnings of its service;
-- and storm control folds the notifications of two hundred edge nodes
-- alerting at once.
--
-- Alert timers run on the wall clock while the data runs 60 times
-- faster, so '1 minute' below lasts an hour of event time.
--
-- ${KAFKA} and ${RECEIVER} are filled in by `tocsin playground --scenario
-- alert-routing` (the embedded broker and the console receiver).

CREATE SOURCE fleet_checks (ts TIMESTAMP, service VARCHAR, requests INT, errors INT,
  p95_ms DOUBLE PRECISION, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'kafka', topic = 'fleet_checks', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

CREATE SOURCE edge_heartbeats (ts TIMESTAMP, node VARCHAR, site VARCHAR, loss_pct DOUBLE PRECISION,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
WITH (connector = 'kafka', topic = 'edge_heartbeats', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

CREATE MATERIALIZED VIEW service_1m AS
  SELECT window_start, service, sum(requests) AS requests,
         round(100.0 * sum(errors) / sum(requests), 1) AS error_pct,
         round(max(p95_ms), 0) AS p95_ms
  FROM TUMBLE(fleet_checks, ts, INTERVAL '1' MINUTE)
  GROUP BY window_start, service
  EMIT ON WINDOW CLOSE;

CREATE MATERIALIZED VIEW edge_1m AS
  SELECT window_start, node, site, round(avg(loss_pct), 1) AS loss_pct
  FROM TUMBLE(edge_heartbeats, ts, INTERVAL '1' MINUTE)
  GROUP BY window_start, node, site
  EMIT ON WINDOW CLOSE;

-- Every service rule has the same three channels: "default" (the team's
-- chat), "oncall" and "pager". Each severity routes to one of them; an
-- escalation re-sends an alert to the next more urgent severity's
-- channels.

-- P0: a service is down. Pages.
CREATE SINK service_down FROM service_1m WHERE error_pct > 50
WITH (connector = 'webhook', url = '${RECEIVER}/team',
      channel.oncall.connector = 'webhook', channel.oncall.url = '${RECEIVER}/oncall',
      channel.pager.connector = 'webhook', channel.pager.url = '${RECEIVER}/pager',
      route.p0 = 'pager', route.p1 = 'oncall', route.p2 = 'default',
      labels = 'service', severity = 'P0', group_by = 'service',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.service}} is down: {{.error_pct}}% of requests fail');

-- P1: a burst of errors short of an outage. Goes to the on-call engineer.
CREATE SINK error_burst FROM service_1m WHERE error_pct > 5 AND error_pct <= 50
WITH (connector = 'webhook', url = '${RECEIVER}/team',
      channel.oncall.connector = 'webhook', channel.oncall.url = '${RECEIVER}/oncall',
      channel.pager.connector = 'webhook', channel.pager.url = '${RECEIVER}/pager',
      route.p0 = 'pager', route.p1 = 'oncall', route.p2 = 'default',
      labels = 'service', severity = 'P1', group_by = 'service',
      group_wait = '0s', group_interval = '10s',
      summary = '{{.service}}: {{.error_pct}}% of {{.requests}} requests failed');

-- P2: a slow service. Goes to the team's chat; escalates to the on-call
-- engineer if nobody has acknowledged it after a minute
-- (ACKNOWLEDGE ALERT <id>, ids in SHOW ALERTS, stops that). group_wait
-- gives a critical alert of the same service time to inhibit it.
CREATE SINK slow_responses FROM service_1m WHERE p95_ms > 1000
WITH (connector = 'webhook', url = '${RECEIVER}/team',
      channel.oncall.connector = 'webhook', channel.oncall.url = '${RECEIVER}/oncall',
      channel.pager.connector = 'webhook', channel.pager.url = '${RECEIVER}/pager',
      route.p0 = 'pager', route.p1 = 'oncall', route.p2 = 'default',
      escalate_after.p2 = '1 minute',
      labels = 'service', severity = 'P2', group_by = 'service',
      group_wait = '5s', group_interval = '10s',
      summary = '{{.service}}: p95 latency {{.p95_ms}} ms');

-- P3: an edge node losing packets, one alert per node. When a network
-- incident hits every node, storm control sends the first ten
-- notifications of each ten seconds and folds the rest into one.
CREATE SINK edge_packet_loss FROM edge_1m WHERE loss_pct > 10
WITH (connector = 'webhook', url = '${RECEIVER}/team',
      labels = 'node', severity = 'P3', group_by = 'node',
      group_wait = '0s', group_interval = '10s', rate_limit = '10 per 10 seconds',
      summary = '{{.node}} ({{.site}}) lost {{.loss_pct}}% of its packets');

-- The billing service is being upgraded: silence its alerts for the
-- next minute (an hour of the scenario's event time).
CREATE SILENCE billing_maintenance MATCHING (service = 'billing') FOR '1 minute'
  COMMENT 'billing database upgrade';

-- While a service's P0 alert fires, its P2 warnings are noise.
CREATE INHIBITION critical_mutes_warnings
  SOURCE MATCHING (severity = 'P0') TARGET MATCHING (severity = 'P2') EQUAL (service);
