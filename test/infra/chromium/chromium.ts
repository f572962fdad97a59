/**
 * Headless Chromium for the console's browser tests: Debian's `chromium`
 * (installed once by install.sh), driven by playwright-core through its
 * executablePath; playwright never downloads a browser.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);
const installScript = fileURLToPath(new URL('./install.sh', import.meta.url));

/** The chromium binary: install.sh installs Debian's package when missing and prints the path. */
export async function ensureChromium(): Promise<string> {
  const { stdout } = await run('bash', [installScript], { maxBuffer: 16 << 20, timeout: 900_000 });
  const bin = stdout.trim().split('\n').pop() ?? '';
  if (!bin) throw new Error('install.sh printed no chromium path');
  return bin;
}

/** Launches headless Chromium (no sandbox: tests run as root in containers). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureChromium();
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
