/**
 * The real engine behind the runner: the Kafka runtime (KafkaEngine) over the
 * in-memory Kafka port or a real broker, and engine/serde.
 * Kept apart from the runner's pieces (which take RunnerDeps) so they test
 * without the engine; load it with `await import(...)` where the engine is wanted.
 *
 * Like ksqlDB's functional tests, which run with test-only UDFs/UDAFs/UDTFs on
 * the classpath (GENERIC_VAR_ARG, TEST_UDTF, BAD_UDF, ...), every case's
 * registry holds the built-ins plus the test functions of
 * `test/conformance/udfs` (see its README). They are loaded once, when this
 * module is first imported (top-level await), so `engineDeps()` stays synchronous.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MemoryRuntime } from '../../driver/memory-runtime.js';
import { builtinOptionsFromProperties, builtinRegistry } from '../../functions/builtins.js';
import { MapFunctionRegistry } from '../../functions/registry.js';
import type { FunctionRegistry, SqlFunction } from '../../functions/types.js';
import { loadUserFunctions } from '../../functions/udf/loader.js';
import * as serde from '../../serde/index.js';
import { assertNever } from '../../types/sql-type.js';
import { KafkaCaseRuntime } from '../kafka-case-runtime.js';
import type { SerdeApi } from './codec.js';
import type { RunnerDeps } from './run-case.js';

/** Where the QTT test functions live (TypeScript sources: loaded when running from source). */
export const TEST_FUNCTIONS_DIR = fileURLToPath(new URL('../../../test/conformance/udfs/', import.meta.url));

/**
 * The test functions in `dir`: user functions (`*.ts`, via the UDF loader) and
 * functions written against the registry contracts (`contracts/*.ts`, each
 * exporting `contracts: SqlFunction[]`). Empty when `dir` does not exist or
 * when not running from TypeScript source (the built runner has no test sources).
 */
export async function loadTestFunctions(dir: string = TEST_FUNCTIONS_DIR): Promise<readonly SqlFunction[]> {
  if (!import.meta.url.endsWith('.ts') || !existsSync(dir)) return [];
  const fns = [...(await loadUserFunctions(dir, new MapFunctionRegistry(), { typescript: true }))];
  const contractsDir = join(dir, 'contracts');
  if (existsSync(contractsDir)) {
    const files = (await readdir(contractsDir))
      .filter((n) => (extname(n) === '.ts' || extname(n) === '.js') && !n.startsWith('_') && !n.startsWith('.') && !/\.d\.ts$|\.test\./.test(n))
      .sort();
    for (const file of files) {
      const mod = (await import(pathToFileURL(join(contractsDir, file)).href)) as { contracts?: unknown };
      if (!Array.isArray(mod.contracts)) throw new Error(`${join(contractsDir, file)}: must export 'contracts' (an array of functions)`);
      fns.push(...(mod.contracts as SqlFunction[]));
    }
  }
  const names = new Set<string>();
  for (const f of fns) {
    const key = f.name.toUpperCase();
    if (names.has(key)) throw new Error(`test function ${f.name} is defined twice`);
    names.add(key);
  }
  return fns;
}

const testFunctions = await loadTestFunctions();

/** A case's registry: the built-ins (configured by the case's properties) plus the test functions. */
export function qttRegistry(properties: Readonly<Record<string, string>> = {}): FunctionRegistry {
  const registry = builtinRegistry(builtinOptionsFromProperties(properties));
  for (const f of testFunctions) {
    if (registry.get(f.name)) throw new Error(`test function ${f.name} would replace a built-in`);
    registry.register(f);
  }
  return registry;
}

/**
 * Where the runtime people deploy (KafkaEngine: command log, tasks,
 * repartition and changelog topics, commits) runs the cases: 'kafka-memory'
 * (the default), over the in-memory Kafka port; 'kafka', on a real broker.
 */
export type RuntimeName = 'kafka-memory' | 'kafka';

/** The runtimes that need nothing outside the process ('kafka' needs a broker). */
export const RUNTIMES: readonly RuntimeName[] = ['kafka-memory'];

export interface EngineDepsOptions {
  readonly restartMidway?: RunnerDeps['restartMidway'];
  /** 'kafka': the broker ("host:port") */
  readonly bootstrap?: string;
  /** 'kafka': the prefix of every case's topics, groups and transactional ids (a case number follows); default a random seed */
  readonly seed?: string;
}

let caseNumber = 0;

export function engineDeps(runtime: RuntimeName = 'kafka-memory', options: EngineDepsOptions = {}): RunnerDeps {
  const serdeApi: SerdeApi = {
    createSerde: serde.createSerde,
    windowedKeySerde: serde.windowedKeySerde,
    fromTestJson: serde.fromTestJson,
  };
  return {
    createEngine: (() => {
      switch (runtime) {
        case 'kafka-memory':
          return ({ broker, properties }) => MemoryRuntime.start({ broker, properties, functions: qttRegistry(properties) });
        case 'kafka': {
          const bootstrap = options.bootstrap;
          if (!bootstrap) throw new Error('the kafka runtime needs a broker (--bootstrap host:port)');
          const seed = options.seed ?? randomBytes(4).toString('hex');
          return ({ properties }) => KafkaCaseRuntime.start({ bootstrap, prefix: `qtt-${seed}-${++caseNumber}-`, properties, functions: qttRegistry(properties) });
        }
        default:
          return assertNever(runtime);
      }
    })(),
    serde: serdeApi,
    taskPerPartition: true,
    ...(options.restartMidway ? { restartMidway: options.restartMidway } : {}),
  };
}
