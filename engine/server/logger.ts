import { closeSync, fstatSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { HIDDEN, LOG_REDACT_PATHS } from './redact.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface EngineLoggerOptions {
  /** pino level; default: KSETL_LOG_LEVEL, else `ksetl.log.level` in `properties`, else info */
  readonly level?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly serviceId?: string;
  readonly namespace?: string;
  readonly cluster?: string;
  /** where the JSON lines go (default stdout) */
  readonly destination?: DestinationStream;
  /** also append every line to this file (default: KSETL_LOG_FILE; none when unset or empty) */
  readonly file?: string;
  /** rotate the file past this size (default: KSETL_LOG_FILE_MAX_BYTES, else 100 MiB) */
  readonly fileMaxBytes?: number;
}

/**
 * The engine's JSON logger: one JSON object per line on stdout (and in
 * KSETL_LOG_FILE when set, see LogFile), with the base fields namespace,
 * cluster and service_id. A query's lines come from
 * `logger.child({ query_id })`.
 */
export function engineLogger(o: EngineLoggerOptions = {}): Logger {
  const level = (o.level ?? process.env['KSETL_LOG_LEVEL'] ?? o.properties?.['ksetl.log.level'] ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`unknown log level ${level} (${LOG_LEVELS.join(', ')})`);
  const options = {
    level,
    base: {
      namespace: o.namespace ?? process.env['KSETL_NAMESPACE'] ?? '',
      cluster: o.cluster ?? process.env['KSETL_CLUSTER'] ?? '',
      service_id: o.serviceId ?? '',
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    // a credential handed to a log call by mistake is censored, not written
    redact: { paths: [...LOG_REDACT_PATHS], censor: HIDDEN },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const file = o.file ?? process.env['KSETL_LOG_FILE'] ?? '';
  if (file === '' || level === 'silent') return o.destination ? pino(options, o.destination) : pino(options);
  const envMax = Number(process.env['KSETL_LOG_FILE_MAX_BYTES'] ?? '');
  const maxBytes = o.fileMaxBytes ?? (Number.isInteger(envMax) && envMax > 0 ? envMax : undefined);
  const logFile = new LogFile(file, maxBytes === undefined ? {} : { maxBytes });
  // every stream at the logger's level: the logger filters, the streams pass what it lets through
  const streamLevel = level as pino.Level;
  return pino(
    options,
    pino.multistream([
      { level: streamLevel, stream: o.destination ?? pino.destination({ dest: 1, sync: true }) },
      { level: streamLevel, stream: logFile },
    ]),
  );
}

/** A logger that writes nothing (library use and tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * LogFile: the engine's JSON log lines in a file, for a log shipper beside the engine
 * (the operator's Fluent Bit or Vector sidecar tails KSETL_LOG_FILE).
 *
 * Rotation-safe in both directions:
 * - the file is opened for append (O_APPEND), so a shipper or logrotate
 *   truncating it (copytruncate) never leaves a hole of zeros;
 * - past `maxBytes` the engine rotates it itself (rename to `<file>.1`,
 *   reopen), the way Fluent Bit's and Vector's tail inputs expect, so a
 *   size-limited emptyDir never fills up;
 * - when the path stops naming the open file (moved or deleted by someone
 *   else), the next check reopens it.
 *
 * Writes are synchronous, like pino's stdout: a line is in the file when the
 * log call returns, and nothing is lost on a crash. A failing write (disk
 * full) never throws into the engine: the line is dropped and one warning
 * goes to stderr.
 */

export const DEFAULT_LOG_FILE_MAX_BYTES = 100 * 1024 * 1024;
/** How often the path is checked for an outside rotation. */
const CHECK_INTERVAL_MS = 5_000;

export interface LogFileOptions {
  /** rotate when the file would grow past this many bytes (default 100 MiB); one rotated file is kept */
  readonly maxBytes?: number;
  /** check for outside rotation on a timer (default true; tests call `checkRotated()`) */
  readonly watch?: boolean;
}

export class LogFile {
  readonly path: string;
  readonly #maxBytes: number;
  #fd = -1;
  #ino = -1;
  #bytes = 0;
  #failed = false;
  #closed = false;
  readonly #timer: NodeJS.Timeout | null;

  constructor(path: string, o: LogFileOptions = {}) {
    this.path = path;
    this.#maxBytes = o.maxBytes ?? DEFAULT_LOG_FILE_MAX_BYTES;
    mkdirSync(dirname(path), { recursive: true });
    this.#open();
    this.#timer = o.watch === false ? null : setInterval(() => this.checkRotated(), CHECK_INTERVAL_MS);
    this.#timer?.unref();
  }

  #open(): void {
    this.#fd = openSync(this.path, 'a', 0o644);
    const st = fstatSync(this.#fd);
    this.#ino = st.ino;
    this.#bytes = st.size;
  }

  #reopen(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.#open();
  }

  /** pino's DestinationStream: one or more complete lines. */
  write(line: string): void {
    if (this.#fd < 0) return;
    const buf = Buffer.from(line, 'utf8');
    try {
      if (this.#bytes > 0 && this.#bytes + buf.length > this.#maxBytes) this.rotate();
      let off = 0;
      while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
      this.#bytes += buf.length;
      this.#failed = false;
    } catch (e) {
      if (!this.#failed) process.stderr.write(`ksetl: cannot write the log file ${this.path}: ${e instanceof Error ? e.message : String(e)}; lines are dropped until it works again\n`);
      this.#failed = true;
    }
  }

  /** Renames the file to `<path>.1` (replacing an older one) and starts a new one. */
  rotate(): void {
    renameSync(this.path, `${this.path}.1`);
    this.#reopen();
  }

  /** Reopens when the path no longer names the open file; follows a truncation. */
  checkRotated(): void {
    if (this.#closed) return;
    try {
      if (this.#fd < 0) return this.#open();
      const st = statSync(this.path);
      if (st.ino !== this.#ino) this.#reopen();
      else if (st.size < this.#bytes) this.#bytes = st.size;
    } catch {
      // moved away or deleted: a new file under the path
      try {
        this.#reopen();
      } catch {
        // the directory went too; the next write is dropped, the next check tries again
      }
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }
}
