import { FunctionError } from '../types.js';
import { INTEGER, STRING } from '../../types/sql-type.js';
import { defineScalar } from './signature.js';
import type { BuiltinScalar } from './signature.js';

/** URL built-ins, following java.net.URI's component parsing (RFC 2396/3986). */

interface Uri {
  scheme: string | null;
  userInfo: string | null;
  host: string | null;
  port: number | null;
  rawPath: string;
  rawQuery: string | null;
  rawFragment: string | null;
}

const URI_RE = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;

export function parseUri(s: string): Uri {
  const m = URI_RE.exec(s);
  if (!m || /[\s"<>\\^`{|}]/.test(s)) throw new FunctionError(`Invalid URL: ${s}`);
  let userInfo: string | null = null;
  let host: string | null = null;
  let port: number | null = null;
  if (m[2] !== undefined) {
    let auth = m[2];
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      userInfo = auth.slice(0, at);
      auth = auth.slice(at + 1);
    }
    const pm = /^(.*?)(?::(\d*))?$/.exec(auth)!;
    host = pm[1] === '' ? null : pm[1]!;
    port = pm[2] ? Number(pm[2]) : null;
  }
  return { scheme: m[1] ?? null, userInfo, host, port, rawPath: m[3] ?? '', rawQuery: m[4] ?? null, rawFragment: m[5] ?? null };
}

/** java.net.URI's decoding of %XX sequences (UTF-8); '+' stays '+'. */
function uriDecode(s: string | null): string | null {
  if (s === null) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** java.net.URLEncoder.encode(s, UTF_8) */
export function urlEncodeParam(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9.\-*_]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** java.net.URLDecoder.decode(s, UTF_8) */
export function urlDecodeParam(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') bytes.push(0x20);
    else if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new FunctionError(`URLDecoder: Illegal hex characters in escape (%) pattern: ${h}`);
      bytes.push(parseInt(h, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const extract = (name: string, description: string, get: (u: Uri) => string | number | null, type = STRING): BuiltinScalar =>
  defineScalar({
    name,
    description,
    variants: [{ params: ['STRING'], returns: type, fn: (s: string) => get(parseUri(s)) }],
  });

export function urlFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'URL_DECODE_PARAM',
      description: 'Unescapes an application/x-www-form-urlencoded string.',
      variants: [{ params: ['STRING'], returns: STRING, fn: urlDecodeParam }],
    }),
    defineScalar({
      name: 'URL_ENCODE_PARAM',
      description: 'Escapes a string as application/x-www-form-urlencoded.',
      variants: [{ params: ['STRING'], returns: STRING, fn: urlEncodeParam }],
    }),
    extract('URL_EXTRACT_FRAGMENT', 'Extracts the (decoded) fragment of a URL, or NULL if there is none.', (u) => uriDecode(u.rawFragment)),
    extract('URL_EXTRACT_HOST', 'Extracts the host of a URL.', (u) => u.host),
    defineScalar({
      name: 'URL_EXTRACT_PARAMETER',
      description: 'Extracts the (still encoded) value of the first query parameter with the given name, or NULL.',
      variants: [
        {
          params: ['STRING', 'STRING'],
          returns: STRING,
          fn: (s: string, name: string) => {
            const q = parseUri(s).rawQuery;
            if (q === null) return null;
            for (const part of q.split('&')) {
              const eq = part.indexOf('=');
              const k = eq < 0 ? part : part.slice(0, eq);
              if (k === name) return eq < 0 ? null : part.slice(eq + 1);
            }
            return null;
          },
        },
      ],
    }),
    extract('URL_EXTRACT_PATH', 'Extracts the (decoded) path of a URL.', (u) => uriDecode(u.rawPath)),
    extract('URL_EXTRACT_PORT', 'Extracts the port of a URL, or NULL if absent.', (u) => u.port, INTEGER),
    extract('URL_EXTRACT_PROTOCOL', 'Extracts the protocol (scheme) of a URL, or NULL if absent.', (u) => u.scheme),
    extract('URL_EXTRACT_QUERY', 'Extracts the (decoded) query of a URL, or NULL if absent.', (u) => uriDecode(u.rawQuery)),
  ];
}
