/**
 * `ksetl operator`: the KsqlCluster and KsqlQuery controllers, wired.
 *
 * Informers (with the relist watchdog) feed two work queues; owned objects
 * map back to their KsqlCluster (drift is corrected by re-applying), a
 * KsqlCluster's changes wake its KsqlQueries. With `--leader-elect` only the
 * Lease holder reconciles (the caches stay warm on standbys for a quick
 * takeover). `/healthz`, `/readyz` (informers synced) and `/metrics` on the
 * health port; JSON logs on stdout. SIGTERM: stop the controllers (drain
 * what is in flight), release the Lease, stop the informers.
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KSQL_CLUSTER_KIND } from './api/ksql-cluster.js';
import { Controller } from './controllers/controller.js';
import { overrideEndpoints, podEndpoints, serviceEndpoints, type EngineEndpoints } from './controllers/engine-endpoints.js';
import { reconcileCluster } from './controllers/ksql-cluster/reconcile.js';
import { QueryMemory } from './controllers/ksql-query/memory.js';
import { reconcileQuery } from './controllers/ksql-query/reconcile.js';
import { KubeClient } from './kube/client.js';
import { KubeEventRecorder } from './kube/events.js';
import { Informer, objectKey } from './kube/informer.js';
import { LeaderElector } from './kube/leader.js';
import type { KubeObject, KubePort } from './kube/port.js';
import { RESOURCE } from './kube/resources.js';
import type { WatchdogSettings } from './kube/watchdog.js';
import { createLogger, type Logger } from './log.js';
import { OperatorMetrics } from './metrics.js';
import { FIELD_MANAGER, LABEL } from './names.js';

export const USAGE = `ksetl operator [options]
  --kubeconfig FILE          kubeconfig (default: in-cluster, then $KUBECONFIG / ~/.kube/config)
  --namespace NS             watch one namespace (default: all)
  --leader-elect             run only while holding the Lease ksetl-operator in $POD_NAMESPACE
  --health-port P            /healthz, /readyz, /metrics (default 8080; alias --http-port)
  --engine-endpoints MODE    service (client Service DNS, default) | pods (ready pod IPs from EndpointSlices)
  --engine-url-override URL  one engine URL for every cluster (tests)
  --default-engine-image I   engine image when spec.image is unset
  --prometheus-operator      the Prometheus Operator CRDs exist (monitoring.scrape.mode Auto)
  --prometheus-namespace NS  a namespace Prometheus scrapes engines from, admitted by each engine's
                             NetworkPolicy (repeatable; default monitoring)
  --poll-seconds N           how often running queries are polled (default 15)`;

export interface OperatorOptions {
  readonly kubeconfig?: string;
  readonly namespace?: string;
  readonly leaderElect: boolean;
  readonly healthPort: number;
  readonly engineEndpoints: 'service' | 'pods';
  readonly engineUrlOverride?: string;
  readonly defaultImage: string;
  readonly prometheusOperator: boolean;
  /** the operator's own namespace ($POD_NAMESPACE), admitted to the engines by their NetworkPolicy */
  readonly operatorNamespace?: string;
  readonly prometheusNamespaces?: readonly string[];
  readonly pollMs: number;
  readonly leaseNamespace: string;
  readonly identity: string;
  readonly watchdog?: WatchdogSettings;
}

export function parseOperatorArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): OperatorOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      kubeconfig: { type: 'string' },
      namespace: { type: 'string' },
      'leader-elect': { type: 'boolean', default: false },
      'health-port': { type: 'string' },
      'http-port': { type: 'string' },
      'engine-endpoints': { type: 'string', default: 'service' },
      'engine-url-override': { type: 'string' },
      'default-engine-image': { type: 'string' },
      'prometheus-operator': { type: 'boolean', default: false },
      'prometheus-namespace': { type: 'string', multiple: true },
      'poll-seconds': { type: 'string' },
    },
  });
  const mode = values['engine-endpoints'];
  if (mode !== 'service' && mode !== 'pods') throw new Error(`--engine-endpoints must be service or pods, not ${mode}`);
  const port = Number(values['health-port'] ?? values['http-port'] ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--health-port must be a port number');
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    leaderElect: values['leader-elect'] ?? false,
    healthPort: port,
    engineEndpoints: mode,
    ...(values['engine-url-override'] ? { engineUrlOverride: values['engine-url-override'] } : {}),
    defaultImage: values['default-engine-image'] ?? env['KSETL_ENGINE_IMAGE'] ?? 'ghcr.io/ksetl/ksetl:0.1.0',
    prometheusOperator: values['prometheus-operator'] ?? false,
    ...(env['POD_NAMESPACE'] ? { operatorNamespace: env['POD_NAMESPACE'] } : {}),
    ...(values['prometheus-namespace'] ? { prometheusNamespaces: values['prometheus-namespace'] } : {}),
    pollMs: Number(values['poll-seconds'] ?? 15) * 1000,
    leaseNamespace: env['POD_NAMESPACE'] ?? values.namespace ?? 'default',
    identity: env['POD_NAME'] ?? `${hostname()}_${process.pid}`,
  };
}

export interface RunningOperator {
  readonly port: number;
  readonly metrics: OperatorMetrics;
  readonly ready: () => boolean;
  readonly leading: () => boolean;
  stop(): Promise<void>;
}

interface WithOwner extends KubeObject {
  spec?: { clusterRef?: { name?: string } };
}

