// The shop's pages as plain components: data in, markup out. Routes fetch, these render.
import type { Cart } from '../cart.ts';
import type { Order, OrderSummary } from '../upstream/orders.ts';
import type { Product } from '../upstream/products.ts';

export interface Notice {
  kind: 'error' | 'ok';
  text: string;
}

export function NoticeBox({ notice }: { notice?: Notice | undefined }) {
  if (!notice) return null;
  return (
    <p class={notice.kind === 'ok' ? 'notice ok' : 'notice'} role={notice.kind === 'ok' ? 'status' : 'alert'}>
      {notice.text}
    </p>
  );
}

/** The shop has one currency, EUR; amounts are in euros (the services' cents / 100). */
export function money(amount: number): string {
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: 'EUR' }).format(amount);
}

export function Price({ product }: { product: Product }) {
  const sale = product.salePrice !== undefined && product.salePrice < product.price;
  return (
    <span class="price">
      {sale ? (
        <>
          <s>{money(product.price)}</s>
          <span class="sale">{money(product.salePrice ?? product.price)}</span>
        </>
      ) : (
        money(product.price)
      )}
    </span>
  );
}

function Rating({ product }: { product: Product }) {
  if (product.rating === undefined) return null;
  const stars = Math.max(0, Math.min(5, Math.round(product.rating)));
  return <span class="rating" title={`rated ${product.rating} of 5`}>{'★'.repeat(stars)}{'☆'.repeat(5 - stars)} {product.rating.toFixed(1)}</span>;
}

export function AddToCartForm({ productId }: { productId: string }) {
  return (
    <form method="post" action="/cart" class="add-to-cart">
      <input type="hidden" name="productId" value={productId} />
      <label>
        Qty <input type="number" name="qty" value="1" min="1" max="10" />
      </label>{' '}
      <button type="submit">Add to cart</button>
    </form>
  );
}

export function ProductList({ products }: { products: readonly Product[] }) {
  return (
    <>
      <h1>Products</h1>
      {products.length === 0 ? <p class="muted">The catalogue is empty.</p> : null}
      <div class="grid">
        {products.map((p) => (
          <article class="card product" data-product-id={p.id}>
            <h2>
              <a href={`/products/${p.id}`}>{p.name}</a>
            </h2>
            <p>
              <Price product={p} />
            </p>
            <Rating product={p} />
            <AddToCartForm productId={p.id} />
          </article>
        ))}
      </div>
    </>
  );
}

export function ProductPage({ product }: { product: Product }) {
  return (
    <article class="card" data-product-id={product.id}>
      <h1>{product.name}</h1>
      {product.description ? <p>{product.description}</p> : null}
      <p>
        <Price product={product} />
      </p>
      <p>
        <Rating product={product} />
      </p>
      <AddToCartForm productId={product.id} />
    </article>
  );
}

export interface CartRow {
  productId: string;
  qty: number;
  /** Missing when products did not answer for this line. */
  product: Product | undefined;
}

export function unitPrice(product: Product): number {
  return product.salePrice !== undefined && product.salePrice < product.price ? product.salePrice : product.price;
}

export interface CartPageProps {
  rows: readonly CartRow[];
  /** The signed-in shopper's name; without one the page asks to sign in instead of offering checkout. */
  shopperName: string | undefined;
  idempotencyKey: string;
  notice?: Notice | undefined;
  placed?: readonly string[];
}

/** The form field carrying the unit price (cents) the shopper confirms for a product. */
export const quoteField = (productId: string): string => `price-${productId}`;

export function CartPage({ rows, shopperName, idempotencyKey, notice, placed = [] }: CartPageProps) {
  const known = rows.every((r) => r.product !== undefined);
  const total = rows.reduce((sum, r) => sum + (r.product ? unitPrice(r.product) * r.qty : 0), 0);
  return (
    <>
      <h1>Your cart</h1>
      <NoticeBox notice={notice} />
      {placed.length > 0 ? (
        <p class="notice ok">
          Already placed:{' '}
          {placed.map((id, i) => (
            <>
              {i > 0 ? ', ' : ''}
              <a href={`/orders/${id}`}>order #{id}</a>
            </>
          ))}
        </p>
      ) : null}
      {rows.length === 0 ? (
        <p class="muted">
          Your cart is empty. <a href="/">Browse the products</a>.
        </p>
      ) : (
        <>
          <table class="cart">
            <thead>
              <tr>
                <th>Product</th>
                <th>Qty</th>
                <th>Price</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr data-product-id={r.productId}>
                  <td>{r.product ? <a href={`/products/${r.productId}`}>{r.product.name}</a> : `Product #${r.productId}`}</td>
                  <td>{r.qty}</td>
                  <td>{r.product ? money(unitPrice(r.product) * r.qty) : '–'}</td>
                  <td>
                    <form method="post" action="/cart/remove">
                      <input type="hidden" name="productId" value={r.productId} />
                      <button type="submit" class="secondary">Remove</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <strong>Total: {known ? money(total) : '–'}</strong>
          </p>
          {shopperName === undefined ? (
            <p>
              <a href="/signin?next=/cart" class="button" id="signin-to-order">
                Sign in to place the order
              </a>
            </p>
          ) : known ? (
            <form method="post" action="/checkout" class="checkout">
              <input type="hidden" name="idempotencyKey" value={idempotencyKey} />
              {rows.map((r) => (r.product ? <input type="hidden" name={quoteField(r.productId)} value={String(r.product.unitPriceCents)} /> : null))}
              <p class="muted">
                Ordering as {shopperName}. You will be charged {money(total)}.
              </p>
              <button type="submit" id="checkout">
                Place order
              </button>
            </form>
          ) : (
            <p class="muted">Prices are missing, so the order cannot be placed yet. Reload the page in a moment.</p>
          )}
        </>
      )}
    </>
  );
}

