package dev.ksetl.bench;

import dev.ksetl.bench.Json.AbCount;
import dev.ksetl.bench.Json.AbJoined;
import dev.ksetl.bench.Json.Bad;
import dev.ksetl.bench.Json.BadCount;
import dev.ksetl.bench.Json.Customer;
import dev.ksetl.bench.Json.Enriched;
import dev.ksetl.bench.Json.Event;
import dev.ksetl.bench.Json.Fraud;
import dev.ksetl.bench.Json.Live;
import dev.ksetl.bench.Json.Rating;
import dev.ksetl.bench.Json.Request;
import dev.ksetl.bench.Json.Transaction;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The benchmark workloads in the Streams DSL, one per SQL workload of
 * bench/harness/workloads.ts, with the same topics between queries that
 * ksqlDB (and ksetl) use: a CSAS feeding another query writes a topic that
 * the next sub-topology reads back. Windows and joins use ksqlDB's default
 * 24-hour grace, as the SQL (which names none) does.
 */
final class Topologies {
  private Topologies() {}

  static final Duration GRACE = Duration.ofHours(24);
  static final Serde<String> STRING = Serdes.String();

  /** topics: the workload's topic names by role (ratings, customers, out, mid1, ...) */
  static Topology build(String workload, Map<String, String> topics) {
    StreamsBuilder b = new StreamsBuilder();
    switch (workload) {
      case "filter" -> filter(b, topics);
      case "join" -> join(b, topics);
      case "aggregate" -> aggregate(b, topics);
      case "abtest" -> abtest(b, topics);
      case "pipeline" -> pipeline(b, topics);
      default -> throw new IllegalArgumentException("unknown workload " + workload);
    }
    return b.build();
  }

  private static String topic(Map<String, String> topics, String role) {
    String t = topics.get(role);
    if (t == null) throw new IllegalArgumentException("missing topic t." + role);
    return t;
  }

  /** CREATE STREAM POOR_RATINGS AS SELECT * FROM RATINGS WHERE STARS < 3; */
  static void filter(StreamsBuilder b, Map<String, String> t) {
    Serde<Rating> rating = Json.serde(Rating.class);
    b.stream(topic(t, "ratings"), Consumed.with(STRING, rating))
        .filter((k, v) -> v != null && v.STARS != null && v.STARS < 3)
        .to(topic(t, "out"), Produced.with(STRING, rating));
  }

  /**
   * CREATE TABLE CUSTOMERS (ID STRING PRIMARY KEY, ...);
   * CREATE STREAM RATINGS_ENRICHED AS SELECT R.K AS K, R.RATING_ID, R.STARS, R.CHANNEL,
   *   C.FIRST_NAME, C.LAST_NAME, C.CLUB_STATUS FROM RATINGS R LEFT JOIN CUSTOMERS C ON R.K = C.ID;
   */
  static void join(StreamsBuilder b, Map<String, String> t) {
    Serde<Rating> rating = Json.serde(Rating.class);
    Serde<Customer> customer = Json.serde(Customer.class);
    KTable<String, Customer> customers = b.table(
        topic(t, "customers"),
        Consumed.with(STRING, customer),
        Materialized.<String, Customer, KeyValueStore<Bytes, byte[]>>as("customers").withKeySerde(STRING).withValueSerde(customer));
    b.stream(topic(t, "ratings"), Consumed.with(STRING, rating))
        .leftJoin(customers, (r, c) -> {
          if (r == null) return null;
          Enriched e = new Enriched();
          e.RATING_ID = r.RATING_ID;
          e.STARS = r.STARS;
          e.CHANNEL = r.CHANNEL;
          if (c != null) {
            e.FIRST_NAME = c.FIRST_NAME;
            e.LAST_NAME = c.LAST_NAME;
            e.CLUB_STATUS = c.CLUB_STATUS;
          }
          return e;
        }, Joined.with(STRING, rating, customer))
        .to(topic(t, "out"), Produced.with(STRING, Json.serde(Enriched.class)));
  }

