// Secret rotation, end to end: a webhook's signing secret replaced through
// the native rotate route, a seed dialect's update or the admin page's
// button keeps the old one valid for a grace period, and the real webhookd
// signs each delivery to a real receiver with every valid secret, the new
// one first, space-separated in webhook-signature.  A receiver holding
// either secret verifies it (the npm package standardwebhooks, and each
// signature recomputed with node:crypto); once the grace is over only the
// new signature is sent.  A view-only token never sees a secret, old or
// new; another team's webhook is 404.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';

import { addToken, api, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import { createWebhook, getWebhook, publish, startDaemon, startReceiver, writeConf } from './delivery_lib.mjs';

const newSecret = () => `whsec_${crypto.randomBytes(24).toString('base64')}`;

// The signature Standard Webhooks expects of secret for request q.
function signOf(secret, q) {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const msg = `${q.headers['webhook-id']}.${q.headers['webhook-timestamp']}.${q.body}`;
  return `v1,${crypto.createHmac('sha256', key).update(msg).digest('base64')}`;
}

// standardwebhooks takes the key as base64 (a whsec_ secret as it is).
const verifier = (secret) => new Webhook(secret.startsWith('whsec_') ? secret : Buffer.from(secret).toString('base64'));

// A request to the admin page, its redirects not followed.
async function admin(base, method, p, { cookie, body } = {}) {
  const headers = {};
  if (cookie) headers.Cookie = cookie;
  if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const r = await fetch(base + p, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30000) });
  return { status: r.status, headers: r.headers, text: await r.text(), request: `${method} ${p}` };
}

