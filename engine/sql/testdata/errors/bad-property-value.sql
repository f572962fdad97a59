-- error: Expecting {STRING, INTEGER_VALUE
CREATE STREAM s (a INT) WITH (kafka_topic=topic);
