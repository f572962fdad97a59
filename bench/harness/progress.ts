/**
 * When is a run done? Every consumer group of the run has committed offsets
 * at the end of every topic it reads (sources, topics between queries and
 * repartition topics) and the output topics stopped growing. A run whose
 * offsets do not move for `stallMs` has stalled.
 */
import type { Admin } from 'kafkajs';

export interface Snapshot {
  /** committed records of the source topics, over the run's groups (max per partition) */
  readonly sourceCommitted: number;
  /** records not yet committed on every topic the groups read */
  readonly lag: number;
  /**
   * records of the topics between queries that no group has committed yet:
   * a downstream query that has not committed once has no group offsets,
   * so `lag` alone would not see it
   */
  readonly betweenLag: number;
  readonly groups: number;
  /** sum of the output topics' end offsets */
  readonly outputEnd: number;
}

export async function snapshot(admin: Admin, groupPrefix: string, sources: readonly string[], outputs: readonly string[], between: readonly string[] = []): Promise<Snapshot> {
  const { groups } = await admin.listGroups();
  const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix) && !g.includes('-restore-'));
  const ends = new Map<string, Map<number, { low: number; high: number }>>();
  const endsOf = async (topic: string): Promise<Map<number, { low: number; high: number }>> => {
    let m = ends.get(topic);
    if (!m) {
      m = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
      ends.set(topic, m);
    }
    return m;
  };
  const sourceBest = new Map<string, number>();
  let lag = 0;
  for (const groupId of ours) {
    const offsets = await admin.fetchOffsets({ groupId });
    for (const { topic, partitions } of offsets) {
      const e = await endsOf(topic);
      for (const p of partitions) {
        const end = e.get(p.partition);
        if (!end) continue;
        const committed = Number(p.offset) < 0 ? end.low : Number(p.offset);
        lag += Math.max(0, end.high - committed);
        if (sources.includes(topic) || between.includes(topic)) {
          const k = `${topic}:${p.partition}`;
          sourceBest.set(k, Math.max(sourceBest.get(k) ?? 0, committed - end.low));
        }
      }
    }
  }
  let betweenLag = 0;
  for (const t of between) for (const [p, o] of await endsOf(t)) betweenLag += Math.max(0, o.high - o.low - (sourceBest.get(`${t}:${p}`) ?? 0));
  let sourceCommitted = 0;
  for (const [k, v] of sourceBest) if (sources.some((t) => k.startsWith(`${t}:`))) sourceCommitted += v;
  let outputEnd = 0;
  for (const t of outputs) for (const o of (await endsOf(t)).values()) outputEnd += o.high;
  return { sourceCommitted, lag, betweenLag, groups: ours.length, outputEnd };
}

export interface WaitOptions {
  readonly sourceRecords: number;
  /** lag allowed on internal topics (transaction markers take an offset each) */
  readonly lagTolerance: number;
  /** topics between the workload's queries (written by one query, read by the next) */
  readonly between?: readonly string[];
  readonly stallMs: number;
  readonly timeoutMs: number;
  /** the run failed if this returns a reason (e.g. a process exited) */
  readonly check: () => string | null;
  readonly onProgress?: (s: Snapshot) => void;
}

export async function waitDone(admin: Admin, groupPrefix: string, sources: readonly string[], outputs: readonly string[], o: WaitOptions): Promise<Snapshot> {
  const between = o.between ?? [];
  const started = Date.now();
  let lastChange = Date.now();
  let prev: Snapshot | null = null;
  let stableSince: number | null = null;
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 300));
    const bad = o.check();
    if (bad) throw new Error(bad);
    const s = await snapshot(admin, groupPrefix, sources, outputs, between);
    o.onProgress?.(s);
    const moved = !prev || s.sourceCommitted !== prev.sourceCommitted || s.outputEnd !== prev.outputEnd || s.lag !== prev.lag || s.betweenLag !== prev.betweenLag;
    if (moved) lastChange = Date.now();
    const consumed = s.sourceCommitted >= o.sourceRecords && s.lag <= o.lagTolerance && s.betweenLag <= o.lagTolerance;
    if (consumed && prev && s.outputEnd === prev.outputEnd) {
      stableSince ??= Date.now();
      if (Date.now() - stableSince >= 1000) return s;
    } else stableSince = null;
    if (Date.now() - lastChange > o.stallMs) throw new Error(`stalled: ${s.sourceCommitted} of ${o.sourceRecords} source records committed, lag ${s.lag} (+${s.betweenLag} between queries), ${s.outputEnd} output records, no progress for ${Math.round(o.stallMs / 1000)} s`);
    if (Date.now() - started > o.timeoutMs) throw new Error(`timed out after ${Math.round(o.timeoutMs / 1000)} s: ${s.sourceCommitted} of ${o.sourceRecords} source records committed, lag ${s.lag}`);
    prev = s;
  }
}
