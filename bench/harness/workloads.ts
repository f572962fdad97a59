/**
 * The five side-by-side workloads (issue 6): the SQL ksetl runs, and the
 * topic roles the Kafka Streams app (bench/kstreams, Topologies.java) reads
 * and writes under the same names. Input records come from
 * bench/kstreams/.../Data.java (JSON values of about 200 bytes).
 */

/** topic roles: stream inputs are pre-loaded (throughput) or offered live (latency) */
export type Role = 'ratings' | 'customers' | 'transactions' | 'requests' | 'events' | 'mid1' | 'mid2' | 'out';

export interface Workload {
  /** id shared with Topologies.java and Data.java */
  readonly id: 'filter' | 'join' | 'aggregate' | 'abtest' | 'pipeline';
  readonly title: string;
  /** input topics holding the streams the figure counts */
  readonly streams: readonly Role[];
  /** input topics read as tables (loaded once, not counted) */
  readonly tables: readonly Role[];
  /** topics between the workload's queries (created by the harness, event time kept) */
  readonly between: readonly Role[];
  /** the statements, topic names filled in */
  sql(t: Readonly<Partial<Record<Role, string>>>): string;
}

const RATINGS = (t: Partial<Record<Role, string>>): string =>
  `CREATE STREAM RATINGS (K STRING KEY, RATING_ID BIGINT, USER_ID INT, STARS INT, ROUTE_ID INT, CHANNEL STRING, MESSAGE STRING) WITH (KAFKA_TOPIC='${t.ratings}', VALUE_FORMAT='JSON');`;

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'filter',
    title: 'filter (POOR_RATINGS)',
    streams: ['ratings'],
    tables: [],
    between: [],
    sql: (t) => `${RATINGS(t)}
CREATE STREAM POOR_RATINGS WITH (KAFKA_TOPIC='${t.out}') AS SELECT * FROM RATINGS WHERE STARS < 3;`,
  },
  {
    id: 'join',
    title: 'stream-table join (ratings ⟕ 100k customers)',
    streams: ['ratings'],
    tables: ['customers'],
    between: [],
    sql: (t) => `${RATINGS(t)}
CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, FIRST_NAME STRING, LAST_NAME STRING, EMAIL STRING, CLUB_STATUS STRING, ADDRESS STRING) WITH (KAFKA_TOPIC='${t.customers}', VALUE_FORMAT='JSON');
CREATE STREAM RATINGS_ENRICHED WITH (KAFKA_TOPIC='${t.out}') AS SELECT R.K AS K, R.RATING_ID, R.STARS, R.CHANNEL, C.FIRST_NAME, C.LAST_NAME, C.CLUB_STATUS FROM RATINGS R LEFT JOIN CUSTOMERS C ON R.K = C.ID;`,
  },
  {
    id: 'aggregate',
    title: 'tumbling aggregation (fraud, 5 s, HAVING)',
    streams: ['transactions'],
    tables: [],
    between: [],
    sql: (t) => `CREATE STREAM TRANSACTIONS (K STRING KEY, TX_ID BIGINT, CARD_NUMBER STRING, AMOUNT DOUBLE, MERCHANT STRING, NOTE STRING) WITH (KAFKA_TOPIC='${t.transactions}', VALUE_FORMAT='JSON');
CREATE TABLE POSSIBLE_FRAUD WITH (KAFKA_TOPIC='${t.out}') AS SELECT CARD_NUMBER, COUNT(*) AS ATTEMPTS FROM TRANSACTIONS WINDOW TUMBLING (SIZE 5 SECONDS) GROUP BY CARD_NUMBER HAVING COUNT(*) > 3;`,
  },
  {
    id: 'abtest',
    title: 'LINE A/B test (join WITHIN 10 MINUTES, counts per minute)',
    streams: ['requests', 'events'],
    tables: [],
    between: ['mid1'],
    sql: (t) => `CREATE STREAM REQUESTS (K STRING KEY, REQUEST_ID BIGINT, USER_ID INT, EXPERIMENT STRING, VARIANT STRING, UA STRING) WITH (KAFKA_TOPIC='${t.requests}', VALUE_FORMAT='JSON');
CREATE STREAM EVENTS (K STRING KEY, REQUEST_ID BIGINT, EVENT STRING, ITEM_ID INT, DETAIL STRING) WITH (KAFKA_TOPIC='${t.events}', VALUE_FORMAT='JSON');
CREATE STREAM AB_JOINED WITH (KAFKA_TOPIC='${t.mid1}') AS SELECT R.K AS K, R.EXPERIMENT + '/' + R.VARIANT AS ARM, E.EVENT AS EVENT FROM REQUESTS R JOIN EVENTS E WITHIN 10 MINUTES ON R.K = E.K;
CREATE TABLE AB_COUNTS WITH (KAFKA_TOPIC='${t.out}') AS SELECT ARM, COUNT(*) AS EVENTS, SUM(CASE WHEN EVENT = 'click' THEN 1 ELSE 0 END) AS CLICKS FROM AB_JOINED WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY ARM;`,
  },
  {
    id: 'pipeline',
    title: '3-query pipeline (filter → filter → count per route)',
    streams: ['ratings'],
    tables: [],
    between: ['mid1', 'mid2'],
    sql: (t) => `${RATINGS(t)}
CREATE STREAM RATINGS_LIVE WITH (KAFKA_TOPIC='${t.mid1}') AS SELECT K, RATING_ID, USER_ID, STARS, ROUTE_ID, CHANNEL FROM RATINGS WHERE CHANNEL <> 'test';
CREATE STREAM RATINGS_BAD WITH (KAFKA_TOPIC='${t.mid2}') AS SELECT K, RATING_ID, ROUTE_ID, STARS FROM RATINGS_LIVE WHERE STARS <= 2;
CREATE TABLE BAD_ROUTES WITH (KAFKA_TOPIC='${t.out}') AS SELECT ROUTE_ID, COUNT(*) AS BAD FROM RATINGS_BAD WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY ROUTE_ID;`,
  },
];

/** the engines and ceilings a workload runs on */
export type Variant =
  | 'ksetl-1'
  | 'ksetl-2'
  | 'ksetl-2t'
  | 'ksetl-1-platformatic'
  | 'ksetl-2-platformatic'
  | 'kstreams-1t'
  | 'kstreams-2t'
  | 'kafkajs-passthrough'
  | 'platformatic-passthrough'
  | 'java-passthrough';

export const VARIANT_TITLES: Readonly<Record<Variant, string>> = {
  'ksetl-1': 'ksetl, 1 process',
  'ksetl-2': 'ksetl, 2 processes',
  'ksetl-2t': 'ksetl, 1 process with 2 stream threads',
  'ksetl-1-platformatic': 'ksetl on @platformatic/kafka, 1 process',
  'ksetl-2-platformatic': 'ksetl on @platformatic/kafka, 2 processes',
  'kstreams-1t': 'Kafka Streams, 1 thread',
  'kstreams-2t': 'Kafka Streams, 2 threads',
  'kafkajs-passthrough': 'kafkajs pass-through',
  'platformatic-passthrough': '@platformatic/kafka pass-through',
  'java-passthrough': 'Java client pass-through',
};
