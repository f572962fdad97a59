import type { TestProject } from 'vitest/node';
import { ensureOtelcol } from './otelcol.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** path of the otelcol-ksetl binary (test/infra/otelcol/build.sh) */
    otelcol: string;
  }
}

/**
 * vitest globalSetup for the e2e project: builds ksetl's OpenTelemetry
 * Collector once (tens of minutes on a fresh machine, then cached under
 * ~/.cache/ksetl/otelcol-<version>/), so the log-shipping e2e runs the real
 * collector. KSETL_OTELCOL names a binary to use instead.
 */
export default async function setup(project: TestProject): Promise<void> {
  const given = process.env['KSETL_OTELCOL'];
  if (given) {
    project.provide('otelcol', given);
    return;
  }
  const t0 = Date.now();
  const path = await ensureOtelcol({ log: (line) => console.log(`[otelcol] ${line}`) });
  console.log(`[otelcol] ${path} (${Date.now() - t0} ms)`);
  project.provide('otelcol', path);
}
