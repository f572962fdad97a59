/**
 * `npm run local:up [-- --example hk01-new-users] [--namespace demo] [--no-example]`
 *
 * The whole product on one machine, no container runtime needed: a Kafka
 * broker (KRaft), a Kubernetes control plane (etcd + kube-apiserver +
 * kube-controller-manager built from source, cached), the CRDs and the
 * operator's RBAC from manifests/base, the pod runner playing the node, the
 * operator with its ServiceAccount's token, and one of manifests/examples/
 * applied (pointed at the local broker). Prints how to use kubectl; Ctrl-C
 * tears everything down.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startKafka, type KafkaBroker } from '../test/infra/kafka/broker.js';
import { ensureBinaries, startControlPlane, type ControlPlane } from '../test/infra/kube/control-plane.js';
import { KubeRest } from '../test/infra/pod-runner/kube-rest.js';
import { startPodRunner, type PodRunner } from '../test/infra/pod-runner/runner.js';
import {
  REPO,
  applyAll,
  condition,
  createTopics,
  eventually,
  installCrdsAndRbac,
  pointAtBroker,
  readDocs,
  serviceAccountKubeconfig,
  sourceTopics,
  startOperator,
  type OperatorProcess,
} from '../test/e2e/harness.js';

const { values } = parseArgs({
  options: {
    example: { type: 'string', default: 'hk01-new-users' },
    namespace: { type: 'string', default: 'demo' },
    'no-example': { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});

const say = (line: string) => console.log(`[local-up] ${line}`);
const home = values.dir ?? join(process.env['HOME'] ?? '/tmp', '.cache', 'ksetl', 'local-up');
mkdirSync(home, { recursive: true });

let broker: KafkaBroker | null = null;
let cp: ControlPlane | null = null;
let runner: PodRunner | null = null;
let operator: OperatorProcess | null = null;
let stopping = false;

async function teardown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('tearing down');
  await operator?.stop().catch(() => {});
  await runner?.stop().catch(() => {});
  await cp?.stop().catch(() => {});
  await broker?.stop().catch(() => {});
  say('stopped');
}

async function main(): Promise<void> {
  say('starting Kafka (first run resolves the broker jars with Maven)');
  broker = await startKafka();
  say(`Kafka: ${broker.bootstrap}`);

  say('control plane (first run builds kube-apiserver, kube-controller-manager and etcd: tens of minutes, cached)');
  const binaries = await ensureBinaries({ log: (l) => say(l) });
  cp = await startControlPlane({ ownerPid: process.pid, timeoutSeconds: 180 });
  say(`kube-apiserver: ${cp.server}`);

  const api = await KubeRest.fromFile(cp.kubeconfigPath);
  await installCrdsAndRbac(api);
  const operatorKubeconfig = await serviceAccountKubeconfig(api, cp.kubeconfigPath, join(home, 'operator.kubeconfig'));

  runner = await startPodRunner({ kubeconfig: cp.kubeconfigPath, repoRoot: REPO, dir: join(home, 'pods'), log: (l) => say(`pod runner: ${l}`) });
  operator = startOperator({ kubeconfig: operatorKubeconfig, logFile: join(home, 'operator.log') });
  operator.child.once('exit', (code, signal) => {
    if (!stopping) say(`the operator exited (${code ?? signal}); see ${join(home, 'operator.log')}`);
  });
  say(`operator running as system:serviceaccount:ksetl-system:ksetl-operator (log: ${join(home, 'operator.log')})`);

  const ns = values.namespace!;
  await api.create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }).catch(() => {});
  if (!values['no-example']) {
    const file = join(REPO, 'manifests', 'examples', `${values.example}.yaml`);
    if (!existsSync(file)) throw new Error(`no example ${file}`);
    const docs = pointAtBroker(readDocs(file), broker.bootstrap);
    const topics = docs.filter((d) => d.kind === 'KsqlQuery').flatMap((d) => sourceTopics((d['spec'] as { sql: string }).sql));
    if (topics.length > 0) await createTopics(broker.bootstrap, [...new Set(topics)]);
    await applyAll(api, docs, ns);
    say(`applied ${values.example} in namespace ${ns} (source topics: ${topics.join(', ') || 'none'})`);
  }

  const kubectl = existsSync(binaries.kubectl) ? binaries.kubectl : 'kubectl';
  const envFile = join(home, 'env.sh');
  writeFileSync(envFile, `export KUBECONFIG=${cp.kubeconfigPath}\nexport KSETL_KAFKA_BOOTSTRAP=${broker.bootstrap}\nalias kubectl=${kubectl}\n`);
  console.log(`
ksetl is up.

  source ${envFile}            # KUBECONFIG, KSETL_KAFKA_BOOTSTRAP, kubectl
  kubectl -n ${ns} get kc,kq        # clusters and queries (kubectl get kq -o wide: query ids, errors)
  kubectl -n ${ns} describe kq      # conditions and events
  kubectl -n ${ns} get pods -o wide # engine pods; their IPs are local loopback addresses

  Kafka:        ${broker.bootstrap}
  pod logs:     ${join(home, 'pods', 'logs')}
  operator log: ${join(home, 'operator.log')}

Ctrl-C stops everything.
`);

  if (!values['no-example']) {
    const clusters = (await api.get<{ items: { metadata: { name: string } }[] }>(`/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters`)).items.map((c) => c.metadata.name);
    for (const name of clusters) {
      await eventually(`KsqlCluster ${name} Ready`, async () => {
        const kc = await api.find(`/apis/ksetl.io/v1alpha1/namespaces/${ns}/ksqlclusters/${name}`);
        return condition(kc, 'Ready')?.status === 'True' ? true : undefined;
      }, 600_000, 2000).then(
        () => {
          const pod = runner?.pods().find((p) => p.namespace === ns && p.name.startsWith(`${name}-`));
          // the engine asks for the credentials the operator generated (Secret <name>-ksetl-auth); the shell reads them from KSETL_USER/KSETL_PASSWORD
          const secret = `${name}-ksetl-auth`;
          say(
            `KsqlCluster ${name} is Ready${pod ? `; its engine: KSETL_USER=ksetl KSETL_PASSWORD=$(kubectl -n ${ns} get secret ${secret} -o jsonpath='{.data.password}' | base64 -d) npx ksetl --server http://${pod.ip}:8088` : ''}`,
          );
        },
        (e: unknown) => say((e as Error).message),
      );
    }
  }
}

process.once('SIGINT', () => void teardown().then(() => process.exit(0)));
process.once('SIGTERM', () => void teardown().then(() => process.exit(0)));
main().catch(async (e: unknown) => {
  console.error(`[local-up] ${(e as Error).stack ?? String(e)}`);
  await teardown();
  process.exit(1);
});
