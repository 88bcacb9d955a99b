// The live traffic view: a page, its client script, and the sample endpoint the script polls. Each
// sample is one products call through the mesh, so a VirtualService split shows up in the chart.
import { Hono } from 'hono';
import * as z from 'zod/mini';
import { parseParam } from '../../../shared/src/guards.ts';
import type { StorefrontDeps } from '../app.ts';
import { meshClientScript } from '../mesh/client.ts';
import { DEFAULT_WINDOW } from '../mesh/traffic-window.ts';
import { forwardHeaders } from '../request.ts';
import { MeshPage } from '../views/pages.tsx';
import { renderPage } from '../views/render.tsx';

export const SAMPLE_PRODUCT_ID = '101';
export const DEFAULT_RATE = 10;

const rateSchema = z._default(z.coerce.number().check(z.int('must be a whole number of samples per second'), z.minimum(1), z.maximum(50)), DEFAULT_RATE);
const windowSchema = z._default(z.coerce.number().check(z.int('must be a whole number of responses'), z.minimum(10), z.maximum(1000)), DEFAULT_WINDOW);

export function meshRoutes(deps: StorefrontDeps) {
  const script = meshClientScript();
  return new Hono()
    .get('/mesh', (c) => {
      const rate = parseParam('rate', c.req.query('rate'), rateSchema);
      const window = parseParam('window', c.req.query('window'), windowSchema);
      return renderPage(c, deps.identity, { title: 'Mesh' }, <MeshPage rate={rate} window={window} productId={SAMPLE_PRODUCT_ID} />);
    })
    .get('/mesh/sample', async (c) => {
      const sample = await deps.products.probe(SAMPLE_PRODUCT_ID, forwardHeaders(c));
      c.header('cache-control', 'no-store');
      return c.json({ ...sample, ms: Math.round(sample.ms * 10) / 10 });
    })
    .get('/mesh/client.js', (c) => {
      c.header('content-type', 'text/javascript; charset=utf-8');
      c.header('cache-control', 'no-cache');
      return c.body(script);
    });
}
