import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeEventRecorder } from './events.js';
import type { KubeObject, KubePort } from './port.js';

/** A KubePort that keeps what is created (the recorder uses nothing else). */
function recordingPort(): { port: KubePort; created: KubeObject[] } {
  const created: KubeObject[] = [];
  const unused = (): never => {
    throw new Error('not used by the event recorder');
  };
  const port: KubePort = {
    get: unused,
    list: unused,
    apply: unused,
    applyStatus: unused,
    replace: unused,
    delete: unused,
    watch: unused,
    create: async <T extends KubeObject>(o: T) => {
      created.push(o);
      return o;
    },
  };
  return { port, created };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const query = (name: string): KubeObject => ({ apiVersion: 'ksetl.io/v1alpha1', kind: 'KsqlQuery', metadata: { name, namespace: 'team-a', uid: `uid-${name}` } });

describe('KubeEventRecorder', () => {
  it('names events <object>.<hex> (a valid name, not a generateName ending in a dot), each one apart', () => {
    const { port, created } = recordingPort();
    const rec = new KubeEventRecorder(port, 'op-0', pino({ level: 'silent' }));
    rec.record(query('in-place'), 'Normal', 'Submitted', 'Submit', 'CreateSource A');
    rec.record(query('in-place'), 'Normal', 'Submitted', 'Submit', 'CreateAsSelect B');
    rec.record(query('x'.repeat(253)), 'Warning', 'SqlInvalid', 'Reconcile', 'bad');
    const names = created.map((e) => e.metadata?.name ?? '');
    expect(created.every((e) => e.metadata?.generateName === undefined)).toBe(true);
    expect(names[0]).toMatch(/^in-place\.[0-9a-f]+$/);
    expect(new Set(names).size).toBe(3);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(253);
      expect(n).toMatch(DNS_SUBDOMAIN);
    }
  });

  it('drops a repeat of the same reason and note for the same object', () => {
    const { port, created } = recordingPort();
    const rec = new KubeEventRecorder(port, 'op-0', pino({ level: 'silent' }));
    rec.record(query('q'), 'Normal', 'Paused', 'Pause', 'query Q paused');
    rec.record(query('q'), 'Normal', 'Paused', 'Pause', 'query Q paused');
    expect(created).toHaveLength(1);
  });
});
