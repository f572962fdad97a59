import type { TestProject } from 'vitest/node';
import { ensureBinaries, startControlPlane } from './control-plane.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** path of an admin kubeconfig (token in group system:masters) */
    kubeconfig: string;
  }
}

/**
 * vitest globalSetup for the e2e project: one control plane (etcd +
 * kube-apiserver + kube-controller-manager) for the whole run. Tests read the
 * admin kubeconfig path with `inject('kubeconfig')` (or, outside vitest's
 * context, process.env.KSETL_KUBECONFIG). When KSETL_KUBECONFIG is already
 * set, that cluster is used and nothing is started or built.
 *
 * A machine without the binaries builds them first (build.sh; tens of
 * minutes once, cached under ~/.cache/ksetl/), which globalSetup waits for:
 * vitest puts no timeout on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env['KSETL_KUBECONFIG'];
  if (given) {
    project.provide('kubeconfig', given);
    return async () => {};
  }
  const built = Date.now();
  const binaries = await ensureBinaries({ log: (line) => console.log(`[kube] ${line}`) });
  const started = Date.now();
  const cp = await startControlPlane({ ownerPid: process.pid, timeoutSeconds: 180 });
  console.log(
    `[kube] ${cp.server} ready in ${Date.now() - started} ms (binaries ${started - built} ms; ${cp.dir}; kubectl ${binaries.kubectl})`,
  );
  process.env['KSETL_KUBECONFIG'] = cp.kubeconfigPath;
  project.provide('kubeconfig', cp.kubeconfigPath);
  return async () => {
    delete process.env['KSETL_KUBECONFIG'];
    await cp.stop();
  };
}
