// A small stand-in for the Istio ingress gateway, built from the rendered VirtualServices, so the
// k6 scripts' requests can be checked against the real services without a cluster. It honours what
// the baseline routes use at the gateway: uri exact/prefix matches scoped to the gateway, the
// /api rewrite, and the destination host. Traffic splits, faults and policies need the real mesh.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { KubeObject } from '../../scripts/lib/kube/render.ts';

interface UriMatch {
  exact?: string;
  prefix?: string;
}

export interface GatewayRoute {
  /** Where it came from, for messages: VirtualService shop/products http[0]. */
  source: string;
  match: UriMatch | undefined;
  rewrite?: { regex: RegExp; replacement: string } | { prefix: string };
  service: string;
}

/** Routes that apply at `gateway` for `host`, most specific first: exact, longest prefix, then catch-all. */
export function gatewayRoutes(objects: readonly KubeObject[], gateway: string, host: string): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const vs of objects.filter((o) => o.kind === 'VirtualService')) {
    const spec = vs.spec as { hosts?: string[]; gateways?: string[]; http?: Array<Record<string, unknown>> };
    if (!spec.hosts?.includes(host) || !spec.gateways?.includes(gateway)) continue;
    (spec.http ?? []).forEach((http, i) => {
      const source = `VirtualService ${vs.metadata.namespace ?? ''}/${vs.metadata.name} http[${i}]`;
      const dest = (http.route as Array<{ destination: { host: string } }> | undefined)?.[0]?.destination.host;
      if (!dest) return;
      const service = dest.split('.')[0]!;
      const rw = http.rewrite as { uri?: string; uriRegexRewrite?: { match: string; rewrite: string } } | undefined;
      const rewrite = rw?.uriRegexRewrite
        ? { regex: new RegExp(rw.uriRegexRewrite.match), replacement: rw.uriRegexRewrite.rewrite }
        : rw?.uri !== undefined
          ? { prefix: rw.uri }
          : undefined;
      const matches = http.match as Array<{ gateways?: string[]; uri?: UriMatch }> | undefined;
      if (!matches?.length) {
        routes.push({ source, match: undefined, service, ...(rewrite ? { rewrite } : {}) });
        return;
      }
      for (const m of matches) {
        if (m.gateways && !m.gateways.includes(gateway)) continue;
        routes.push({ source, match: m.uri, service, ...(rewrite ? { rewrite } : {}) });
      }
    });
  }
  const rank = (r: GatewayRoute): number => (r.match?.exact !== undefined ? 1e6 : r.match?.prefix !== undefined ? r.match.prefix.length : -1);
  return routes.sort((a, b) => rank(b) - rank(a));
}

/** The route and upstream path for a request path, or undefined when nothing matches (the gateway answers 404). */
export function resolveRoute(routes: readonly GatewayRoute[], path: string): { route: GatewayRoute; path: string } | undefined {
  const pathname = path.split('?')[0]!;
  const route = routes.find((r) =>
    r.match === undefined ? true : r.match.exact !== undefined ? pathname === r.match.exact : pathname.startsWith(r.match.prefix ?? ''),
  );
  if (!route) return undefined;
  let upstreamPath = path;
  if (route.rewrite && 'regex' in route.rewrite) upstreamPath = path.replace(route.rewrite.regex, route.rewrite.replacement);
  else if (route.rewrite && route.match?.prefix !== undefined) upstreamPath = route.rewrite.prefix + path.slice(route.match.prefix.length);
  return { route, path: upstreamPath };
}

export interface LocalGateway {
  url: string;
  close(): Promise<void>;
}

/** Serves the routes on 127.0.0.1 (ephemeral port), forwarding to `serviceUrls[service]`. */
export async function startLocalGateway(routes: readonly GatewayRoute[], serviceUrls: Readonly<Record<string, string>>): Promise<LocalGateway> {
  const server: Server = createServer(async (req, res) => {
    const resolved = resolveRoute(routes, req.url ?? '/');
    const base = resolved ? serviceUrls[resolved.route.service] : undefined;
    if (!resolved || !base) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
    try {
      const upstream = await request(`${base}${resolved.path}`, {
        method: req.method as 'GET',
        headers,
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = Buffer.from(await upstream.body.arrayBuffer());
      const out = Object.fromEntries(Object.entries(upstream.headers).filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding'].includes(k)));
      res.writeHead(upstream.statusCode, out as Record<string, string>).end(body);
    } catch {
      res.writeHead(503).end('upstream connect error');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
