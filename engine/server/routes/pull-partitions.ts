import { PULL_PARTITIONS_PATH } from '../backend.js';
import { HttpError, type Route } from '../http/router.js';
import type { ServerState } from './state.js';

/** Another process of the service asks for rows of partitions this one owns (pull queries served from state). */
export function pullPartitionsRoutes(state: ServerState): Route[] {
  return [
    {
      method: 'POST',
      path: PULL_PARTITIONS_PATH,
      body: 'text',
      maxBodyBytes: 512 * 1024 * 1024,
      handle: async ({ res, body }) => {
        const b = state.backend;
        if (!b.servePullPartitions) throw new HttpError(404, 40400, 'Not found');
        const text = await b.servePullPartitions(String(body ?? ''));
        res.statusCode = 200;
        res.setHeader('Content-Type', 'application/json');
        res.end(text);
      },
    },
  ];
}
