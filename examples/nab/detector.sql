-- The best built-in detector on the Numenta Anomaly Benchmark, as Tocsin SQL.
-- `tocsin eval nab` feeds the 58 NAB series through Kafka into the source below
-- and scores nab_scores.score: 63.8 standard, 56.8 reward_low_FP_rate,
-- 68.3 reward_low_FN_rate (NAB's scoreboard: HTM 70.1, Relative Entropy 54.6,
-- Twitter ADVec 47.1, windowedGaussian 39.6).
--
-- A value beyond everything seen before by about 0.5% of the range, or a step
-- about 1.6 times the largest of the last 500 steps, scores near 1. Two views,
-- because a window function cannot take another window function's result as
-- its argument. State: about 16 KB per series.

CREATE SOURCE nab (series VARCHAR, ts TIMESTAMP, value DOUBLE PRECISION,
  WATERMARK FOR ts AS ts)
  WITH (connector = 'kafka', topic = 'nab', properties.bootstrap.server = '127.0.0.1:9092',
        scan.startup.mode = 'earliest') FORMAT JSON;

CREATE MATERIALIZED VIEW nab_steps AS
  SELECT series, ts, value,
         abs(value - lag(value) OVER (PARTITION BY series ORDER BY ts)) AS step,
         RANGE_EXCESS(value) OVER (PARTITION BY series ORDER BY ts) AS level_excess
  FROM nab WITH (retention = 'forever');

CREATE MATERIALIZED VIEW nab_scores AS
  SELECT series, ts, value,
         coalesce(greatest(level_excess / (level_excess + 0.01),
           RANGE_EXCESS(step, 500) OVER (PARTITION BY series ORDER BY ts)
             / (RANGE_EXCESS(step, 500) OVER (PARTITION BY series ORDER BY ts) + 2)), 0) AS score
  FROM nab_steps WITH (retention = 'forever');
