import { JsonSplitter, type SplitValue } from '../http/json-splitter.js';
import type { HttpRequest, HttpResponse } from '../http/listener.js';
import { requestCharset, type Route } from '../http/router.js';
import { insertRow } from '../inserts.js';
import { DELIMITED } from './query.js';
import type { ServerState } from './state.js';

/**
 * Rows written but not yet acknowledged beyond which the request is not read
 * further; their bytes are bounded too (`ksetl.server.request.max.memory.bytes`),
 * and so are the acks its client has not read: the request's memory stays bounded.
 */
const MAX_PENDING_ROWS = 1000;

/**
 * POST /inserts-stream: `{"target":"S"}` then rows, each acknowledged in
 * order once written (`{"status":"ok","seq":n}`); a row that cannot be
 * written gets `{"status":"error","seq":n,"error_code":40000,"message":...}`
 * and the stream goes on. Acks are delimited lines, or one JSON array when the
 * client accepts `application/json` only.
 */
export function insertsStreamRoutes(state: ServerState): Route[] {
  return [{ method: 'POST', path: '/inserts-stream', body: 'stream', handle: ({ req, res }) => insertsStream(state, req, res) }];
}

function insertsStream(state: ServerState, req: HttpRequest, res: HttpResponse): void {
  const charset = requestCharset(req);
  const accept = req.headers.accept ?? '';
  const asJson = accept.includes('application/json') && !accept.includes(DELIMITED);
  let target: string | null = null;
  let seq = 0;
  let closed = false;
  let acks = 0;
  let pending = 0;
  /** the bytes of the rows not acknowledged yet */
  let pendingBytes = 0;
  /** the response holds acks its client has not read (write returned false, no 'drain' since) */
  let acksBlocked = false;
  const maxBytes = state.limits.requestMaxMemoryBytes;
  const full = (): boolean => !closed && (pending >= MAX_PENDING_ROWS || pendingBytes > maxBytes || acksBlocked);
  const resumeIfRoom = (): void => {
    if (!closed && pending < MAX_PENDING_ROWS / 2 && pendingBytes <= maxBytes / 2 && !acksBlocked) req.resume();
  };
  res.on('drain', () => {
    acksBlocked = false;
    resumeIfRoom();
  });
  let previous: Promise<void> = Promise.resolve();
  res.statusCode = 200;
  res.setHeader('Content-Type', asJson ? 'application/json' : DELIMITED);
  const ack = (o: Record<string, unknown>): void => {
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(o);
    if (!res.write(asJson ? (acks === 0 ? '[' : ',') + text : text + '\n')) acksBlocked = true;
    acks++;
  };
  const finish = (): void => {
    if (res.writableEnded) return;
    if (asJson) res.end(acks === 0 ? '[]' : ']');
    else res.end();
  };
  /** queues an ack (or a write then its ack) behind the ones before it */
  const then = (work: () => Promise<void> | void, bytes = 0): void => {
    pending++;
    pendingBytes += bytes;
    if (full()) req.pause();
    previous = previous
      .then(work)
      .catch(() => undefined)
      .finally(() => {
        pending--;
        pendingBytes -= bytes;
        if (full()) req.pause();
        else resumeIfRoom();
      });
  };
  const fail = (message: string): void => {
    // a request this stream cannot go on with: the error is the last ack
    closed = true;
    const n = seq;
    then(() => ack({ status: 'error', seq: n, error_code: 40000, message }));
    void previous.then(finish);
    req.resume();
  };
  const onValue = (v: SplitValue): void => {
    if (closed) return;
    if (v.kind === 'oversized') {
      const n = seq++;
      then(() => ack({ status: 'error', seq: n, error_code: 40000, message: `The row is larger than ${state.limits.insertRowMaxBytes} bytes (ksetl.server.inserts.row.max.bytes); it was not written.` }));
      return;
    }
    let obj: unknown;
    try {
      if (v.kind === 'invalid') throw new Error('not a JSON object');
      obj = JSON.parse(v.text) as unknown;
    } catch (e) {
      const message = `Invalid JSON in inserts stream: ${e instanceof Error ? e.message : String(e)}`;
      if (target === null) fail(message);
      else {
        const n = seq++;
        then(() => ack({ status: 'error', seq: n, error_code: 40000, message }));
      }
      return;
    }
    const isObject = obj !== null && typeof obj === 'object' && !Array.isArray(obj);
    if (target === null) {
      const t = isObject ? (obj as { target?: unknown }).target : undefined;
      if (typeof t !== 'string') return fail('Invalid JSON in inserts stream: the first object must name the target stream ({"target":"S"})');
      const source = state.backend.metastore.source(t) ?? state.backend.metastore.source(t.toUpperCase());
      if (!source) return fail(`Cannot insert values into an unknown stream/table: ${t}`);
      target = source.name;
      return;
    }
    const n = seq++;
    if (!isObject) {
      then(() => ack({ status: 'error', seq: n, error_code: 40000, message: 'Invalid JSON in inserts stream: a row must be a JSON object' }));
      return;
    }
    const into = target;
    then(() =>
      insertRow(state.backend, into, obj as Record<string, unknown>).then(
        () => ack({ status: 'ok', seq: n }),
        (e: unknown) => ack({ status: 'error', seq: n, error_code: 40000, message: e instanceof Error ? e.message : String(e) }),
      ),
      v.text.length,
    );
  };
  const splitter = new JsonSplitter(state.limits.insertRowMaxBytes, onValue);
  const decoder = new TextDecoder(charset === 'latin1' ? 'latin1' : 'utf-8');
  req.on('data', (chunk: Buffer) => {
    if (!closed) splitter.push(decoder.decode(chunk, { stream: true }));
  });
  req.on('end', () => {
    if (!closed) {
      splitter.push(decoder.decode());
      splitter.end();
    }
    closed = true;
    void previous.then(finish);
  });
  req.on('aborted', () => {
    closed = true;
  });
  res.on('close', () => {
    closed = true;
  });
}
