package dev.ksetl.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Entry point of the Kafka Streams side of the benchmark. Arguments are
 * key=value pairs; the first is the mode:
 *
 * <pre>
 *   streams     workload= bootstrap= app= threads= guarantee= stateDir= t.ROLE=topic...
 *   passthrough bootstrap= group= in= out=            plain consumer → producer (the Java ceiling)
 *   load        workload= bootstrap= count= [customers=] t.ROLE=topic...   pre-loads the inputs
 *   latency     workload= bootstrap= rate= warmup= seconds= t.ROLE=topic...  offered load + end-to-end latency
 *   probe       bootstrap= topics=a,b                 first/last record timestamps of finished outputs
 *   serve                                             reads "MODE key=value..." lines from stdin and runs
 *                                                     each (probe, load) in this JVM: one start-up per run
 * </pre>
 *
 * Machine-readable lines go to stdout as JSON; logs go to stderr.
 */
public final class Main {
  private Main() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) throw new IllegalArgumentException("usage: MODE key=value...");
    if (argv[0].equals("serve")) {
      serve();
      return;
    }
    run(argv);
  }

  static void run(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String s : Arrays.copyOfRange(argv, 1, argv.length)) {
      int eq = s.indexOf('=');
      if (eq < 0) throw new IllegalArgumentException("expected key=value, got " + s);
      a.put(s.substring(0, eq), s.substring(eq + 1));
    }
    switch (argv[0]) {
      case "streams" -> streams(a);
      case "passthrough" -> passthrough(a);
      case "load" -> load(a);
      case "latency" -> latency(a);
      case "probe" -> probe(a);
      default -> throw new IllegalArgumentException("unknown mode " + argv[0]);
    }
  }

  /** one command per stdin line; a failed command answers {"error":"..."} and the loop goes on */
  static void serve() throws java.io.IOException {
    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      try {
        run(line.trim().split("\\s+"));
      } catch (Exception e) {
        out("{\"error\":\"" + String.valueOf(e).replace("\\", "\\\\").replace("\"", "'").replace("\n", " ") + "\"}");
      }
    }
  }

  static String req(Map<String, String> a, String k) {
    String v = a.get(k);
    if (v == null) throw new IllegalArgumentException("missing " + k + "=");
    return v;
  }

  static Map<String, String> topics(Map<String, String> a) {
    Map<String, String> t = new HashMap<>();
    a.forEach((k, v) -> {
      if (k.startsWith("t.")) t.put(k.substring(2), v);
    });
    return t;
  }

  static void out(String json) {
    System.out.println(json);
    System.out.flush();
  }

  // ---------------------------------------------------------------- streams

  static void streams(Map<String, String> a) throws InterruptedException {
    String guarantee = a.getOrDefault("guarantee", "at_least_once");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, req(a, "app"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, req(a, "bootstrap"));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, a.getOrDefault("threads", "1"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    // ksqlDB's settings: record cache off (ksql.streams.cache.max.bytes.buffering=0), 2 s commits
    // under at-least-once (Kafka Streams' 100 ms under exactly-once), optimised topologies
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, "0");
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, guarantee.equals("at_least_once") ? "2000" : "100");
    p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, StreamsConfig.OPTIMIZE);
    p.put(StreamsConfig.STATE_DIR_CONFIG, req(a, "stateDir"));
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    KafkaStreams streams = new KafkaStreams(Topologies.build(req(a, "workload"), topics(a)), p);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING) out("{\"state\":\"RUNNING\",\"at\":" + System.currentTimeMillis() + "}");
      if (now == KafkaStreams.State.ERROR) out("{\"state\":\"ERROR\",\"at\":" + System.currentTimeMillis() + "}");
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(20));
      stopped.countDown();
    }));
    streams.start();
    stopped.await();
  }

  // ------------------------------------------------------------ passthrough

  static Properties consumerProps(Map<String, String> a, String group) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, req(a, "bootstrap"));
    if (group != null) c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return c;
  }

  static Properties producerProps(Map<String, String> a) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, req(a, "bootstrap"));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  /** consume → produce with at-least-once commits after each poll's sends are acknowledged */
  static void passthrough(Map<String, String> a) {
    String out = req(a, "out");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(a, req(a, "group")));
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(a))) {
      Runtime.getRuntime().addShutdownHook(new Thread(consumer::wakeup));
      consumer.subscribe(List.of(req(a, "in")));
      try {
        for (;;) {
          ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
          if (records.isEmpty()) continue;
          for (ConsumerRecord<byte[], byte[]> r : records) producer.send(new ProducerRecord<>(out, null, r.timestamp(), r.key(), r.value()));
          producer.flush();
          consumer.commitAsync();
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        // shutting down
      }
    }
  }

  // ------------------------------------------------------------------- load

  static KafkaProducer<String, String> stringProducer(Map<String, String> a) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, req(a, "bootstrap"));
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  /** pre-loads a workload's stream inputs (count records) and, with customers=N, the customers table */
  static void load(Map<String, String> a) {
    Map<String, String> t = topics(a);
    String workload = req(a, "workload");
    long count = Long.parseLong(req(a, "count"));
    AtomicLong bytes = new AtomicLong();
    AtomicLong records = new AtomicLong();
    long started = System.currentTimeMillis();
    try (KafkaProducer<String, String> p = stringProducer(a)) {
      Data.Sink[] customers = {null};
      if (a.containsKey("customers")) {
        String topic = t.get("customers");
        customers[0] = (k, v, ts) -> {
          bytes.addAndGet(v.length());
          records.incrementAndGet();
          p.send(new ProducerRecord<>(topic, null, ts, k, v));
        };
        int n = Integer.parseInt(a.get("customers"));
        for (int i = 0; i < n; i++) Data.customer(i, customers[0]);
      }
      if (count > 0) {
        Data.streamInputs(workload, 0, count, -1, role -> {
          String topic = t.get(role);
          if (topic == null) throw new IllegalArgumentException("missing t." + role);
          return (k, v, ts) -> {
            bytes.addAndGet(v.length());
            records.incrementAndGet();
            p.send(new ProducerRecord<>(topic, null, ts, k, v));
          };
        });
      }
      p.flush();
    }
    out("{\"records\":" + records.get() + ",\"avgValueBytes\":" + (records.get() == 0 ? 0 : bytes.get() / records.get())
        + ",\"ms\":" + (System.currentTimeMillis() - started) + "}");
  }

  // ---------------------------------------------------------------- latency

  /**
   * Offers `rate` records/s of the workload's stream inputs (timestamped with
   * the wall clock at send) for warmup+seconds, and reads the output topic
   * t.out (read_committed) at the same time: latency = time read − the
   * output record's timestamp, which the engines carry over from the input
   * record that caused it. Only outputs of records sent after the warm-up count.
   */
  static void latency(Map<String, String> a) throws Exception {
    Map<String, String> t = topics(a);
    String workload = req(a, "workload");
    double rate = Double.parseDouble(req(a, "rate"));
    long warmupMs = (long) (Double.parseDouble(a.getOrDefault("warmup", "5")) * 1000);
    long measureMs = (long) (Double.parseDouble(req(a, "seconds")) * 1000);
    long drainMs = (long) (Double.parseDouble(a.getOrDefault("drain", "5")) * 1000);
    String outTopic = req(t, "out");
    long start = System.currentTimeMillis();
    long from = start + warmupMs;
    long to = from + measureMs;
    long[] lat = new long[1 << 20];
    int[] n = {0};
    long[] outputs = {0};
    Thread reader = new Thread(() -> {
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(a, null))) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo pi : c.partitionsFor(outTopic)) parts.add(new TopicPartition(outTopic, pi.partition()));
        c.assign(parts);
        c.seekToBeginning(parts);
        while (System.currentTimeMillis() < to + drainMs) {
          ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(20));
          long now = System.currentTimeMillis();
          for (ConsumerRecord<byte[], byte[]> r : rs) {
            outputs[0]++;
            if (r.timestamp() >= from && r.timestamp() < to && n[0] < lat.length) lat[n[0]++] = now - r.timestamp();
          }
        }
      }
    });
    reader.start();
    long sent = 0;
    try (KafkaProducer<String, String> p = stringProducer(a)) {
      Map<String, Data.Sink> sinks = new HashMap<>();
      for (;;) {
        long now = System.currentTimeMillis();
        if (now >= to) break;
        long due = (long) ((now - start) * rate / 1000.0);
        if (due <= sent) {
          Thread.sleep(1);
          continue;
        }
        long batch = Math.min(due - sent, 5_000);
        final long ts = now;
        Data.streamInputs(workload, sent, batch, ts, role -> sinks.computeIfAbsent(role, r -> {
          String topic = t.get(r);
          if (topic == null) throw new IllegalArgumentException("missing t." + r);
          return (k, v, at) -> p.send(new ProducerRecord<>(topic, null, at, k, v));
        }));
        sent += batch;
      }
    }
    long elapsed = System.currentTimeMillis() - start;
    reader.join();
    long[] l = Arrays.copyOf(lat, n[0]);
    Arrays.sort(l);
    // the latencies as a histogram of whole milliseconds, [[ms, count], ...] ascending: the
    // harness computes the percentiles (bench/harness/stats.ts)
    StringBuilder hist = new StringBuilder("[");
    for (int i = 0; i < l.length; ) {
      int j = i;
      while (j < l.length && l[j] == l[i]) j++;
      if (hist.length() > 1) hist.append(',');
      hist.append('[').append(l[i]).append(',').append(j - i).append(']');
      i = j;
    }
    hist.append(']');
    out("{\"offered\":" + rate + ",\"achieved\":" + Math.round(sent * 1000.0 / elapsed) + ",\"sent\":" + sent + ",\"outputs\":" + outputs[0]
        + ",\"measured\":" + l.length + ",\"histogram\":" + hist + "}");
  }

  // ------------------------------------------------------------------ probe

  /**
   * The first and last record timestamps over the given topics' partitions,
   * and their record count. All partitions are read at once: from the start
   * until each gave its first record, then from a few records before the end
   * (transaction markers take offsets too) to the end.
   */
  static void probe(Map<String, String> a) {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    long count = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps(a, null))) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String topic : req(a, "topics").split(","))
        for (PartitionInfo pi : c.partitionsFor(topic)) parts.add(new TopicPartition(topic, pi.partition()));
      Map<TopicPartition, Long> begin = c.beginningOffsets(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<TopicPartition> filled = new ArrayList<>();
      for (TopicPartition tp : parts) {
        if (end.get(tp) > begin.get(tp)) filled.add(tp);
        count += end.get(tp) - begin.get(tp);
      }
      if (!filled.isEmpty()) {
        c.assign(filled);
        for (TopicPartition tp : filled) c.seek(tp, begin.get(tp));
        java.util.Set<TopicPartition> pending = new java.util.HashSet<>(filled);
        long deadline = System.currentTimeMillis() + 30_000;
        while (!pending.isEmpty() && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (pending.remove(tp)) {
              first = Math.min(first, r.timestamp());
              c.pause(List.of(tp));
            }
          }
        }
        c.resume(filled);
        for (TopicPartition tp : filled) c.seek(tp, Math.max(begin.get(tp), end.get(tp) - 20));
        deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) last = Math.max(last, r.timestamp());
          boolean atEnd = true;
          for (TopicPartition tp : filled) atEnd &= c.position(tp) >= end.get(tp);
          if (atEnd) break;
        }
      }
    }
    out("{\"first\":" + (first == Long.MAX_VALUE ? -1 : first) + ",\"last\":" + (last == Long.MIN_VALUE ? -1 : last) + ",\"offsets\":" + count + "}");
  }
}
