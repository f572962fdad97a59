import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSensitiveProperty } from 'ksetl/engine';
import { ALLOWED_CONFIG_KEYS, ENGINE_CONFIG_RULES } from './engine-config.js';
import { RESERVED_CONFIG_KEYS } from './ksql-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('spec.config allow-list', () => {
  it('holds only keys the engine reads, none secret and none the operator manages', () => {
    const engine = sources(join(root, 'engine')).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const k of ALLOWED_CONFIG_KEYS) {
      expect(engine.includes(`'${k}'`), `the engine reads ${k}`).toBe(true);
      expect(isSensitiveProperty(k), k).toBe(false);
      expect((RESERVED_CONFIG_KEYS as readonly string[]).includes(k), k).toBe(false);
    }
  });

  it('is documented in docs/security.md, key by key', () => {
    const doc = readFileSync(join(root, 'docs', 'security.md'), 'utf8');
    for (const k of ALLOWED_CONFIG_KEYS) expect(doc, k).toContain(`\`${k}\``);
  });

  it('is the list the CEL rule checks', () => {
    expect(ENGINE_CONFIG_RULES[0].rule).toBe(`self.all(k, k in ${JSON.stringify(ALLOWED_CONFIG_KEYS)})`);
  });
});
