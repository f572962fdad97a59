/**
 * The part of the kubelet's API the API server proxies `kubectl logs` to:
 * GET /containerLogs/<namespace>/<pod>/<container> (tailLines, limitBytes,
 * follow), over HTTPS with a self-signed certificate (the API server does
 * not verify a kubelet's serving certificate unless
 * --kubelet-certificate-authority is set). The Node advertises its port in
 * status.daemonEndpoints.kubeletEndpoint.
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubeletServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The last `tailLines` lines (all when undefined) of `text`. Pure. */
export function tail(text: string, tailLines: number | undefined): string {
  if (tailLines === undefined || tailLines < 0) return text;
  if (tailLines === 0) return '';
  const lines = text.split('\n');
  const end = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  return lines.slice(Math.max(0, end - tailLines), end).join('\n') + (end < lines.length ? '\n' : '');
}

function readFrom(file: string, offset: number): { text: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { text: '', size };
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}

export async function startKubeletServer(o: { host: string; dir: string; logFile: (namespace: string, pod: string, container: string) => string | null }): Promise<KubeletServer> {
  const key = join(o.dir, 'kubelet.key');
  const cert = join(o.dir, 'kubelet.crt');
  if (!existsSync(cert)) {
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '7', '-subj', '/CN=ksetl-pod-runner', '-addext', `subjectAltName=IP:${o.host}`]);
  }
  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const file = m ? o.logFile(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!), decodeURIComponent(m[3]!)) : null;
    if (req.method !== 'GET' || !file || !existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(m ? `container ${m[3]} of pod ${m[1]}/${m[2]} has no log here\n` : 'not found\n');
      return;
    }
    const tailLines = url.searchParams.has('tailLines') ? Number(url.searchParams.get('tailLines')) : undefined;
    const limit = url.searchParams.has('limitBytes') ? Number(url.searchParams.get('limitBytes')) : undefined;
    const first = readFrom(file, 0);
    let text = tail(first.text, tailLines);
    if (limit !== undefined && limit >= 0) text = text.slice(0, limit);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    if (url.searchParams.get('follow') !== 'true') {
      res.end(text);
      return;
    }
    res.write(text);
    let offset = first.size;
    const timer = setInterval(() => {
      if (!existsSync(file)) return;
      const next = readFrom(file, offset);
      offset = next.size;
      if (next.text) res.write(next.text);
    }, 500);
    timer.unref();
    req.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
