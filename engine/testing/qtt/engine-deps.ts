/**
 * The real engine behind the runner: the in-memory driver and engine/serde.
 * Kept apart from the runner's pieces (which take RunnerDeps) so they test
 * without the engine; load it with `await import(...)` where the engine is wanted.
 */
import { createInMemoryEngine } from '../../driver/in-memory-engine.js';
import { builtinRegistry } from '../../functions/builtins.js';
import * as serde from '../../serde/index.js';
import type { SerdeApi } from './codec.js';
import type { RunnerDeps } from './run-case.js';

export function engineDeps(): RunnerDeps {
  const serdeApi: SerdeApi = {
    createSerde: serde.createSerde,
    windowedKeySerde: serde.windowedKeySerde,
    fromTestJson: serde.fromTestJson,
  };
  return {
    createEngine: ({ broker, properties }) => createInMemoryEngine({ broker, properties, functions: builtinRegistry() }),
    serde: serdeApi,
  };
}
