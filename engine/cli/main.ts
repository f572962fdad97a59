/**
 * The `ksetl` command.
 *
 *   ksetl [shell] [--server URL] [-f FILE | --execute SQL]   (the default command)
 *   ksetl qtt [--rest] [--runtime NAME [--bootstrap HOST:PORT]] [--restart-midway] PATH... [--report FILE] [--filter SUBSTR] [--verbose] [--strict]
 *   ksetl test [--runtime NAME [--bootstrap HOST:PORT]] --statements s.sql [--input in.json] --output out.json
 *   ksetl version
 *   ksetl help
 */
import { tuneYoungGeneration } from '../server/heap.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { RuntimeName } from '../testing/qtt/engine-deps.js';
import type { RunnerDeps } from '../testing/qtt/run-case.js';
import { buildReport, perFile, runSuite, summaryLine, countResults } from '../testing/qtt/run-suite.js';
import { runTestFiles } from '../testing/test-runner.js';
import { SHELL_FLAGS } from './shell/flags.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: Io = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') };

export const USAGE = `Usage: ksetl <command> [options]

Commands:
  shell [--server URL]   interactive client for a ksetl server (the default; also 'ksetl --server URL')
      -f, --file FILE    run a script and exit      -e, --execute SQL  run statements and exit
      -u, --user USER    -p, --password PASS        basic authentication (env KSETL_USER, KSETL_PASSWORD)
  qtt [--rest] PATH...   run ksqlDB query-validation tests (QTT; --rest: REST tests through the REST API)
      --report FILE      write a JSON report {cases, passed, failed, skipped, lenientExpectedException}
      --filter SUBSTR    only cases whose "file :: name :: format" contains SUBSTR
      --verbose          print every failing case with its first difference
      --strict           exit 1 when a case fails (default: exit 0, the run is a measurement)
      --runtime NAME     kafka-memory (default): the Kafka runtime (query runners, repartition and
                         changelog topics) over an in-memory Kafka
                         kafka: the same runtime on a real broker (--bootstrap host:port, or
                         KSETL_KAFKA_BOOTSTRAP; each case under its own topic prefix)
      --restart-midway   (kafka-memory, kafka) restart the engine halfway through each case's inputs:
                         state comes back from changelogs and committed offsets
  server --config FILE   run an engine process on Kafka with the REST API (config: .properties or .json; KSQL_* env)
  operator [options]     run the Kubernetes operator (--kubeconfig, --namespace, --leader-elect, --health-port, --engine-endpoints)
  test                   run statements over input records (ksql-test-runner file shapes)
      --statements FILE  SQL statements
      --input FILE       {"inputs": [{topic, key, value, timestamp}]}
      --output FILE      {"outputs": [...]} expected records
      --runtime NAME     as for qtt (and --bootstrap)
  version                print the version
  help                   print this help`;

/** The engine the commands run on, loaded on first use. */
export type DepsLoader = (runtime?: RuntimeName, options?: { readonly restartMidway?: boolean; readonly bootstrap?: string }) => Promise<RunnerDeps>;

const RUNTIME_NAMES: readonly RuntimeName[] = ['kafka-memory', 'kafka'];

/** The broker of `--runtime kafka`: --bootstrap, else KSETL_KAFKA_BOOTSTRAP; null (after saying so) when neither. */
function bootstrapOption(runtime: RuntimeName, value: string | undefined, io: Io, command: string): { bootstrap?: string } | null {
  if (runtime !== 'kafka') return {};
  const bootstrap = value ?? process.env['KSETL_KAFKA_BOOTSTRAP'];
  if (bootstrap) return { bootstrap };
  io.err(`ksetl ${command}: --runtime kafka needs a broker: --bootstrap host:port (or KSETL_KAFKA_BOOTSTRAP)`);
  return null;
}

function runtimeOption(value: string | undefined, io: Io, command: string): RuntimeName | null {
  const name = (value ?? 'kafka-memory') as RuntimeName;
  if (RUNTIME_NAMES.includes(name)) return name;
  io.err(`ksetl ${command}: unknown --runtime ${value} (${RUNTIME_NAMES.join(', ')})`);
  return null;
}

/** Runs `ksetl shell` with the given arguments; resolves to the exit code. */
export type ShellRunner = (args: readonly string[]) => Promise<number>;

const runShell: ShellRunner = async (args) => (await import('./shell/command.js')).shellCommand(args);

const loadEngineDeps: DepsLoader = async (runtime, options) => (await import('../testing/qtt/engine-deps.js')).engineDeps(runtime, options);

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ksetl') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

