import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonInit, testRuntime } from '../../shared/src/testing.ts';
import { createApp } from './app.ts';
import { IN_MEMORY, openDatabase } from '../../shared/src/database.ts';
import { createOutbox, type Notification } from './outbox.ts';

const now = () => new Date('2026-03-01T12:00:00Z');
const app = () => createApp({ runtime: testRuntime({ service: 'notifications' }), now });
type List = { notifications: Notification[] };

test('POST records a message and GET lists it, filtered by order', async () => {
  const a = app();
  const res = await a.request('/notifications', jsonInit('POST', { orderId: '6001', userId: 1, message: 'Order 6001 is paid ✓' }));
  assert.equal(res.status, 201);
  const created = (await res.json()) as Notification;
  assert.equal(created.channel, 'email');
  assert.equal(created.message, 'Order 6001 is paid ✓');
  assert.equal(created.createdAt, '2026-03-01T12:00:00.000Z');
  await a.request('/notifications', jsonInit('POST', { orderId: '6002', message: 'other', channel: 'sms' }));
  const all = (await (await a.request('/notifications')).json()) as List;
  assert.deepEqual(all.notifications.map((n) => n.orderId), ['6001', '6002']);
  const one = (await (await a.request('/notifications?order=6001')).json()) as List;
  assert.deepEqual(one.notifications.map((n) => n.id), [created.id]);
  assert.equal((await a.request('/notifications?order=%00')).status, 400);
});

test('malformed bodies are 4xx and record nothing', async () => {
  const a = app();
  const cases: Array<[unknown, number]> = [
    ['{', 400],
    [{}, 400],
    [{ message: '' }, 400],
    [{ message: '   ' }, 400],
    [{ message: 5 }, 400],
    [{ message: 'hi', channel: 'pigeon' }, 400],
    [{ message: 'hi', userId: -1 }, 400],
    [{ message: 'hi', unknown: true }, 400],
    ['{"message":"hi","constructor":{"prototype":{"x":1}}}', 400],
    [{ message: 'x'.repeat(20_000) }, 413],
  ];
  for (const [body, status] of cases) assert.equal((await a.request('/notifications', jsonInit('POST', body))).status, status, JSON.stringify(body).slice(0, 50));
  const plain = await a.request('/notifications', { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } });
  assert.equal(plain.status, 415);
  assert.equal(((await (await a.request('/notifications')).json()) as List).notifications.length, 0);
});

test('the outbox pages, and purges by age only', async () => {
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const outbox = createOutbox(openDatabase(IN_MEMORY, ''), () => new Date(clock));
  for (let i = 1; i <= 5; i++) {
    outbox.record({ message: `m${i}`, channel: 'email' });
    clock += 1000;
  }
  const a = createApp({ runtime: testRuntime({ service: 'notifications' }), outbox });
  const first = (await (await a.request('/notifications?limit=2')).json()) as List & { next_cursor: string };
  assert.deepEqual(first.notifications.map((n) => n.message), ['m1', 'm2']);
  const rest = (await (await a.request(`/notifications?cursor=${first.next_cursor}`)).json()) as List & { next_cursor: string | null };
  assert.deepEqual(rest.notifications.map((n) => n.message), ['m3', 'm4', 'm5']);
  assert.equal(rest.next_cursor, null);
  assert.equal(outbox.purgeBefore(new Date(Date.parse('2026-03-01T12:00:02Z'))), 2);
  assert.equal(outbox.count(), 3);
});
