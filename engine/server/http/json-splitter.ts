/**
 * Splits a stream of concatenated JSON values (`{...}{...}` or one per line)
 * as chunks arrive, in one pass over each byte: the state of the scan is kept
 * between chunks, so a value split across many chunks costs its length once.
 * A value longer than `maxBytes` is not kept: `onValue` gets an `oversized`
 * marker once it ends. Top-level scalars (numbers, literals) are refused as
 * `invalid` at the next whitespace or value.
 */
export type SplitValue = { readonly kind: 'value'; readonly text: string } | { readonly kind: 'oversized'; readonly bytes: number } | { readonly kind: 'invalid'; readonly text: string };

export class JsonSplitter {
  readonly #max: number;
  readonly #onValue: (v: SplitValue) => void;
  #parts: string[] = [];
  #length = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  #oversized = false;
  /** a top-level scalar being read (not an object or array) */
  #scalar = false;

  constructor(maxBytes: number, onValue: (v: SplitValue) => void) {
    this.#max = maxBytes;
    this.#onValue = onValue;
  }

  push(chunk: string): void {
    let start = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk.charCodeAt(i);
      if (this.#depth === 0 && !this.#scalar) {
        // between values
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c) {
          start = i + 1;
          continue;
        }
        start = i;
        if (c === 0x7b || c === 0x5b) this.#depth = 1;
        else if (c === 0x22) {
          this.#scalar = true;
          this.#inString = true;
        } else this.#scalar = true;
        continue;
      }
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === 0x5c) this.#escape = true;
        else if (c === 0x22) {
          this.#inString = false;
        }
        continue;
      }
      if (this.#scalar) {
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x7b || c === 0x5b) {
          this.#take(chunk, start, i);
          this.#emitInvalid();
          i--;
        }
        continue;
      }
      if (c === 0x22) this.#inString = true;
      else if (c === 0x7b || c === 0x5b) this.#depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.#depth--;
        if (this.#depth === 0) {
          this.#take(chunk, start, i + 1);
          this.#emit();
          start = i + 1;
        }
      }
    }
    if (this.#depth > 0 || this.#scalar) this.#take(chunk, start, n);
  }

  /** The end of the stream: what is left is a truncated value (invalid), if anything. */
  end(): void {
    if (this.#depth > 0 || this.#scalar) {
      if (this.#oversized) this.#onValue({ kind: 'oversized', bytes: this.#length });
      else this.#onValue({ kind: 'invalid', text: this.#parts.join('') });
    }
    this.#reset();
  }

  #take(chunk: string, from: number, to: number): void {
    if (to <= from) return;
    this.#length += to - from;
    if (this.#oversized) return;
    if (this.#length > this.#max) {
      this.#oversized = true;
      this.#parts = [];
      return;
    }
    this.#parts.push(chunk.slice(from, to));
  }

  #emit(): void {
    const v: SplitValue = this.#oversized ? { kind: 'oversized', bytes: this.#length } : { kind: 'value', text: this.#parts.join('') };
    this.#reset();
    this.#onValue(v);
  }

  #emitInvalid(): void {
    const v: SplitValue = this.#oversized ? { kind: 'oversized', bytes: this.#length } : { kind: 'invalid', text: this.#parts.join('') };
    this.#reset();
    this.#onValue(v);
  }

  #reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#depth = 0;
    this.#inString = false;
    this.#escape = false;
    this.#oversized = false;
    this.#scalar = false;
  }
}
