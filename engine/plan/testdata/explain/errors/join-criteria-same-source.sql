-- error: Each side of the join must reference exactly one source and not the same source. Left side references `O` and right references `O`
-- every join's criteria is checked before any join is planned: the first join's (not on the table's key) would fail later
CREATE STREAM ORDERS (ID INT KEY, CUSTOMER INT, ITEM INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');
CREATE TABLE CUSTOMERS (ID INT PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');
CREATE TABLE ITEMS (ID INT PRIMARY KEY, TITLE STRING) WITH (KAFKA_TOPIC='items', VALUE_FORMAT='JSON');
EXPLAIN CREATE STREAM X AS SELECT * FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER = C.NAME JOIN ITEMS I ON O.ITEM = O.ITEM;