/** Starts the operator; resolves once the health server listens. */
export async function startOperator(opts: OperatorOptions, log: Logger = createLogger(), kubePort?: KubePort): Promise<RunningOperator> {
  let kube = kubePort;
  if (!kube) {
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    kube = new KubeClient(kc);
  }
  const metrics = new OperatorMetrics();
  const events = new KubeEventRecorder(kube, opts.identity, log);
  const endpoints: EngineEndpoints = opts.engineUrlOverride ? overrideEndpoints(opts.engineUrlOverride) : opts.engineEndpoints === 'pods' ? podEndpoints(kube) : serviceEndpoints();
  const informerOpts = { ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.watchdog ? { watchdog: opts.watchdog } : {}) };
  const clusters = new Informer<KubeObject>(kube, RESOURCE.KsqlCluster, log, informerOpts);
  const queries = new Informer<WithOwner>(kube, RESOURCE.KsqlQuery, log, informerOpts);
  const managed = `${LABEL.managedBy}=${FIELD_MANAGER}`;
  const owned = [RESOURCE.StatefulSet, RESOURCE.ConfigMap, RESOURCE.Service, RESOURCE.ServiceAccount, RESOURCE.PodDisruptionBudget, RESOURCE.NetworkPolicy].map(
    (t) => new Informer<KubeObject>(kube, t, log, { ...informerOpts, labelSelector: managed }),
  );
  const informers: Informer<KubeObject>[] = [clusters, queries, ...owned];

  const render = {
    defaultImage: opts.defaultImage,
    prometheusOperator: opts.prometheusOperator,
    ...(opts.operatorNamespace ? { operatorNamespace: opts.operatorNamespace } : {}),
    ...(opts.prometheusNamespaces ? { prometheusNamespaces: opts.prometheusNamespaces } : {}),
  };
  const clusterController = new Controller('ksqlcluster', (ns, name) => reconcileCluster({ kube, events, log, metrics, render }, ns, name), {
    log,
    metrics,
    keys: () => clusters.list().map(objectKey),
  });
  const queryMemory = new QueryMemory();
  const queryController = new Controller('ksqlquery', (ns, name) => reconcileQuery({ kube, events, log, metrics, endpoints, memory: queryMemory, pollMs: opts.pollMs }, ns, name), {
    log,
    metrics,
    keys: () => queries.list().map(objectKey),
  });

  clusters.on((_type, o) => {
    clusterController.enqueue(objectKey(o));
    // a cluster that changed (became ready, is going away) wakes its queries
    for (const q of queries.list()) if (q.metadata?.namespace === o.metadata?.namespace && q.spec?.clusterRef?.name === o.metadata?.name) queryController.enqueue(objectKey(q));
  });
  queries.on((_type, o) => {
    queryController.enqueue(objectKey(o));
    const cluster = o.spec?.clusterRef?.name;
    // a deleting cluster waits for its queries to go
    if (cluster) {
      const kc = clusters.get(o.metadata?.namespace, cluster);
      if (kc?.metadata?.deletionTimestamp) clusterController.enqueue(`${o.metadata?.namespace ?? ''}/${cluster}`);
    }
  });
  for (const inf of owned) {
    inf.on((_type, o) => {
      const owner = o.metadata?.ownerReferences?.find((r) => r.kind === KSQL_CLUSTER_KIND && r.controller);
      if (owner) clusterController.enqueue(`${o.metadata?.namespace ?? ''}/${owner.name}`);
    });
  }

  const ready = (): boolean => informers.every((i) => i.synced);
  let elector: LeaderElector | null = null;
  const startControllers = (): void => {
    metrics.leader.set(1);
    clusterController.start();
    queryController.start();
  };
  const stopControllers = async (): Promise<void> => {
    metrics.leader.set(0);
    await Promise.all([clusterController.stop(), queryController.stop()]);
  };

  // a periodic resync catches what no watch reports (Secret rotation, engine-side changes)
  const resync = setInterval(() => {
    for (const o of clusters.list()) clusterController.enqueue(objectKey(o));
  }, 5 * 60_000);
  resync.unref();

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'informers not synced');
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.healthPort, resolve);
  });
  const port = (server.address() as { port: number }).port;

  for (const i of informers) i.start();
  if (opts.leaderElect) {
    elector = new LeaderElector(kube, log, {
      namespace: opts.leaseNamespace,
      name: 'ksetl-operator',
      identity: opts.identity,
      onStartedLeading: startControllers,
      onStoppedLeading: () => void stopControllers(),
    });
    elector.start();
  } else {
    startControllers();
  }
  log.info({ port, namespace: opts.namespace ?? '(all)', leaderElect: opts.leaderElect, engineEndpoints: opts.engineUrlOverride ?? opts.engineEndpoints, identity: opts.identity }, 'operator started');

  let stopping: Promise<void> | null = null;
  return {
    port,
    metrics,
    ready,
    leading: () => (elector ? elector.leading : true),
    stop: () =>
      (stopping ??= (async () => {
        log.info('shutting down');
        clearInterval(resync);
        await stopControllers();
        if (elector) await elector.stop();
        await Promise.all(informers.map((i) => i.stop()));
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        log.info('stopped');
      })()),
  };
}

/** The `ksetl operator` command: runs until SIGTERM/SIGINT. */
export async function runOperator(args: readonly string[]): Promise<number> {
  const opts = parseOperatorArgs(args);
  const log = createLogger();
  const op = await startOperator(opts, log);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info({ signal: sig }, 'signal');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      op.stop().then(resolve, (e: unknown) => {
        log.error({ err: e }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}
