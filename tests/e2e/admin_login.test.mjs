// The admin login's rate limit through lighttpd and its four FastCGI
// processes: wrong logins sent in parallel (so that every process serves
// some) are counted in the one store, the eleventh and later answer 429 with
// Retry-After without trying the token, a team's token ids tried as tokens
// are limited per team, and the log gets a few lines, not one a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';

import { ctl, show, startLighttpd } from './lib.mjs';

// One request from the loopback address from (any 127.x.y.z is a local
// address on Linux), so that a test can be several clients.
function request(base, method, p, { from = '127.0.0.1', headers = {}, body } = {}) {
  const u = new URL(base + p);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, localAddress: from, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: { get: (k) => { const v = res.headers[k.toLowerCase()]; return v === undefined ? null : [].concat(v).join(', '); } },
        setCookie: res.headers['set-cookie'] || [],
        text: Buffer.concat(chunks).toString('utf8'),
        request: `${method} ${p} from ${from}`,
      }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// A login form's cookie and CSRF token (reusable: the token is the
// cookie's HMAC, nothing is kept on the server).
async function loginForm(base) {
  const r = await request(base, 'GET', '/admin/login');
  const cookie = r.setCookie.find((c) => c.startsWith('wh_login=')).split(';')[0];
  const csrf = r.text.match(/name="csrf" value="([0-9a-f]+)"/)[1];
  return { cookie, csrf };
}

function login(base, form, token, from) {
  return request(base, 'POST', '/admin/login', {
    from,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: form.cookie },
    body: `csrf=${form.csrf}&token=${encodeURIComponent(token)}`,
  });
}

// Runs fn over items, n at a time.
async function pool(items, n, fn) {
  const out = [];
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

describe('admin login rate limit', () => {
  let srv;

  before(async () => { srv = await startLighttpd(); });
  after(async () => { if (srv) await srv.stopAndClean(); });

  test('200 wrong logins in parallel: 10 to 17 answered 401, the rest 429, and 2 log lines', async () => {
    const form = await loginForm(srv.base);
    const guesses = Array.from({ length: 200 }, () => `wh_${crypto.randomBytes(24).toString('base64url')}`);
    const answers = await pool(guesses, 8, (g) => login(srv.base, form, g, '127.0.0.3'));
    const by = {};
    for (const a of answers) by[a.status] = (by[a.status] || 0) + 1;
    // A check and its count are two steps: up to 7 more requests in
    // flight may pass the check before the tenth failure is counted.
    assert.ok(by[401] >= 10 && by[401] <= 17, JSON.stringify(by));
    assert.equal(by[401] + by[429], 200, JSON.stringify(by));
    assert.ok(srv.fcgiPids().length >= 2, 'the requests did not spread over processes');
    const limited = answers.find((a) => a.status === 429);
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 60, show(limited));
    assert.match(limited.text, /Too many failed logins/);
    // A real token still logs in from the limited address (a proxy's or
    // a NAT's address is every client's): one client's wrong tokens lock
    // no other out.
    const r = await login(srv.base, form, srv.token, '127.0.0.3');
    assert.equal(r.status, 303, show(r));
    assert.ok(r.setCookie.some((c) => c.startsWith('wh_session=')), show(r));
    // The log: the first failure and the limit, not 200 lines (and the
    // real token's login).
    const log = srv.log.join('');
    assert.equal(log.match(/admin_login: a login refused from 127\.0\.0\.3/g)?.length, 1, log);
    assert.equal(log.match(/admin_login: 10 failed logins in 60 s, the last from 127\.0\.0\.3/g)?.length, 1, log);
    assert.equal(log.match(/admin_login: team default, token [0-9a-f]+ logged in/g)?.length, 1, log);
    assert.equal(log.match(/admin_login:/g).length, 3, log);
  });

  test('a team\'s token ids tried as tokens are limited per team, its tokens are not', async () => {
    // Another team and a token; its public id from `webhookctl token list`.
    ctl(srv.home, ['team', 'add', 'blue']);
    const out = ctl(srv.home, ['token', 'add', '--team', 'blue', '--scopes', 'webhooks:view']).stdout.trim().split('\n');
    const token = out[out.length - 1];
    const id = crypto.createHash('sha256').update(token).digest('hex').slice(0, 12);
    assert.match(ctl(srv.home, ['token', 'list']).stdout, new RegExp(id));
    // From ten addresses, one failure each (no address is limited)...
    const form = await loginForm(srv.base);
    for (let i = 10; i < 20; i++) {
      const r = await login(srv.base, form, id, `127.0.0.${i}`);
      assert.equal(r.status, 401, show(r));
    }
    // ...and the team's ids are refused from any address,
    let r = await login(srv.base, form, id, '127.0.0.20');
    assert.equal(r.status, 429, show(r));
    assert.ok(Number(r.headers.get('retry-after')) >= 1, show(r));
    // while a wrong token from there is only wrong, and the team's token
    // logs in.
    r = await login(srv.base, form, `wh_${crypto.randomBytes(24).toString('base64url')}`, '127.0.0.20');
    assert.equal(r.status, 401, show(r));
    r = await login(srv.base, form, token, '127.0.0.20');
    assert.equal(r.status, 303, show(r));
    assert.ok(r.setCookie.some((c) => c.startsWith('wh_session=')), show(r));
    const log = srv.log.join('');
    assert.equal(log.match(/admin_login: a login refused for team blue/g)?.length, 1, log);
    assert.equal(log.match(/admin_login: 10 failed logins in 60 s, the last for team blue/g)?.length, 1, log);
  });
});
