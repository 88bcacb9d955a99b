// Expectations shaped like the runner derives them, for tests of the arithmetic built on them.
import type { BreakerExpectations } from '../../loadtests/lib/expectations.ts';

/** The shipped breaker overlay's expectations, with the ejection time under test. */
export const breakerExpectations = (baseEjectionTimeMs: number): BreakerExpectations => ({
  scenario: 'breaker',
  service: 'products',
  pool: { maxConnections: 1, http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 },
  outlier: { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs, maxEjectionPercent: 50 },
  replicas: 4,
  failingReplicas: 1,
  overflowConcurrency: 3,
});
