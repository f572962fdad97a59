/**
 * DELIMITED format: one CSV record per message, as ksqlDB writes it with
 * Apache Commons CSV (quote '"', MINIMAL quoting, no record separator).
 * Nested types are not supported; an empty field reads as null.
 */
import { Decimal } from 'decimal.js';
import { coerce, javaDoubleToString } from './coerce.js';
import { SerdeError, type Serde, type SerdeColumn } from './types.js';

/**
 * The delimiter for a DELIMITER property value: a single character or the words
 * TAB / SPACE. An invalid value fails the statement with ksqlDB's wording.
 */
export function parseDelimiter(prop: string | undefined, propName = 'VALUE_DELIMITER'): string {
  if (prop === undefined) return ',';
  if (prop.toUpperCase() === 'TAB') return '\t';
  if (prop.toUpperCase() === 'SPACE') return ' ';
  if (prop.trim() === '') {
    throw new SerdeError(
      `Failed to prepare statement: Configuration ${propName} is invalid: Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'\nExample valid value: ';'`,
    );
  }
  if (prop.length !== 1) {
    throw new SerdeError(
      `Failed to prepare statement: Configuration ${propName} is invalid: Invalid delimiter value: '${prop}'. Delimiter must be a single character or TAB,SPACE\nExample valid value: ';'`,
    );
  }
  return prop;
}

/** Splits one CSV record (RFC 4180 quoting with `"`; `""` inside quotes is a quote). Unquoted empty fields are null. */
export function parseCsvRecord(text: string, delimiter: string): (string | null)[] {
  const out: (string | null)[] = [];
  let i = 0;
  const n = text.length;
  // strip one trailing record separator, as the CSV parser ends the record there
  let end = n;
  if (text.endsWith('\r\n')) end -= 2;
  else if (text.endsWith('\n') || text.endsWith('\r')) end -= 1;
  for (;;) {
    if (i < end && text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= end) throw new SerdeError(`EOF reached before encapsulated token finished: ${text}`);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += c;
        i++;
      }
      // characters between the closing quote and the delimiter
      while (i < end && text[i] !== delimiter) {
        if (text[i] !== ' ' && text[i] !== '\t') throw new SerdeError(`Invalid char between encapsulated token and delimiter: ${text}`);
        i++;
      }
      out.push(s);
    } else {
      let j = i;
      while (j < end && text[j] !== delimiter) j++;
      const s = text.slice(i, j);
      out.push(s === '' ? null : s);
      i = j;
    }
    if (i >= end) break;
    i++; // the delimiter
    if (i >= end) {
      out.push(null);
      break;
    }
  }
  return out;
}

function isAsciiAlnum(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/** Commons CSV MINIMAL quoting of one field. */
export function quoteCsvField(value: string, delimiter: string, first: boolean): string {
  let quote = false;
  if (value.length === 0) {
    quote = first;
  } else {
    const c = value[0]!;
    if (first && !isAsciiAlnum(c)) quote = true;
    else if (c <= '#') quote = true;
    else {
      for (const ch of value) {
        if (ch === '\n' || ch === '\r' || ch === '"' || ch === delimiter) {
          quote = true;
          break;
        }
      }
      if (!quote && value[value.length - 1]! <= ' ') quote = true;
    }
  }
  return quote ? '"' + value.replace(/"/g, '""') + '"' : value;
}

function fieldText(v: unknown, col: SerdeColumn): string {
  const t = col.type;
  switch (t.kind) {
    case 'DOUBLE':
      return javaDoubleToString(Number(v));
    case 'DECIMAL':
      return (Decimal.isDecimal(v) ? (v as Decimal) : new Decimal(String(v))).toFixed(t.scale);
    case 'BYTES':
      return (v as Buffer).toString('base64');
    case 'BIGINT':
    case 'INTEGER':
    case 'BOOLEAN':
    case 'STRING':
    case 'DATE':
    case 'TIME':
    case 'TIMESTAMP':
      return String(v);
    default:
      throw new SerdeError(`The 'DELIMITED' format does not support type '${t.kind}', column: \`${col.name}\``);
  }
}

export function delimitedSerde(columns: readonly SerdeColumn[], delimiter: string, topic: string): Serde {
  return {
    serialize(values) {
      if (values === null) return null;
      const parts = columns.map((c, i) => {
        const v = values[i] ?? null;
        return v === null ? '' : quoteCsvField(fieldText(v, c), delimiter, i === 0);
      });
      return Buffer.from(parts.join(delimiter), 'utf8');
    },
    deserialize(bytes) {
      if (bytes === null) return null;
      const fields = parseCsvRecord(bytes.toString('utf8'), delimiter);
      if (fields.length !== columns.length) {
        throw new SerdeError(
          `Column count mismatch on deserialization. topic: ${topic}, expected: ${columns.length}, got: ${fields.length}`,
        );
      }
      return columns.map((c, i) => {
        const f = fields[i] ?? null;
        if (f === null) return null;
        try {
          return coerce(f, c.type, c.name);
        } catch (e) {
          throw new SerdeError(`Error deserializing delimited field '${c.name}' from '${f}': ${(e as Error).message}`);
        }
      });
    },
  };
}
