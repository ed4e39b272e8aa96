// The backup and restore drill: a hot `webhookctl backup` taken while
// webhooks are created and events published (lighttpd + the FastCGI
// program + webhookd + receivers, all real), `webhookctl restore` into a
// fresh WEBHOOKS_HOME, and the service started on it.  Every team, token and
// webhook acknowledged before the backup began is there; every event
// accepted before it is delivered, or pending in the restored spool and
// then delivered by the restored service; `webhookctl check` is clean.
// Also: what restore and backup refuse, and check's spool report.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { WEBHOOKCTL, addToken, api, ctl, makeHome, removeHome, show, startLighttpd } from './lib.mjs';
import { createWebhook, publish, startDaemon, startReceiver, until, writeConf } from './delivery_lib.mjs';

const BEFORE_EVENTS = 40;

// webhookctl without blocking the event loop (the receivers live in it).
function ctlAsync(home, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(WEBHOOKCTL, args, { env: { ...process.env, WEBHOOKS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, out }));
  });
}

// Every spool file of home in new/ cur/ deferred/ dead/, parsed.
function spoolRecords(home) {
  const out = [];
  for (const dir of ['new', 'cur', 'deferred', 'dead']) {
    const p = path.join(home, 'spool', dir);
    for (const f of fs.readdirSync(p)) {
      if (f.startsWith('.')) continue;
      out.push({ dir, name: f, rec: JSON.parse(fs.readFileSync(path.join(p, f), 'utf8')) });
    }
  }
  return out;
}

const seen = (rx) => new Set(rx.requests.map((q) => JSON.parse(q.body).data.n));

