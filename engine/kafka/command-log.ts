import { randomUUID } from 'node:crypto';
import type { BrokerRecord } from '../driver/broker.js';
import * as names from './names.js';
import type { KafkaConsumer, KafkaPort, KafkaProducer } from './port.js';

/**
 * ksqlDB's command topic: every statement that changes the catalog or starts
 * or stops a persistent query is appended to one single-partition topic, and
 * every process of the service executes the topic from its start, in order.
 * Processes with the same service id thereby hold the same catalog and run
 * the same queries (whose consumer groups then share the partitions); a new
 * process replays the log and joins.
 */
export interface Command {
  /** the statement text (one statement) */
  readonly statement: string;
  /** properties in force when it was issued (ksql.streams.auto.offset.reset, ...) */
  readonly streamsProperties: Readonly<Record<string, string>>;
  /** the process that appended it, and its sequence there, so that process can answer its caller */
  readonly origin: string;
  readonly seq: number;
}

export interface CommandLogOptions {
  readonly port: KafkaPort;
  readonly serviceId: string;
  /** this process */
  readonly instanceId: string;
  readonly create: boolean;
  readonly replicationFactor?: number;
  /**
   * Runs one command; the log waits for it before the next. A command that
   * fails here is recorded and skipped, as ksqlDB's command runner does: the
   * commands after it still run.
   */
  readonly apply: (command: Command, offset: number, replaying: boolean) => Promise<void>;
  /** told of a command that failed (and was skipped), and of the follower's end */
  readonly onError?: (error: Error, offset: number | null) => void;
}

export interface CommandLogStatus {
  /** following the topic (false once its consumer stopped for good, or closed) */
  readonly running: boolean;
  /** commands that failed to apply and were skipped */
  readonly failed: number;
  readonly lastError: string | null;
}

export class CommandLog {
  readonly topic: string;
  #consumer: KafkaConsumer | null = null;
  #producer: KafkaProducer | null = null;
  #seq = 0;
  /** offset of the next command to execute */
  #position = 0;
  #replayEnd = 0;
  #replayed!: () => void;
  readonly replayed = new Promise<void>((r) => (this.#replayed = r));
  readonly #waiters: { offset: number; resolve: () => void }[] = [];
  #running = false;
  #failed = 0;
  #lastError: string | null = null;

  constructor(private readonly o: CommandLogOptions) {
    this.topic = names.commandTopic(o.serviceId);
  }

  get position(): number {
    return this.#position;
  }

  get status(): CommandLogStatus {
    return { running: this.#running, failed: this.#failed, lastError: this.#lastError };
  }

  #error(e: unknown, offset: number | null): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.#lastError = `${new Date().toISOString()}${offset === null ? '' : ` offset ${offset}`}: ${err.message}`;
    this.o.onError?.(err, offset);
  }

  /** Creates the topic (if allowed), reads it up to its current end, then keeps following it. */
  async start(): Promise<void> {
    const { port } = this.o;
    if (this.o.create) {
      await port.admin.createTopics([
        {
          name: this.topic,
          partitions: 1,
          ...(this.o.replicationFactor ? { replicationFactor: this.o.replicationFactor } : {}),
          config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
        },
      ]);
    } else if ((await port.admin.describeTopics([this.topic])).length === 0) {
      throw new Error(`The command topic ${this.topic} does not exist and ksql.internal.topics.precreated=true forbids creating it`);
    }
    const marks = await port.admin.fetchWatermarks(this.topic);
    this.#replayEnd = marks[0]?.high ?? 0;
    this.#position = marks[0]?.low ?? 0;
    if (this.#replayEnd <= this.#position) this.#replayed();
    this.#producer = await port.producer();
    this.#consumer = await port.consumer({
      groupId: names.commandRunnerGroupId(this.o.serviceId, this.o.instanceId + '-' + randomUUID().slice(0, 8)),
      topics: [this.topic],
      from: 'earliest',
      maxWaitMs: 100,
      onProgress: (p) => this.#advance(p.offset + 1),
      onCrash: (e) => {
        this.#running = false;
        this.#error(e, null);
      },
    });
    this.#running = true;
    await this.#consumer.run(async (batch) => {
      for (const r of batch.records) await this.#execute(r);
    });
    await this.replayed;
  }

  async #execute(r: BrokerRecord): Promise<void> {
    if (r.offset < this.#position) return; // redelivered after a rejoin
    if (r.value !== null) {
      let command: Command | null = null;
      try {
        command = JSON.parse(r.value.toString('utf8')) as Command;
      } catch {
        command = null; // not ours: skip
      }
      if (command) {
        try {
          await this.o.apply(command, r.offset, r.offset < this.#replayEnd);
        } catch (e) {
          // never retried: a command that fails every time would stop every command after it
          this.#failed++;
          this.#error(e, r.offset);
        }
      }
    }
    this.#advance(r.offset + 1);
  }

  #advance(next: number): void {
    if (next <= this.#position) return;
    this.#position = next;
    if (next >= this.#replayEnd) this.#replayed();
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.offset < next) {
        this.#waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Appends a command; resolves with its offset once this process has executed it. */
  async append(statement: string, streamsProperties: Readonly<Record<string, string>>): Promise<number> {
    if (!this.#producer) throw new Error('the command log is not started');
    const command: Command = { statement, streamsProperties, origin: this.o.instanceId, seq: this.#seq++ };
    const [meta] = await this.#producer.send([{ topic: this.topic, partition: 0, key: Buffer.from(`${command.origin}/${command.seq}`), value: Buffer.from(JSON.stringify(command)), timestamp: Date.now() }]);
    const offset = meta!.baseOffset;
    await this.waitFor(offset);
    return offset;
  }

  /** Resolves once the command at `offset` was executed here. */
  waitFor(offset: number): Promise<void> {
    if (offset < this.#position) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ offset, resolve }));
  }

  async close(): Promise<void> {
    this.#running = false;
    await this.#consumer?.close();
    await this.#producer?.close();
    this.#consumer = null;
    this.#producer = null;
  }
}
