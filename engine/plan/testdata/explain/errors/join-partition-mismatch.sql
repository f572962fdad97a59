-- error: Can't join `ORDERS` with `ITEMS` since the number of partitions don't match. `ORDERS` partitions = 1; `ITEMS` partitions = 2. Please repartition either one so that the number of partitions match.
-- ORDERS joins CUSTOMERS on its key (no repartition), then ITEMS on its key too: both pairs must match; a stream joined on a value column would be repartitioned instead
CREATE STREAM ORDERS (ID INT KEY, CUSTOMER INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE CUSTOMERS (ID INT PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE ITEMS (ID INT PRIMARY KEY, TITLE STRING) WITH (KAFKA_TOPIC='items', VALUE_FORMAT='JSON', PARTITIONS=2);
EXPLAIN CREATE STREAM X AS SELECT * FROM ORDERS O JOIN CUSTOMERS C ON O.ID = C.ID JOIN ITEMS I ON O.ID = I.ID;
