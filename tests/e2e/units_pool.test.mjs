// The FastCGI pool of src/systemd/webhooks-fcgi.socket + .service, under
// socket activation without systemd: systemd-socket-activate listens on
// the Unix socket and, at the first connection, runs the unit's ExecStart
// (multiwatch forking N webhooks.fcgi) with the listening socket as its
// standard input, as StandardInput=socket does (a shell moves it there
// from fd 3, LISTEN_FDS).  lighttpd talks FastCGI to it:
// lighttpd.conf.example with "bin-path" taken out, so that its "socket" is
// a server it connects to.  Checked: requests are answered; N workers are
// there, each a child of multiwatch; a SIGKILLed worker is replaced and
// requests go on; SIGTERM to multiwatch (systemd's KillMode=mixed) ends
// every worker and multiwatch exits 0.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { processes, startPool, until, workersOf } from './pool_lib.mjs';
import { api, LIGHTTPD_CONF, makeHome, removeHome, show, startLighttpd } from './lib.mjs';

const WORKERS = 3;

let home, token, pool, srv, confDir;

before(async () => {
  ({ home, token } = makeHome('webhooks-pool-'));
  pool = await startPool({ home, sock: path.join(home, 'fcgi.sock'), workers: WORKERS });
  // lighttpd.conf.example's "socket" is the data directory's fcgi.sock:
  // without "bin-path", lighttpd connects to it instead of spawning.
  const text = fs.readFileSync(LIGHTTPD_CONF, 'utf8');
  const binPath = /^\s*"bin-path"\s*=>.*\n/m;
  assert.match(text, binPath);
  confDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-conf-'));
  const conf = path.join(confDir, 'lighttpd.conf');
  fs.writeFileSync(conf, text.replace(binPath, ''));
  srv = await startLighttpd({ home, token, conf });
});

after(async () => {
  if (srv) await srv.stop();
  if (pool) await pool.stop();
  if (confDir) fs.rmSync(confDir, { recursive: true, force: true });
  removeHome(home);
});

test('N workers under multiwatch, answering through lighttpd', async () => {
  // systemd-socket-activate exec'd multiwatch: the same PID.
  const w = await until(`${WORKERS} workers`, () => { const x = workersOf(pool.pid); return x.length === WORKERS && x; });
  assert.equal(path.basename(fs.readlinkSync(`/proc/${pool.pid}/exe`)), 'multiwatch');
  const rs = await Promise.all(Array.from({ length: 12 }, () => api(srv.base, 'GET', '/api/2.0/webhooks', { token })));
  for (const r of rs) assert.equal(r.status, 200, show(r));
  const c = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'pool', url: 'https://example.com/hook' } });
  assert.equal(c.status, 201, show(c));
  assert.deepEqual(workersOf(pool.pid), w, 'the same workers served them');
});

test('a SIGKILLed worker is replaced and the others serve on', async () => {
  const before = workersOf(pool.pid);
  assert.equal(before.length, WORKERS);
  process.kill(before[0], 'SIGKILL');
  const now = await until('a new worker', () => {
    const x = workersOf(pool.pid);
    return x.length === WORKERS && !x.includes(before[0]) && x;
  });
  assert.deepEqual(now.filter((p) => before.includes(p)), before.slice(1));
  for (let i = 0; i < 20; i++) {
    const r = await api(srv.base, 'GET', '/api/2.0/webhooks', { token });
    assert.equal(r.status, 200, show(r));
  }
});

test('SIGTERM to multiwatch (KillMode=mixed) ends every worker; it exits 0', async () => {
  const w = workersOf(pool.pid);
  assert.equal(w.length, WORKERS);
  process.kill(pool.pid, 'SIGTERM');
  let timer;
  const r = await Promise.race([pool.exited, new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 10000); })]);
  clearTimeout(timer);
  assert.notEqual(r, 'timeout', `multiwatch ended within 10 s\n${pool.log()}`);
  assert.deepEqual(r, { code: 0, signal: null }, `multiwatch exits 0: a clean stop for systemd\n${pool.log()}`);
  await until('the workers to end', () => w.every((p) => !processes().has(p)), 5000);
});
