package dev.ksetl.bench;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * JSON serdes (Jackson, one POJO per value schema) and the value types of the
 * workloads. Field names are the SQL column names, so the JSON on the topics
 * is the same as the engine's (nulls written, unknown fields ignored).
 */
public final class Json {
  private Json() {}

  static final ObjectMapper MAPPER = new ObjectMapper()
      .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
      .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public static <T> Serde<T> serde(Class<T> type) {
    Serializer<T> ser = (topic, value) -> {
      if (value == null) return null;
      try {
        return MAPPER.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    };
    Deserializer<T> de = (topic, bytes) -> {
      if (bytes == null) return null;
      try {
        return MAPPER.readValue(bytes, type);
      } catch (IOException e) {
        throw new SerializationException(e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  /** RATINGS (K STRING KEY, RATING_ID BIGINT, USER_ID INT, STARS INT, ROUTE_ID INT, CHANNEL STRING, MESSAGE STRING) */
  public static final class Rating {
    public Long RATING_ID;
    public Integer USER_ID;
    public Integer STARS;
    public Integer ROUTE_ID;
    public String CHANNEL;
    public String MESSAGE;
  }

  /** CUSTOMERS (ID STRING PRIMARY KEY, FIRST_NAME, LAST_NAME, EMAIL, CLUB_STATUS, ADDRESS STRING) */
  public static final class Customer {
    public String FIRST_NAME;
    public String LAST_NAME;
    public String EMAIL;
    public String CLUB_STATUS;
    public String ADDRESS;
  }

  /** RATINGS_ENRICHED: SELECT R.K AS K, R.RATING_ID, R.STARS, R.CHANNEL, C.FIRST_NAME, C.LAST_NAME, C.CLUB_STATUS */
  public static final class Enriched {
    public Long RATING_ID;
    public Integer STARS;
    public String CHANNEL;
    public String FIRST_NAME;
    public String LAST_NAME;
    public String CLUB_STATUS;
  }

  /** TRANSACTIONS (K STRING KEY, TX_ID BIGINT, CARD_NUMBER STRING, AMOUNT DOUBLE, MERCHANT STRING, NOTE STRING) */
  public static final class Transaction {
    public Long TX_ID;
    public String CARD_NUMBER;
    public Double AMOUNT;
    public String MERCHANT;
    public String NOTE;
  }

  /** POSSIBLE_FRAUD value: COUNT(*) AS ATTEMPTS */
  public static final class Fraud {
    public Long ATTEMPTS;

    public Fraud() {}

    Fraud(long attempts) {
      ATTEMPTS = attempts;
    }
  }

  /** REQUESTS (K STRING KEY, REQUEST_ID BIGINT, USER_ID INT, EXPERIMENT STRING, VARIANT STRING, UA STRING) */
  public static final class Request {
    public Long REQUEST_ID;
    public Integer USER_ID;
    public String EXPERIMENT;
    public String VARIANT;
    public String UA;
  }

  /** EVENTS (K STRING KEY, REQUEST_ID BIGINT, EVENT STRING, ITEM_ID INT, DETAIL STRING) */
  public static final class Event {
    public Long REQUEST_ID;
    public String EVENT;
    public Integer ITEM_ID;
    public String DETAIL;
  }

  /** AB_JOINED: SELECT R.K AS K, R.EXPERIMENT + '/' + R.VARIANT AS ARM, E.EVENT AS EVENT */
  public static final class AbJoined {
    public String ARM;
    public String EVENT;
  }

  /** AB_COUNTS value: COUNT(*) AS EVENTS, SUM(CASE WHEN EVENT = 'click' THEN 1 ELSE 0 END) AS CLICKS */
  public static final class AbCount {
    public Long EVENTS;
    public Integer CLICKS;
  }

  /** RATINGS_LIVE: SELECT K, RATING_ID, USER_ID, STARS, ROUTE_ID, CHANNEL FROM RATINGS WHERE CHANNEL <> 'test' */
  public static final class Live {
    public Long RATING_ID;
    public Integer USER_ID;
    public Integer STARS;
    public Integer ROUTE_ID;
    public String CHANNEL;
  }

  /** RATINGS_BAD: SELECT K, RATING_ID, ROUTE_ID, STARS FROM RATINGS_LIVE WHERE STARS <= 2 */
  public static final class Bad {
    public Long RATING_ID;
    public Integer ROUTE_ID;
    public Integer STARS;
  }

  /** BAD_ROUTES value: COUNT(*) AS BAD */
  public static final class BadCount {
    public Long BAD;

    public BadCount() {}

    BadCount(long bad) {
      BAD = bad;
    }
  }
}
