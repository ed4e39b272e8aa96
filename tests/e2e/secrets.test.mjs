// No secret in a log, an error message, a list response or a URL.  The
// stack (lighttpd with its FastCGI processes, webhookd, webhookctl) runs on
// a fresh data directory; the test makes secrets of every kind (API tokens,
// an admin session id and CSRF tokens, a basic-auth password, a custom
// Authorization header value, signing secrets), uses them, sends them where
// they do not belong (bad JSON, refused values, wrong logins, a bad bearer
// token, a query string), lets webhookd deliver and fail, and then greps
// everything the stack wrote for each secret: lighttpd's error log (the
// FastCGI processes' stderr), webhookd's log, webhookctl's stderr, any
// *.log file in the data directory and tests/e2e/logs/.  Any hit fails.
// The logs are saved in tests/e2e/logs/ to look at afterwards.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { REPO, addToken, api, ctl, makeHome, show, startLighttpd } from './lib.mjs';
import { publish, startDaemon, startReceiver, until, writeConf } from './delivery_lib.mjs';

const LOGS = path.join(REPO, 'tests', 'e2e', 'logs');

const rnd = (n = 18) => crypto.randomBytes(n).toString('base64url');

// name -> secret text; every one is grepped for at the end.
const secrets = new Map();
const secret = (name, value) => { secrets.set(name, value); return value; };

// Texts the stack sent back (bodies, Location headers, Set-Cookie aside):
// a secret may appear only where the test expects it.
const answers = [];
const keep = (label, r) => { answers.push({ label, r }); return r; };

// A request to the admin page, its redirects not followed.
async function admin(base, method, p, { cookie, body } = {}) {
  const headers = {};
  if (cookie) headers.Cookie = cookie;
  if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const r = await fetch(base + p, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30000) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, request: `${method} ${p}` };
}

// The value of cookie name in a response's Set-Cookie headers.
function cookieOf(r, name) {
  for (const c of r.headers.getSetCookie()) {
    const m = c.match(new RegExp(`^${name}=([^;]*)`));
    if (m) return m[1];
  }
  return null;
}

