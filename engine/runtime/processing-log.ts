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
