import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { itemCount } from '../cart.ts';
import { readCart } from '../request.ts';
import { distinctServed, type ServedBy } from '../served.ts';
import { readSession } from '../session.ts';
import { Layout, type Identity } from './layout.tsx';
import { ErrorPage } from './pages.tsx';

export interface PageOptions {
  title: string;
  served?: readonly ServedBy[];
  status?: ContentfulStatusCode;
  /** The cart count in the header when the route just changed the cart. */
  cartCount?: number;
  /** The shopper's name when the route just changed the session ('' after signing out). */
  shopper?: string;
}

/** The CSP nonce secureHeaders() chose for this response. */
export function nonceOf(c: Context): string | undefined {
  const nonce = (c.var as { secureHeadersNonce?: unknown }).secureHeadersNonce;
  return typeof nonce === 'string' ? nonce : undefined;
}

/** Renders a full page in the shop layout. */
export function renderPage(c: Context, self: Identity, options: PageOptions, content: Child): Response | Promise<Response> {
  const cartCount = options.cartCount ?? itemCount(readCart(c));
  const shopper = options.shopper ?? readSession(c)?.name;
  return c.html(
    <Layout title={options.title} self={self} cartCount={cartCount} shopper={shopper || undefined} nonce={nonceOf(c)} served={distinctServed(options.served ?? [])}>
      {content}
    </Layout>,
    options.status ?? 200,
  );
}

/** The friendly page for any failure: a heading, one plain sentence, the right status, and who answered. */
export function renderErrorPage(
  c: Context,
  self: Identity,
  failure: { status: ContentfulStatusCode; heading: string; message: string; served?: readonly ServedBy[] },
): Response | Promise<Response> {
  return renderPage(c, self, { title: failure.heading, status: failure.status, served: failure.served ?? [] }, <ErrorPage heading={failure.heading} message={failure.message} />);
}
