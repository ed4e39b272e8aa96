// The admin page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): log in, create a webhook with two headers, see it
// listed, edit it, test it against a receiver, see the delivery on its page,
// delete it, log out; HTML escaping, CSRF, another team's session, the
// security headers; screenshots of every page at 1280 and 390 px wide under
// tests/browser/screenshots/.  Then the same page under lighttpd mounted at
// /hooks/: the browser keeps the session's cookie there and every page it
// reaches by links, forms and redirects stays under /hooks/admin/.
//
// The server is the real lighttpd with lighttpd.conf.example and the real
// FastCGI program, on a free loopback port (tests/e2e/lib.mjs).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { spawn } from 'node:child_process';

import { LIGHTTPD_CONF, REPO, addToken, api, ctl, daemonArgs, startLighttpd } from '../e2e/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
const WIDTHS = [1280, 390];
const XSS_NAME = '<script>alert(1)</script>';

// The receiver: records what it gets, answers `status` (after `delayMs`).
function startReceiver() {
  const r = { got: [], status: 200, reply: '{"ok":true}' };
  r.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      r.got.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const send = () => {
        res.writeHead(r.status, { 'Content-Type': 'application/json' });
        res.end(r.reply);
      };
      if (r.delayMs) setTimeout(send, r.delayMs); else send();
    });
  });
  return new Promise((resolve) => {
    r.server.listen(0, '127.0.0.1', () => {
      r.url = `http://127.0.0.1:${r.server.address().port}/hook`;
      resolve(r);
    });
  });
}

// A browser of its own: a persistent context in a fresh profile directory.
async function newBrowser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  ctx.profileDir = dir;
  return ctx;
}

async function closeBrowser(ctx) {
  if (!ctx) return;
  await ctx.close();
  fs.rmSync(ctx.profileDir, { recursive: true, force: true });
}

// webhookd --once: delivers what is due in the spool, then exits.  Not
// spawnSync: the receiver lives in this process and must keep answering.
function webhookdOnce(home) {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(REPO, 'webhookd'), daemonArgs(home, ['--once']), {
      env: { ...process.env, WEBHOOKS_HOME: home, WEBHOOKS_ALLOW_PRIVATE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`webhookd --once exited ${code}: ${out}`));
    });
  });
}

// Full-page screenshots at each width, then back to the wide one.
async function shoot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const w of WIDTHS) {
    await page.setViewportSize({ width: w, height: w > 500 ? 900 : 844 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}.png`), fullPage: true });
    // Nothing may stick out sideways at this width.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} at ${w} px scrolls sideways by ${overflow} px`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function logIn(page, base, token) {
  await page.goto(`${base}/admin/`);
  assert.match(page.url(), /\/admin\/login$/);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`${base}/admin/`), page.click('button:has-text("Log in")')]);
}

