import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap, json, newPort, seed, stopOwnBroker } from '../../engine/kafka/int-test-support.js';
import type { KafkaPort } from '../../engine/kafka/port.js';
import { startServer, type RunningServer } from '../../engine/kafka/server-main.js';
import { buildConsole } from '../../scripts/build-console.js';
import { launchChromium } from '../infra/chromium/chromium.js';
import { startPrometheus } from '../infra/prometheus/prometheus.js';

/**
 * The web console in headless Chromium against a real engine (the Kafka
 * driver and its REST server, basic auth on) on the real broker: a CTAS run
 * from the editor, a push query's rows arriving, the query graph, a chart
 * with data, a bad record in the processing log, an error marked in the
 * editor; and nothing under /console without credentials.
 *
 * KSETL_CONSOLE_SCREENSHOTS=1 writes a screenshot of each view to
 * docs/console/ (the README shows them).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const shots = process.env['KSETL_CONSOLE_SCREENSHOTS'] === '1' ? join(root, 'docs', 'console') : null;
const USER = 'alice';
const PASSWORD = 'console-secret';

let brokers: string;
let admin: KafkaPort;
let running: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const s = seed();
const input = `console-clicks-${s}`;

const authHeader = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };

async function rest(ksql: string): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${running.url}/ksql`, { method: 'POST', headers: authHeader, body: JSON.stringify({ ksql, streamsProperties: {} }) });
  const body = await r.text();
  expect(r.status, body).toBe(200);
  return JSON.parse(body) as Record<string, unknown>[];
}

async function produce(records: { key: string; value: Buffer }[]): Promise<void> {
  const producer = await admin.producer();
  await producer.send(records.map((r) => ({ topic: input, key: Buffer.from(r.key), value: r.value, timestamp: Date.now() })));
  await producer.close();
}

async function shot(name: string): Promise<void> {
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** Replaces the editor's text (CodeMirror's content is a contenteditable). */
async function setEditor(text: string): Promise<void> {
  const content = page.locator('[data-testid=editor] .cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await content.fill(text);
}

beforeAll(async () => {
  await buildConsole();
  brokers = await bootstrap();
  admin = newPort(brokers, `console-test-${s}`);
  await admin.admin.createTopics([{ name: input, partitions: 2 }]);
  running = await startServer({
    env: {
      KSQL_BOOTSTRAP_SERVERS: brokers,
      KSQL_KSQL_SERVICE_ID: `console_${s}_`,
      KSQL_LISTENERS: 'http://127.0.0.1:0',
      KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
      KSQL_KSQL_STREAMS_COMMIT_INTERVAL_MS: '200',
      KSQL_KSQL_LOGGING_PROCESSING_STREAM_AUTO_CREATE: 'true',
      KSQL_KSETL_BASIC_AUTH_USER: USER,
      KSQL_KSETL_BASIC_AUTH_PASSWORD: PASSWORD,
      KSETL_LOG_LEVEL: 'warn',
    },
  });
  browser = await launchChromium();
  context = await browser.newContext({ httpCredentials: { username: USER, password: PASSWORD }, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
}, 600_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await running?.close();
  await admin?.close();
  await stopOwnBroker();
}, 60_000);

describe('the web console on a real engine', () => {
  it('serves nothing under /console without credentials', async () => {
    for (const path of ['/console', '/console/', '/console/app.js', '/console/app.css', '/console/api/config', '/console/api/topology/X', `/console/api/topics/${input}/sample`]) {
      const r = await fetch(`${running.url}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate'), path).toContain('Basic');
    }
    const page = await fetch(`${running.url}/console`, { headers: authHeader });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const js = await fetch(`${running.url}/console/app.js`, { headers: authHeader });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
  });

  it('runs a CTAS from the editor, streams a push query, draws the graph, charts and the processing log', async () => {
    await rest(`CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING, MS INT) WITH (KAFKA_TOPIC='${input}', VALUE_FORMAT='JSON');`);
    await produce([
      ...Array.from({ length: 40 }, (_, i) => ({ key: `u${i % 4}`, value: json({ PAGE: `/p${i % 3}`, MS: 10 + i }) })),
      // a record the queries cannot read: it goes to the processing log
      { key: 'u0', value: Buffer.from('{"PAGE": "/broken", oops') },
    ]);

    await page.goto(`${running.url}/console`);
    await expect.poll(() => page.locator('[data-testid=editor] .cm-content').count(), { timeout: 15_000 }).toBe(1);

    // the editor: a CTAS, its result as a message
    await page.locator('[data-testid=earliest]').check();
    await setEditor(`CREATE TABLE PAGE_VIEWS WITH (KAFKA_TOPIC='console-views-${s}') AS\n  SELECT PAGE, COUNT(*) AS VIEWS, MAX(MS) AS SLOWEST\n  FROM CLICKS\n  GROUP BY PAGE\n  EMIT CHANGES;`);
    await page.locator('[data-testid=run]').click();
    await expect.poll(() => page.locator('[data-testid=results] .message').textContent(), { timeout: 30_000 }).toContain('SUCCESS');
    const queries = (await rest('SHOW QUERIES;'))[0]!['queries'] as { id: string; queryString: string }[];
    const queryId = queries.find((q) => q.queryString.includes('PAGE_VIEWS'))!.id;

    // completion offers the catalog's columns
    await setEditor('SELECT PAGE, VI');
    await page.keyboard.press('Control+Space');
    await expect.poll(() => page.locator('.cm-tooltip-autocomplete').textContent(), { timeout: 10_000 }).toContain('VIEWS');
    await page.keyboard.press('Escape');

    // a push query from the editor: rows arrive (the table's changes, from the earliest offset)
    await setEditor('SELECT * FROM PAGE_VIEWS EMIT CHANGES;');
    await page.locator('[data-testid=run]').click();
    await expect.poll(async () => Number((await page.locator('[data-testid=editor-live] [data-testid=row-count]').textContent())?.split(' ')[0]), { timeout: 45_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => page.locator('[data-testid=editor-live] [data-testid=live-rows] tbody tr').count()).toBeGreaterThanOrEqual(3);
    await shot('editor-push');
    await page.locator('[data-testid=editor-live] [data-testid=pause]').click();
    expect(await page.locator('[data-testid=editor-live]').getAttribute('data-status')).toBe('paused');
    await page.locator('[data-testid=editor-live] [data-testid=stop]').click();
    await expect.poll(() => page.locator('[data-testid=editor-live]').getAttribute('data-status')).toBe('stopped');
    await expect.poll(() => running.server.activePushQueries.length, { timeout: 10_000 }).toBe(0);

    // an error is marked in the editor at its line and column
    await setEditor('SHOW STREAMS;\nCREATE STREAM X AS SELEC PAGE FROM CLICKS;');
    await page.locator('[data-testid=run]').click();
    const err = page.locator('[data-testid=editor-error]');
    await expect.poll(() => err.count(), { timeout: 10_000 }).toBe(1);
    expect(await err.getAttribute('data-line')).toBe('2');
    await expect.poll(() => page.locator('.cm-lintRange-error').count()).toBeGreaterThan(0);
    expect(await page.locator('.cm-lintRange-error').first().textContent()).toBe('SELEC');
    await shot('editor-error');

    // live results: a pull query answers once
    await page.locator('[data-testid=nav-live]').click();
    await page.locator('[data-testid=live-sql]').fill("SELECT * FROM PAGE_VIEWS WHERE PAGE = '/p0';");
    await page.locator('[data-testid=live-run]').click();
    await expect.poll(() => page.locator('[data-testid=live]').getAttribute('data-status'), { timeout: 30_000 }).toBe('ended');
    expect(await page.locator('[data-testid=live] [data-testid=live-rows] tbody tr').count()).toBe(1);
    await page.locator('[data-testid=live-sql]').fill('SELECT USER_ID, PAGE, MS FROM CLICKS EMIT CHANGES;');
    await page.locator('[data-testid=live-run]').click();
    await expect.poll(() => page.locator('[data-testid=live] [data-testid=live-rows] tbody tr').count(), { timeout: 45_000 }).toBe(40);
    await shot('live');
    await page.locator('[data-testid=live] [data-testid=stop]').click();

    // the query graph, from the plan
    await page.locator('[data-testid=nav-graph]').click();
    await expect.poll(() => page.locator('[data-testid=graph] g.node').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(6);
    expect(await page.locator('[data-testid=graph-query]').inputValue()).toBe(queryId);
    const kinds = await page.locator('[data-testid=graph] g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(new Set(kinds)).toEqual(new Set(['topic', 'step', 'store', 'repartition', 'changelog']));
    expect(await page.locator('[data-testid=graph]').textContent()).toContain(input);
    await shot('graph');

    // dashboards: records arriving while the console watches show as a rate
    await page.locator('[data-testid=nav-dashboards]').click();
    await produce(Array.from({ length: 30 }, (_, i) => ({ key: `u${i % 4}`, value: json({ PAGE: `/p${i % 3}`, MS: 100 + i }) })));
    await expect.poll(() => page.locator('[data-testid=panel-records-in]').getAttribute('data-has-data'), { timeout: 45_000 }).toBe('true');
    await expect.poll(() => page.locator('[data-testid=panel-store-entries]').getAttribute('data-has-data'), { timeout: 15_000 }).toBe('true');
    await produce(Array.from({ length: 30 }, (_, i) => ({ key: `u${i % 4}`, value: json({ PAGE: `/p${i % 3}`, MS: 200 + i }) })));
    await page.waitForTimeout(4000);
    await shot('dashboards');

    // the catalog: sources, the query with its state and throughput, a topic's sample
    await page.locator('[data-testid=nav-catalog]').click();
    await expect.poll(() => page.locator('[data-testid=catalog-sources]').textContent()).toContain('PAGE_VIEWS');
    await expect.poll(() => page.locator('[data-testid=catalog-queries]').textContent()).toContain(queryId);
    expect(await page.locator('[data-testid=catalog-queries]').textContent()).toContain('RUNNING');
    await page.locator('[data-testid=catalog-topics] tr', { hasText: input }).click();
    await expect.poll(() => page.locator('[data-testid=topic-sample] tbody tr').count(), { timeout: 30_000 }).toBe(10);
    await shot('catalog');

    // the processing log: the bad record and its error
    await page.locator('[data-testid=nav-log]').click();
    await expect.poll(() => page.locator('[data-testid=processing-log]').textContent(), { timeout: 45_000 }).toContain('DESERIALIZATION_ERROR');
    expect(await page.locator('[data-testid=processing-log]').textContent()).toContain(queryId);
    await shot('processing-log');

    // the editor's catalog answers (SHOW/DESCRIBE) as tables
    await page.locator('[data-testid=nav-editor]').click();
    await setEditor('DESCRIBE PAGE_VIEWS;');
    await page.locator('[data-testid=run]').click();
    await expect.poll(() => page.locator('[data-testid=results] table').first().textContent(), { timeout: 10_000 }).toContain('SLOWEST');
  });

  it('draws the dashboards from Prometheus when ksetl.console.prometheus.url is set', async () => {
    // a second engine of its own service, scraped by a real Prometheus (Debian's, test/infra/prometheus)
    const prom = await startPrometheus({ targets: [] });
    const other = await startServer({
      env: {
        KSQL_BOOTSTRAP_SERVERS: brokers,
        KSQL_KSQL_SERVICE_ID: `console_prom_${s}_`,
        KSQL_LISTENERS: 'http://127.0.0.1:0',
        KSQL_KSQL_STREAMS_AUTO_OFFSET_RESET: 'earliest',
        KSQL_KSQL_STREAMS_COMMIT_INTERVAL_MS: '200',
        KSQL_KSETL_CONSOLE_PROMETHEUS_URL: prom.url,
        KSQL_KSETL_BASIC_AUTH_USER: USER,
        KSQL_KSETL_BASIC_AUTH_PASSWORD: PASSWORD,
        KSETL_LOG_LEVEL: 'warn',
      },
    });
    const tab = await context.newPage();
    try {
      await prom.setTargets([new URL(other.url).host]);
      const post = async (ksql: string): Promise<void> => {
        const r = await fetch(`${other.url}/ksql`, { method: 'POST', headers: authHeader, body: JSON.stringify({ ksql, streamsProperties: {} }) });
        expect(r.status, await r.clone().text()).toBe(200);
      };
      await post(`CREATE STREAM CLICKS (USER_ID STRING KEY, PAGE STRING, MS INT) WITH (KAFKA_TOPIC='${input}', VALUE_FORMAT='JSON');`);
      await post(`CREATE STREAM SLOW WITH (KAFKA_TOPIC='console-slow-${s}') AS SELECT * FROM CLICKS WHERE MS > 150;`);
      // the query's counters must be scraped twice with records in between for rate() to see them
      await expect.poll(async () => (await prom.query(`ksetl_query_records_in_total{service_id="console_prom_${s}_"}`)).length, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
      await produce(Array.from({ length: 30 }, (_, i) => ({ key: `u${i % 4}`, value: json({ PAGE: `/p${i % 3}`, MS: 140 + i }) })));
      await expect
        .poll(async () => (await prom.query(`sum(rate(ksetl_query_records_in_total{service_id="console_prom_${s}_"}[1m]))`))[0]?.value[1] ?? '0', { timeout: 30_000, interval: 500 })
        .not.toBe('0');
      await tab.goto(`${other.url}/console#dashboards`);
      await expect.poll(() => tab.locator('[data-testid=panel-records-in]').getAttribute('data-has-data'), { timeout: 45_000 }).toBe('true');
      expect(await tab.locator('main').textContent()).toContain('From Prometheus');
      if (shots) {
        // a few more scrapes and records for the picture
        for (let i = 0; i < 4; i++) {
          await produce(Array.from({ length: 20 + 10 * i }, (_, j) => ({ key: `u${j % 4}`, value: json({ PAGE: `/p${j % 3}`, MS: 100 + j * 3 }) })));
          await tab.waitForTimeout(3000);
        }
        await tab.waitForTimeout(5000);
      }
      if (shots) await tab.screenshot({ path: join(shots, 'dashboards-prometheus.png') });
    } finally {
      await tab.close();
      await other.close();
      await prom.stop();
    }
  });
});
