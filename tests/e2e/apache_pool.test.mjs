// Apache's pool mode: apache.conf.example with `Define WEBHOOKS_POOL` and
// `Define WEBHOOKS_POOL_SOCKET`, mod_proxy_fcgi sending every path to the
// FastCGI pool of src/systemd/webhooks-fcgi.socket + .service.  The pool is
// started as units_pool.test.mjs starts it: systemd-socket-activate listens
// on a Unix socket in a temporary directory and runs the unit's ExecStart
// (multiwatch forking 3 webhooks.fcgi) with the listening socket as
// standard input.  As root, the pool runs as the data directory's owner
// (www-data, whom Apache runs as) and the socket is that user's, mode 0660,
// as the socket unit's SocketUser= and SocketMode= make it.  Checked: the
// API at the root mount (links carry no mount), the Bearer token passed
// through, an event accepted, the admin login page, 16 parallel requests,
// a SIGKILLed worker replaced with requests going on.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startPool, until, workersOf } from './pool_lib.mjs';
import { api, APACHE_CONF, makeHome, removeHome, show, startApache, UUID_RE } from './lib.mjs';

const WORKERS = 3;
const USER = 'www-data';

let home, token, pool, srv, sockDir, sock;

before(async () => {
  ({ home, token } = makeHome('webhooks-apool-'));
  sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-sock-'));
  fs.chmodSync(sockDir, 0o755);
  sock = path.join(sockDir, 'fcgi.sock');
  // As root: the data directory, the pool and the socket are www-data's
  // (the unit's User=, SocketUser=).
  pool = await startPool({ home, sock, workers: WORKERS, user: USER });
  srv = await startApache({ home, token, user: USER, defines: { WEBHOOKS_POOL: '', WEBHOOKS_POOL_SOCKET: sock } });
});

after(async () => {
  if (srv) await srv.stop();
  if (pool) await pool.stop();
  if (sockDir) fs.rmSync(sockDir, { recursive: true, force: true });
  removeHome(home);
});

const wrap = (fn) => async (t) => {
  try { await srv.wrap(fn)(t); } catch (e) { e.message += `\n--- pool:\n${pool.log()}`; throw e; }
};

test('Apache serves through the pool: mod_fcgid is not loaded, the workers are multiwatch\'s', wrap(async () => {
  const w = await until(`${WORKERS} workers`, () => { const x = workersOf(pool.pid); return x.length === WORKERS && x; });
  assert.equal(path.basename(fs.readlinkSync(`/proc/${pool.pid}/exe`)), 'multiwatch');
  // Apache spawns no webhooks.fcgi of its own.
  assert.deepEqual(srv.fcgiPids(), []);
  const maps = fs.readFileSync(`/proc/${srv.pid}/maps`, 'utf8');
  assert.match(maps, /mod_proxy_fcgi\.so/);
  assert.doesNotMatch(maps, /mod_fcgid\.so/);
  const r = await api(srv.base, 'GET', '/api/2.0/webhooks', { token });
  assert.equal(r.status, 200, show(r));
  assert.deepEqual(workersOf(pool.pid), w);
}));

test('the API at the root mount, the token passed through', wrap(async () => {
  const none = await api(srv.base, 'GET', '/api/2.0/webhooks');
  assert.equal(none.status, 401, show(none));
  const bad = await api(srv.base, 'GET', '/api/2.0/webhooks', { token: 'not-a-token' });
  assert.equal(bad.status, 401, show(bad));

  const c = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'apache pool', url: 'https://example.com/hook' } });
  assert.equal(c.status, 201, show(c));
  const id = c.json.data.uuid;
  assert.match(id, UUID_RE);
  // The mount is the root: no path before /api/ in the links.
  assert.equal(c.headers.get('location'), `${srv.origin}/api/2.0/webhooks/${id}`, show(c));

  const g = await api(srv.base, 'GET', `/api/2.0/webhooks/${id}`, { token });
  assert.equal(g.status, 200, show(g));
  assert.equal(g.json.data.name, 'apache pool');

  const u = await api(srv.base, 'PUT', `/api/2.0/webhooks/${id}`, { token, body: { url: 'https://example.com/hook/2' } });
  assert.equal(u.status, 200, show(u));
  assert.equal(u.json.data.url, 'https://example.com/hook/2');

  const l = await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token });
  assert.equal(l.status, 200, show(l));
  assert.deepEqual(l.json.data.map((x) => x.uuid), [id]);
  assert.equal(l.json.data[0].url, 'https://example.com/hook/2');
  assert.match(l.json.links.first, /^(https?:\/\/[^/]+)?\/api\/2\.0\/webhooks\?/, show(l));

  const e = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: { order: 42 } } });
  assert.equal(e.status, 202, show(e));
  assert.ok(fs.readdirSync(path.join(home, 'spool', 'new')).length >= 1, 'the event is in spool/new/');

  const d = await api(srv.base, 'DELETE', `/api/2.0/webhooks/${id}`, { token });
  assert.equal(d.status, 204, show(d));
  const gone = await api(srv.base, 'GET', `/api/2.0/webhooks/${id}`, { token });
  assert.equal(gone.status, 404, show(gone));

  // A path the program does not know: its own JSON 404, not Apache's.
  const nf = await api(srv.base, 'GET', '/api/2.0/nothing-here', { token });
  assert.equal(nf.status, 404, show(nf));
  assert.ok(nf.json, `a JSON body: ${show(nf)}`);
}));

