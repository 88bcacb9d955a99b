import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInfo } from '../services.ts';
import { buildDevPlan } from './plan.ts';
import { BROWSER_BLOCKED_PORTS, browserBlockedPortError, findBrowserBlockedPorts, nextSafePortBase } from './ports.ts';

const SERVICES: ServiceInfo[] = [0, 1, 2, 3, 4, 5].map((i) => ({ name: `s${i}`, dir: `/repo/services/s${i}`, devPort: 5000 + i, devAdminPort: 5100 + i }));
const OFFSETS = [0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105];

test('the browsers\' blocked ports from 1024 up are the Fetch standard\'s list', () => {
  assert.deepEqual([...BROWSER_BLOCKED_PORTS.keys()], [1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);
});

test('the default block and the documented example are clear; 6000 and the IRC ports are not', () => {
  assert.deepEqual(findBrowserBlockedPorts(buildDevPlan({ services: SERVICES, portBase: 5000, inherited: {} })), []);
  assert.deepEqual(findBrowserBlockedPorts(buildDevPlan({ services: SERVICES, portBase: 7000, inherited: {} })), []);
  assert.deepEqual(findBrowserBlockedPorts(buildDevPlan({ services: SERVICES, portBase: 6000, inherited: {} })), [{ port: 6000, service: 's0', kind: 'HTTP', protocol: 'x11' }]);
  const irc = findBrowserBlockedPorts(buildDevPlan({ services: SERVICES, portBase: 6565, inherited: {} }));
  assert.deepEqual(irc.map((b) => [b.port, b.service, b.kind]), [[6566, 's1', 'HTTP'], [6665, 's0', 'admin'], [6666, 's1', 'admin'], [6667, 's2', 'admin'], [6668, 's3', 'admin'], [6669, 's4', 'admin']]);
  assert.deepEqual(findBrowserBlockedPorts(buildDevPlan({ services: SERVICES, only: ['s5'], portBase: 4955, inherited: {} })).map((b) => b.port), [5060]);
});

test('a refused base names each port and its service, and suggests the next clear hundred', () => {
  const plan = buildDevPlan({ services: SERVICES, portBase: 6000, inherited: {} });
  const error = browserBlockedPortError(findBrowserBlockedPorts(plan), 6000, OFFSETS);
  assert.match(error.message, /port 6000 \(s0 HTTP\) is one browsers refuse to open \(x11; Chrome shows ERR_UNSAFE_PORT\)/);
  assert.match(error.message, /nothing was started/);
  assert.match(error.hint, /--port-base 6100\b/);
  // 5900 puts 6000 in its admin half, 6000 in its HTTP half: 6100 is the next clear hundred.
  assert.equal(nextSafePortBase(5900, OFFSETS, 100), 6100);
  assert.equal(nextSafePortBase(6560, OFFSETS), 6570);
  assert.equal(nextSafePortBase(65_001, OFFSETS, 100), undefined, 'no base past the highest --port-base');
});