describe('backup and restore drill', () => {
  let base, srv, srv2, daemon, daemon2, ok, bad;

  before(async () => {
    ok = await startReceiver(() => ({ status: 204 }));
    bad = await startReceiver(() => ({ status: 503 }));
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-drill-'));
    const { home, token } = makeHome('webhooks-drill-home-');
    // time_scale: a failed delivery's next attempts stay deferred for
    // seconds, so the backup finds them in spool/deferred/.
    writeConf(home, { allow_private: 1, time_scale: 0.01 });
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
  });

  after(async () => {
    for (const d of [daemon, daemon2]) if (d) await d.stop();
    if (srv) await srv.stopAndClean();
    if (srv2) await srv2.stopAndClean();
    for (const r of [ok, bad]) if (r) await r.close();
    removeHome(base);
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- webhookd log:\n${daemon?.logText().slice(-4000)}\n--- restored webhookd log:\n${daemon2?.logText().slice(-4000)}`;
      throw e;
    }
  };

  test('a hot backup under load restores into a working service with nothing acknowledged lost', wrap(async () => {
    const home = srv.home;
    // Acknowledged before the backup begins.
    const betaToken = addToken(home, 'beta');
    const okHook = await createWebhook(srv, { name: 'ok', url: `${ok.url}/ok`, events: ['order.paid'] });
    const badHook = await createWebhook(srv, { name: 'bad', url: `${bad.url}/bad`, events: ['order.paid'] });
    const hooks = [{ token: srv.token, wh: okHook }, { token: srv.token, wh: badHook }];
    for (let i = 0; i < 5; i++) {
      const r = await api(srv.base, 'POST', '/api/2.0/webhooks', {
        token: betaToken, body: { name: `beta ${i}`, url: `${ok.url}/beta/${i}`, events: ['beta.only'] },
      });
      assert.equal(r.status, 201, show(r));
      hooks.push({ token: betaToken, wh: r.json.data });
    }
    for (let n = 0; n < BEFORE_EVENTS; n++) {
      const r = await publish(srv, 'order.paid', { n });
      assert.equal(r.status, 202, show(r));
    }

    // The backup, while creates and publishes go on.
    let stop = false;
    let during = 0;
    const load = (async () => {
      for (let n = 1000; !stop; n++) {
        const c = await api(srv.base, 'POST', '/api/2.0/webhooks', {
          token: srv.token, body: { name: `during ${n}`, url: `${ok.url}/during/${n}`, events: ['other.type'] },
        });
        assert.equal(c.status, 201, show(c));
        assert.equal((await publish(srv, 'order.paid', { n })).status, 202);
        during++;
      }
    })();
    const bk = path.join(base, 'backup');
    const b = await ctlAsync(home, ['backup', bk]);
    stop = true;
    await load;
    assert.equal(b.status, 0, b.out);
    assert.match(b.out, /backup written to/);
    assert.ok(during > 0, 'no load ran during the backup');
    assert.match(fs.readFileSync(path.join(bk, 'BACKUP'), 'utf8'), /^webhooks backup 1\n/);
    // The original goes away (its receivers stay: the restored webhooks
    // point at them).
    await daemon.stop();
    await srv.stop();

    const restored = path.join(base, 'restored');
    const r = ctl(restored, ['restore', bk]);
    assert.match(r.stdout, /restored/);
    assert.equal(fs.readFileSync(path.join(restored, 'webhooks.conf'), 'utf8'),
      fs.readFileSync(path.join(home, 'webhooks.conf'), 'utf8'));
    assert.ok(!fs.existsSync(path.join(restored, 'BACKUP')));
    const chk = ctl(restored, ['check']);
    assert.match(chk.stdout, /store OK/);
    assert.match(chk.stdout, /tmp\/ clean/);

    // Every event accepted before the backup: delivered already, or
    // pending in the restored spool, for each of its two webhooks.
    const recs = spoolRecords(restored);
    const pendingFor = (hookId, n) => recs.some(({ rec }) => rec.data?.n === n &&
      (!rec.webhook || rec.webhook === hookId));
    const delivered = seen(ok);
    for (let n = 0; n < BEFORE_EVENTS; n++) {
      assert.ok(delivered.has(n) || pendingFor(okHook.id, n), `event ${n}: neither delivered nor pending (ok webhook)`);
      assert.ok(pendingFor(badHook.id, n), `event ${n}: not pending for the failing webhook`);
    }
    assert.ok(recs.some(({ dir }) => dir === 'deferred'), 'nothing deferred was backed up');

    // The service on the restored directory.
    const token = srv.token;
    srv2 = await startLighttpd({ home: restored, token });
    daemon2 = startDaemon(restored, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    for (const { token: tk, wh } of hooks) {
      const g = await api(srv2.base, 'GET', `/api/2.0/webhooks/${wh.id}`, { token: tk });
      assert.equal(g.status, 200, show(g));
      for (const k of ['id', 'name', 'url', 'events']) assert.deepEqual(g.json.data[k], wh[k], k);
    }
    const teams = ctl(restored, ['team', 'list']).stdout.split('\n');
    assert.ok(teams.includes('default') && teams.includes('beta'), teams.join(','));
    const list = await api(srv2.base, 'GET', '/api/2.0/webhooks?per_page=100', { token: betaToken });
    assert.equal(list.status, 200, show(list));
    assert.equal(list.json.data.length, 5);
    // The restored service delivers what was pending.
    await until(() => { const s = seen(ok); for (let n = 0; n < BEFORE_EVENTS; n++) if (!s.has(n)) return false; return true; },
      30000, 'every event accepted before the backup delivered');
    await daemon2.stop();
    await srv2.stop();
    const chk2 = ctl(restored, ['check']);
    assert.match(chk2.stdout, /store OK/);
  }));

  test('restore refuses a non-empty directory and one that is no backup; backup replaces only a backup', () => {
    const bk = path.join(base, 'backup');
    const full = path.join(base, 'full');
    fs.mkdirSync(full);
    fs.writeFileSync(path.join(full, 'keep'), 'x');
    let r = ctl(full, ['restore', bk], { allowFail: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not empty: restore only into a new data directory/);
    assert.equal(fs.readFileSync(path.join(full, 'keep'), 'utf8'), 'x');
    r = ctl(path.join(base, 'new1'), ['restore', full], { allowFail: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /holds no whole backup/);
    assert.ok(!fs.existsSync(path.join(base, 'new1', 'db')));

    const { home } = makeHome('webhooks-drill-b-');
    try {
      r = ctl(home, ['backup', full], { allowFail: true });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /neither empty nor a backup/);
      assert.deepEqual(fs.readdirSync(full), ['keep']);
      // Over an earlier backup: replaced whole, nothing left beside it.
      const again = path.join(base, 'again');
      ctl(home, ['backup', again]);
      fs.writeFileSync(path.join(again, 'spool', 'new', 'stale'), '{}');
      ctl(home, ['backup', again]);
      assert.ok(!fs.existsSync(path.join(again, 'spool', 'new', 'stale')));
      assert.deepEqual(fs.readdirSync(base).filter((f) => /\.(new|old)-\d+$/.test(f)), []);
    } finally {
      removeHome(home);
    }
  });

  test('check names stray spool/tmp/ files older than 36 h (--fix removes them) and lists the quarantine', () => {
    const { home } = makeHome('webhooks-drill-c-');
    try {
      const tmp = path.join(home, 'spool', 'tmp');
      const old = new Date(Date.now() - 37 * 3600 * 1000);
      fs.writeFileSync(path.join(tmp, 'stray.1'), 'half');
      fs.utimesSync(path.join(tmp, 'stray.1'), old, old);
      fs.writeFileSync(path.join(tmp, 'young.1'), 'being written');
      fs.writeFileSync(path.join(home, 'spool', 'quarantine', 'bad.1'), 'not json');
      let r = ctl(home, ['check'], { allowFail: true });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /stray tmp\/stray\.1/);
      assert.doesNotMatch(r.stdout, /young/);
      assert.match(r.stdout, /quarantine holds 1 files/);
      assert.match(r.stdout, /quarantine\/bad\.1/);
      r = ctl(home, ['check', '--fix']);
      assert.match(r.stdout, /removed stray tmp\/stray\.1/);
      assert.ok(!fs.existsSync(path.join(tmp, 'stray.1')));
      assert.ok(fs.existsSync(path.join(tmp, 'young.1')));
      assert.ok(fs.existsSync(path.join(home, 'spool', 'quarantine', 'bad.1')));
      r = ctl(home, ['check']);
      assert.match(r.stdout, /tmp\/ clean/);
    } finally {
      removeHome(home);
    }
  });
});
