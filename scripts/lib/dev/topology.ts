// Which service calls which, from CONTRIBUTING.md. The dev runner and the test harness both start
// services leaf-first from this map and pass each caller its upstreams' URLs.

/** Upstreams of each service. A service missing here calls nobody. */
export const UPSTREAMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  storefront: ['users', 'products', 'orders'],
  orders: ['users', 'products', 'payments', 'notifications'],
});

export function upstreamsOf(service: string): readonly string[] {
  return UPSTREAMS[service] ?? [];
}

/** The variable that carries a service's base URL: products -> PRODUCTS_URL. */
export function urlVariable(service: string): string {
  return `${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

/**
 * Groups services into start waves: every service comes after the upstreams it calls that are in
 * the set. Services in one wave can start together. Names within a wave keep the input order.
 */
export function startWaves(services: readonly string[]): string[][] {
  const pending = new Set(services);
  const waves: string[][] = [];
  // Each wave starts at least one service, so this loop runs at most services.length times.
  while (pending.size > 0) {
    const wave = [...pending].filter((s) => upstreamsOf(s).every((u) => u === s || !pending.has(u)));
    if (wave.length === 0) throw new Error(`services call each other in a cycle: ${[...pending].join(', ')}`);
    for (const s of wave) pending.delete(s);
    waves.push(wave);
  }
  return waves;
}