describe('admin page', () => {
  let srv, rcv, browser, page, base, otherToken, viewToken;
  const dialogs = [];

  before(async () => {
    process.env.WEBHOOKS_ALLOW_PRIVATE = '1';
    srv = await startLighttpd();
    base = srv.base;
    otherToken = addToken(srv.home, 'other');
    viewToken = addToken(srv.home, 'default', 'webhooks:view');
    rcv = await startReceiver();
    browser = await newBrowser();
    page = browser.pages()[0] || await browser.newPage();
    page.setDefaultTimeout(10000);
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
  });

  after(async () => {
    await closeBrowser(browser);
    if (rcv) rcv.server.close();
    if (srv) await srv.stopAndClean();
  });

  it('asks for a token and logs in with a strict, HttpOnly cookie', async () => {
    await page.goto(`${base}/admin/`);
    assert.match(page.url(), /\/admin\/login$/);
    await shoot(page, 'login');
    await page.fill('#token', 'wh_not-a-real-token');
    await page.click('button:has-text("Log in")');
    await page.waitForSelector('.error');
    assert.match(await page.textContent('.error'), /not valid/);
    await page.fill('#token', srv.token);
    await Promise.all([page.waitForURL(`${base}/admin/`), page.click('button:has-text("Log in")')]);
    assert.match(await page.textContent('.team'), /default/);
    assert.match(await page.textContent('main'), /No webhooks yet/);
    const c = (await browser.cookies(`${base}/admin/`)).find((x) => x.name === 'wh_session');
    assert.ok(c, 'a session cookie');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(c.path, '/admin/');
    assert.equal(c.secure, false, 'Secure only over HTTPS');
    await shoot(page, 'list-empty');
  });

  it('creates a webhook with two headers, keeping the form on errors', async () => {
    await page.click('a:has-text("New webhook")');
    await page.waitForURL(`${base}/admin/webhooks/new`);
    await shoot(page, 'new');
    await page.fill('#name', 'Orders');
    await page.fill('#url', 'not a url');
    await page.fill('input[name=header_name_0]', 'X-One');
    await page.fill('input[name=header_value_0]', 'first');
    await page.click('button:has-text("Add a header row")');
    await page.fill('input[name=header_name_1]', 'X-Two');
    await page.fill('input[name=header_value_1]', 'second');
    await page.fill('#max_attempts', 'lots');
    await page.uncheck('input[name=events][value="*"]');
    await page.check('input[name=events][value="customer_created"]');
    await page.fill('#events_other', 'order.created');
    await page.click('.actions button:has-text("Save")');
    // Refused: each error next to its field, what was typed kept.
    await page.waitForSelector('.field-error');
    assert.match(await page.textContent('.field.invalid:has(#url) .field-error'), /URL/);
    assert.match(await page.textContent('.field.invalid:has(#max_attempts) .field-error'), /integer/);
    assert.equal(await page.inputValue('#name'), 'Orders');
    assert.equal(await page.inputValue('#url'), 'not a url');
    assert.equal(await page.inputValue('input[name=header_name_1]'), 'X-Two');
    assert.equal(await page.inputValue('input[name=header_value_0]'), 'first');
    assert.equal(await page.inputValue('#events_other'), 'order.created');
    assert.equal(await page.isChecked('input[name=events][value="customer_created"]'), true);
    assert.equal(await page.isChecked('input[name=events][value="*"]'), false);
    await shoot(page, 'new-errors');

    // A third row, removed again.
    await page.click('button:has-text("Add a header row")');
    await page.fill('input[name=header_name_2]', 'X-Three');
    await page.fill('input[name=header_value_2]', 'third');
    await page.click('button[aria-label="Remove header 3"]');
    assert.equal(await page.locator('input[name=header_name_2]').inputValue(), '');

    await page.fill('#url', rcv.url);
    await page.fill('#max_attempts', '3');
    await page.click('.actions button:has-text("Save")');
    await page.waitForSelector('code.secret');
    const secret = await page.textContent('code.secret');
    assert.match(secret, /^whsec_/);
    assert.match(await page.textContent('.details'), /X-One: first/);
    assert.match(await page.textContent('.details'), /X-Two: second/);
    assert.match(await page.textContent('.details'), /order\.created/);
    await shoot(page, 'created');
    // Shown once: the webhook's own page does not show it again.
    await page.click('a:has-text("All webhooks")');
    await page.click('a:has-text("Orders")');
    assert.equal(await page.locator('code.secret').count(), 0);
    assert.ok(!(await page.content()).includes(secret));
  });

  it('lists it', async () => {
    await page.goto(`${base}/admin/`);
    const row = page.locator('table.list tbody tr', { hasText: 'Orders' });
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent(), new RegExp(rcv.url.replace(/[./]/g, '\\$&')));
    assert.match(await row.textContent(), /active/);
    await shoot(page, 'list');
  });

  it('edits it', async () => {
    await page.click('a:has-text("Orders")');
    await page.click('a:has-text("Edit")');
    assert.equal(await page.inputValue('input[name=header_name_0]'), 'X-One');
    assert.equal(await page.inputValue('#max_attempts'), '3');
    await shoot(page, 'edit');
    await page.fill('#name', 'Orders (edited)');
    await page.fill('#auth_user', 'alice');
    await page.fill('#auth_pass', 's3cret-pass');
    await page.click('.actions button:has-text("Save")');
    await page.waitForSelector('.notice');
    assert.match(await page.textContent('h1'), /Orders \(edited\)/);
    assert.match(await page.textContent('.details'), /alice/);
    assert.ok(!(await page.content()).includes('s3cret-pass'), 'the password is never shown');
    // The edit form does not show it either, and an empty field keeps it.
    await page.click('a:has-text("Edit")');
    assert.equal(await page.inputValue('#auth_pass'), '');
    await page.click('.actions button:has-text("Save")');
    await page.waitForSelector('.notice');
    // A new signing secret, shown once.
    await page.click('a:has-text("Edit")');
    await page.click('button:has-text("Generate a new signing secret")');
    await page.waitForSelector('code.secret');
    assert.match(await page.textContent('code.secret'), /^whsec_/);
    await page.click('a:has-text("All webhooks")');
    await page.click('a:has-text("Orders")');
    assert.equal(await page.locator('code.secret').count(), 0);
  });

  it('tests it against a receiver and shows the outcome and the delivery', async () => {
    rcv.got.length = 0;
    await page.click('button:has-text("Send a test event")');
    await page.waitForSelector('.test-result');
    assert.equal((await page.textContent('.test-status')).trim(), '200');
    assert.match(await page.textContent('.test-latency'), /\d+ ms/);
    assert.equal(rcv.got.length, 1);
    const got = rcv.got[0];
    assert.equal(got.headers['x-one'], 'first');
    assert.equal(got.headers['x-two'], 'second');
    assert.ok(got.headers['webhook-signature'], 'signed');
    assert.equal(got.headers.authorization, `Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`);
    assert.equal(JSON.parse(got.body).type, 'webhook.test');
    // The attempt is in the webhook's delivery log on the page.
    const row = page.locator('table.attempts tbody tr').first();
    assert.match(await row.textContent(), /webhook\.test/);
    assert.match(await row.textContent(), /200/);
    assert.match(await row.textContent(), /"ok":true/);
    await shoot(page, 'tested');

    // A failing receiver: the outcome says so, and the error is kept.
    rcv.status = 500;
    rcv.reply = 'receiver broke';
    await page.click('button:has-text("Send a test event")');
    await page.waitForSelector('.test-result.bad');
    assert.equal((await page.textContent('.test-status')).trim(), '500');
    assert.match(await page.textContent('.details'), /500/);
    assert.equal(await page.locator('table.attempts tbody tr').count(), 2);
    rcv.status = 200;
    rcv.reply = '{"ok":true}';
    await page.goto(`${base}/admin/`);
    const lrow = page.locator('table.list tbody tr', { hasText: 'Orders' });
    assert.match(await lrow.textContent(), /500/);
    await shoot(page, 'list-with-error');
  });

  it('retries a failed delivery from its page', async () => {
    await page.goto(`${base}/admin/`);
    const href = await page.locator('td.name a', { hasText: 'Orders' }).getAttribute('href');
    const uuid = href.split('/').pop();
    rcv.status = 503;
    rcv.reply = 'down for maintenance';
    ctl(srv.home, ['publish', '--team', 'default', '--event', 'order.created', '--data', '-'],
      { input: '{"order":42}' });
    await webhookdOnce(srv.home);
    await page.goto(`${base}/admin/webhooks/${uuid}`);
    const failed = page.locator('table.attempts tbody tr', { hasText: 'order.created' });
    assert.equal(await failed.count(), 1);
    assert.match(await failed.textContent(), /503/);
    assert.match(await failed.textContent(), /down for maintenance/);
    await shoot(page, 'failed-delivery');

    rcv.status = 200;
    rcv.reply = '{"ok":true}';
    rcv.got.length = 0;
    await failed.locator('button:has-text("Retry")').click();
    await page.waitForURL(/done=retried$/);
    assert.match(await page.textContent('.notice'), /queued/);
    await webhookdOnce(srv.home);
    assert.equal(rcv.got.length, 1);
    assert.deepEqual(JSON.parse(rcv.got[0].body).data, { order: 42 });
    await page.reload();
    const rows = page.locator('table.attempts tbody tr', { hasText: 'order.created' });
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().textContent(), /200/);
    assert.match(await rows.first().textContent(), /retry/);
    // The delivery is done: no retry button for it any more.
    assert.equal(await page.locator('table.attempts button:has-text("Retry")').count(), 0);
  });

  it('shows a test whose receiver answers after the wait as in progress, then its attempt', async () => {
    await page.goto(`${base}/admin/`);
    await page.click('a:has-text("Orders")');
    const before = await page.locator('table.attempts tbody tr', { hasText: 'webhook.test' }).count();
    // Longer than the page waits for it (DELIVER_TEST_WAIT_MS, 2 s).
    rcv.delayMs = 3000;
    rcv.got.length = 0;
    const t0 = Date.now();
    await page.click('button:has-text("Send a test event")');
    await page.waitForSelector('.test-result.pending');
    assert.ok(Date.now() - t0 < 3000, `the page came after ${Date.now() - t0} ms`);
    assert.match(await page.textContent('.test-result.pending h2'), /in progress/);
    assert.match(await page.textContent('.test-result.pending'), /msg_[0-9a-f]{32}/);
    await shoot(page, 'test-in-progress');
    // Once the receiver answered, the attempt is on the page (not a reload:
    // that would send the form again).
    const show = page.url().replace(/\/test$/, '');
    const start = Date.now();
    for (;;) {
      await page.goto(show);
      const n = await page.locator('table.attempts tbody tr', { hasText: 'webhook.test' }).count();
      if (n > before) break;
      assert.ok(Date.now() - start < 10000, 'the attempt was not listed');
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(await page.locator('.test-result').count(), 0);
    assert.match(await page.locator('table.attempts tbody tr').first().textContent(), /200/);
    assert.equal(rcv.got.length, 1);
    rcv.delayMs = 0;
  });

  it('shows a webhook named <script> as text and runs nothing', async () => {
    await page.goto(`${base}/admin/webhooks/new`);
    await page.fill('#name', XSS_NAME);
    await page.fill('#url', `${rcv.url}?q=%22%3E%3Cimg%20src=x%20onerror=alert(2)%3E`);
    await page.fill('input[name=header_name_0]', 'X-Note');
    await page.fill('input[name=header_value_0]', '"><img src=x onerror=alert(3)>');
    await page.click('.actions button:has-text("Save")');
    await page.waitForSelector('code.secret');
    assert.equal((await page.textContent('h1')).trim().startsWith(XSS_NAME), true);
    await page.goto(`${base}/admin/`);
    const link = page.locator('td.name a', { hasText: XSS_NAME });
    assert.equal(await link.count(), 1);
    assert.equal(await page.locator('script').count(), 0);
    assert.equal(await page.locator('img').count(), 0);
    await link.click();
    assert.equal(await page.locator('script').count(), 0);
    await page.click('a:has-text("Edit")');
    assert.equal(await page.inputValue('#name'), XSS_NAME);
    assert.equal(await page.locator('script').count(), 0);
    assert.deepEqual(dialogs, []);
  });

  it('refuses a POST without the CSRF token', async () => {
    // The browser's own session cookie goes along (same origin), the token not.
    const status = await page.evaluate(async () => {
      const r = await fetch('/admin/webhooks/new', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'name=sneaky&url=http%3A%2F%2F127.0.0.1%2Fx&save=1',
      });
      return r.status;
    });
    assert.equal(status, 403);
    const wrong = await page.evaluate(async () => (await fetch('/admin/logout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `csrf=${'0'.repeat(64)}`,
    })).status);
    assert.equal(wrong, 403);
    // Still logged in, and nothing was made.
    await page.goto(`${base}/admin/`);
    assert.ok(!(await page.textContent('main')).includes('sneaky'));
    // The login form too.
    const login = await api(base, 'POST', '/admin/login', {
      body: `token=${encodeURIComponent(srv.token)}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(login.status, 403);
    assert.equal(login.headers.get('set-cookie'), null);
  });

  it('sends the security headers and no CORS', async () => {
    for (const p of ['/admin/login', '/admin/', '/admin/style.css', '/admin/nope']) {
      const r = await api(base, 'GET', p, { headers: { Origin: 'http://evil.example' } });
      assert.match(r.headers.get('content-security-policy') || '', /default-src 'self'/, p);
      assert.equal(r.headers.get('x-frame-options'), 'DENY', p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
      assert.equal(r.headers.get('referrer-policy'), 'same-origin', p);
      assert.equal(r.headers.get('access-control-allow-origin'), null, p);
    }
    const css = await api(base, 'GET', '/admin/style.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /text\/css/);
    const missing = await api(base, 'GET', '/admin/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type'), /text\/html/);
  });

  it('gives another team\'s session nothing of this team', async () => {
    await page.goto(`${base}/admin/`);
    const href = await page.locator('td.name a', { hasText: 'Orders' }).getAttribute('href');
    const other = await newBrowser();
    try {
      const p2 = other.pages()[0] || await other.newPage();
      await logIn(p2, base, otherToken);
      assert.match(await p2.textContent('.team'), /other/);
      assert.match(await p2.textContent('main'), /No webhooks yet/);
      assert.ok(!(await p2.content()).includes('Orders'));
      for (const suffix of ['', '/edit', '/delete']) {
        const r = await p2.goto(`${base}${href}${suffix}`);
        assert.equal(r.status(), 404, `${href}${suffix}`);
        assert.ok(!(await p2.content()).includes('Orders'));
      }
      await shoot(p2, 'not-found');
      // With its own valid CSRF token, a delete of ours is a 404.
      const csrf = await p2.locator('input[name=csrf]').first().inputValue();
      const st = await p2.evaluate(async ([u, t]) => (await fetch(u, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `csrf=${t}`,
      })).status, [`${href}/delete`, csrf]);
      assert.equal(st, 404);
    } finally {
      await closeBrowser(other);
    }
    await page.goto(`${base}/admin/`);
    assert.equal(await page.locator('td.name a', { hasText: 'Orders' }).count(), 1);
  });

  it('shows only what a view-only token allows', async () => {
    const v = await newBrowser();
    try {
      const p3 = v.pages()[0] || await v.newPage();
      await logIn(p3, base, viewToken);
      assert.equal(await p3.locator('td.name a', { hasText: 'Orders' }).count(), 1);
      assert.equal(await p3.locator('a:has-text("New webhook")').count(), 0);
      await p3.click('td.name a:has-text("Orders")');
      for (const label of ['Edit', 'Delete', 'Send a test event']) {
        assert.equal(await p3.locator(`.actions :text("${label}")`).count(), 0, label);
      }
      const r = await p3.goto(`${base}/admin/webhooks/new`);
      assert.equal(r.status(), 403);
    } finally {
      await closeBrowser(v);
    }
  });

  it('deletes it after a confirmation', async () => {
    await page.goto(`${base}/admin/`);
    await page.click('td.name a:has-text("Orders")');
    await page.click('.actions a:has-text("Delete")');
    assert.match(page.url(), /\/delete$/);
    assert.match(await page.textContent('h1'), /Delete this webhook/);
    await shoot(page, 'delete');
    await page.click('button:has-text("Delete the webhook")');
    await page.waitForURL(/\/admin\/\?done=deleted$/);
    assert.match(await page.textContent('.notice'), /deleted/);
    assert.equal(await page.locator('td.name a', { hasText: 'Orders' }).count(), 0);
    const list = await api(base, 'GET', '/api/2.0/webhooks', { token: srv.token });
    assert.ok(!list.json.data.some((w) => w.name.startsWith('Orders')));
  });

  it('paginates the list', async () => {
    for (let i = 0; i < 21; i++) {
      const r = await api(base, 'POST', '/api/2.0/webhooks', {
        token: srv.token, body: { name: `bulk ${String(i).padStart(2, '0')}`, url: `${rcv.url}/${i}` },
      });
      assert.equal(r.status, 201);
    }
    const { total } = (await api(base, 'GET', '/api/2.0/webhooks', { token: srv.token })).json.meta;
    assert.ok(total > 20 && total <= 40, `${total} webhooks`);
    await page.goto(`${base}/admin/`);
    assert.match(await page.textContent('.pager'), /Page 1 of 2/);
    assert.equal(await page.locator('table.list tbody tr').count(), 20);
    await page.click('a:has-text("Next")');
    assert.match(await page.textContent('.pager'), /Page 2 of 2/);
    assert.equal(await page.locator('table.list tbody tr').count(), total - 20);
    await shoot(page, 'list-page2');
  });

  it('logs out, and the session is over', async () => {
    const before = (await browser.cookies(`${base}/admin/`)).find((x) => x.name === 'wh_session');
    await page.goto(`${base}/admin/`);
    await page.click('button:has-text("Log out")');
    await page.waitForURL(/\/admin\/login/);
    assert.match(await page.textContent('.notice'), /logged out/);
    await page.goto(`${base}/admin/`);
    assert.match(page.url(), /\/admin\/login$/);
    // The old cookie, replayed, is worth nothing.
    const r = await fetch(`${base}/admin/`, { headers: { Cookie: `wh_session=${before.value}` }, redirect: 'manual' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/admin/login');
  });
});

describe('admin page under /hooks/ (lighttpd mounted there)', () => {
  let srv, browser, page, confDir;

  before(async () => {
    const text = fs.readFileSync(LIGHTTPD_CONF, 'utf8');
    const mount = '  "/" => ( "webhooks" => (';
    assert.ok(text.includes(mount), 'lighttpd.conf.example has no root mount');
    confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-conf-'));
    const conf = path.join(confDir, 'lighttpd.conf');
    fs.writeFileSync(conf, text.replace(mount, '  "/hooks/" => ( "webhooks" => ('));
    srv = await startLighttpd({ conf, prefix: '/hooks' });
    browser = await newBrowser();
    page = browser.pages()[0] || await browser.newPage();
    page.setDefaultTimeout(10000);
  });

  after(async () => {
    await closeBrowser(browser);
    if (srv) await srv.stopAndClean();
    if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
  });

  it('logs in, creates, shows, lists and logs out without leaving /hooks/admin/', async () => {
    const base = srv.base;
    assert.ok(base.endsWith('/hooks'));
    const seen = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) seen.push(f.url()); });
    await logIn(page, base, srv.token);
    const cookies = await browser.cookies(`${base}/admin/`);
    const sess = cookies.find((c) => c.name === 'wh_session');
    assert.ok(sess, JSON.stringify(cookies));
    assert.equal(sess.path, '/hooks/admin/');
    assert.equal((await browser.cookies(`${srv.origin}/admin/`)).length, 0);
    // The stylesheet came from under the mount too.
    const sheet = await page.evaluate(() => [...document.styleSheets].map((x) => x.href));
    assert.deepEqual(sheet, [`${base}/admin/style.css`]);
    await page.click('a:has-text("New webhook")');
    await page.waitForURL(`${base}/admin/webhooks/new`);
    await page.fill('#name', 'Under a prefix');
    await page.fill('#url', 'https://example.com/hook');
    await page.fill('#events_other', 'order.created');
    await page.click('.actions button:has-text("Save")');
    // The new webhook's page (its secret shown once), at the form's address.
    await page.waitForSelector('.secret-box');
    assert.equal(page.url(), `${base}/admin/webhooks/new`);
    assert.match(await page.textContent('h1'), /Under a prefix/);
    await page.click('a:has-text("All webhooks")');
    await page.waitForURL(`${base}/admin/`);
    await page.click('a:has-text("Under a prefix")');
    await page.waitForURL(new RegExp(`^${base}/admin/webhooks/[0-9a-f-]{36}$`));
    await page.click('button:has-text("Log out")');
    await page.waitForURL((u) => u.href === `${base}/admin/login?done=loggedout`);
    for (const u of seen) assert.ok(u.startsWith(`${base}/admin/`), `${u} (all: ${seen.join(' ')})`);
    assert.ok(seen.length >= 6, seen.join(' '));
  });
});
