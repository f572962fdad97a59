/**
 * The pod runner as a command, beside a control plane started elsewhere:
 *   npx tsx test/infra/pod-runner/main.ts --kubeconfig F [--node NAME] [--dir D] [--selector S]
 * Runs until SIGINT/SIGTERM, then kills its pods' processes and removes its Node.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPodRunner } from './runner.js';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    node: { type: 'string' },
    dir: { type: 'string' },
    selector: { type: 'string' },
    'ip-prefix': { type: 'string' },
  },
});
const kubeconfig = values.kubeconfig ?? process.env['KUBECONFIG'];
if (!kubeconfig) {
  console.error('usage: main.ts --kubeconfig FILE [--node NAME] [--dir DIR] [--selector LABELS] [--ip-prefix 127.0.5.]');
  process.exit(2);
}
const repoRoot = resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'));
const runner = await startPodRunner({
  kubeconfig,
  repoRoot,
  ...(values.node ? { nodeName: values.node } : {}),
  ...(values.dir ? { dir: values.dir } : {}),
  ...(values.selector ? { labelSelector: values.selector } : {}),
  ...(values['ip-prefix'] ? { ipPrefix: values['ip-prefix'] } : {}),
  log: (line) => console.log(`[pod-runner] ${line}`),
});
console.log(`[pod-runner] node ${runner.nodeName} ready; volumes and logs in ${runner.dir}`);
const stop = () => {
  console.log('[pod-runner] stopping');
  void runner.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
