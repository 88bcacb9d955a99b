import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import type { ServedBy } from '../served.ts';
import { Badges } from './badges.tsx';
import { STYLE } from './style.ts';

export interface Identity {
  service: string;
  version: string;
  pod: string;
}

export interface LayoutProps {
  title: string;
  self: Identity;
  cartCount: number;
  /** The signed-in shopper's name, if any. */
  shopper?: string | undefined;
  /** The CSP nonce for the inline stylesheet. */
  nonce?: string | undefined;
  served?: readonly ServedBy[];
  children?: Child;
}

export function Layout({ title, self, cartCount, shopper, nonce, served = [], children }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · shopmesh`}</title>
          <style nonce={nonce}>{raw(STYLE)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/">shopmesh</a>
            <nav>
              <a href="/">Products</a>
              <a href="/orders" id="my-orders-link">My orders</a>
              <a href="/cart" id="cart-link">Cart ({cartCount})</a>
              <a href="/mesh">Mesh</a>
              {shopper ? (
                <form method="post" action="/signout" class="signout">
                  <span id="shopper">{shopper}</span> <button type="submit" class="link">Sign out</button>
                </form>
              ) : (
                <a href="/signin" id="signin-link">Sign in</a>
              )}
            </nav>
          </header>
          <main>
            {/* The storefront's own badge first, then one per upstream answer on this page. */}
            <Badges served={[{ service: self.service, version: self.version, pod: self.pod }, ...served]} />
            {children}
          </main>
          <footer>
            Page rendered by {self.service} {self.version} on {self.pod}.
          </footer>
        </body>
      </html>
    </>
  );
}
