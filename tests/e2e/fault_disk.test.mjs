// A full disk under the data directory (issue 16, defect 2): WEBHOOKS_HOME
// on a small tmpfs of its own, filled to its last byte while lighttpd and
// its FastCGI processes run.  Writes answer 503 (or 507) with Retry-After,
// never 500 and never a 202 for what was not stored; reads go on; nothing
// waits for long; and once space returns the same processes (no restart,
// no `webhookctl recover`) serve writes again within seconds, and
// `webhookctl check` and `team list` finish promptly and clean.
//
// Mounting needs root: without it the test says so and is skipped.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { addToken, api, ctl, freePort, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import { createWebhook, spoolFiles, startDaemon, startReceiver, until, writeConf } from './delivery_lib.mjs';

const ROOT = process.getuid && process.getuid() === 0;
const SLOW_MS = 5000; // no request or command may take longer

// Fills the file system of dir to its last byte: big writes, then ever
// smaller ones until not even one byte fits.  Returns the filler's path.
export function fill(dir, name = 'filler') {
  const p = path.join(dir, name);
  const fd = fs.openSync(p, 'a');
  try {
    for (let chunk = 1 << 20; chunk >= 1; chunk >>= 1) {
      const buf = Buffer.alloc(chunk, 0x61);
      for (;;) {
        try { fs.writeSync(fd, buf); } catch (e) {
          if (e.code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return p;
}

// Mounts a tmpfs of size bytes on dir (made if missing); true on success.
export function mountTmpfs(dir, size) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir}: ${r.stderr}`);
}

export function unmount(dir) {
  for (let i = 0; i < 50; i++) {
    if (spawnSync('umount', [dir]).status === 0) return;
    spawnSync('sleep', ['0.1']);
  }
  spawnSync('umount', ['-l', dir]);
}

// Runs webhookctl with a deadline; answers {status, ms, out}.
function timedCtl(home, args) {
  const t0 = Date.now();
  const r = spawnSync(path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'webhookctl'), args, {
    env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8', timeout: 30000, killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, ms: Date.now() - t0, out: `${r.stdout}${r.stderr}` };
}

async function timed(p) {
  const t0 = Date.now();
  const r = await p;
  r.ms = Date.now() - t0;
  return r;
}

const WRITE_FAULT = [503, 507];

// Under the sanitizers (make asan) this case is left to make test: there a
// webhookctl opening the store on the full disk was seen to panic the
// environment (Berkeley DB flushing a full shared log buffer of the
// refused commits, ENOSPC, "PANIC: No space left on device") where the
// normal build's open is refused a write and goes read-only; an open that
// must flush that buffer on a full disk is a known gap (README, Faults).
const SAN_SKIP = process.env.WEBHOOKS_SAN === '1' &&
  'sanitizer build: see the comment above (the normal build runs it in make test)';

describe('fault: the data directory\'s file system is full', { skip: ROOT ? SAN_SKIP : 'needs root to mount a tmpfs under the data directory' }, () => {
  let base, home, srv, token, daemon;

  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-fulldisk-'));
    home = path.join(base, 'home');
    mountTmpfs(home, 24 << 20);
    ctl(home, ['init']);
    token = addToken(home, 'default');
    writeConf(home, { allow_private: 1 });
    srv = await startLighttpd({ home, token });
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stop();
    if (home) unmount(home);
    if (base && !process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(base, { recursive: true, force: true });
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      if (srv) e.message += `\n--- server log:\n${srv.logText(8000)}`;
      if (daemon) e.message += `\n--- webhookd log:\n${daemon.logText().slice(-6000)}`;
      throw e;
    }
  };

  test('writes answer 503/507 while full, reads go on, and it heals without a restart', wrap(async () => {
    // Deliveries go to a loopback port nobody listens on: refused, deferred.
    const dead = `http://127.0.0.1:${await freePort()}`;
    const wh = { name: 'before', url: `${dead}/hook`, events: ['order.paid'] };
    let r = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: wh });
    assert.equal(r.status, 201, show(r));
    const id = r.json.data.id;
    r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: {}, idempotency_key: 'k-before' } });
    assert.equal(r.status, 202, show(r));
    // webhookd runs through it all.
    daemon = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });

    const filler = fill(home);
    const created = [];
    let refused = 0;
    const newBefore = [...spoolFiles(home, 'new'), ...spoolFiles(home, 'cur'), ...spoolFiles(home, 'deferred')];
    try {
      // Every kind of write, many times, with idempotency keys.  An
      // event needs its spool file: 503 or 507 with Retry-After.  A create
      // may still fit in the store's log (then it is durable and answers
      // 201, and must be there later); once the log cannot grow it answers
      // 503 or 507 too.  Never a 500, never slow.
      for (let i = 0; i < 20; i++) {
        r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: { i }, idempotency_key: `k-full-${i}` } }));
        assert.ok(WRITE_FAULT.includes(r.status), show(r));
        assert.ok(r.headers.get('retry-after'), `no Retry-After: ${show(r)}`);
        assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
        r = await timed(api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { ...wh, name: `full-${i}`, url: `${dead}/${'x'.repeat(1500)}` } }));
        assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
        if (r.status === 201) created.push(`full-${i}`);
        else {
          assert.ok(WRITE_FAULT.includes(r.status), show(r));
          assert.ok(r.headers.get('retry-after'), `no Retry-After: ${show(r)}`);
          refused++;
        }
        // Reads still answer.
        r = await timed(api(srv.base, 'GET', `/api/2.0/webhooks/${id}`, { token }));
        assert.equal(r.status, 200, show(r));
        assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
        r = await timed(api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token }));
        assert.equal(r.status, 200, show(r));
        assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
      }
      assert.ok(refused > 0, `every create fitted on a full disk (${created.length})`);
      const spooled = [...spoolFiles(home, 'new'), ...spoolFiles(home, 'cur'), ...spoolFiles(home, 'deferred')].filter((f) => !newBefore.includes(f));
      assert.deepEqual(spooled, [], 'no event spooled while full');
      // Commands meanwhile finish promptly: team list reads, check may
      // refuse (it cannot checkpoint) but never hangs.
      const tl = timedCtl(home, ['team', 'list']);
      assert.ok(tl.ms < SLOW_MS && tl.signal === null, `team list while full: ${JSON.stringify(tl)}`);
      assert.equal(tl.status, 0, `team list while full: ${tl.out}`);
      assert.match(tl.out, /default/);
      const ck = timedCtl(home, ['check']);
      assert.ok(ck.ms < SLOW_MS * 2 && ck.signal === null, `check while full: ${JSON.stringify(ck)}`);
      // lighttpd restarted while full: its new FastCGI processes open the
      // store (read-only, as the disk refuses the open's log record), read,
      // and refuse writes with 503.
      await srv.stop();
      srv = await startLighttpd({ home, token });
      r = await timed(api(srv.base, 'GET', `/api/2.0/webhooks/${id}`, { token }));
      assert.equal(r.status, 200, show(r));
      assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
      r = await timed(api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { ...wh, name: 'full-restarted' } }));
      assert.ok(WRITE_FAULT.includes(r.status), show(r));
      assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
      r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: {}, idempotency_key: 'k-full-restarted' } }));
      assert.ok(WRITE_FAULT.includes(r.status), show(r));
      assert.equal(daemon.exited, null, 'webhookd exited on a full disk');
    } finally {
      fs.rmSync(filler, { force: true });
    }

    // Space is back: writes succeed again within seconds, same server.
    const deadline = Date.now() + 10000;
    for (;;) {
      r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: {}, idempotency_key: 'k-after' } }));
      assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
      assert.notEqual(r.status, 500, show(r));
      if (r.status === 202) break;
      assert.ok(Date.now() < deadline, `still ${show(r)} 10 s after space returned`);
      await sleep(200);
    }
    const eventId = r.json.id;
    r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: {}, idempotency_key: 'k-after' } });
    assert.ok([200, 202].includes(r.status), show(r));
    assert.equal(r.json.id, eventId, 'the idempotency key holds');
    for (let i = 0; i < 4; i++) {
      r = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { ...wh, name: `after-${i}` } });
      assert.equal(r.status, 201, show(r));
      r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: { i }, idempotency_key: `k-after-${i}` } });
      assert.equal(r.status, 202, show(r));
    }
    // The keys tried while full were never taken.
    r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data: {}, idempotency_key: 'k-full-0' } });
    assert.equal(r.status, 202, show(r));
    r = await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token });
    assert.equal(r.status, 200, show(r));
    assert.deepEqual(r.json.data.map((w) => w.name).sort(), ['after-0', 'after-1', 'after-2', 'after-3', 'before', ...created].sort());
    assert.equal(srv.exited, null, 'lighttpd still runs');

    const tl = timedCtl(home, ['team', 'list']);
    assert.ok(tl.ms < SLOW_MS && tl.status === 0, `team list: ${JSON.stringify(tl)}`);
    // webhookd took every accepted event (there is no receiver: each is
    // deferred after its attempt, none is left in new/).
    assert.equal(daemon.exited, null, 'webhookd exited');
    await until(() => spoolFiles(home, 'new').length === 0, 10000, 'webhookd claimed every event');
    await daemon.stop();
    daemon = null;
    await srv.stop();
    srv = null;
    const ck = timedCtl(home, ['check']);
    assert.ok(ck.ms < SLOW_MS * 2, `check took ${ck.ms} ms`);
    assert.equal(ck.status, 0, `webhookctl check: ${ck.out}`);
  }));
});

