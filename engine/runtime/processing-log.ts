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

/** Keeps entries in memory (the test runner, the in-memory driver). */
export class MemoryProcessingLog implements ProcessingLogger {
  readonly entries: ProcessingLogEntry[] = [];
  log(entry: ProcessingLogEntry): void {
    this.entries.push(entry);
  }
}

/** Name of the processing-log topic (ksqlDB: `<service id>ksql_processing_log`, or `ksql.logging.processing.topic.name`). */
export function processingLogTopicName(properties: Readonly<Record<string, string>>, serviceId = ''): string {
  return properties['ksql.logging.processing.topic.name'] ?? `${serviceId}ksql_processing_log`;
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

/** Keeps entries and also writes each to the processing-log topic through `write`. */
export class TopicProcessingLog implements ProcessingLogger {
  constructor(
    private readonly inner: ProcessingLogger,
    private readonly write: (value: Buffer, time: number) => void,
  ) {}
  log(entry: ProcessingLogEntry): void {
    this.inner.log(entry);
    this.write(Buffer.from(JSON.stringify(processingLogValue(entry))), entry.time);
  }
}
