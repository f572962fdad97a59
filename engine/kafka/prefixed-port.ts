import type { BrokerRecord, ConsumedBatch, ConsumerOptions, KafkaAdmin, KafkaConsumer, KafkaPort, KafkaProducer, KafkaTransaction, OutRecord, ProducerOptions, RecordMetadata, TopicInfo, TopicPartition, TopicPartitionOffset } from './port.js';

/**
 * A port whose topics, consumer groups and transactional ids live under a
 * prefix on the broker, while its user sees the bare names: many engines (a
 * conformance case each) share one broker with the topic names their SQL
 * says, and never see each other's data. Topics without the prefix are
 * invisible (listTopics leaves them out).
 */
export function prefixedPort(port: KafkaPort, prefix: string): KafkaPort {
  const on = (name: string): string => prefix + name;
  const off = (name: string): string => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  const tp = <T extends TopicPartition>(x: T): T => ({ ...x, topic: off(x.topic) });
  const toBroker = <T extends TopicPartition>(x: T): T => ({ ...x, topic: on(x.topic) });
  const rec = (r: BrokerRecord): BrokerRecord => ({ ...r, topic: off(r.topic) });
  const out = (rs: readonly OutRecord[]): OutRecord[] => rs.map((r) => ({ ...r, topic: on(r.topic) }));
  const meta = (ms: readonly RecordMetadata[]): RecordMetadata[] => ms.map(tp);

  const a = port.admin;
  const admin: KafkaAdmin = {
    createTopics: (topics) => a.createTopics(topics.map((t) => ({ ...t, name: on(t.name) }))),
    listTopics: async () => (await a.listTopics()).filter((n) => n.startsWith(prefix)).map(off),
    describeTopics: async (names) => (await a.describeTopics(names.map(on))).map((t): TopicInfo => ({ ...t, name: off(t.name) })),
    deleteTopics: (names) => a.deleteTopics(names.map(on)),
    fetchOffsets: async (groupId, topics) => (await a.fetchOffsets(on(groupId), topics.map(on))).map(tp),
    fetchWatermarks: (topic) => a.fetchWatermarks(on(topic)),
    ...(a.describeGroup ? { describeGroup: async (groupId: string) => (await a.describeGroup!(on(groupId))).map((m) => ({ ...m, assignment: m.assignment.map(tp) })) } : {}),
    ...(a.listGroups ? { listGroups: async () => (await a.listGroups!()).filter((g) => g.startsWith(prefix)).map(off) } : {}),
  };

  const wrapTx = (tx: KafkaTransaction): KafkaTransaction => ({
    send: async (rs) => meta(await tx.send(out(rs))),
    sendOffsets: (groupId, offsets) => tx.sendOffsets(on(groupId), offsets.map(toBroker)),
    commit: () => tx.commit(),
    abort: () => tx.abort(),
  });

  return {
    admin,
    async producer(options?: ProducerOptions): Promise<KafkaProducer> {
      const p = await port.producer(options?.transactionalId !== undefined ? { ...options, transactionalId: on(options.transactionalId) } : options);
      return {
        send: async (rs) => meta(await p.send(out(rs))),
        beginTransaction: async () => wrapTx(await p.beginTransaction()),
        close: () => p.close(),
      };
    },
    async consumer(o: ConsumerOptions): Promise<KafkaConsumer> {
      const { onAssigned, onRevoked, onProgress } = o;
      const c = await port.consumer({
        ...o,
        groupId: on(o.groupId),
        topics: o.topics.map(on),
        ...(o.fromEarliest ? { fromEarliest: o.fromEarliest.map(on) } : {}),
        ...(onAssigned ? { onAssigned: (ps: readonly TopicPartition[]) => onAssigned(ps.map(tp)) } : {}),
        ...(onRevoked ? { onRevoked: (ps: readonly TopicPartition[]) => onRevoked(ps.map(tp)) } : {}),
        ...(onProgress ? { onProgress: (p: TopicPartitionOffset) => onProgress(tp(p)) } : {}),
      });
      return {
        run: (handler) =>
          c.run((b) => {
            const batch: ConsumedBatch = {
              topic: off(b.topic),
              partition: b.partition,
              records: b.records.map(rec),
              highWatermark: b.highWatermark,
              nextOffset: b.nextOffset,
              readableEnd: b.readableEnd,
              heartbeat: () => b.heartbeat(),
              isStale: () => b.isStale(),
            };
            return handler(batch);
          }),
        commit: (offsets) => c.commit(offsets.map(toBroker)),
        pause: (topic, partitions) => c.pause(on(topic), partitions),
        resume: (topic, partitions) => c.resume(on(topic), partitions),
        seek: (p) => c.seek(toBroker(p)),
        close: () => c.close(),
      };
    },
    ...(port.forgetTopics ? { forgetTopics: (names: readonly string[]) => port.forgetTopics!(names.map(on)) } : {}),
    close: () => port.close(),
  };
}
