-- error: The projection contains a key column (`O_ID`) more than once, aliased as: ID and ID2.
-- in a join the key column is named as in the joined schema (source alias + column)
CREATE TABLE ORDERS (ID INT PRIMARY KEY, CUSTOMER INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON');
CREATE TABLE CUSTOMERS (ID INT PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON');
EXPLAIN CREATE TABLE X AS SELECT O.ID AS ID, O.ID AS ID2, NAME FROM ORDERS O JOIN CUSTOMERS C ON O.CUSTOMER = C.ID;