test('the admin login page and the health check answer', wrap(async () => {
  const r = await api(srv.base, 'GET', '/admin/login');
  assert.equal(r.status, 200, show(r));
  assert.match(r.text, /<form method="post" action="\/admin\/login">/);
  const h = await api(srv.base, 'GET', '/health');
  assert.equal(h.status, 200, show(h));
}));

test('a body over 1 MiB reaches the program: its own 413', wrap(async () => {
  const big = JSON.stringify({ name: 'x', url: 'https://example.com/hook', pad: 'a'.repeat(1100000) });
  const r = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: big, headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status, 413, show(r));
  assert.ok(r.json, `the program's JSON 413: ${show(r)}`);
}));

test('16 parallel requests on 3 workers all succeed', wrap(async () => {
  const rs = await Promise.all(Array.from({ length: 16 }, () => api(srv.base, 'GET', '/api/2.0/webhooks', { token })));
  for (const r of rs) assert.equal(r.status, 200, show(r));
}));

test('a SIGKILLed worker is replaced and requests go on', wrap(async () => {
  const was = workersOf(pool.pid);
  assert.equal(was.length, WORKERS);
  process.kill(was[0], 'SIGKILL');
  const now = await until('a new worker', () => {
    const x = workersOf(pool.pid);
    return x.length === WORKERS && !x.includes(was[0]) && x;
  });
  assert.deepEqual(now.filter((p) => was.includes(p)), was.slice(1));
  const rs = await Promise.all(Array.from({ length: 16 }, () => api(srv.base, 'GET', '/api/2.0/webhooks', { token })));
  for (const r of rs) assert.equal(r.status, 200, show(r));
  const c = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'after kill', url: 'https://example.com/hook' } });
  assert.equal(c.status, 201, show(c));
}));

// Under a path: the README's three lines changed, the same pool.
test('mounted at /hooks/: the routes and links carry the mount', wrap(async () => {
  let text = fs.readFileSync(APACHE_CONF, 'utf8');
  for (const [from, to] of [
    ['ProxyPass / unix:', 'ProxyPass /hooks/ unix:'],
    ['<Location />', '<Location /hooks/>'],
    ['ProxyFCGISetEnvIf true PATH_INFO "%{REQUEST_URI}"', 'ProxyFCGISetEnvIf "%{REQUEST_URI} =~ m#^/hooks(/.*)#" PATH_INFO "$1"'],
  ]) {
    assert.ok(text.includes(from), `apache.conf.example has ${from}`);
    text = text.replace(from, to);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-conf-'));
  fs.chmodSync(dir, 0o755);
  const conf = path.join(dir, 'apache.conf');
  fs.writeFileSync(conf, text);
  fs.chmodSync(conf, 0o644);
  // Its own run directory (pid file, error log); the store is the pool's.
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-run-'));
  let sub;
  try {
    sub = await startApache({ home: run, token, user: USER, conf, prefix: '/hooks', defines: { WEBHOOKS_POOL: '', WEBHOOKS_POOL_SOCKET: sock } });
    const c = await api(sub.base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'under hooks', url: 'https://example.com/hook' } });
    assert.equal(c.status, 201, show(c));
    const id = c.json.data.uuid;
    assert.equal(c.headers.get('location'), `${sub.origin}/hooks/api/2.0/webhooks/${id}`, show(c));
    const g = await api(sub.base, 'GET', `/api/2.0/webhooks/${id}`, { token });
    assert.equal(g.status, 200, show(g));
    const l = await api(sub.base, 'GET', '/admin/login');
    assert.equal(l.status, 200, show(l));
    assert.match(l.text, /<form method="post" action="\/hooks\/admin\/login">/);
    // Outside the mount: Apache's, not the program's.
    const out = await api(sub.origin, 'GET', '/api/2.0/webhooks', { token });
    assert.equal(out.status, 404, show(out));
    assert.equal(out.json, undefined, show(out));
  } finally {
    if (sub) await sub.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    removeHome(run);
  }
}));
