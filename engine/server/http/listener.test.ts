import { execFileSync } from 'node:child_process';
import { request as h1request } from 'node:http';
import { connect as h2connect, type ClientSessionOptions, type SecureClientSessionOptions } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListener, type HttpRequest, type HttpResponse } from './listener.js';

let listener: HttpListener | null = null;
afterEach(async () => {
  await listener?.close();
  listener = null;
});

const echo = (req: HttpRequest, res: HttpResponse): void => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ version: req.httpVersion, method: req.method, path: req.url, body }));
  });
};

function h1(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = h1request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function h2(authority: string, path: string, body?: string, opts: ClientSessionOptions | SecureClientSessionOptions = {}): Promise<{ status: number; text: string; alpn: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const s = h2connect(authority, opts);
    s.on('error', reject);
    const q = s.request({ ':path': path, ':method': body === undefined ? 'GET' : 'POST' });
    let status = 0;
    let text = '';
    q.on('response', (h) => (status = Number(h[':status'])));
    q.setEncoding('utf8');
    q.on('data', (c: string) => (text += c));
    q.on('end', () => {
      const alpn = s.alpnProtocol;
      s.close();
      resolve({ status, text, alpn });
    });
    q.on('error', reject);
    q.end(body);
  });
}

describe('HttpListener', () => {
  it('serves HTTP/1.1 and HTTP/2 with prior knowledge on one cleartext port', async () => {
    listener = await HttpListener.listen({ handler: echo });
    const a = await h1(listener.port, '/info');
    expect(JSON.parse(a.text)).toMatchObject({ version: '1.1', path: '/info' });
    const b = await h2(`http://127.0.0.1:${listener.port}`, '/ksql', '{"ksql":"x"}');
    expect(b.status).toBe(200);
    expect(JSON.parse(b.text)).toMatchObject({ version: '2.0', method: 'POST', path: '/ksql', body: '{"ksql":"x"}' });
  });

  it('answers an h2c upgrade offer in HTTP/1.1', async () => {
    listener = await HttpListener.listen({ handler: echo });
    const a = await h1(listener.port, '/info', { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toMatchObject({ version: '1.1' });
  });

  it('lets ALPN choose HTTP/2 or HTTP/1.1 under TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksetl-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'));
    listener = await HttpListener.listen({ handler: echo, tls: { key: readFileSync(join(dir, 'key.pem')), cert } });
    expect(listener.scheme).toBe('https');
    const b = await h2(`https://localhost:${listener.port}`, '/info', undefined, { ca: cert, servername: 'localhost' });
    expect(b.alpn).toBe('h2');
    expect(JSON.parse(b.text)).toMatchObject({ version: '2.0' });
    const port = listener.port;
    const a = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/info', ca: cert, servername: 'localhost' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(a)).toMatchObject({ version: '1.1' });
  });

  it('answers bytes that are not HTTP with an error entity and goes on serving', async () => {
    listener = await HttpListener.listen({ handler: echo });
    const { connect } = await import('node:net');
    const port = listener.port;
    const answer = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      s.on('close', () => resolve(text));
    });
    expect(answer).toContain('400 Bad Request');
    expect(answer).toContain('"error_code":40000');
    expect((await h1(port, '/x')).status).toBe(200);
  });

  it('rejects when its port is taken (ksetl server then exits non-zero, before it joins the service)', async () => {
    listener = await HttpListener.listen({ handler: echo });
    await expect(HttpListener.listen({ port: listener.port, handler: echo })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect((await h1(listener.port, '/x')).status).toBe(200);
  });
});
