-- Expressions without an alias are named KSQL_COL_n, skipping names the source's columns have.
CREATE STREAM S (KSQL_COL_1 INT KEY, KSQL_COL_2 INT, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');
EXPLAIN CREATE STREAM T AS SELECT KSQL_COL_1, V + 1, V + 2, V + 3 FROM S;
