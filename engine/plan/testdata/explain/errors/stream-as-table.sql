-- error: Invalid result type
-- known-bug: EXPLAIN plans the query but skips the result-type check CREATE ... AS SELECT applies (executor.ts Explain case)
CREATE STREAM PAGEVIEWS (USER_ID STRING KEY, PAGE STRING, DURATION INT, TAGS ARRAY<STRING>) WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON');
EXPLAIN CREATE TABLE X AS SELECT * FROM PAGEVIEWS;
