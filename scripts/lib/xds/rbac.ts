// Whether an Envoy RBAC rule set (envoy.config.rbac.v3.RBAC, as istiod generated it) has a policy
// matching a request. Istio's traffic simulation does not evaluate RBAC, so this reads the principal
// and permission kinds Istio emits, as Envoy defines them; an unknown kind matches nothing.
import type { EnvoyJson } from './generate.ts';

export interface RbacRequest {
  /** The peer's mTLS identity, e.g. spiffe://cluster.local/ns/shop/sa/orders. */
  principal?: string;
  /** The JWT's iss/sub, absent when the request carries no valid token. */
  requestPrincipal?: string;
  path: string;
  method: string;
  /** The port the proxy received the request on. */
  port: number;
}

export function stringMatches(m: EnvoyJson | undefined, value: string | undefined): boolean {
  if (!m || value === undefined) return false;
  const v = m.ignore_case ? value.toLowerCase() : value;
  const c = (s: unknown): string => (m.ignore_case ? String(s).toLowerCase() : String(s));
  if (m.exact !== undefined) return v === c(m.exact);
  if (m.prefix !== undefined) return v.startsWith(c(m.prefix));
  if (m.suffix !== undefined) return v.endsWith(c(m.suffix));
  if (m.contains !== undefined) return v.includes(c(m.contains));
  if (m.safe_regex?.regex !== undefined) return new RegExp(`^(?:${String(m.safe_regex.regex)})$`).test(value);
  return false;
}

function valueMatches(m: EnvoyJson | undefined, value: string | undefined): boolean {
  if (!m) return false;
  if (m.present_match !== undefined) return (value !== undefined) === Boolean(m.present_match);
  return stringMatches(m.string_match, value);
}

function principalMatches(p: EnvoyJson, r: RbacRequest): boolean {
  if (p.any) return true;
  if (p.and_ids) return (p.and_ids.ids as EnvoyJson[]).every((x) => principalMatches(x, r));
  if (p.or_ids) return (p.or_ids.ids as EnvoyJson[]).some((x) => principalMatches(x, r));
  if (p.not_id) return !principalMatches(p.not_id, r);
  if (p.authenticated) return stringMatches(p.authenticated.principal_name, r.principal);
  if (p.filter_state?.key === 'io.istio.peer_principal') return stringMatches(p.filter_state.string_match, r.principal) || stringMatches(p.filter_state.string_match, r.principal?.replace(/^spiffe:\/\//, ''));
  if (p.metadata) {
    const key = ((p.metadata.path as EnvoyJson[] | undefined) ?? []).map((k) => k.key).join('.');
    // Istio reads the request principal from istio_authn's request.auth.principal, or (newer) from
    // jwt_authn's payload: iss and sub of the verified token, i.e. the two halves of `iss/sub`.
    const cut = r.requestPrincipal?.lastIndexOf('/') ?? -1;
    const claims: Record<string, string | undefined> = {
      'request.auth.principal': r.requestPrincipal,
      'payload.iss': cut > 0 ? r.requestPrincipal!.slice(0, cut) : undefined,
      'payload.sub': cut > 0 ? r.requestPrincipal!.slice(cut + 1) : undefined,
    };
    const matched = key in claims ? valueMatches(p.metadata.value, claims[key]) : false;
    return p.metadata.invert ? !matched : matched;
  }
  return false;
}

function permissionMatches(p: EnvoyJson, r: RbacRequest): boolean {
  if (p.any) return true;
  if (p.and_rules) return (p.and_rules.rules as EnvoyJson[]).every((x) => permissionMatches(x, r));
  if (p.or_rules) return (p.or_rules.rules as EnvoyJson[]).some((x) => permissionMatches(x, r));
  if (p.not_rule) return !permissionMatches(p.not_rule, r);
  if (p.url_path) return stringMatches(p.url_path.path, r.path);
  if (p.destination_port !== undefined) return Number(p.destination_port) === r.port;
  if (p.header?.name === ':method') return p.header.string_match ? stringMatches(p.header.string_match, r.method) : p.header.exact_match === r.method;
  if (p.header?.name === ':path') return stringMatches(p.header.string_match, r.path);
  return false;
}

/** Whether any policy of the rule set matches the request (for ALLOW: allowed; for DENY: denied). */
export function rbacAllows(rules: EnvoyJson | undefined, r: RbacRequest): boolean {
  return Object.values((rules?.policies as Record<string, EnvoyJson> | undefined) ?? {}).some(
    (policy) => ((policy.permissions as EnvoyJson[] | undefined) ?? []).some((p) => permissionMatches(p, r)) && ((policy.principals as EnvoyJson[] | undefined) ?? []).some((p) => principalMatches(p, r)),
  );
}
