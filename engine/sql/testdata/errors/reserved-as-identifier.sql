-- error: Syntax error at or near 'FROM' at line 1:15
CREATE STREAM FROM (a INT) WITH (kafka_topic='t');
