import type { HttpResponse } from './listener.js';

/**
 * The bytes a streamed response holds in the server because its client reads
 * slower than rows come (`ksetl.server.request.max.memory.bytes`). Writes
 * go through `write`; once the response's buffer is full (write returns
 * false) the bytes written until the next 'drain' are counted, and past
 * `maxBytes` `write` answers false: the caller ends the response with an
 * error rather than holding more.
 */
export class OutputBudget {
  #held = 0;
  #blocked = false;

  constructor(
    private readonly res: HttpResponse,
    readonly maxBytes: number,
  ) {
    res.on('drain', () => {
      this.#blocked = false;
      this.#held = 0;
    });
  }

  /** Writes `chunk`; false when the response now holds more than the budget. */
  write(chunk: string): boolean {
    const ok = this.res.write(chunk);
    if (this.#blocked || !ok) {
      this.#blocked = true;
      this.#held += Buffer.byteLength(chunk);
    }
    return this.#held <= this.maxBytes;
  }

  /** Bytes written and not yet taken by the client (counted from the first write the response could not take). */
  get held(): number {
    return this.#held;
  }
}

/** The error of a request over `ksetl.server.request.max.memory.bytes`, `what` naming what grew. */
export function memoryLimitMessage(what: string, maxBytes: number): string {
  return `${what} is larger than ${maxBytes} bytes (ksetl.server.request.max.memory.bytes).`;
}
