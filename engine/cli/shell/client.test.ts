import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRuntime } from '../../driver/memory-runtime.js';
import { kafkaBackend } from '../../kafka/kafka-backend.js';
import { KsqlRestServer } from '../../server/app.js';
import { KsqlClient } from './client.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('KsqlClient', () => {
  it('speaks HTTP/2 to the server: statements, a push query and its close on one connection', async () => {
    const runtime = await MemoryRuntime.start({});
    cleanup.push(() => runtime.close());
    const server = new KsqlRestServer({ backend: kafkaBackend(runtime.engine), properties: { 'auto.offset.reset': 'earliest' } });
    const { url } = await server.listen(0);
    cleanup.push(() => server.close());
    const client = new KsqlClient({ server: url });
    cleanup.push(() => client.close());
    expect((await client.info()).status).toBe(200);
    expect(client.httpVersion).toBe('2');
    const created = await client.ksql("CREATE STREAM S (ID STRING KEY, V INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1, VALUE_FORMAT='JSON'); INSERT INTO S (ID, V) VALUES ('a', 1);", {}, {});
    expect(created.status).toBe(200);
    const rows: unknown[][] = [];
    const ac = new AbortController();
    let queryId = '';
    const outcome = client.queryStream(
      'SELECT * FROM S EMIT CHANGES;',
      {},
      {},
      {
        onMeta: (m) => (queryId = m.queryId),
        onRow: (r) => {
          rows.push([...r]);
          void client.closeQuery(queryId);
        },
      },
      ac.signal,
    );
    expect(await outcome).toEqual({ kind: 'done' });
    expect(rows).toEqual([['a', 1]]);
  });

  it('goes on in HTTP/1.1 with a server that does not speak HTTP/2', async () => {
    const plain: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"KsqlServerInfo":{"version":"x"}}');
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => plain.close(() => r())));
    cleanup.push(() => plain.closeAllConnections());
    const client = new KsqlClient({ server: `http://127.0.0.1:${(plain.address() as AddressInfo).port}` });
    const info = await client.info();
    expect(info).toMatchObject({ status: 200, body: { KsqlServerInfo: { version: 'x' } } });
    expect(client.httpVersion).toBe('1.1');
  });
});
