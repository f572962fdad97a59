-- error: Map keys, including types that contain maps, are not supported
-- error: Key column name: `A_TAGS`. Column type: STRUCT<`F` MAP<STRING, INTEGER>>.
-- the streams would be repartitioned by the join expression: the key is named as in the joined schema
CREATE STREAM A (ID STRING KEY, TAGS STRUCT<F MAP<STRING, INT>>) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');
CREATE STREAM B (ID STRING KEY, TAGS STRUCT<F MAP<STRING, INT>>) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON');
EXPLAIN CREATE STREAM X AS SELECT A.TAGS, A.ID, B.ID AS BID FROM A JOIN B WITHIN 1 SECOND ON A.TAGS = B.TAGS;
