import { authorityOf } from '../http/listener.js';
import { HttpError, sendJson, type Route } from '../http/router.js';
import type { ServerState } from './state.js';

const HEALTHY = { isHealthy: true, details: { metastore: { isHealthy: true }, kafka: { isHealthy: true }, commandRunner: { isHealthy: true } } };

/** GET /info, /healthcheck, /ready, /metrics, /clusterStatus, /status[/:type/:entity/:action]. */
export function infoRoutes(state: ServerState): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthcheck',
      // probes carry no credentials (ksqlDB leaves /healthcheck open too)
      open: true,
      handle: async ({ res }) => {
        const h = (await state.health?.()) ?? HEALTHY;
        sendJson(res, h.isHealthy ? 200 : 503, h);
      },
    },
    {
      // readiness (Kubernetes): the backend caught up and runs its queries
      method: 'GET',
      path: '/ready',
      open: true,
      handle: ({ res }) => {
        const ready = state.ready?.() ?? true;
        sendJson(res, ready ? 200 : 503, { isReady: ready });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      open: true,
      handle: async ({ res }) => {
        const m = state.metrics;
        if (!m) throw new HttpError(404, 40400, 'Not found');
        const { contentType, body } = await m.text();
        res.statusCode = 200;
        res.setHeader('Content-Type', contentType);
        res.end(body);
      },
    },
    {
      method: 'GET',
      path: '/info',
      handle: ({ res }) => {
        const b = state.backend;
        sendJson(res, 200, {
          KsqlServerInfo: { version: state.version, kafkaClusterId: b.kafkaClusterId?.() ?? 'ksetl-in-memory', ksqlServiceId: b.properties['ksql.service.id'] ?? 'default_', serverStatus: 'RUNNING' },
        });
      },
    },
    {
      method: 'GET',
      path: '/clusterStatus',
      handle: ({ req, res }) => {
        const host = authorityOf(req);
        const now = Date.now();
        sendJson(res, 200, { clusterStatus: { [host]: { hostAlive: true, lastStatusUpdateMs: now, activeStandbyPerQuery: {}, hostStoreLags: { stateStoreLags: {}, updateTimeMs: now } } } });
      },
    },
    {
      method: 'GET',
      path: '/status',
      handle: ({ res }) => sendJson(res, 200, { commandStatuses: Object.fromEntries([...state.commands.entries()].map(([k, v]) => [k, v.status])) }),
    },
    {
      method: 'GET',
      path: '/status/:type/:entity/:action',
      handle: ({ res, params }) => {
        const id = `${params['type']}/${params['entity']}/${params['action']}`;
        const st = state.commands.get(id);
        if (!st) throw new HttpError(404, 40400, `Command not found: ${id}`);
        sendJson(res, 200, { status: st.status, message: st.message, queryId: st.queryId });
      },
    },
  ];
}