describe('secret rotation', () => {
  let srv, rx, daemon, viewToken, otherToken;
  const path = (id) => `/api/2.0/webhooks/${id}/secret/rotate`;

  before(async () => {
    rx = await startReceiver(() => ({ status: 204 }));
    const { home, token } = makeHome('webhooks-rotation-');
    writeConf(home, { allow_private: 1 });
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(srv.home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    viewToken = addToken(srv.home, 'default', 'webhooks:view');
    otherToken = addToken(srv.home, 'other');
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- webhookd log:\n${daemon.logText().slice(-6000)}\n--- server log:\n${srv.logText(6000)}`;
      throw e;
    }
  };

  // Publishes type and waits for its one request at url path p.
  async function deliverOne(type, p) {
    const before = rx.requests.filter((q) => q.url === p).length;
    const r = await publish(srv, type, { n: before });
    assert.equal(r.status, 202, show(r));
    await rx.waitFor((reqs) => reqs.filter((q) => q.url === p).length > before, 15000);
    return rx.requests.filter((q) => q.url === p)[before];
  }

  test('the rotate route: a new secret, the old one still signing beside it, newest first', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'rot', url: `${rx.url}/rot`, events: ['rot.one'] });
    const first = wh.token;
    assert.equal(wh.previous_secrets, undefined, 'no member before a rotation');
    let q = await deliverOne('rot.one', '/rot');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(first, q)]);

    // No body: a generated secret, the default grace of 24 h.
    const t0 = Date.now();
    let r = await api(srv.base, 'POST', path(wh.id), { token: srv.token });
    assert.equal(r.status, 200, show(r));
    const second = r.json.data.token;
    assert.match(second, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.notEqual(second, first);
    assert.equal(r.json.data.previous_secrets.length, 1, show(r));
    const until = Date.parse(r.json.data.previous_secrets[0].expires_at);
    assert.ok(Math.abs(until - (t0 + 24 * 3600 * 1000)) < 60000, show(r));
    assert.ok(!r.text.includes(first), 'an old secret is never shown');

    q = await deliverOne('rot.one', '/rot');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(second, q), signOf(first, q)]);
    // A receiver with either secret accepts it; another secret does not.
    assert.deepEqual(verifier(second).verify(q.body, q.headers).data, { n: 1 });
    assert.deepEqual(verifier(first).verify(q.body, q.headers).data, { n: 1 });
    assert.throws(() => verifier(newSecret()).verify(q.body, q.headers));

    // The body's secret, with a grace of its own: three valid now.
    const third = newSecret();
    r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: { token: third, grace_seconds: 3600 } });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.data.token, third);
    assert.equal(r.json.data.previous_secrets.length, 2, show(r));
    q = await deliverOne('rot.one', '/rot');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(third, q), signOf(second, q), signOf(first, q)]);
    for (const s of [first, second, third]) verifier(s).verify(q.body, q.headers);

    // The test delivery (a webhookd of its own) signs the same way.
    const n = rx.requests.filter((x) => x.url === '/rot').length;
    r = await api(srv.base, 'POST', `/api/2.0/webhooks/${wh.id}/test`, { token: srv.token, body: '' });
    assert.ok(r.status === 200 || r.status === 202, show(r));
    await rx.waitFor((reqs) => reqs.filter((x) => x.url === '/rot').length > n, 15000);
    q = rx.requests.filter((x) => x.url === '/rot')[n];
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(third, q), signOf(second, q), signOf(first, q)]);

    // No log line holds a secret.
    assert.match(srv.logText(1 << 20), /api_webhook_rotate: team default: webhook [0-9a-f-]+: new signing secret, 2 old kept/);
    for (const sec of [first, second, third]) {
      assert.ok(!daemon.logText().includes(sec), 'a secret in webhookd\'s log');
      assert.ok(!srv.logText(1 << 20).includes(sec), 'a secret in the server\'s log');
    }

    // GET shows the expiry, newest first, never the values.
    const got = await getWebhook(srv, wh.id);
    assert.equal(got.token, third);
    assert.deepEqual(got.previous_secrets.map((p) => Object.keys(p)), [['expires_at'], ['expires_at']]);
    assert.ok(Date.parse(got.previous_secrets[0].expires_at) < Date.parse(got.previous_secrets[1].expires_at));
  }));

  test('after the grace only the new signature is sent', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'short', url: `${rx.url}/short`, events: ['rot.short'] });
    const old = wh.token;
    const r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: { grace_seconds: 2 } });
    assert.equal(r.status, 200, show(r));
    const fresh = r.json.data.token;
    const until = Date.parse(r.json.data.previous_secrets[0].expires_at);
    let q = await deliverOne('rot.short', '/short');
    if (Date.now() < until - 200) {	// within the grace (a slow machine may be past it)
      assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(fresh, q), signOf(old, q)]);
    }
    await sleep(Math.max(0, until - Date.now()) + 300);
    q = await deliverOne('rot.short', '/short');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(fresh, q)]);
    verifier(fresh).verify(q.body, q.headers);
    assert.throws(() => verifier(old).verify(q.body, q.headers));

    // A grace of 0 revokes the old secret at once.
    const r2 = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: { grace_seconds: 0 } });
    assert.equal(r2.status, 200, show(r2));
    assert.equal(r2.json.data.previous_secrets, undefined, show(r2));
    q = await deliverOne('rot.short', '/short');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(r2.json.data.token, q)]);
  }));

  test('at most 10 old secrets are kept', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'many', url: `${rx.url}/many`, events: ['rot.many'] });
    const all = [wh.token];
    for (let i = 0; i < 12; i++) {
      const r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: '  ', headers: { 'Content-Type': 'text/plain' } });
      assert.equal(r.status, 200, show(r));
      all.unshift(r.json.data.token);
    }
    const got = await getWebhook(srv, wh.id);
    assert.equal(got.previous_secrets.length, 10);
    const q = await deliverOne('rot.many', '/many');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), all.slice(0, 11).map((s) => signOf(s, q)));
  }));

  test('bad bodies, scopes and teams', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'bad', url: `${rx.url}/bad`, events: ['rot.bad'] });
    for (const body of [{ grace_seconds: 604801 }, { grace_seconds: -1 }, { grace_seconds: '60' }, { token: 'whsec_!!' }, { token: 7 }]) {
      const r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body });
      assert.equal(r.status, 422, show(r));
      assert.ok(r.json.errors, show(r));
    }
    let r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: '{"token":', headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 400, show(r));
    r = await api(srv.base, 'POST', path(wh.id), { token: srv.token, body: '{}', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status, 415, show(r));
    r = await api(srv.base, 'POST', path(wh.id), { token: viewToken });
    assert.equal(r.status, 403, show(r));
    r = await api(srv.base, 'POST', path(wh.id), { token: otherToken });
    assert.equal(r.status, 404, show(r));
    r = await api(srv.base, 'POST', path('00000000-0000-4000-8000-000000000000'), { token: srv.token });
    assert.equal(r.status, 404, show(r));
    r = await api(srv.base, 'GET', path(wh.id), { token: srv.token });
    assert.equal(r.status, 405, show(r));
    // Nothing changed.
    assert.equal((await getWebhook(srv, wh.id)).token, wh.token);
  }));

  test('a seed dialect changing the token keeps the old one too', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'seed', url: `${rx.url}/seed`, events: ['rot.seed'] });
    const old = wh.token;
    const s002 = newSecret();
    let r = await api(srv.base, 'PUT', `/webhooks/${wh.id}`, { token: srv.token, body: { token: s002 } });
    assert.equal(r.status, 200, show(r));
    let q = await deliverOne('rot.seed', '/seed');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(s002, q), signOf(old, q)]);
    // Seed 001, and seed 003's envelope through it.
    const s001 = 'a plain secret';
    r = await api(srv.base, 'PUT', `/api/web/v1/webhooks/${wh.id}`, { token: srv.token, body: { token: s001 } });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.previous_secrets.length, 2, show(r));
    q = await deliverOne('rot.seed', '/seed');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(s001, q), signOf(s002, q), signOf(old, q)]);
    verifier(s001).verify(q.body, q.headers);
    verifier(old).verify(q.body, q.headers);
    // An update without a token (or seed 002's "token": "") keeps all.
    r = await api(srv.base, 'PUT', `/webhooks/${wh.id}`, { token: srv.token, body: { name: 'seed renamed', token: '' } });
    assert.equal(r.status, 200, show(r));
    const got = await getWebhook(srv, wh.id);
    assert.equal(got.token, s001);
    assert.equal(got.previous_secrets.length, 2);
  }));

  test('a view-only token never sees a secret, old or new', wrap(async () => {
    const wh = await createWebhook(srv, { name: 'viewed', url: `${rx.url}/viewed`, events: ['rot.view'] });
    const r0 = await api(srv.base, 'POST', path(wh.id), { token: srv.token });
    assert.equal(r0.status, 200, show(r0));
    const secrets = [wh.token, r0.json.data.token];
    const reads = [
      await api(srv.base, 'GET', `/api/2.0/webhooks/${wh.id}`, { token: viewToken }),
      await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token: viewToken }),
      await api(srv.base, 'GET', `/api/web/v1/webhooks/${wh.id}`, { token: viewToken }),
      await api(srv.base, 'GET', `/webhooks/${wh.id}`, { token: viewToken }),
    ];
    for (const r of reads) {
      assert.equal(r.status, 200, show(r));
      for (const s of secrets) assert.ok(!r.text.includes(s), `a secret in ${r.request}`);
    }
    assert.equal(reads[0].json.data.token, '********');
    assert.equal(reads[0].json.data.previous_secrets.length, 1);
    assert.deepEqual(Object.keys(reads[0].json.data.previous_secrets[0]), ['expires_at']);
  }));

  test("the admin page's new-secret button keeps the old secret for 24 h and says so", wrap(async () => {
    const wh = await createWebhook(srv, { name: 'adm', url: `${rx.url}/adm`, events: ['rot.adm'] });
    const form = await admin(srv.base, 'GET', '/admin/login');
    const pre = form.headers.getSetCookie().find((c) => c.startsWith('wh_login=')).split(';')[0];
    const lcsrf = form.text.match(/name="csrf" value="([0-9a-f]+)"/)[1];
    let r = await admin(srv.base, 'POST', '/admin/login', { cookie: pre, body: `csrf=${lcsrf}&token=${encodeURIComponent(srv.token)}` });
    assert.equal(r.status, 303, show(r));
    const cookie = r.headers.getSetCookie().find((c) => c.startsWith('wh_session=')).split(';')[0];
    r = await admin(srv.base, 'GET', `/admin/webhooks/${wh.id}/edit`, { cookie });
    assert.equal(r.status, 200, show(r));
    assert.match(r.text, /the old one stays valid for 24 hours/);
    const csrf = r.text.match(/name="csrf" value="([0-9a-f]+)"/)[1];
    const t0 = Date.now();
    r = await admin(srv.base, 'POST', `/admin/webhooks/${wh.id}/secret`, { cookie, body: `csrf=${csrf}` });
    assert.equal(r.status, 200, show(r));
    const fresh = r.text.match(/<code class="secret">(whsec_[^<]+)<\/code>/)[1];
    const m = r.text.match(/The old one stays valid until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)/);
    assert.ok(m, r.text.slice(0, 3000));
    assert.ok(Math.abs(Date.parse(m[1]) - (t0 + 24 * 3600 * 1000)) < 60000, m[1]);
    assert.ok(!r.text.includes(wh.token), 'the old secret is not shown');
    const q = await deliverOne('rot.adm', '/adm');
    assert.deepEqual(q.headers['webhook-signature'].split(' '), [signOf(fresh, q), signOf(wh.token, q)]);
  }));
});
