import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { engineCrashes, engineHealthConditions } from './engine-health.js';

const DNS = 'ksetl server: Connection error: getaddrinfo ENOTFOUND no-such-kafka.invalid';
const pod = (name: string, status: NonNullable<V1Pod['status']>['containerStatuses']): V1Pod => ({ metadata: { name }, status: { containerStatuses: status ?? [] } });
const crashLooping = (name: string, message?: string): V1Pod =>
  pod(name, [
    {
      name: 'engine',
      image: 'i',
      imageID: '',
      ready: false,
      restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1, reason: 'Error', ...(message ? { message } : {}) } },
    },
  ]);
const ready = (name: string): V1Pod => pod(name, [{ name: 'engine', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }]);
const starting = (name: string): V1Pod => pod(name, [{ name: 'engine', image: 'i', imageID: '', ready: false, restartCount: 0, state: { running: {} } }]);

describe('engine health from the pods', () => {
  it('a crash loop on an unreachable bootstrap: Degraded and KafkaReachable=False with the DNS error', () => {
    const h = engineHealthConditions([crashLooping('c-ksetl-0', DNS)]);
    expect(h.degraded).toMatchObject({ status: 'True', reason: 'KafkaUnreachable' });
    expect(h.degraded?.message).toContain('getaddrinfo ENOTFOUND no-such-kafka.invalid');
    expect(h.degraded?.message).toContain('c-ksetl-0 (restarts: 3)');
    expect(h.kafka).toMatchObject({ type: 'KafkaReachable', status: 'False', reason: 'KafkaUnreachable' });
  });

  it('another crash: Degraded EngineCrashLoop with the message, or the exit code without one; Kafka unknown', () => {
    const h = engineHealthConditions([crashLooping('c-ksetl-1', 'ksetl server: bad config'), crashLooping('c-ksetl-0')]);
    expect(h.degraded).toMatchObject({ reason: 'EngineCrashLoop', message: 'c-ksetl-0 (restarts: 3): exited with code 1 (Error); c-ksetl-1 (restarts: 3): ksetl server: bad config' });
    expect(h.kafka.status).toBe('Unknown');
  });

  it('healthy pods: no Degraded from them, Kafka reachable once one is ready', () => {
    expect(engineHealthConditions([starting('c-0')])).toEqual({ degraded: null, kafka: expect.objectContaining({ status: 'Unknown' }) });
    expect(engineHealthConditions([ready('c-0'), starting('c-1')])).toEqual({ degraded: null, kafka: expect.objectContaining({ status: 'True' }) });
  });

  it('ignores a container that restarted once and runs again, and pods being deleted', () => {
    const restarted = pod('c-0', [{ name: 'engine', image: 'i', imageID: '', ready: true, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 1, message: DNS } } }]);
    const deleting = { ...crashLooping('c-1', DNS), metadata: { name: 'c-1', deletionTimestamp: new Date() } };
    expect(engineCrashes([restarted, deleting])).toEqual([]);
  });
});