describe('secrets stay out of logs, errors, lists and URLs', () => {
  let srv, rx, daemon, home, token;
  const ctlStderr = [];
  const ctlRun = (args, opts) => { const r = ctl(home, args, opts); ctlStderr.push(r.stderr || ''); return r; };

  before(async () => {
    rx = await startReceiver((req) => {
      if (req.url.startsWith('/fail')) return { status: 500, body: 'nope' };
      return { status: 204 };
    });
    ({ home, token } = makeHome('webhooks-secrets-'));
    writeConf(home, { allow_private: 1, time_scale: 0.001 });
    secret('admin token', token);
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stop();
    if (rx) await rx.close();
    // Keep the logs for a look afterwards, then remove the data directory.
    if (srv) {
      fs.mkdirSync(LOGS, { recursive: true });
      fs.writeFileSync(path.join(LOGS, 'secrets-lighttpd.log'), srv.log.join(''));
      if (daemon) fs.writeFileSync(path.join(LOGS, 'secrets-webhookd.log'), daemon.logText());
      fs.writeFileSync(path.join(LOGS, 'secrets-webhookctl.log'), ctlStderr.join(''));
      await srv.stopAndClean();
    }
  });

  test('the stack runs with secrets of every kind, used and misused', async () => {
    const base = srv.base;
    // API tokens: one more with every scope, a view-only one, a revoked one.
    const viewer = secret('view token', addToken(home, 'other', 'webhooks:view'));
    const revoked = secret('revoked token', addToken(home, 'other'));
    ctlRun(['token', 'revoke', revoked]);
    assert.equal(keep('revoked', await api(base, 'GET', '/api/2.0/webhooks', { token: revoked })).status, 401);
    assert.equal(keep('viewer list', await api(base, 'GET', '/api/2.0/webhooks', { token: viewer })).status, 200);

    // Webhooks with a basic-auth password, an Authorization header, a
    // given signing secret and a generated one.
    const password = secret('basic-auth password', `pw-${rnd()}`);
    const authHeader = secret('Authorization header value', `Bearer hdr-${rnd()}`);
    const signing = secret('given signing secret', `sign-${rnd()}`);
    let r = keep('create basic', await api(base, 'POST', '/api/2.0/webhooks', {
      token, body: { name: 'basic', url: `${rx.url}/ok`, events: ['*'], auth: { username: 'u', password }, token: signing },
    }));
    assert.equal(r.status, 201, show(r));
    const basic = r.json.data;
    r = keep('create header', await api(base, 'POST', '/api/2.0/webhooks', {
      token, body: { name: 'header', url: `${rx.url}/fail`, events: ['*'], max_attempts: 2, headers: { Authorization: authHeader } },
    }));
    assert.equal(r.status, 201, show(r));
    const failing = r.json.data;
    secret('generated signing secret', failing.token);
    assert.match(failing.token, /^whsec_/);

    // Errors with secrets in them: bad JSON, refused values, a bad bearer
    // token, a token in the query string.
    const bad = [
      `{"name": "x", "url": "${rx.url}/x", "auth": {"username": "u", "password": "${password}"`,
      { name: 'x', url: `${rx.url}/x`, auth: { username: 'u', password: `${password}\n` }, events: ['*'] },
      { name: 'x', url: `${rx.url}/x`, headers: { 'X-Key': `${authHeader}\r\nX: y` }, events: ['*'] },
      { name: 'x', url: `${rx.url}/x`, headers: { 'Bad Name': authHeader }, events: ['*'] },
      { name: 'x', url: `${rx.url}/x`, token: `${signing}`.repeat(200), events: ['*'] },
      { name: 'x', url: `http://u:${password}@127.0.0.1:${rx.port}/x`, events: ['*'] },
    ];
    for (const body of bad) {
      r = keep('bad create', await api(base, 'POST', '/api/2.0/webhooks', {
        token, body, headers: typeof body === 'string' ? { 'Content-Type': 'application/json' } : {},
      }));
      assert.ok(r.status >= 400 && r.status < 500, show(r));
    }
    // Secrets where they do not belong (not checked in the answers: the
    // client's own text may be quoted back to it, but never logged).
    r = await api(base, 'POST', '/api/2.0/webhooks', { token, body: { name: password, url: `not a url ${password}`, events: [authHeader] } });
    assert.ok(r.status >= 400 && r.status < 500, show(r));
    r = keep('bad edit', await api(base, 'PATCH', `/api/2.0/webhooks/${basic.id}`, {
      token, body: { auth: { username: 'u', password: `${password}\u0000` } },
    }));
    assert.ok(r.status >= 400 && r.status < 500, show(r));
    const guess = secret('guessed token', `wh_${rnd(24)}`);
    assert.equal(keep('guess', await api(base, 'GET', '/api/2.0/webhooks', { token: guess })).status, 401);
    assert.equal(keep('bad scheme', await api(base, 'GET', '/api/2.0/webhooks', { headers: { Authorization: `Basic ${Buffer.from(`u:${password}`).toString('base64')}` } })).status, 401);
    r = keep('query token', await api(base, 'GET', `/api/2.0/webhooks?token=${token}&access_token=${token}`));
    assert.equal(r.status, 401, show(r));

    // The admin page: wrong logins (a guessed token, the right token with
    // a bad CSRF token), then a real session, a form with the secrets, and
    // logout.
    let form = keep('login form', await admin(base, 'GET', '/admin/login'));
    let pre = secret('login cookie', cookieOf(form, 'wh_login'));
    let csrf = secret('login CSRF token', form.text.match(/name="csrf" value="([0-9a-f]+)"/)[1]);
    r = keep('wrong login', await admin(base, 'POST', '/admin/login', {
      cookie: `wh_login=${pre}`, body: `csrf=${csrf}&token=${encodeURIComponent(guess)}`,
    }));
    assert.equal(r.status, 401, show(r));
    r = keep('login without CSRF', await admin(base, 'POST', '/admin/login', {
      cookie: `wh_login=${pre}`, body: `csrf=${'0'.repeat(64)}&token=${encodeURIComponent(token)}`,
    }));
    assert.equal(r.status, 403, show(r));
    form = keep('login form', await admin(base, 'GET', '/admin/login'));
    pre = secret('login cookie 2', cookieOf(form, 'wh_login'));
    csrf = secret('login CSRF token 2', form.text.match(/name="csrf" value="([0-9a-f]+)"/)[1]);
    r = keep('login', await admin(base, 'POST', '/admin/login', {
      cookie: `wh_login=${pre}`, body: `csrf=${csrf}&token=${encodeURIComponent(token)}`,
    }));
    assert.equal(r.status, 303, show(r));
    const sid = secret('session id', cookieOf(r, 'wh_session'));
    assert.ok(sid && sid.length === 43, show(r));
    const cookie = `wh_session=${sid}`;
    r = keep('admin list', await admin(base, 'GET', '/admin/', { cookie }));
    assert.equal(r.status, 200, show(r));
    const scsrf = secret('session CSRF token', r.text.match(/name="csrf" value="([0-9a-f]+)"/)[1]);
    r = keep('admin page', await admin(base, 'GET', `/admin/webhooks/${basic.id}`, { cookie }));
    assert.equal(r.status, 200, show(r));
    // A form refused by the model, with the password and header in it.
    const fields = new URLSearchParams({
      csrf: scsrf, name: 'adm', url: `${rx.url}/adm`, auth_user: 'u', auth_pass: `${password}\n`,
      header_name_0: 'Authorization', header_value_0: `${authHeader}\r\n`, rows: '1', events: '*', save: '1',
    });
    r = keep('admin bad create', await admin(base, 'POST', '/admin/webhooks/new', { cookie, body: fields.toString() }));
    assert.ok(r.status >= 200 && r.status < 500, show(r));
    // A bad CSRF token with the session.
    r = keep('admin bad csrf', await admin(base, 'POST', '/admin/logout', { cookie, body: `csrf=${'1'.repeat(64)}` }));
    assert.equal(r.status, 403, show(r));

    // Deliveries: one that succeeds (basic auth), one that fails and is
    // retried until it is dead (the Authorization header), and the test
    // endpoint.
    r = keep('publish', await publish({ base, token }, 'order.paid', { n: 1 }));
    assert.equal(r.status, 202, show(r));
    await rx.waitFor((reqs) => reqs.some((q) => q.url === '/ok'), 20000);
    const ok = rx.requests.find((q) => q.url === '/ok');
    assert.equal(ok.headers.authorization, 'Basic ' + Buffer.from(`u:${password}`).toString('base64'));
    secret('basic-auth header', ok.headers.authorization.slice(6));
    await rx.waitFor((reqs) => reqs.filter((q) => q.url === '/fail').length >= 2, 20000);
    assert.equal(rx.requests.find((q) => q.url === '/fail').headers.authorization, authHeader);
    r = keep('test delivery', await api(base, 'POST', `/api/2.0/webhooks/${failing.id}/test`, { token }));
    assert.ok(r.status < 500, show(r));
    await until(async () => {
      const d = keep('deliveries', await api(base, 'GET', `/api/2.0/webhooks/${failing.id}/deliveries`, { token }));
      return d.status === 200 && d.json.data.length >= 2;
    }, 20000, 'two attempts of the failing webhook');

    // Lists and reads: the password is never echoed back.
    for (const p of ['/api/2.0/webhooks', `/api/2.0/webhooks/${basic.id}`, `/api/2.0/webhooks/${failing.id}/deliveries`,
      '/api/web/v1/webhooks', '/webhooks']) {
      r = keep(`read ${p}`, await api(base, 'GET', p, { token }));
      assert.equal(r.status, 200, show(r));
      if (!p.endsWith('deliveries')) assert.ok(r.text.includes(basic.id), show(r));
    }
    keep('token list', ctlRun(['token', 'list']));
    r = keep('logout', await admin(base, 'POST', '/admin/logout', { cookie, body: `csrf=${scsrf}` }));
    assert.equal(r.status, 303, show(r));
    // Let webhookd log what it will (the retries' end) before it stops.
    await daemon.stop();
  });

  test('no log holds a secret', async () => {
    await srv.stop();
    const logs = [
      ['lighttpd error log and FastCGI stderr', srv.log.join('')],
      ['webhookd log', daemon.logText()],
      ['webhookctl stderr', ctlStderr.join('')],
    ];
    for (const f of fs.readdirSync(home)) {
      if (f.endsWith('.log')) logs.push([path.join(home, f), fs.readFileSync(path.join(home, f), 'utf8')]);
    }
    if (fs.existsSync(LOGS)) {
      for (const f of fs.readdirSync(LOGS)) {
        const p = path.join(LOGS, f);
        if (fs.statSync(p).isFile()) logs.push([p, fs.readFileSync(p, 'utf8')]);
      }
    }
    // The logs are the right ones: the login and the refused one are there.
    const all = logs.map(([, t]) => t).join('\n');
    assert.match(all, /admin_login: team default, token [0-9a-f]{12} logged in/);
    assert.match(all, /admin_login: a login refused from 127\.0\.0\.1/);
    assert.match(all, /webhookd/);
    const hits = [];
    for (const [name, value] of secrets) {
      assert.ok(value && value.length >= 16, `${name}: ${value}`);
      for (const [where, text] of logs) {
        const i = text.indexOf(value);
        if (i !== -1) hits.push(`${name} in ${where}: ...${text.slice(Math.max(0, i - 200), i + value.length + 50)}...`);
      }
    }
    assert.deepEqual(hits, []);
  });

  test('no answer holds a secret where it does not belong', () => {
    // Where a secret may be: the signing secrets in the webhook resources
    // (the contract), the session's CSRF token in its own pages, the login
    // cookie and CSRF token in the login form that made them, the token
    // list's public ids only.
    const allowed = new Set(['given signing secret', 'generated signing secret', 'session CSRF token',
      'login cookie', 'login CSRF token', 'login cookie 2', 'login CSRF token 2', 'Authorization header value']);
    const hits = [];
    for (const { label, r } of answers) {
      const texts = [r.text ?? r.stdout ?? '', r.headers?.get?.('location') ?? '', r.stderr ?? ''];
      for (const [name, value] of secrets) {
        if (allowed.has(name)) continue;
        if (texts.some((t) => t.includes(value))) hits.push(`${name} in the answer to ${label}`);
      }
    }
    assert.deepEqual(hits, []);
  });
});
