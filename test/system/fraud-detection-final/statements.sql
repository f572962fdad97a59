-- The fraud example with EMIT FINAL: one alert per card and window, once the
-- window (plus a 1-second grace period) has closed; late attempts are dropped.
-- RETENTION keeps a window in the store after it closes: with the default
-- (size + grace) a window whose close stream time jumps past (9 s -> 12 s for
-- [5 s, 10 s)) has expired by then and is never emitted, as in ksqlDB.
CREATE STREAM AUTHORIZATION_ATTEMPTS (ATTEMPT_ID STRING KEY, CARD_NUMBER STRING, AMOUNT DOUBLE)
  WITH (KAFKA_TOPIC='authorization_attempts', VALUE_FORMAT='JSON');

CREATE TABLE POSSIBLE_FRAUD AS
  SELECT CARD_NUMBER, COUNT(*) AS ATTEMPTS
  FROM AUTHORIZATION_ATTEMPTS
  WINDOW TUMBLING (SIZE 5 SECONDS, RETENTION 1 MINUTE, GRACE PERIOD 1 SECOND)
  GROUP BY CARD_NUMBER
  HAVING COUNT(*) > 3
  EMIT FINAL;
