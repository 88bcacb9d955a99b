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
  served?: readonly ServedBy[];
  children?: Child;
}

export function Layout({ title, self, cartCount, served = [], children }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · shopmesh`}</title>
          <style>{raw(STYLE)}</style>
        </head>
        <body>
          <header class="top">
            <a class="brand" href="/">shopmesh</a>
            <nav>
              <a href="/">Products</a>
              <a href="/cart" id="cart-link">Cart ({cartCount})</a>
              <a href="/mesh">Mesh</a>
            </nav>
          </header>
          <main>
            <Badges served={served} />
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
