// The queue dashboard at /admin/queues against a real reminder queue (Redis, a prefix of this
// file's own): nothing of it without the configured credentials, the queue with them, and no
// way to change jobs from it (read-only: PostgreSQL decides what is sent).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicCredentials } from '../../src/http/queue-dashboard.js';
import { withOperationsRoutes } from '../../src/http/operations.js';
import { JobName, reminderJobId } from '../../src/scheduler/jobs.js';
import { createReminderQueue } from '../../src/scheduler/queue.js';
import type { ReminderQueue } from '../../src/scheduler/reconcile.js';

const connection = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
const prefix = `dashboard-test-${randomBytes(4).toString('hex')}`;
const USER = 'ops-admin';
const PASSWORD = 'correct horse battery staple';
const warnings: unknown[] = [];
const logger = { warn: (...args: unknown[]) => void warnings.push(args) };

let queue: ReminderQueue;
let server: Server;
let base: string;
const reminderId = randomUUID();

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The bot's own app stands behind the operations routes and answers 404 to anything else. */
function botApp(): express.Express {
  const app = express();
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found.' });
  });
  return app;
}

async function serve(app: express.Express): Promise<{ server: Server; url: string }> {
  const s = await new Promise<Server>((resolve) => {
    const created = app.listen(0, '127.0.0.1', () => resolve(created));
  });
  return { server: s, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  queue = createReminderQueue({ connection, prefix });
  await queue.add(JobName.deliverReminder, { reminderId }, { jobId: reminderJobId(reminderId), delay: 60 * 60_000 });
  ({ server, url: base } = await serve(withOperationsRoutes(botApp(), { dashboard: { queues: [queue], user: USER, password: PASSWORD, logger } })));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
});

describe('basicCredentials', () => {
  it('reads the user and password (which may hold colons) and rejects anything else', () => {
    expect(basicCredentials(basic('a', 'b:c'))).toEqual({ user: 'a', password: 'b:c' });
    expect(basicCredentials('Bearer abc')).toBeUndefined();
    expect(basicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
    expect(basicCredentials('Basic !!!')).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });
});

describe('queue dashboard', () => {
  const paths = [
    '/admin/queues',
    '/admin/queues/',
    `/admin/queues/queue/reminders`,
    '/admin/queues/api/queues?activeQueue=reminders&status=delayed&page=1',
    `/admin/queues/api/queues/reminders/${reminderId}`,
    '/admin/queues/static/favicon-32x32.png',
  ];

  it('answers 401 and shows nothing of the queue without credentials', async () => {
    for (const path of paths) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const body = await res.text();
      expect(body).not.toContain(reminderId);
      expect(body).not.toMatch(/reminders|bull/i);
    }
  });

  it('answers 401 to a wrong password, a wrong user, or a malformed header', async () => {
    const warned = warnings.length;
    for (const authorization of [basic(USER, `${PASSWORD}x`), basic('someone', PASSWORD), basic('', ''), 'Basic', `Bearer ${PASSWORD}`]) {
      const res = await fetch(`${base}/admin/queues/api/queues?activeQueue=reminders&status=delayed&page=1`, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
      expect(await res.text()).not.toContain(reminderId);
    }
    expect(warnings.length).toBeGreaterThan(warned);
    expect(JSON.stringify(warnings)).not.toContain(PASSWORD);
  });

  it('shows the dashboard and the reminder queue with the configured credentials', async () => {
    const page = await fetch(`${base}/admin/queues`, { headers: { authorization: basic(USER, PASSWORD) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const api = await fetch(`${base}/admin/queues/api/queues?activeQueue=reminders&status=delayed&page=1`, { headers: { authorization: basic(USER, PASSWORD) } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: Array<{ id: string }> }> };
    const reminders = body.queues.find((q) => q.name === 'reminders')!;
    expect(reminders.readOnlyMode).toBe(true);
    expect(reminders.counts.delayed).toBe(1);
    expect(reminders.jobs.map((j) => j.id)).toEqual([reminderId]);
  });

  it('changes nothing from the dashboard: job and queue actions are refused (read-only)', async () => {
    const headers = { authorization: basic(USER, PASSWORD) };
    const promote = await fetch(`${base}/admin/queues/api/queues/reminders/${reminderId}/promote`, { method: 'PUT', headers });
    expect(promote.status).toBe(405);
    const empty = await fetch(`${base}/admin/queues/api/queues/reminders/empty`, { method: 'PUT', headers });
    expect(empty.status).toBe(405);
    const job = await queue.getJob(reminderId);
    expect(await job!.getState()).toBe('delayed');
  });

  it('leaves the rest of the web server as it was', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/admin/other`)).status).toBe(404);
  });

  it('is absent when no credentials are configured', async () => {
    const { server: plain, url } = await serve(withOperationsRoutes(botApp(), {}));
    try {
      for (const authorization of [undefined, basic(USER, PASSWORD)]) {
        const res = await fetch(`${url}/admin/queues/api/queues`, authorization ? { headers: { authorization } } : {});
        expect(res.status).toBe(404);
        expect(await res.text()).not.toContain(reminderId);
      }
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
