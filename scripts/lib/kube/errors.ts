// Recognising "not there" answers from the API server, whatever client-node wraps them in.
import { ApiException } from '@kubernetes/client-node';

export function isNotFound(err: unknown): boolean {
  if (err instanceof ApiException) return err.code === 404;
  const e = err as { code?: number; statusCode?: number; message?: string };
  // KubernetesObjectApi fails resource discovery with a plain Error when a CRD's group is not served.
  return e?.code === 404 || e?.statusCode === 404 || /Unrecognized API version and kind|not found/i.test(e?.message ?? '');
}
