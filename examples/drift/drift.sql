-- Drift: three sensors report a reading every two seconds. sensor-a
-- keeps its distribution, sensor-b's mean jumps, sensor-c's mean creeps
-- up over half an hour. ADWIN_DRIFT keeps an adaptive window of each
-- sensor's recent readings and flags the reading at which the window's
-- older and newer parts have significantly different means.
--
-- ${KAFKA} and ${RECEIVER} are filled in by `tocsin playground --scenario
-- drift` (the embedded broker and the console receiver).

CREATE SOURCE readings (ts TIMESTAMP, sensor VARCHAR, value DOUBLE PRECISION,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
WITH (connector = 'kafka', topic = 'drift_readings', properties.bootstrap.server = '${KAFKA}',
      scan.startup.mode = 'earliest')
FORMAT JSON;

-- Every reading with ADWIN's verdict and its window's mean.
CREATE MATERIALIZED VIEW reading_drift AS
  SELECT ts, sensor, value,
         adwin_drift(value) OVER (PARTITION BY sensor ORDER BY ts) AS drift,
         round(adwin_mean(value) OVER (PARTITION BY sensor ORDER BY ts), 2) AS adaptive_mean
  FROM readings;

-- Per sensor and minute, for a look at the shift: the average reading
-- and whether ADWIN flagged a change in that minute.
CREATE MATERIALIZED VIEW sensor_1m AS
  SELECT window_start, sensor, round(avg(value), 2) AS avg_value, bool_or(drift) AS drift
  FROM TUMBLE(reading_drift, ts, INTERVAL '1' MINUTE)
  GROUP BY window_start, sensor
  EMIT ON WINDOW CLOSE;

-- A flagged reading makes the sensor's alert fire; it resolves once no
-- reading has been flagged for keep_firing_for (ADWIN often flags a
-- change more than once while its window shrinks to the new regime).
CREATE SINK distribution_shift FROM reading_drift WHERE drift
WITH (connector = 'webhook', url = '${RECEIVER}/webhook',
      labels = 'sensor', severity = 'P3', group_by = 'sensor',
      group_wait = '0s', group_interval = '10s', keep_firing_for = '20s',
      summary = '{{.sensor}}: the mean has moved; the adaptive window''s mean is now {{.adaptive_mean}}');
