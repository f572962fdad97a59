/** One entry of the processing log, shaped like ksqlDB's KSQL_PROCESSING_LOG stream. */
export interface ProcessingLogEntry {
  readonly logger: string;
  readonly level: 'ERROR' | 'WARN';
  readonly time: number;
  readonly type: 'DESERIALIZATION_ERROR' | 'RECORD_PROCESSING_ERROR' | 'SERIALIZATION_ERROR' | 'PRODUCTION_ERROR';
  readonly message: string;
  readonly topic?: string;
  readonly record?: string | null;
}

export interface ProcessingLogger {
  log(entry: ProcessingLogEntry): void;
}

/**
 * `ksql.logging.processing.rows.include` (ksqlDB's, default false): whether
 * processing-log entries carry the bad record's key and value bytes. Off, an
 * entry names the record by its position only (topic, partition, offset):
 * record contents, often personal data, stay out of the log pipeline.
 */
export const ROWS_INCLUDE = 'ksql.logging.processing.rows.include';

export function rowsIncluded(properties: Readonly<Record<string, string>>): boolean {
  return (properties[ROWS_INCLUDE] ?? 'false').toLowerCase() === 'true';
}

/**
 * The position of an entry's record (topic, partition, offset), without its
 * key and value: what the engine's own log lines carry.
 */
export function recordPosition(record: string | null | undefined): { partition?: number; offset?: number | string } | undefined {
  if (!record) return undefined;
  try {
    const r = JSON.parse(record) as { partition?: number; offset?: number | string };
    return { ...(r.partition !== undefined ? { partition: r.partition } : {}), ...(r.offset !== undefined ? { offset: r.offset } : {}) };
  } catch {
    return undefined;
  }
}

/** Keeps entries in memory (the engine's latest entries, the test runner). */
export class MemoryProcessingLog implements ProcessingLogger {
  readonly entries: ProcessingLogEntry[] = [];
  log(entry: ProcessingLogEntry): void {
    this.entries.push(entry);
  }
}

/** The JSON value written to the processing-log topic for one entry (the KSQL_PROCESSING_LOG stream's schema). */
export function processingLogValue(e: ProcessingLogEntry): Record<string, unknown> {
  return {
    LOGGER: e.logger,
    LEVEL: e.level,
    TIME: e.time,
    MESSAGE: {
      TYPE: ['DESERIALIZATION_ERROR', 'RECORD_PROCESSING_ERROR', 'PRODUCTION_ERROR', 'SERIALIZATION_ERROR'].indexOf(e.type),
      ERRORTYPE: e.type,
      MESSAGE: e.message,
      TOPIC: e.topic ?? null,
      RECORD: e.record ?? null,
    },
  };
}

/** DDL of the stream users query the processing log through. */
export function processingLogStreamSql(topic: string): string {
  return (
    'CREATE STREAM IF NOT EXISTS KSQL_PROCESSING_LOG (LOGGER STRING, LEVEL STRING, TIME BIGINT, ' +
    'MESSAGE STRUCT<TYPE INT, ERRORTYPE STRING, MESSAGE STRING, TOPIC STRING, RECORD STRING>) ' +
    `WITH (KAFKA_TOPIC='${topic.replace(/'/g, "''")}', VALUE_FORMAT='JSON');`
  );
}