  /**
   * CREATE TABLE POSSIBLE_FRAUD AS SELECT CARD_NUMBER, COUNT(*) AS ATTEMPTS FROM TRANSACTIONS
   *   WINDOW TUMBLING (SIZE 5 SECONDS) GROUP BY CARD_NUMBER HAVING COUNT(*) > 3;
   */
  static void aggregate(StreamsBuilder b, Map<String, String> t) {
    Serde<Transaction> tx = Json.serde(Transaction.class);
    b.stream(topic(t, "transactions"), Consumed.with(STRING, tx))
        .filter((k, v) -> v != null && v.CARD_NUMBER != null)
        .groupBy((k, v) -> v.CARD_NUMBER, Grouped.with("groupby", STRING, tx))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(5), GRACE))
        .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("attempts").withKeySerde(STRING).withValueSerde(Serdes.Long()))
        .filter((k, n) -> n > 3)
        .toStream()
        .mapValues(n -> n == null ? null : new Fraud(n))
        .to(topic(t, "out"), Produced.with(WindowedSerdes.timeWindowedSerdeFrom(String.class, 5_000), Json.serde(Fraud.class)));
  }

  /**
   * CREATE STREAM AB_JOINED AS SELECT R.K AS K, R.EXPERIMENT + '/' + R.VARIANT AS ARM, E.EVENT AS EVENT
   *   FROM REQUESTS R JOIN EVENTS E WITHIN 10 MINUTES ON R.K = E.K;
   * CREATE TABLE AB_COUNTS AS SELECT ARM, COUNT(*) AS EVENTS, SUM(CASE WHEN EVENT = 'click' THEN 1 ELSE 0 END) AS CLICKS
   *   FROM AB_JOINED WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY ARM;
   */
  static void abtest(StreamsBuilder b, Map<String, String> t) {
    Serde<Request> request = Json.serde(Request.class);
    Serde<Event> event = Json.serde(Event.class);
    Serde<AbJoined> joined = Json.serde(AbJoined.class);
    KStream<String, Request> requests = b.stream(topic(t, "requests"), Consumed.with(STRING, request));
    KStream<String, Event> events = b.stream(topic(t, "events"), Consumed.with(STRING, event));
    requests
        .join(events, (r, e) -> {
          AbJoined j = new AbJoined();
          j.ARM = r.EXPERIMENT == null || r.VARIANT == null ? null : r.EXPERIMENT + "/" + r.VARIANT;
          j.EVENT = e.EVENT;
          return j;
        }, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofMinutes(10), GRACE), StreamJoined.with(STRING, request, event).withStoreName("abjoin"))
        .to(topic(t, "mid1"), Produced.with(STRING, joined));
    b.stream(topic(t, "mid1"), Consumed.with(STRING, joined))
        .filter((k, v) -> v != null && v.ARM != null)
        .groupBy((k, v) -> v.ARM, Grouped.with("groupby", STRING, joined))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), GRACE))
        .aggregate(() -> {
          AbCount c = new AbCount();
          c.EVENTS = 0L;
          c.CLICKS = 0;
          return c;
        }, (k, v, c) -> {
          c.EVENTS += 1;
          c.CLICKS += "click".equals(v.EVENT) ? 1 : 0;
          return c;
        }, Materialized.<String, AbCount, WindowStore<Bytes, byte[]>>as("abcounts").withKeySerde(STRING).withValueSerde(Json.serde(AbCount.class)))
        .toStream()
        .to(topic(t, "out"), Produced.with(WindowedSerdes.timeWindowedSerdeFrom(String.class, 60_000), Json.serde(AbCount.class)));
  }

  /**
   * CREATE STREAM RATINGS_LIVE AS SELECT K, RATING_ID, USER_ID, STARS, ROUTE_ID, CHANNEL FROM RATINGS WHERE CHANNEL <> 'test';
   * CREATE STREAM RATINGS_BAD AS SELECT K, RATING_ID, ROUTE_ID, STARS FROM RATINGS_LIVE WHERE STARS <= 2;
   * CREATE TABLE BAD_ROUTES AS SELECT ROUTE_ID, COUNT(*) AS BAD FROM RATINGS_BAD WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY ROUTE_ID;
   */
  static void pipeline(StreamsBuilder b, Map<String, String> t) {
    Serde<Rating> rating = Json.serde(Rating.class);
    Serde<Live> live = Json.serde(Live.class);
    Serde<Bad> bad = Json.serde(Bad.class);
    b.stream(topic(t, "ratings"), Consumed.with(STRING, rating))
        .filter((k, v) -> v != null && v.CHANNEL != null && !v.CHANNEL.equals("test"))
        .mapValues(v -> {
          Live l = new Live();
          l.RATING_ID = v.RATING_ID;
          l.USER_ID = v.USER_ID;
          l.STARS = v.STARS;
          l.ROUTE_ID = v.ROUTE_ID;
          l.CHANNEL = v.CHANNEL;
          return l;
        })
        .to(topic(t, "mid1"), Produced.with(STRING, live));
    b.stream(topic(t, "mid1"), Consumed.with(STRING, live))
        .filter((k, v) -> v != null && v.STARS != null && v.STARS <= 2)
        .mapValues(v -> {
          Bad x = new Bad();
          x.RATING_ID = v.RATING_ID;
          x.ROUTE_ID = v.ROUTE_ID;
          x.STARS = v.STARS;
          return x;
        })
        .to(topic(t, "mid2"), Produced.with(STRING, bad));
    b.stream(topic(t, "mid2"), Consumed.with(STRING, bad))
        .filter((k, v) -> v != null && v.ROUTE_ID != null)
        .groupBy((k, v) -> v.ROUTE_ID, Grouped.with("groupby", Serdes.Integer(), bad))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), GRACE))
        .count(Materialized.<Integer, Long, WindowStore<Bytes, byte[]>>as("bad").withKeySerde(Serdes.Integer()).withValueSerde(Serdes.Long()))
        .toStream()
        .mapValues(n -> n == null ? null : new BadCount(n))
        .to(topic(t, "out"), Produced.with(WindowedSerdes.timeWindowedSerdeFrom(Integer.class, 60_000), Json.serde(BadCount.class)));
  }
}
