/**
 * What the engine pods say about a KsqlCluster's health, beyond the
 * StatefulSet's ready count: a crash-looping engine makes the cluster
 * `Degraded=True` with its container's termination message (the engine
 * writes its fatal error to /dev/termination-log), and Kafka reachability
 * is a condition of its own (`KafkaReachable`), False with the client's
 * error (`getaddrinfo ENOTFOUND ...`) when that is why the engines die.
 * Pure.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ConditionInput } from '../conditions.js';
import { ENGINE_CONTAINER } from './engine-pod.js';

export const KAFKA_CONDITION = 'KafkaReachable';

/** Errors of a Kafka client that cannot reach or talk to the bootstrap servers. */
const KAFKA_UNREACHABLE = /getaddrinfo|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|KafkaJSConnectionError|Connection error|Connection timeout|SASL|SSL|certificate|Failed to connect to seed broker|broker.*(not available|unreachable)/i;

export interface EngineCrash {
  readonly pod: string;
  readonly restarts: number;
  readonly exitCode: number | undefined;
  readonly message: string;
}

const MAX_MESSAGE = 1024;

/** A container that is failing: waiting to restart after a failed exit, or terminated with a failure. */
function crashOf(pod: string, cs: V1ContainerStatus): EngineCrash | null {
  const waiting = cs.state?.waiting;
  const terminated = cs.state?.terminated ?? (waiting ? cs.lastState?.terminated : undefined);
  if (!terminated || terminated.exitCode === 0) return null;
  if (waiting && waiting.reason !== 'CrashLoopBackOff' && waiting.reason !== 'RunContainerError' && waiting.reason !== 'CreateContainerError') return null;
  const message = (terminated.message ?? '').trim() || `exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`;
  return { pod, restarts: cs.restartCount ?? 0, exitCode: terminated.exitCode, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message };
}

export function engineCrashes(pods: readonly V1Pod[]): EngineCrash[] {
  const out: EngineCrash[] = [];
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const cs = (p.status?.containerStatuses ?? []).find((c) => c.name === ENGINE_CONTAINER);
    const crash = cs ? crashOf(p.metadata?.name ?? '', cs) : null;
    if (crash) out.push(crash);
  }
  return out.sort((a, b) => (a.pod < b.pod ? -1 : 1));
}

const runningReady = (p: V1Pod): boolean => (p.status?.containerStatuses ?? []).some((c) => c.name === ENGINE_CONTAINER && c.ready === true);

/**
 * The `Degraded` condition the pods give (null: nothing wrong with them) and
 * `KafkaReachable`: True once an engine is ready (it replayed the command
 * topic, so it reached Kafka), False when engines die of a Kafka connection
 * error, Unknown before either.
 */
export function engineHealthConditions(pods: readonly V1Pod[]): { degraded: ConditionInput | null; kafka: ConditionInput } {
  const crashes = engineCrashes(pods);
  const kafkaCrash = crashes.find((c) => KAFKA_UNREACHABLE.test(c.message));
  const describe = (c: EngineCrash) => `${c.pod} (restarts: ${c.restarts}): ${c.message}`;
  const degraded: ConditionInput | null =
    crashes.length === 0
      ? null
      : { type: 'Degraded', status: 'True', reason: kafkaCrash ? 'KafkaUnreachable' : 'EngineCrashLoop', message: crashes.map(describe).join('; ') };
  const kafka: ConditionInput = pods.some(runningReady)
    ? { type: KAFKA_CONDITION, status: 'True', reason: 'EnginesConnected', message: 'an engine is ready: it reached Kafka and replayed the command topic' }
    : kafkaCrash
      ? { type: KAFKA_CONDITION, status: 'False', reason: 'KafkaUnreachable', message: describe(kafkaCrash) }
      : { type: KAFKA_CONDITION, status: 'Unknown', reason: 'NoEngineReady', message: 'no engine is ready yet' };
  return { degraded, kafka };
}
