// The shop in a real headless browser: Debian's chromium driven by playwright-core. It starts the
// whole shop as real processes on 127.0.0.1 (ephemeral ports), signs in, places an order through the
// UI, finds it in "My orders", opens /mesh (also at 390 px), waits for the chart to fill and saves a screenshot (the README's docs/images/mesh.png is refreshed with SHOPMESH_UPDATE_DOCS=1).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startShop, type Shop } from '../../../test/support/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
// Saved under reports/ (ignored by git); SHOPMESH_UPDATE_DOCS=1 refreshes the README's copy as well.
const SCREENSHOT = path.resolve(import.meta.dirname, '../../../reports/screenshots/mesh.png');
const DOCS_SCREENSHOT = path.resolve(import.meta.dirname, '../../../docs/images/mesh.png');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Tests install nothing on the machine: .ci/run installs Debian's chromium, and so does a contributor, once.
const missingChromium = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install the Debian package chromium (\`sudo apt install chromium\`) (.ci/run does it for CI), then run this test again`;

describe('the shop in a headless browser', { timeout: 600_000 }, () => {
  let shop: Shop | undefined;
  let context: BrowserContext | undefined;
  let profileDir: string | undefined;
  let page: Page;
  let storefront: string;

  before(async () => {
    assert.equal(missingChromium, undefined, missingChromium);
    shop = await startShop({ readyTimeoutMs: 60_000 });
    storefront = shop.urls.storefront!;
    assert.ok(storefront, 'the harness started the storefront');
    profileDir = await mkdtemp(path.join(tmpdir(), 'shopmesh-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 900 },
      timeout: 120_000,
    });
    context.setDefaultTimeout(30_000);
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await shop?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('signs in with a seeded account', async () => {
    await page.goto(`${storefront}/`);
    await Promise.all([page.waitForURL(/\/signin/), page.locator('#signin-link').click()]);
    await page.locator('#username').fill('alice');
    await Promise.all([page.waitForURL(`${storefront}/`), page.locator('#signin').click()]);
    assert.equal((await page.locator('#shopper').innerText()).trim(), 'Alice');
  });

  it('places an order through the pages', async () => {
    await page.goto(`${storefront}/`);
    const laptop = page.locator('article.product', { hasText: 'Laptop' });
    assert.equal(await laptop.count(), 1, 'the product list shows the Laptop');
    assert.equal(await page.locator('.badge[data-service="products"]').count() > 0, true, 'a products badge is shown');

    await Promise.all([page.waitForURL(/\/cart$/), laptop.getByRole('button', { name: 'Add to cart' }).click()]);
    assert.match(await page.locator('table.cart').innerText(), /Laptop/);
    assert.match(await page.locator('#cart-link').innerText(), /Cart \(1\)/);
    assert.match(await page.locator('form.checkout').innerText(), /You will be charged €1,299\.00\./);

    await Promise.all([page.waitForURL(/\/orders\/[^/?]+\?placed=1/), page.locator('#checkout').click()]);
    assert.match(await page.locator('h1').innerText(), /^Order #\S+$/);
    assert.equal((await page.locator('.order-user').innerText()).trim(), 'Alice');
    assert.equal((await page.locator('.order-product').innerText()).trim(), 'Laptop');
    assert.match(await page.locator('[role="status"]').innerText(), /Your order is placed/);
    assert.match(await page.locator('#cart-link').innerText(), /Cart \(0\)/);
    assert.match(await page.locator('.order-total').innerText(), /€1,299\.00/);
  });

  it('shows the order in "My orders", linked from the navigation', async () => {
    const placed = /\/orders\/(\d+)/.exec(page.url())?.[1];
    assert.ok(placed, page.url());
    await Promise.all([page.waitForURL(/\/orders$/), page.locator('#my-orders-link').click()]);
    assert.equal((await page.locator('h1').innerText()).trim(), 'My orders');
    const row = page.locator(`tr[data-order-id="${placed}"]`);
    assert.equal(await row.count(), 1, 'the new order is listed');
    assert.match(await row.innerText(), /€1,299\.00\s+paid/);
  });

  it('shows live responses on /mesh and saves the screenshot', async () => {
    await page.goto(`${storefront}/mesh?rate=25`);
    // The window holds 100 responses; at 25/s it fills in about 4 s, bounded here at 120 s.
    await page.waitForFunction(() => Number(document.getElementById('mesh')?.dataset.total ?? 0) >= 100, undefined, { timeout: 120_000, polling: 250 });
    assert.equal(await page.locator('#mesh-total').innerText(), '100 / 100');
    const versions = await page.locator('#mesh-versions .legend-key').allInnerTexts();
    assert.deepEqual(versions, ['v1'], 'the local shop runs products v1 only');
    const pods = await page.locator('#mesh-pods .legend-key').allInnerTexts();
    assert.deepEqual(pods, ['products-test']);
    assert.equal(await page.locator('#mesh-recent .cell').count(), 100);
    assert.equal(await page.locator('#mesh-error-rate').innerText(), '0%');
    assert.match(await page.locator('#mesh-p50').innerText(), /^\d+(\.\d)? ms$/);
    // Pause so the screenshot is of a settled chart.
    await page.locator('#mesh-toggle').click();
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));
    if (process.env.SHOPMESH_UPDATE_DOCS === '1') await copyFile(SCREENSHOT, DOCS_SCREENSHOT);
    assert.ok((await page.locator('.badge[data-service="storefront"]').count()) > 0, '/mesh carries the service badges');
  });

  it('fits /mesh on a 390 px phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${storefront}/mesh?rate=25`);
    await page.waitForFunction(() => Number(document.getElementById('mesh')?.dataset.total ?? 0) >= 20, undefined, { timeout: 60_000, polling: 250 });
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `the page is ${widths.scroll} px wide in a ${widths.client} px viewport`);
    await page.setViewportSize({ width: 1100, height: 900 });
  });
});