// The full spool disk (issue 16 keeps it as a test): a 1 MiB tmpfs on
// spool/, filled by events until it takes no more.  Every answer is 202 or
// 503 with Retry-After; every 202 is a whole file in new/; webhookd
// delivers every accepted event, which frees the space, and publishing
// works again without a restart.
describe('fault: a 1 MiB spool file system fills up', { skip: ROOT ? false : 'needs root to mount a tmpfs on spool/' }, () => {
  let home, token, srv, spoolDir, daemon, rx;

  before(async () => {
    ({ home, token } = makeHome('webhooks-fullspool-'));
    spoolDir = path.join(home, 'spool');
    fs.rmSync(spoolDir, { recursive: true, force: true });
    mountTmpfs(spoolDir, 1 << 20);
    for (const d of ['tmp', 'new', 'cur', 'deferred', 'quarantine']) fs.mkdirSync(path.join(spoolDir, d), { mode: 0o700 });
    writeConf(home, { allow_private: 1 });
    rx = await startReceiver(() => ({ status: 204 }));
    srv = await startLighttpd({ home, token });
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stop();
    if (rx) await rx.close();
    if (spoolDir) unmount(spoolDir);
    if (home && !process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(home, { recursive: true, force: true });
  });

  test('events answer 202 or 503 (never 500), every 202 is whole in new/, and it heals once delivered', async () => {
    await createWebhook({ base: srv.base, token }, { name: 'spool', url: `${rx.url}/spool`, events: ['big.event'] });
    const accepted = new Set();
    let refused = 0;
    const data = { blob: 'x'.repeat(60000) };
    for (let i = 0; i < 40 && refused < 3; i++) {
      const r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'big.event', data: { ...data, i } } }));
      assert.ok(r.ms < SLOW_MS, `${show(r)} took ${r.ms} ms`);
      if (r.status === 202) accepted.add(r.json.id);
      else {
        assert.equal(r.status, 503, show(r));
        assert.equal(r.headers.get('retry-after'), '1');
        refused++;
      }
    }
    assert.ok(refused > 0, 'a 1 MiB spool never filled');
    assert.ok(accepted.size > 0);
    const files = spoolFiles(home, 'new');
    assert.equal(files.length, accepted.size, 'one file in new/ per 202');
    for (const f of files) {
      const ev = JSON.parse(fs.readFileSync(path.join(spoolDir, 'new', f), 'utf8'));
      assert.ok(accepted.has(ev.id), `new/${f} is not an accepted event`);
    }
    // webhookd delivers them all, which frees the space.
    daemon = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    await until(() => new Set(rx.requests.map((q) => JSON.parse(q.body).data.i)).size >= accepted.size, 20000, 'every accepted event delivered');
    await until(() => spoolFiles(home, 'new').length === 0 && spoolFiles(home, 'cur').length === 0, 10000, 'spool emptied');
    const r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'big.event', data: { ...data, i: 'after' } } });
    assert.equal(r.status, 202, show(r));
  });
});
