/**
 * The engine's public API: what code outside engine/ (the operator, its
 * tests, scripts) may use. Everything else under engine/ is internal and may
 * change without notice.
 *
 * It is the package's `ksetl/engine` export (package.json `exports`:
 * ./dist/engine/api.js in the image), and the operator imports it by that
 * name only; eslint (no-restricted-imports in eslint.config.js) refuses any
 * path into engine/ from operator/. In a source checkout tsc maps the export
 * back to this file, tsx finds it through tsconfig.json's `paths` and vitest
 * through `resolve.alias` (test/infra/self-reference.ts).
 *
 * Kept small on purpose: the operator talks to engines over their REST API
 * (statements, SHOW/EXPLAIN, metrics, the dry run); from the library it
 * takes the SQL parser (to split and locate statements), Kafka names (what
 * a service owns on Kafka, for clean deletes) and a few constants.
 */

// ---- SQL -------------------------------------------------------------------------
export { KsqlError, type KsqlErrorReason } from './errors.js';
export { parseScript } from './sql/index.js';
export type { Statement } from './sql/index.js';

// ---- Kafka names of a service (ksqlDB's naming) ------------------------------------------
export { commandTopic, processingLogTopic, queryApplicationId, queryGroupId, isInternalTopic, DEFAULT_SERVICE_ID } from './kafka/names.js';
/** What a service id owns on Kafka, and deleting it (a KsqlCluster with deletionPolicy: Delete). */
export { deleteServiceFromKafka, serviceOwned, type ServiceCleanup } from './kafka/service-cleanup.js';
export type { KafkajsPortOptions as KafkaConnectionOptions } from './kafka/kafkajs-port.js';

// ---- the REST API ------------------------------------------------------------------
export { DRY_RUN_PATH, type DryRunResult, type DryRunStatement } from './server/dry-run.js';
export { youngGenerationNodeOption } from './server/heap.js';
export { isSensitiveProperty } from './server/redact.js';

// ---- embedding (tests, tools): the engine people deploy, over an in-memory Kafka -------
export { KsqlRestServer } from './server/app.js';
export { kafkaBackend } from './kafka/kafka-backend.js';
export { MemoryRuntime } from './driver/memory-runtime.js';

// ---- utilities -------------------------------------------------------------------
/** Exhaustive switches over a union (the engine's own helper, for the operator's render code). */
export { assertNever } from './types/sql-type.js';
