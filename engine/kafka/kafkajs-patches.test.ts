import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeRecordV0, groupMessagesPerPartition } from './kafkajs-patches.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('kafkajs patches', () => {
  it('groups messages per partition as kafkajs does: partitions in first-seen order, messages in order', () => {
    const messages = [0, 1, 2, 3, 4, 5, 6].map((i) => ({ key: `k${i}`, partition: [2, 0, 2, 1, 0, 2, 1][i]! }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }) => message.partition });
    expect(Object.entries(grouped).map(([p, ms]) => [p, ms.map((m) => m.key)])).toEqual([
      ['0', ['k1', 'k4']],
      ['1', ['k3', 'k6']],
      ['2', ['k0', 'k2', 'k5']],
    ]);
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
  });

  it('encodes a record with a null header value as kafkajs would, with the value written as varint -1', () => {
    const bytes = (headers: Record<string, Buffer | null>): Buffer => (encodeRecordV0({ key: Buffer.from('k'), value: Buffer.from('v'), headers }) as unknown as { buffer: Buffer }).buffer;
    const withNull = bytes({ h: null });
    const empty = bytes({ h: Buffer.alloc(0) });
    // same length (-1 and 0 are one varint byte each), differing only in the header value's varint
    expect(withNull.length).toBe(empty.length);
    expect(withNull.subarray(0, -1)).toEqual(empty.subarray(0, -1));
    expect(withNull[withNull.length - 1]).toBe(1); // zigzag(-1)
    expect(empty[empty.length - 1]).toBe(0);
  });

  it('are what kafkajs uses once the engine loads it (a fresh process), with the Cluster patch for deleted topics', () => {
    const script = `
      const { createRequire } = await import('node:module');
      const patches = await import('./engine/kafka/kafkajs-patches.ts');
      await import('./engine/kafka/kafkajs-port.ts');
      const require = createRequire(import.meta.url);
      const Batch = require('kafkajs/src/consumer/batch.js');
      const Cluster = require('kafkajs/src/cluster/index.js');
      const batch = new Batch('t', '0', { partition: 0, highWatermark: '7', lastStableOffset: '5', messages: [], abortedTransactions: [] });
      console.log(JSON.stringify([patches.kafkajsPatched, require('kafkajs/src/producer/groupMessagesPerPartition.js') === patches.groupMessagesPerPartition, batch.lastStableOffset, batch.lastOffset(), Cluster[Symbol.for('ksetl.kafkajs.cluster.patched')] === true, require('kafkajs/src/protocol/recordBatch/record/v0/index.js') === patches.encodeRecordV0]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    // the batch keeps the fetch's last stable offset, and is kafkajs's batch otherwise
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([true, true, '5', '6', true, true]);
  });

  it('schedule kafkajs\'s throttle check without a negative delay (no TimeoutNegativeWarning on Node 24)', () => {
    const script = `
      const { createRequire } = await import('node:module');
      await import('./engine/kafka/kafkajs-patches.ts');
      const require = createRequire(import.meta.url);
      const RequestQueue = require('kafkajs/src/network/requestQueue/index.js');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.name));
      let checked = 0;
      const queue = { throttledUntil: -1, throttleCheckTimeoutId: null, pending: [], checkPendingRequests: () => checked++ };
      RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
      await new Promise((r) => setTimeout(r, 20));
      console.log(JSON.stringify([checked, warnings]));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([1, []]);
  });
});
