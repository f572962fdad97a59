package dev.ksetl.bench;

import java.util.function.Function;

/**
 * The benchmark's input records, generated from an index so a run is
 * reproducible: JSON values of about 200 bytes, string keys with realistic
 * cardinality and event-time timestamps. `ts < 0` means "event time from the
 * index" (pre-loaded topics: 2 records per millisecond from T0); the latency
 * runs pass the wall clock instead.
 */
final class Data {
  private Data() {}

  /** 2023-11-14T22:13:20Z: pre-loaded records start here */
  static final long T0 = 1_700_000_000_000L;
  static final int CUSTOMERS = 100_000;
  /** ratings come from 120k users, 100k of whom are customers (a LEFT JOIN misses one in six) */
  static final int USERS = 120_000;
  static final int CARDS = 20_000;

  private static final String[] CHANNELS = {"iOS", "android", "web", "web", "iOS", "android", "web", "kiosk", "web", "iOS"};
  private static final String[] WORDS = {"late", "clean", "crowded", "friendly", "slow", "on time", "cold", "quiet", "delayed", "comfortable", "noisy", "fast"};
  private static final String[] STATUS = {"platinum", "gold", "silver", "bronze"};
  private static final String[] AGENTS = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
  };

  /** a 64-bit mix of the index (SplitMix64's finaliser): uniform keys without a Random */
  static long mix(long i) {
    long z = i + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  static int pick(long i, int n) {
    return (int) Long.remainderUnsigned(mix(i), n);
  }

  static long eventTime(long i, long ts) {
    return ts >= 0 ? ts : T0 + i / 2;
  }

  /** emit(key, value) with the record's timestamp through `at` */
  interface Sink {
    void send(String key, String value, long timestamp);
  }

  static void rating(long i, long ts, Sink out) {
    int user = pick(i, USERS);
    int stars = 1 + pick(i * 31 + 7, 5);
    int route = pick(i * 17 + 3, 5_000);
    // 1% test traffic, which the pipeline drops
    String channel = pick(i * 13 + 1, 100) == 0 ? "test" : CHANNELS[pick(i * 7 + 5, CHANNELS.length)];
    String w1 = WORDS[pick(i * 3 + 1, WORDS.length)];
    String w2 = WORDS[pick(i * 5 + 2, WORDS.length)];
    String value = "{\"RATING_ID\":" + i + ",\"USER_ID\":" + user + ",\"STARS\":" + stars + ",\"ROUTE_ID\":" + route
        + ",\"CHANNEL\":\"" + channel + "\",\"MESSAGE\":\"route " + route + " was " + w1 + " and " + w2
        + "; the driver was " + w2 + ", the train " + w1 + ", would ride again with rating " + stars + " of 5\"}";
    out.send(Integer.toString(user), value, eventTime(i, ts));
  }

  static void customer(long i, Sink out) {
    String value = "{\"FIRST_NAME\":\"first" + i + "\",\"LAST_NAME\":\"last" + mix(i) % 100_000 + "\",\"EMAIL\":\"customer" + i
        + "@example.com\",\"CLUB_STATUS\":\"" + STATUS[pick(i, STATUS.length)] + "\",\"ADDRESS\":\"" + (1 + pick(i, 999))
        + " Main Street, Springfield, district " + pick(i * 3, 40) + ", postcode " + (10_000 + pick(i * 7, 89_999)) + "\"}";
    out.send(Integer.toString((int) i), value, T0 - 60_000);
  }

  static void transaction(long i, long ts, Sink out) {
    // 2% of the transactions come from 50 hot cards: those windows pass HAVING COUNT(*) > 3
    int card = pick(i * 11 + 1, 50) == 0 ? pick(i, 50) : pick(i, CARDS);
    String cardNumber = "4000-1234-" + String.format("%04d-%04d", card / 10_000, card % 10_000);
    long account = pick(i * 19 + 4, 200_000);
    String value = "{\"TX_ID\":" + i + ",\"CARD_NUMBER\":\"" + cardNumber + "\",\"AMOUNT\":" + (pick(i * 23, 500_000) / 100.0)
        + ",\"MERCHANT\":\"merchant-" + pick(i * 29 + 2, 7_000) + "\",\"NOTE\":\"card present, terminal " + pick(i * 37, 90_000)
        + ", country code " + pick(i * 41, 200) + ", approved by issuer after 3-D Secure check, batch " + (i / 1000) + "\"}";
    out.send("acct-" + account, value, eventTime(i, ts));
  }

  static void request(long j, long ts, Sink out) {
    int user = pick(j, 200_000);
    String value = "{\"REQUEST_ID\":" + j + ",\"USER_ID\":" + user + ",\"EXPERIMENT\":\"exp-" + (user % 12) + "\",\"VARIANT\":\""
        + (pick(user, 2) == 0 ? "A" : "B") + "\",\"UA\":\"" + AGENTS[pick(j * 3, AGENTS.length)] + "\"}";
    out.send("req-" + j, value, ts >= 0 ? ts : T0 + j);
  }

  /** the event for request j: an impression, or one time in five a click, 50–550 ms after the request */
  static void event(long j, long ts, Sink out) {
    String value = "{\"REQUEST_ID\":" + j + ",\"EVENT\":\"" + (pick(j * 7 + 1, 5) == 0 ? "click" : "impression") + "\",\"ITEM_ID\":"
        + pick(j * 11, 30_000) + ",\"DETAIL\":\"slot " + pick(j * 13, 8) + " of page /catalog/" + pick(j * 17, 400)
        + "; rendered in " + (20 + pick(j * 19, 300)) + " ms, viewport 1280x720, visible 100%, ad-free session\"}";
    out.send("req-" + j, value, ts >= 0 ? ts : T0 + j + 50 + pick(j, 500));
  }

  /**
   * The stream inputs of a workload, record by record: `n` records in total
   * (for the A/B test, n/2 requests each followed by its event).
   */
  static void streamInputs(String workload, long from, long n, long ts, Function<String, Sink> sinkOf) {
    switch (workload) {
      case "filter", "join", "pipeline" -> {
        Sink s = sinkOf.apply("ratings");
        for (long i = from; i < from + n; i++) rating(i, ts, s);
      }
      case "aggregate" -> {
        Sink s = sinkOf.apply("transactions");
        for (long i = from; i < from + n; i++) transaction(i, ts, s);
      }
      case "abtest" -> {
        Sink r = sinkOf.apply("requests");
        Sink e = sinkOf.apply("events");
        for (long j = from / 2; j < (from + n) / 2; j++) {
          request(j, ts, r);
          event(j, ts, e);
        }
      }
      default -> throw new IllegalArgumentException("unknown workload " + workload);
    }
  }
}
