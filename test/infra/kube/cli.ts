/**
 * By hand: `bash test/infra/kube/kube.sh start|stop|status|build`.
 *   start   builds the binaries if missing, starts etcd + kube-apiserver +
 *           kube-controller-manager in $KSETL_KUBE_DIR (default
 *           $TMPDIR/ksetl-kube) and prints the admin kubeconfig path; the
 *           processes keep running after this command exits (pids in DIR/pids)
 *   stop    stops them (logs stay in DIR)
 *   status  prints "running <server> <kubeconfig>" or "stopped" (exit 1)
 *   build   only builds (or finds) the binaries and prints their dirs
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries, startControlPlane, stopControlPlaneDir } from './control-plane.js';

const dir = process.env['KSETL_KUBE_DIR'] ?? join(tmpdir(), 'ksetl-kube');
const log = (line: string) => process.stderr.write(`${line}\n`);

async function running(): Promise<string | null> {
  const pids = await readFile(join(dir, 'pids'), 'utf8').catch(() => '');
  const list = pids.split('\n').filter(Boolean).map(Number);
  if (list.length < 3) return null;
  for (const pid of list) {
    try {
      process.kill(pid, 0);
    } catch {
      return null;
    }
  }
  return (await readFile(join(dir, 'server'), 'utf8').catch(() => '')).trim() || null;
}

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'build': {
      const b = await ensureBinaries({ log });
      console.log(b.kubeBinDir);
      console.log(b.etcd.replace(/\/etcd$/, ''));
      return 0;
    }
    case 'start': {
      if (await running()) {
        console.log(join(dir, 'kubeconfig'));
        return 0;
      }
      await stopControlPlaneDir(dir);
      const b = await ensureBinaries({ log });
      const started = Date.now();
      const cp = await startControlPlane({ dir, keepDir: true, timeoutSeconds: Number(process.env['KSETL_KUBE_START_TIMEOUT'] ?? 180) });
      await writeFile(join(dir, 'server'), `${cp.server}\n`);
      log(`kube: ${cp.server} ready in ${Date.now() - started} ms; logs in ${dir}; kubectl: ${b.kubectl}`);
      log(`kube: export KUBECONFIG=${cp.kubeconfigPath}`);
      console.log(cp.kubeconfigPath);
      return 0;
    }
    case 'stop':
      await stopControlPlaneDir(dir);
      return 0;
    case 'status': {
      const server = await running();
      if (!server) {
        console.log('stopped');
        return 1;
      }
      console.log(`running ${server} ${join(dir, 'kubeconfig')}`);
      return 0;
    }
    default:
      log('usage: kube.sh start|stop|status|build   (state dir: $KSETL_KUBE_DIR, default $TMPDIR/ksetl-kube)');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`kube: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
