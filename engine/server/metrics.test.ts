import { describe, expect, it } from 'vitest';
import { ENGINE_METRICS, EngineMetrics } from './metrics.js';

describe('engine metrics catalog', () => {
  it('holds the agreed names, types and labels', () => {
    const byName = Object.fromEntries(ENGINE_METRICS.map((m) => [m.name, `${m.type}(${m.labels.join(',')})`]));
    expect(byName).toEqual({
      ksetl_query_records_in_total: 'counter(query_id)',
      ksetl_query_records_out_total: 'counter(query_id)',
      ksetl_query_bytes_in_total: 'counter(query_id)',
      ksetl_query_bytes_out_total: 'counter(query_id)',
      ksetl_query_processing_errors_total: 'counter(query_id,kind)',
      ksetl_query_consumer_lag: 'gauge(query_id,topic,partition)',
      ksetl_query_e2e_latency_seconds: 'histogram(query_id)',
      ksetl_query_state: 'gauge(query_id,state)',
      ksetl_queries: 'gauge()',
      ksetl_state_store_entries: 'gauge(query_id,store)',
      ksetl_state_store_restore_records_total: 'counter(query_id,store)',
      ksetl_state_store_restore_remaining_records: 'gauge(query_id,store)',
      ksetl_query_rebalances_total: 'counter(query_id)',
      ksetl_query_commit_latency_seconds: 'histogram(query_id)',
      ksetl_query_transaction_aborts_total: 'counter(query_id)',
      ksetl_processing_log_records_total: 'counter(kind)',
      ksetl_process_ready: 'gauge()',
    });
  });

  it('registers the catalog with the constant labels and forgets a terminated query', async () => {
    const m = new EngineMetrics({ namespace: 'ns', cluster: 'c', serviceId: 'svc_', defaultMetrics: false });
    m.get('ksetl_query_records_in_total').inc({ query_id: 'Q1' }, 3);
    m.setQueryState('Q1', 'PAUSED');
    m.onCollect('ksetl_queries', () => m.get('ksetl_queries').set(1));
    let text = (await m.text()).body;
    expect(text).toContain('ksetl_query_records_in_total{query_id="Q1",namespace="ns",cluster="c",service_id="svc_"} 3');
    expect(text).toContain('ksetl_query_state{query_id="Q1",state="PAUSED",namespace="ns",cluster="c",service_id="svc_"} 1');
    expect(text).toContain('ksetl_queries{namespace="ns",cluster="c",service_id="svc_"} 1');
    for (const def of ENGINE_METRICS) expect(text).toContain(`# TYPE ${def.name} ${def.type}`);
    m.removeQuery('Q1');
    text = (await m.text()).body;
    expect(text).not.toContain('query_id="Q1"');
  });
});
