/**
 * The KsqlCluster controller: observe (the resource, its credential
 * Secrets, the monitoring objects and whether the Prometheus Operator is
 * installed) → desired (desired.ts and monitoring.ts, pure) → server-side
 * apply of every owned object (owner references make the garbage collector
 * remove them with the cluster), then the optional monitoring objects, and
 * pruning of those the spec dropped (provision.ts) → status. Re-applying on
 * every owned-object event corrects drift. On delete, the cluster's
 * KsqlQueries go first (their finalizers terminate the queries on the
 * still-running engines), then the finalizer is removed.
 */
import { createHash } from 'node:crypto';
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Condition } from '../../api/conditions.js';
import type { KsqlCluster } from '../../api/ksql-cluster.js';
import { formatErrors, parseKsqlCluster } from '../../api/parse.js';
import type { EventRecorder } from '../../kube/events.js';
import type { KubeObject, KubePort } from '../../kube/port.js';
import { RESOURCE } from '../../kube/resources.js';
import type { ReconcileResult } from '../../kube/workqueue.js';
import type { OperatorMetrics } from '../../metrics.js';
import { consoleUrl, engineSelector, internalTopicPrefix, restEndpoint, selectorString, serviceId } from '../../names.js';
import { mergeConditions, transitions, type ConditionInput } from '../conditions.js';
import { ensureEngineCredentials } from '../engine-credentials.js';
import { CLUSTER_FINALIZER, applyFinalizer, hasFinalizer } from '../finalizers.js';
import { applyStatusIfChanged } from '../status.js';
import { ANNOTATION } from '../../names.js';
import { clusterObjectsInApplyOrder, renderCluster, type RenderOptions } from './desired.js';
import { KAFKA_CONDITION, engineHealthConditions } from './engine-health.js';
import { kafkaConnection, type KafkaCleanup } from './kafka-cleanup.js';
import { deleteServiceFromKafka } from 'ksetl/engine';
import { clusterObjectNames } from '../../names.js';
import { podTemplateViolations } from './pod-security.js';
import { MONITORING_CONDITION, monitoringCondition, observeMonitoring, provisionMonitoring } from './provision.js';

export interface ClusterReconcilerDeps {
  readonly kube: KubePort;
  readonly events: EventRecorder;
  readonly log: Logger;
  /** `prometheusOperator` is observed (provision.ts); a value given here is ignored */
  readonly render: Omit<RenderOptions, 'prometheusOperator'> & { readonly prometheusOperator?: boolean };
  readonly metrics?: OperatorMetrics;
  readonly now?: () => Date;
  /** how often a cluster that is not ready yet is looked at again (owned-object events trigger sooner) */
  readonly pollMs?: number;
  /** deletes a service's topics and groups on Kafka (deletionPolicy: Delete); tests may swap in their own */
  readonly kafkaCleanup?: KafkaCleanup;
}

type RawCluster = KubeObject & { status?: { conditions?: Condition[]; configHash?: string } };