async function qtt(args: string[], io: Io, loadDeps: DepsLoader): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      report: { type: 'string' },
      filter: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      rest: { type: 'boolean', default: false },
      runtime: { type: 'string' },
      bootstrap: { type: 'string' },
      'restart-midway': { type: 'boolean', default: false },
    },
  });
  const runtime = runtimeOption(values.runtime, io, 'qtt');
  if (runtime === null) return 2;
  const broker = bootstrapOption(runtime, values.bootstrap, io, 'qtt');
  if (broker === null) return 2;
  if (positionals.length === 0) {
    io.err('ksetl qtt: give at least one QTT file or directory');
    return 2;
  }
  if (values.rest && runtime === 'kafka') {
    io.err('ksetl qtt: --rest runs on kafka-memory only');
    return 2;
  }
  if (values.rest) {
    // REST query-validation tests, through a real REST server over the engine on the in-memory Kafka
    const { runRqtt, rqttSummary } = await import('../testing/rqtt/run-rqtt.js');
    const report = await runRqtt(positionals, { ...(values.filter !== undefined ? { filter: values.filter } : {}) });
    if (values.verbose) {
      for (const c of report.cases) if (c.status !== 'passed') io.out(`  ${c.status === 'failed' ? 'FAIL' : 'SKIP'} ${c.file} :: ${c.name}: ${c.message.split('\n').join('\n      ')}`);
    }
    if (values.report) writeFileSync(values.report, JSON.stringify(report, null, 2) + '\n');
    // per-file lines, then the same last line as the QTT runner
    io.out(rqttSummary(report).split('\n').filter((l) => !l.startsWith('total:')).join('\n'));
    io.out(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
    return values.strict && report.failed > 0 ? 1 : 0;
  }
  const deps = await loadDeps(runtime, { restartMidway: values['restart-midway'], ...broker });
  const results = await runSuite(positionals, deps, {
    ...(values.filter !== undefined ? { filter: values.filter } : {}),
    onFile: (file, rs) => {
      io.out(`${file}: ${summaryLine(countResults(rs))}`);
      if (values.verbose) {
        for (const r of rs) {
          if (r.status === 'passed') continue;
          const msg = r.message.split('\n').join('\n      ');
          io.out(`  ${r.status === 'failed' ? 'FAIL' : 'SKIP'} ${r.name} [${r.format ?? '-'}]: ${msg}`);
        }
      }
    },
  });
  const report = buildReport(results);
  // files that could not be loaded never reach onFile
  for (const [file, c] of perFile(results.filter((r) => r.name === '<load>'))) io.out(`${file}: ${summaryLine(c)} (could not be loaded)`);
  if (values.report) writeFileSync(values.report, JSON.stringify(report, null, 2) + '\n');
  const lenient = report.lenientExpectedException;
  if (values.verbose && lenient.total > 0) io.out(`expected exceptions: ${lenient.strictPassed}/${lenient.total} with the message, ${lenient.passed}/${lenient.total} failing at all`);
  io.out(summaryLine(report));
  return values.strict && report.failed > 0 ? 1 : 0;
}

async function test(args: string[], io: Io, loadDeps: DepsLoader): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { statements: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, runtime: { type: 'string' }, bootstrap: { type: 'string' } },
  });
  const runtime = runtimeOption(values.runtime, io, 'test');
  if (runtime === null) return 2;
  const broker = bootstrapOption(runtime, values.bootstrap, io, 'test');
  if (broker === null) return 2;
  if (!values.statements || !values.output) {
    io.err('ksetl test: --statements and --output are required');
    return 2;
  }
  const deps = await loadDeps(runtime, broker);
  const r = await runTestFiles({ statements: values.statements, output: values.output, ...(values.input ? { input: values.input } : {}) }, deps);
  (r.passed ? io.out : io.err)(r.text);
  return r.passed ? 0 : 1;
}

/** `ksetl server --config FILE`: an engine process on Kafka with the REST API; runs until SIGTERM/SIGINT. */
async function server(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const { runServer } = await import('../kafka/server-main.js');
  try {
    await runServer(values.config !== undefined ? { configFile: values.config } : {});
    return 0;
  } catch (e) {
    const message = `ksetl server: ${e instanceof Error ? e.message : String(e)}`;
    io.err(message);
    writeTerminationMessage(message);
    return 1;
  }
}

/**
 * The fatal error where Kubernetes reads a container's termination message
 * (the pod's status, `kubectl describe pod`, the KsqlCluster's Degraded
 * condition): KSETL_TERMINATION_LOG, else /dev/termination-log when the
 * kubelet mounted it. Best effort; at most 4 KiB, as the kubelet keeps.
 */
function writeTerminationMessage(message: string): void {
  const path = process.env['KSETL_TERMINATION_LOG'] || (existsSync('/dev/termination-log') ? '/dev/termination-log' : '');
  if (!path) return;
  try {
    writeFileSync(path, Buffer.from(message, 'utf8').subarray(0, 4096));
  } catch {
    // nowhere to write it: the log has it
  }
}

/** Run the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = consoleIo, loadDeps: DepsLoader = loadEngineDeps, shell: ShellRunner = runShell): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // no subcommand, or shell options first (`ksetl --server URL`): the shell
    if (command === undefined || SHELL_FLAGS.has(command.split('=')[0]!)) return await shell(argv);
    switch (command) {
      case 'shell':
        return await shell(rest);
      case 'qtt':
        return await qtt(rest, io, loadDeps);
      case 'test':
        return await test(rest, io, loadDeps);
      case 'server':
        tuneYoungGeneration();
        return await server(rest, io);
      case 'operator':
        // the Kubernetes operator (operator/main.ts), loaded only when asked for
        return await (await import('../../operator/main.js')).runOperator(rest);
      case 'version':
      case '--version':
      case '-v':
        io.out(`ksetl ${packageVersion()}`);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      default:
        io.err(`ksetl: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    io.err(`ksetl ${command}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return resolve(script) === fileURLToPath(import.meta.url) || resolve(script).replace(/\.ts$/, '.js') === fileURLToPath(import.meta.url).replace(/\.ts$/, '.js');
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`ksetl: ${String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
