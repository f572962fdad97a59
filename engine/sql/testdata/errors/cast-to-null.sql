-- error: Syntax error at or near 'NULL' at line 2:47
CREATE STREAM TEST (ID STRING KEY, f0 VARCHAR) WITH (kafka_topic='test_topic', value_format='JSON');
CREATE STREAM OUTPUT AS SELECT ID, cast(f0 as NULL) FROM TEST;