/** What the StatefulSet says about the rollout. Pure. */
export function rolloutConditions(sts: V1StatefulSet | undefined, desiredReplicas: number, missingSecrets: readonly string[]): ConditionInput[] {
  const st = sts?.status;
  const ready = st?.readyReplicas ?? 0;
  const observed = (st?.observedGeneration ?? 0) >= (sts?.metadata?.generation ?? 1);
  const updated = desiredReplicas === 0 || ((st?.updatedReplicas ?? 0) >= desiredReplicas && (!st?.updateRevision || st.currentRevision === st.updateRevision));
  const rolledOut = observed && updated && (st?.replicas ?? 0) <= desiredReplicas;
  const allReady = ready >= desiredReplicas && rolledOut;
  const counts = `${ready}/${desiredReplicas} engine pods ready`;
  const out: ConditionInput[] = [];
  if (allReady) out.push({ type: 'Ready', status: 'True', reason: desiredReplicas === 0 ? 'ScaledToZero' : 'AllReplicasReady', message: counts });
  else out.push({ type: 'Ready', status: 'False', reason: rolledOut ? 'ReplicasNotReady' : 'RollingOut', message: counts });
  if (!rolledOut) out.push({ type: 'Progressing', status: 'True', reason: 'RollingOut', message: `${st?.updatedReplicas ?? 0}/${desiredReplicas} engine pods updated` });
  else if (!allReady) out.push({ type: 'Progressing', status: 'True', reason: 'WaitingForReplicas', message: counts });
  else out.push({ type: 'Progressing', status: 'False', reason: 'RolloutComplete', message: '' });
  if (missingSecrets.length > 0) out.push({ type: 'Degraded', status: 'True', reason: 'SecretNotFound', message: `missing Secret(s): ${missingSecrets.join(', ')}` });
  else out.push({ type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' });
  return out;
}

interface SecretLike extends KubeObject {
  data?: Record<string, string>;
}

/** A digest of the Kafka credential Secrets' data (sorted keys), and the ones that are missing. */
async function observeSecrets(kube: KubePort, kc: KsqlCluster): Promise<{ hash: string | undefined; missing: string[] }> {
  const names = [...new Set([kc.spec.kafka.sasl?.secretRef.name, kc.spec.kafka.tls?.secretRef?.name].filter((n): n is string => !!n))].sort();
  if (names.length === 0) return { hash: undefined, missing: [] };
  const h = createHash('sha256');
  const missing: string[] = [];
  for (const name of names) {
    const s = await kube.get<SecretLike>(RESOURCE.Secret, kc.metadata.namespace, name);
    if (!s) {
      missing.push(name);
      h.update(`${name}:missing\n`);
      continue;
    }
    const data = s.data ?? {};
    h.update(`${name}:${JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]))}\n`);
  }
  return { hash: h.digest('hex').slice(0, 16), missing };
}

export async function reconcileCluster(deps: ClusterReconcilerDeps, namespace: string, name: string): Promise<ReconcileResult> {
  const { kube, events } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ ksqlcluster: `${namespace}/${name}` });
  const raw = await kube.get<RawCluster>(RESOURCE.KsqlCluster, namespace, name);
  if (!raw) {
    deps.metrics?.setConditions('KsqlCluster', namespace, name, []);
    return {};
  }
  const generation = raw.metadata?.generation;
  const oldConditions = raw.status?.conditions;

  const writeStatus = async (status: Record<string, unknown>, conditions: ConditionInput[]): Promise<void> => {
    const merged = mergeConditions(oldConditions, conditions, now(), generation);
    for (const c of transitions(oldConditions, merged)) {
      const good = c.type === 'Degraded' ? c.status === 'False' : c.type === 'Ready' || c.type === MONITORING_CONDITION || c.type === KAFKA_CONDITION ? c.status !== 'False' : true;
      events.record(raw, good ? 'Normal' : 'Warning', c.reason, 'Reconcile', `${c.type}=${c.status}${c.message ? `: ${c.message}` : ''}`);
    }
    await applyStatusIfChanged(kube, raw, { ...status, observedGeneration: generation ?? 0, conditions: merged });
    deps.metrics?.setConditions('KsqlCluster', namespace, name, merged);
  };

  if (raw.metadata?.deletionTimestamp) return await finalize(deps, raw, log);

  const parsed = parseKsqlCluster(raw);
  if (!parsed.ok) {
    const message = formatErrors(parsed.errors);
    log.warn({ errors: parsed.errors }, 'invalid spec');
    await writeStatus({}, [
      { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
      { type: 'Degraded', status: 'True', reason: 'InvalidSpec', message },
    ]);
    return {};
  }
  const kc = parsed.value;
  // a pod template that would weaken the engine pod: refused, nothing applied (what runs keeps running)
  const refused = podTemplateViolations(kc.spec.podTemplate);
  if (refused.length > 0) {
    const message = refused.join('; ');
    log.warn({ refused }, 'pod template refused');
    await writeStatus({}, [
      { type: 'Ready', status: 'False', reason: 'PodTemplateRefused', message },
      { type: 'Degraded', status: 'True', reason: 'PodTemplateRefused', message },
    ]);
    return {};
  }
  if (!hasFinalizer(raw, CLUSTER_FINALIZER)) await applyFinalizer(kube, raw, CLUSTER_FINALIZER, true);

  const secrets = await observeSecrets(kube, kc);
  // the engines' REST credentials: generated once; a new password (the Secret deleted) rolls the pods as a rotated Kafka credential does
  const credentials = await ensureEngineCredentials(kube, kc);
  const secretsHash = createHash('sha256').update(`${secrets.hash ?? ''}\n${credentials.user}:${credentials.password}`).digest('hex').slice(0, 16);
  const observedMonitoring = await observeMonitoring(kube, kc);
  const desired = renderCluster(kc, { ...deps.render, prometheusOperator: observedMonitoring.prometheusOperator === 'Installed' }, secretsHash);
  let sts: V1StatefulSet | undefined;
  try {
    for (const obj of clusterObjectsInApplyOrder(desired)) {
      const applied = await kube.apply(obj as KubeObject);
      if (obj.kind === 'StatefulSet') sts = applied as V1StatefulSet;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await writeStatus({}, [
      { type: 'Ready', status: 'False', reason: 'ApplyFailed', message },
      { type: 'Degraded', status: 'True', reason: 'ApplyFailed', message },
    ]).catch(() => undefined);
    throw e;
  }
  const hash = desired.statefulSet.spec?.template.metadata?.annotations?.[ANNOTATION.configHash];
  if (hash && raw.status?.configHash && raw.status.configHash !== hash) {
    events.record(raw, 'Normal', 'ConfigChanged', 'Apply', `engine configuration changed (hash ${raw.status.configHash} → ${hash}); rolling the engine pods`);
  }
  const failures = await provisionMonitoring(kube, kc, desired.monitoring, observedMonitoring, log);
  // the pods: a crash loop's termination message, whether the engines reach Kafka
  const pods = (await kube.list<V1Pod & KubeObject>(RESOURCE.Pod, namespace, { labelSelector: selectorString(engineSelector(name)) })).items;
  const health = engineHealthConditions(pods);
  const rollout = rolloutConditions(sts, kc.spec.replicas, secrets.missing).map((c) => (c.type === 'Degraded' && c.status === 'False' && health.degraded ? health.degraded : c));
  const conditions = [...rollout, health.kafka, monitoringCondition(desired.monitoring, observedMonitoring, failures)];
  const id = serviceId(kc);
  await writeStatus(
    {
      replicas: sts?.status?.replicas ?? 0,
      readyReplicas: sts?.status?.readyReplicas ?? 0,
      selector: selectorString(engineSelector(name)),
      restEndpoint: restEndpoint(name, namespace),
      consoleUrl: consoleUrl(name, namespace),
      serviceId: id,
      internalTopicPrefix: internalTopicPrefix(id),
      ...(hash ? { configHash: hash } : {}),
      ...(desired.monitoring.dashboardRefs.length > 0 ? { dashboards: desired.monitoring.dashboardRefs } : {}),
    },
    conditions,
  );
  const ready = conditions.find((c) => c.type === 'Ready')?.status === 'True';
  return ready && !failures.some((f) => f.retryable) ? {} : { requeueAfterMs: deps.pollMs ?? 15_000 };
}

interface QueryRef extends KubeObject {
  spec?: { clusterRef?: { name?: string } };
}

/** Deletes the cluster's KsqlQueries, waits until they are gone, then lets the cluster go. */
async function finalize(deps: ClusterReconcilerDeps, raw: RawCluster, log: Logger): Promise<ReconcileResult> {
  if (!hasFinalizer(raw, CLUSTER_FINALIZER)) return {};
  const { kube } = deps;
  const namespace = raw.metadata?.namespace ?? 'default';
  const name = raw.metadata?.name ?? '';
  const { items } = await kube.list<QueryRef>(RESOURCE.KsqlQuery, namespace);
  const mine = items.filter((q) => q.spec?.clusterRef?.name === name);
  for (const q of mine) {
    if (q.metadata?.deletionTimestamp) continue;
    await kube.delete(RESOURCE.KsqlQuery, namespace, q.metadata?.name ?? '');
  }
  if (mine.length > 0) {
    deps.events.record(raw, 'Normal', 'DeletingQueries', 'Delete', `waiting for ${mine.length} KsqlQuery object(s) to terminate: ${mine.map((q) => q.metadata?.name).join(', ')}`);
    log.info({ queries: mine.map((q) => q.metadata?.name) }, 'waiting for the cluster\'s queries to go');
    return { requeueAfterMs: 2_000 };
  }
  const parsed = parseKsqlCluster(raw);
  if (parsed.ok && parsed.value.spec.deletionPolicy === 'Delete') {
    const wait = await cleanKafka(deps, parsed.value, raw, log);
    if (wait) return wait;
  }
  await applyFinalizer(kube, raw, CLUSTER_FINALIZER, false);
  deps.events.record(raw, 'Normal', 'Finalized', 'Delete', 'queries terminated; the engine objects go with the cluster (garbage collection)');
  deps.metrics?.setConditions('KsqlCluster', namespace, name, []);
  return {};
}

/**
 * deletionPolicy: Delete — stops the engines (deletes the StatefulSet and
 * waits for its pods), then deletes the service's topics and consumer groups
 * on Kafka. A requeue while something is left to wait for; null when done.
 */
async function cleanKafka(deps: ClusterReconcilerDeps, kc: KsqlCluster, raw: RawCluster, log: Logger): Promise<ReconcileResult | null> {
  const { kube, events } = deps;
  const ns = kc.metadata.namespace ?? 'default';
  const name = kc.metadata.name;
  await kube.delete(RESOURCE.StatefulSet, ns, clusterObjectNames(name).statefulSet, { propagationPolicy: 'Background' });
  const pods = (await kube.list(RESOURCE.Pod, ns, { labelSelector: selectorString(engineSelector(name)) })).items;
  if (pods.length > 0) {
    log.info({ pods: pods.length }, 'waiting for the engines to stop before cleaning Kafka');
    return { requeueAfterMs: 2_000 };
  }
  const id = serviceId(kc);
  try {
    const done = await (deps.kafkaCleanup ?? deleteServiceFromKafka)(await kafkaConnection(kube, kc), id);
    if (done.nonEmpty.length > 0) {
      log.info({ groups: done.nonEmpty }, 'consumer groups still have members; retrying');
      return { requeueAfterMs: 5_000 };
    }
    events.record(raw, 'Normal', 'KafkaCleaned', 'Delete', `deletionPolicy Delete: deleted ${done.topics.length} topic(s) and ${done.groups.length} consumer group(s) of service id ${id}`);
    return null;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    events.record(raw, 'Warning', 'KafkaCleanupFailed', 'Delete', `deletionPolicy Delete: could not delete the topics and groups of service id ${id} (retrying; set deletionPolicy: Keep to let the cluster go without): ${message}`);
    return { requeueAfterMs: 15_000 };
  }
}
