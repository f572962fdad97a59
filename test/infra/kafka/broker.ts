import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./kafka.sh', import.meta.url));

export interface KafkaBroker {
  /** "127.0.0.1:port" */
  readonly bootstrap: string;
  /** the broker's state dir: server.properties, broker.log, data/ */
  readonly dir: string;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** Kafka version, e.g. "3.9.1"; default KSETL_KAFKA_VERSION, then the pom's. */
  readonly version?: string;
  /** seconds to wait for the broker to be ready (default 120: a first run resolves jars with Maven) */
  readonly timeoutSeconds?: number;
}

/**
 * Starts a single-node KRaft broker on free loopback ports through kafka.sh
 * (Java 17+ and Maven needed; the jars are resolved once per version and
 * cached outside the repo). Each call gets its own broker and temp dir.
 */
export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'ksetl-kafka-'));
  const version = options.version ?? process.env['KSETL_KAFKA_VERSION'];
  const args = [script, 'start', '--dir', dir, ...(version ? ['--version', version] : [])];
  const env = {
    ...process.env,
    KSETL_KAFKA_START_TIMEOUT: String(options.timeoutSeconds ?? 120),
    // kafka.sh stops the broker if this process dies without calling stop().
    KSETL_KAFKA_OWNER_PID: String(process.pid),
  };
  let stdout: string;
  try {
    ({ stdout } = await run('bash', args, { env, maxBuffer: 16 << 20 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    await rm(dir, { recursive: true, force: true });
    throw new Error(`kafka.sh start failed: ${err.stderr?.trim() || err.message}`);
  }
  const bootstrap = stdout.trim().split('\n').pop() ?? '';
  if (!/^127\.0\.0\.1:\d+$/.test(bootstrap)) throw new Error(`kafka.sh start printed no bootstrap address: ${stdout}`);
  let stopped: Promise<void> | null = null;
  return {
    bootstrap,
    dir,
    stop: () =>
      (stopped ??= (async () => {
        await run('bash', [script, 'stop', '--dir', dir]);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}
