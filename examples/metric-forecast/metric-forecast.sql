-- Metric forecast: three hosts report their CPU load every five minutes. The
-- load follows a daily cycle and a slow upward trend. A week of history
-- is already in the topic when the source is created; the source reads
-- it from the earliest offset, so each host's LSTM learns the pattern
-- before the live data arrives. LSTM_SCORE is how far each sample is
-- from the LSTM's forecast, in standard deviations of its recent errors.
--
-- ${KAFKA} and ${RECEIVER} are filled in by `tocsin playground --scenario
-- metric-forecast` (the embedded broker and the console receiver).

CREATE SOURCE host_cpu (ts TIMESTAMP, host VARCHAR, cpu DOUBLE PRECISION,
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
WITH (connector = 'kafka', topic = 'host_cpu', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

-- Each sample with its anomaly score and how many samples of the host
-- the model has seen.
CREATE MATERIALIZED VIEW cpu_scores AS
  SELECT ts, host, cpu,
         round(lstm_score(cpu) OVER (PARTITION BY host ORDER BY ts), 2) AS score,
         count(*) OVER (PARTITION BY host ORDER BY ts) AS samples
  FROM host_cpu;

-- Alert once the model has seen a day of samples. The LSTM forecasts
-- from the last 16 samples, so once an anomaly has lasted a while it
-- forecasts the anomalous values, and the return to normal surprises it
-- again: keep_firing_for ('30s', half an hour of event time at the
-- playground's speed) makes the anomaly and the return from it one
-- incident.
CREATE SINK cpu_anomaly FROM cpu_scores WHERE samples > 288 AND score > 6
WITH (connector = 'webhook', url = '${RECEIVER}/webhook',
      labels = 'host', severity = 'P2', group_by = 'host',
      group_wait = '0s', group_interval = '10s', keep_firing_for = '30s',
      summary = '{{.host}}: CPU {{.cpu}}% is {{.score}} standard deviations off the forecast');
