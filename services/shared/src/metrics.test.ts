import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from './metrics.ts';

test('histogram buckets are cumulative and counts are per method, route and status', () => {
  const metrics = createMetrics('products');
  metrics.record('GET', '/products/:id', 200, 0.0004);
  metrics.record('GET', '/products/:id', 200, 0.03);
  metrics.record('GET', '/products/:id', 404, 0.002);
  const text = metrics.render();
  const labels = 'service="products",method="GET",route="/products/:id",status="200"';
  assert.match(text, new RegExp(`http_requests_total\\{${labels}\\} 2`));
  assert.match(text, new RegExp(`http_request_duration_seconds_bucket\\{${labels},le="0.001"\\} 1`));
  assert.match(text, new RegExp(`http_request_duration_seconds_bucket\\{${labels},le="0.025"\\} 1`));
  assert.match(text, new RegExp(`http_request_duration_seconds_bucket\\{${labels},le="0.05"\\} 2`));
  assert.match(text, new RegExp(`http_request_duration_seconds_bucket\\{${labels},le="\\+Inf"\\} 2`));
  assert.match(text, /status="404"\} 1/);
  assert.match(text, /# TYPE http_request_duration_seconds histogram/);
});

test('label values are escaped', () => {
  const metrics = createMetrics('x');
  metrics.record('GET', '/a"b\\c', 200, 0.1);
  assert.match(metrics.render(), /route="\/a\\"b\\\\c"/);
});
