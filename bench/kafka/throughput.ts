// End-to-end throughput of a passthrough CSAS and a GROUP BY CTAS on a real broker.
// KSETL_KAFKA_BOOTSTRAP=host:port npx tsx bench/kafka/throughput.ts [at_least_once|exactly_once_v2] [records]
import { randomBytes } from 'node:crypto';
import { KafkaEngine } from '../../engine/kafka/kafka-engine.js';
import { kafkajsPort } from '../../engine/kafka/kafkajs-port.js';

const brokers = process.env['KSETL_KAFKA_BOOTSTRAP']!;
const guarantee = process.argv[2] ?? 'at_least_once';
const total = Number(process.argv[3] ?? 20000);
const s = randomBytes(4).toString('hex');
const port = kafkajsPort({ brokers, logLevel: 'nothing' });
const engine = await KafkaEngine.start({ port, serviceId: `bench_${s}_`, properties: { 'processing.guarantee': guarantee, 'ksql.streams.auto.offset.reset': 'earliest' } });
await engine.execute(`CREATE STREAM S (ID STRING KEY, R STRING, V INT) WITH (KAFKA_TOPIC='bench-in-${s}', PARTITIONS=4, VALUE_FORMAT='JSON');`);
const producer = await port.producer();
const chunk = 500;
for (let c = 0; c * chunk < total; c++) {
  await producer.send(Array.from({ length: chunk }, (_, j) => ({ topic: `bench-in-${s}`, key: Buffer.from(`k${(c * chunk + j) % 1000}`), value: Buffer.from(JSON.stringify({ R: `r${j % 50}`, V: j })), timestamp: Date.now() })));
}
for (const [name, sql] of [
  ['passthrough CSAS', `CREATE STREAM O WITH (KAFKA_TOPIC='bench-out-${s}') AS SELECT ID, R, V FROM S WHERE V >= 0;`],
  ['GROUP BY CTAS', `CREATE TABLE C WITH (KAFKA_TOPIC='bench-count-${s}') AS SELECT R, COUNT(*) AS N FROM S GROUP BY R;`],
] as const) {
  const started = Date.now();
  const [r] = await engine.execute(sql);
  const id = r!.queryId!;
  for (;;) {
    const st = engine.queryStatus(id);
    const inputs = id.startsWith('CTAS') ? 2 * total : total; // source + repartition records
    if (st && st.processed >= inputs) break;
    if (Date.now() - started > 300_000) throw new Error(`${name}: stuck at ${JSON.stringify(st)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  const ms = Date.now() - started;
  console.log(`${guarantee} ${name}: ${total} records in ${ms} ms = ${Math.round(total / (ms / 1000))} rec/s (incl. query start)`);
}
await engine.close();
await port.close();