export function OrderPage({ order, justPlaced, also }: { order: Order; justPlaced: boolean; also: readonly string[] }) {
  return (
    <>
      {justPlaced ? <NoticeBox notice={{ kind: 'ok', text: 'Thank you! Your order is placed.' }} /> : null}
      <article class="card order" data-order-id={order.order_id}>
        <h1>Order #{order.order_id}</h1>
        <table>
          <tbody>
            <tr>
              <th>Customer</th>
              <td class="order-user">{order.user?.name ?? '–'}</td>
            </tr>
            <tr>
              <th>Product</th>
              <td class="order-product">{order.product?.name ?? '–'}</td>
            </tr>
            {order.quantity !== undefined ? (
              <tr>
                <th>Quantity</th>
                <td>{order.quantity}</td>
              </tr>
            ) : null}
            {order.total !== undefined ? (
              <tr>
                <th>Total</th>
                <td class="order-total">{money(order.total)}</td>
              </tr>
            ) : null}
            {order.status !== undefined ? (
              <tr>
                <th>Status</th>
                <td>{order.status}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </article>
      {also.length > 0 ? (
        <p>
          Also placed in this checkout:{' '}
          {also.map((id, i) => (
            <>
              {i > 0 ? ', ' : ''}
              <a href={`/orders/${id}`}>order #{id}</a>
            </>
          ))}
        </p>
      ) : null}
      <p>
        <a href="/">Continue shopping</a>
      </p>
    </>
  );
}

export function SignInPage({ next, notice, username = '' }: { next: string; notice?: Notice | undefined; username?: string }) {
  return (
    <section class="card signin">
      <h1>Sign in</h1>
      <NoticeBox notice={notice} />
      <p class="muted">This sandbox has three seeded accounts and no passwords: alice, bob or carol.</p>
      <form method="post" action="/signin">
        <input type="hidden" name="next" value={next} />
        <label>
          Username <input type="text" name="username" id="username" value={username} required maxlength={64} autocomplete="username" />
        </label>{' '}
        <button type="submit" id="signin">
          Sign in
        </button>
      </form>
    </section>
  );
}

export function MyOrdersPage({ shopperName, orders, nextCursor }: { shopperName: string; orders: readonly OrderSummary[]; nextCursor: string | null }) {
  return (
    <>
      <h1>My orders</h1>
      <p class="muted">Orders placed by {shopperName}, oldest first.</p>
      {orders.length === 0 ? (
        <p class="muted">
          No orders yet. <a href="/">Browse the products</a>.
        </p>
      ) : (
        <div class="scroll">
          <table class="my-orders">
            <thead>
              <tr>
                <th>Order</th>
                <th>Placed</th>
                <th>Qty</th>
                <th>Total</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {orders.map((o) => (
                <tr data-order-id={o.order_id}>
                  <td>
                    <a href={`/orders/${o.order_id}`}>#{o.order_id}</a>
                  </td>
                  <td>{o.created_at.slice(0, 16).replace('T', ' ')}</td>
                  <td>{o.quantity}</td>
                  <td>{money(o.total_cents / 100)}</td>
                  <td>{o.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextCursor ? (
        <p>
          <a href={`/orders?cursor=${encodeURIComponent(nextCursor)}`} id="older-orders">
            More orders
          </a>
        </p>
      ) : null}
    </>
  );
}

export function ErrorPage({ heading, message }: { heading: string; message: string }) {
  return (
    <section class="error-page">
      <h1>{heading}</h1>
      <p class="notice" role="alert">
        {message}
      </p>
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </section>
  );
}

export interface MeshPageProps {
  rate: number;
  window: number;
  productId: string;
}

export function MeshPage({ rate, window, productId }: MeshPageProps) {
  return (
    <div id="mesh" data-endpoint="/mesh/sample" data-rate={String(rate)} data-window={String(window)} data-total="0">
      <h1>Live traffic: products</h1>
      <p class="muted">
        This page asks the storefront {rate} times a second to call <code>GET /products/{productId}</code> through the mesh, and charts who answered
        over the last {window} responses. Change the pace with <code>?rate=</code> (1–50 per second) and the window with <code>?window=</code> (10–1000).
      </p>
      <div class="mesh-stats">
        <div class="card">
          <span class="muted">Responses in window</span>
          <b id="mesh-total">0 / {window}</b>
        </div>
        <div class="card">
          <span class="muted">Error rate</span>
          <b id="mesh-error-rate">0%</b>
        </div>
        <div class="card">
          <span class="muted">Latency p50</span>
          <b id="mesh-p50">–</b>
        </div>
        <div class="card">
          <span class="muted">Latency p95</span>
          <b id="mesh-p95">–</b>
        </div>
      </div>
      <section class="panel">
        <h2>By version (x-service-version)</h2>
        <div id="mesh-versions"></div>
      </section>
      <section class="panel">
        <h2>By pod (x-pod)</h2>
        <div id="mesh-pods"></div>
      </section>
      <section class="panel">
        <h2>Last responses, oldest first (outlined: errors)</h2>
        <div id="mesh-recent" class="recent"></div>
      </section>
      <button type="button" id="mesh-toggle" class="secondary">
        Pause
      </button>
      <noscript>
        <p class="notice">The live chart needs JavaScript.</p>
      </noscript>
      <script src="/mesh/client.js" defer></script>
    </div>
  );
}
