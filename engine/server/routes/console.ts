import { serveConsole } from '../console-api.js';
import type { Route, RouteContext } from '../http/router.js';
import type { ServerState } from './state.js';

/**
 * GET /console and /console/*: the web console's files and its JSON
 * extensions (console-api.ts), behind basic authentication like the API.
 */
export function consoleRoutes(state: ServerState): Route[] {
  const webConsole = serveConsole(state.backend);
  const handle = async ({ res, url }: RouteContext): Promise<void> => {
    const reply = await webConsole(url.pathname, Object.fromEntries(url.searchParams));
    if (!reply) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.statusCode = reply.status;
    res.setHeader('Content-Type', reply.contentType);
    res.end(reply.body);
  };
  return [
    { method: 'GET', path: '/console', handle },
    { method: 'GET', path: '/console/*', handle },
  ];
}
