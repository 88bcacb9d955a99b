import assert from 'node:assert/strict';
import { test } from 'node:test';
import { categorize, summarizeProfile, type CpuProfile } from './profile.ts';

const root = 'file:///repo/';

test('frames are grouped by the project or library code they belong to; Node internals by none', () => {
  assert.equal(categorize(`${root}services/shared/src/logging.ts`), 'logging (request line, stdout write)');
  assert.equal(categorize(`${root}node_modules/zod/v4/core/schemas.js`), 'validation (zod)');
  assert.equal(categorize(`${root}services/orders/src/upstream/users.ts`), 'upstream client (node:http Agent; its response parsing counts as Node HTTP)');
  assert.equal(categorize(`${root}services/shared/src/upstream.ts`), 'upstream client (node:http Agent; its response parsing counts as Node HTTP)');
  assert.equal(categorize(`${root}node_modules/@hono/node-server/dist/index.mjs`), '@hono/node-server (Request, response write incl. the socket send)');
  assert.equal(categorize(`${root}node_modules/hono/dist/compose.js`), 'Hono (router, compose, context, c.json)');
  assert.equal(categorize(`${root}services/products/src/routes/products.ts`), 'route handlers');
  assert.equal(categorize('node:_http_outgoing'), undefined);
  assert.equal(categorize(''), undefined);
});

test('a sample counts for the innermost project frame on its stack, inside the window, per request', () => {
  // root → observe (service-app) → setHeader (node) ; root → flush (logging) → write (node) → writeUtf8String (native)
  // root → parserOnHeadersComplete (node) ; (garbage collector) ; (idle)
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', '', [2, 4, 7, 8, 9]),
      frame(2, 'observe', `${root}services/shared/src/service-app.ts`, [3]),
      frame(3, 'setHeader', 'node:_http_outgoing'),
      frame(4, 'flush', `${root}services/shared/src/logging.ts`, [5]),
      frame(5, 'write', 'node:net', [6]),
      frame(6, 'writeUtf8String', ''),
      frame(7, 'parserOnHeadersComplete', 'node:_http_common'),
      frame(8, '(garbage collector)', ''),
      frame(9, '(idle)', ''),
    ],
    startTime: 1_000,
    // Sample times: 1010, 1020, …; each sample's time is the gap to the next (10 µs), the last one 0.
    samples: [3, 6, 6, 7, 8, 9, 9, 3, 6],
    timeDeltas: [10, 10, 10, 10, 10, 10, 10, 10, 10],
  };
  const all = summarizeProfile(profile, 2);
  const cost = (s: typeof all, name: string) => s.categories.find((c) => c.category.startsWith(name))?.usPerRequest;
  assert.equal(cost(all, 'observe'), 10, 'setHeader counts for the observe middleware that called it: 2 samples, the last one 0 µs');
  assert.equal(cost(all, 'logging'), 10, 'the native socket write under flush is logging: 3 samples (10 + 10 + 0 µs) over 2 requests');
  assert.equal(cost(all, 'Node HTTP'), 5);
  assert.equal(cost(all, 'garbage'), 5);
  assert.equal(all.categories.some((c) => c.category === 'idle'), false, 'idle is left out');
  assert.equal(all.busyUsPerRequest, 30);
  assert.equal(Math.round(all.categories.reduce((a, c) => a + c.share, 0) * 1e9) / 1e9, 1);

  // Only samples stamped 1040 and 1050 (parser, GC): startup and shutdown stay out.
  const windowed = summarizeProfile(profile, 1, { fromUs: 1_035, toUs: 1_055 });
  assert.deepEqual(windowed.categories.map((c) => c.category), ['Node HTTP (server, client parsing) and sockets', 'garbage collection']);
  assert.throws(() => summarizeProfile(profile, 1, { fromUs: 5_000, toUs: 6_000 }), /no profile sample falls inside/);
});
