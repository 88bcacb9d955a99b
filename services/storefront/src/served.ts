// Which instance of an upstream answered: read from the identity headers every service sets, and
// shown as a badge on each page so that a canary split is visible at a glance.

export interface ServedBy {
  /** The service that was called, e.g. "products"; used when the answer carried no `x-service`. */
  service: string;
  /** `x-service-version`, "" when the answer had none (e.g. a mesh-injected abort). */
  version: string;
  /** `x-pod`, "" when the answer had none. */
  pod: string;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>> | Headers;

function header(headers: HeaderBag, name: string): string {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

export function servedBy(service: string, headers: HeaderBag): ServedBy {
  return {
    service: header(headers, 'x-service') || service,
    version: header(headers, 'x-service-version'),
    pod: header(headers, 'x-pod'),
  };
}

/** The same service answering twice on one page (two products calls) gets one badge per distinct answer. */
export function distinctServed(list: readonly ServedBy[]): ServedBy[] {
  const seen = new Map<string, ServedBy>();
  for (const s of list) seen.set(`${s.service}|${s.version}|${s.pod}`, s);
  return [...seen.values()];
}
