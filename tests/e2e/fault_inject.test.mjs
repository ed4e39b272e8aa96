// Disk faults injected (issue 16): build/fault/faultfs.so, preloaded into
// lighttpd (so into its FastCGI processes), webhookd and webhookctl, makes
// write, fsync and rename fail with EIO or ENOSPC under one directory,
// turned on and off through a control file while everything runs.  For the
// intake (POST /api/2.0/events), the store's writes (creates, idempotency
// records, the admin page's login), webhookd's claim and its attempt-log
// commit: never a 202 for an event that is not durable, nothing
// half-written in spool/new/, no attempt lost or logged twice, and once the
// fault is gone the same processes work again, untouched.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { api, ctl, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import { faultShim } from './fault_lib.mjs';
import { createWebhook, deliveries, spoolFiles, startDaemon, startReceiver, until, writeConf } from './delivery_lib.mjs';



// Every file in spool/new/ is a whole event: JSON with an id.
function assertWholeNew(home) {
  for (const f of spoolFiles(home, 'new')) {
    let text;
    try { text = fs.readFileSync(path.join(home, 'spool', 'new', f), 'utf8'); } catch { continue; /* claimed meanwhile */ }
    let ev;
    assert.doesNotThrow(() => { ev = JSON.parse(text); }, `half-written spool/new/${f}: ${JSON.stringify(text.slice(0, 200))}`);
    assert.ok(ev && ev.id, `spool/new/${f} has no id`);
  }
}

const timed = async (p) => { const t0 = Date.now(); const r = await p; r.ms = Date.now() - t0; return r; };

describe('fault injection: write, fsync and rename fail with EIO or ENOSPC', () => {
  let srv, home, token, shim, env, rx, rx2, daemon;

  // Sets the fault (words of the control file; '' for none): fault_lib.
  const fault = (words) => shim.set(words);

  before(async () => {
    ({ home, token } = makeHome('webhooks-faultfs-'));
    writeConf(home, { allow_private: 1 });
    shim = faultShim(home);
    ({ env } = shim);
    srv = await startLighttpd({ home, token, extraEnv: env });
    rx = await startReceiver(() => ({ status: 204 }));
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
    if (rx2) await rx2.close();
    if (shim) shim.remove();
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- server log:\n${srv.logText(6000)}`;
      if (daemon) e.message += `\n--- webhookd log:\n${daemon.logText().slice(-6000)}`;
      throw e;
    } finally {
      fault('');
    }
  };

  const spool = () => path.join(home, 'spool');
  const db = () => path.join(home, 'db');

  for (const words of ['write=ENOSPC', 'write=EIO', 'fsync=EIO', 'fsync=ENOSPC', 'rename=EIO', 'rename=ENOSPC']) {
    test(`intake: ${words} under spool/ answers 503, leaves nothing in new/, and passes when it is gone`, wrap(async () => {
      const before = spoolFiles(home, 'new').sort();
      fault(`dir=${spool()} ${words}`);
      for (let i = 0; i < 3; i++) {
        const r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'fault.intake', data: { i }, idempotency_key: `intake-${words}-${i}` } }));
        assert.equal(r.status, 503, show(r));
        assert.equal(r.headers.get('retry-after'), '1');
        assert.ok(r.ms < 5000, `${show(r)} took ${r.ms} ms`);
        assert.deepEqual(spoolFiles(home, 'new').sort(), before, 'a refused event left a file in new/');
        assertWholeNew(home);
      }
      fault('');
      // The keys tried were not taken: the same requests pass now.
      for (let i = 0; i < 3; i++) {
        const r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'fault.intake', data: { i }, idempotency_key: `intake-${words}-${i}` } });
        assert.equal(r.status, 202, show(r));
        assert.ok(spoolFiles(home, 'new').some((f) => f.includes(r.json.id)), `accepted event ${r.json.id} is not in new/`);
      }
      assertWholeNew(home);
    }));
  }

  for (const words of ['write=EIO', 'write=ENOSPC', 'fsync=EIO']) {
    test(`store: ${words} under db/ answers 503 to writes, reads go on, and it heals`, wrap(async () => {
      const wh = await createWebhook(srv, { name: `store-${words}`, url: `${rx.url}/store`, events: ['x.y'] });
      const newBefore = spoolFiles(home, 'new').sort();
      fault(`dir=${db()} ${words}`);
      let r;
      for (let i = 0; i < 3; i++) {
        r = await timed(api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { name: `during-${words}-${i}`, url: `${rx.url}/store`, events: ['x.y'] } }));
        assert.equal(r.status, 503, show(r));
        assert.ok(r.headers.get('retry-after'), show(r));
        assert.ok(r.ms < 5000, `${show(r)} took ${r.ms} ms`);
        // The idempotency record cannot be written: the event is taken
        // back, 503, so that the retry with the key is safe.
        r = await timed(api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'x.y', data: { i }, idempotency_key: `store-${words}-${i}` } }));
        assert.equal(r.status, 503, show(r));
        assert.ok(r.ms < 5000, `${show(r)} took ${r.ms} ms`);
        assert.deepEqual(spoolFiles(home, 'new').sort(), newBefore, 'a refused event stayed in new/');
        r = await api(srv.base, 'GET', `/api/2.0/webhooks/${wh.id}`, { token });
        assert.equal(r.status, 200, show(r));
      }
      // The admin page's writes: a login writes its session.
      const login = async () => {
        const form = await api(srv.base, 'GET', '/admin/login');
        assert.equal(form.status, 200, show(form));
        const cookie = (form.headers.get('set-cookie') || '').split(';')[0];
        const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)[1];
        const res = await fetch(`${srv.base}/admin/login`, {
          method: 'POST', redirect: 'manual',
          body: `token=${encodeURIComponent(token)}&csrf=${csrf}`,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, text, request: 'POST /admin/login' };
      };
      r = await timed(login());
      assert.equal(r.status, 503, show(r));
      assert.equal(r.headers.get('set-cookie'), null, 'no session cookie for a session not stored');
      fault('');
      r = await until(async () => {
        const x = await api(srv.base, 'POST', '/api/2.0/webhooks', { token, body: { name: `after-${words}`, url: `${rx.url}/store`, events: ['x.y'] } });
        assert.notEqual(x.status, 500, show(x));
        return x.status === 201 ? x : null;
      }, 5000, 'a create after the fault');
      for (let i = 0; i < 3; i++) {
        r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'x.y', data: { i }, idempotency_key: `store-${words}-${i}` } });
        assert.equal(r.status, 202, show(r));
      }
      r = await login();
      assert.equal(r.status, 303, show(r));
      assert.match(r.headers.get('set-cookie') || '', /wh_session=/);
      // The admin page's create form, with a session: 503 while the
      // fault is on (nothing stored), 201 once it is gone.
      const session = /wh_session=[^;]+/.exec(r.headers.get('set-cookie'))[0];
      const page = await api(srv.base, 'GET', '/admin/webhooks/new', { headers: { Cookie: session } });
      assert.equal(page.status, 200, show(page));
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)[1];
      const adminCreate = async (name) => {
        const res = await fetch(`${srv.base}/admin/webhooks/new`, {
          method: 'POST', redirect: 'manual',
          body: `csrf=${csrf}&name=${name}&url=${encodeURIComponent(`${rx.url}/store`)}&http_method=POST&max_attempts=8&events_other=x.y&active=1&save=1`,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: session },
        });
        return { status: res.status, headers: res.headers, text: await res.text(), request: 'POST /admin/webhooks/new' };
      };
      fault(`dir=${db()} ${words}`);
      r = await timed(adminCreate(`admin-during-${words}`));
      assert.equal(r.status, 503, show(r));
      assert.ok(r.ms < 5000, `${show(r)} took ${r.ms} ms`);
      fault('');
      r = await adminCreate(`admin-after-${words}`);
      assert.equal(r.status, 201, show(r));	// the new webhook's page, with its secret
      r = await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token });
      const names = r.json.data.map((w) => w.name);
      for (let i = 0; i < 3; i++) assert.ok(!names.includes(`during-${words}-${i}`), `a create refused with 503 was stored: during-${words}-${i}`);
      assert.ok(!names.includes(`admin-during-${words}`), 'an admin create refused with 503 was stored');
      assert.ok(names.includes(`after-${words}`));
      assert.ok(names.includes(`admin-after-${words}`));
    }));
  }

  test('webhookd: a claim that cannot rename, then an attempt log that cannot commit, lose nothing and log nothing twice', wrap(async () => {
    const N = 12;
    // A receiver of its own: webhookd holds at most 16 x 4 answered but
    // unlogged deliveries per endpoint, and the events of the tests above
    // (to rx) must not use up this endpoint's.
    rx2 = await startReceiver(() => ({ status: 204 }));
    const wh = await createWebhook(srv, { name: 'daemon', url: `${rx2.url}/daemon`, events: ['d.e'] });
    const ids = [];
    for (let i = 0; i < N; i++) {
      const r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'd.e', data: { i } } });
      assert.equal(r.status, 202, show(r));
      ids.push(r.json.id);
    }
    // Claims fail: nothing is sent, nothing is lost.
    fault(`dir=${spool()} rename=EIO`);
    daemon = startDaemon(home, { env: { ...env, WEBHOOKS_ALLOW_PRIVATE: '1' } });
    await sleep(2000);
    assert.equal(daemon.exited, null, 'webhookd exited on failing claims');
    assert.equal(rx2.requests.filter((q) => q.url === '/daemon').length, 0, 'sent without a claim');
    assert.equal(spoolFiles(home, 'new').length >= N, true);
    // The attempt log cannot commit: deliveries go out, their attempts
    // wait in webhookd and their events in cur/.
    fault(`dir=${db()} write=EIO`);
    await rx2.waitFor((reqs) => reqs.filter((q) => q.url === '/daemon').length >= N, 30000);
    await sleep(1500);
    assert.equal(daemon.exited, null, 'webhookd exited on a failing attempt log');
    fault('');
    // Every attempt is logged once, within seconds, without a restart.
    const log = await until(async () => {
      const d = await deliveries(srv, wh.id);
      return d.length >= N ? d : null;
    }, 20000, 'attempts logged after the fault');
    await sleep(1500);
    const again = await deliveries(srv, wh.id);
    const sent = rx2.requests.filter((q) => q.url === '/daemon');
    assert.equal(again.length, sent.length, `attempts logged ${again.length}, requests sent ${sent.length}`);
    const byEvent = new Map();
    for (const a of again) byEvent.set(a.event_id, (byEvent.get(a.event_id) || 0) + 1);
    for (const id of ids) assert.ok(byEvent.get(id) >= 1, `no attempt logged for event ${id}`);
    assert.equal(new Set(again.map((a) => a.id)).size, again.length, 'an attempt logged twice');
    void log;
    await until(() => spoolFiles(home, 'cur').length === 0 && spoolFiles(home, 'new').length === 0, 30000, 'spool emptied');
  }));

  test('afterwards, with everything stopped, webhookctl check is clean', wrap(async () => {
    if (daemon) await daemon.stop();
    await srv.stop();
    const r = ctl(home, ['check'], { allowFail: true });
    assert.equal(r.status, 0, `webhookctl check: ${r.stdout}${r.stderr}`);
  }));
});

// webhookd taking files out of cur/ while renames under spool/ fail: a
// delivery that fails (500) is deferred (a file written into deferred/,
// and its event moved there); both renames fail, so the event stays in
// cur/, and webhookd moves it out again once renames work, without a
// restart.  Every event ends delivered, each attempt logged once.
describe('fault injection: webhookd cannot move files out of cur/', () => {
  let srv, home, token, shim, env, rx, daemon;
  let failing = true;
  // Sets the fault (words of the control file; '' for none): fault_lib.
  const fault = (words) => shim.set(words);

  before(async () => {
    ({ home, token } = makeHome('webhooks-faultcur-'));
    writeConf(home, { allow_private: 1, time_scale: 0.01 });
    shim = faultShim(home);
    ({ env } = shim);
    srv = await startLighttpd({ home, token, extraEnv: env });
    rx = await startReceiver(() => (failing ? { status: 500, delayMs: 800 } : { status: 204 }));
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
    if (shim) shim.remove();
  });

  test('deferrals that cannot be renamed stay in cur/ and leave it once renames work; nothing lost or logged twice', async (t) => {
    try {
      const N = 6;
      const wh = await createWebhook(srv, { name: 'cur', url: `${rx.url}/cur`, events: ['c.d'] });
      const ids = [];
      for (let i = 0; i < N; i++) {
        const r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'c.d', data: { i } } });
        assert.equal(r.status, 202, show(r));
        ids.push(r.json.id);
      }
      daemon = startDaemon(home, { env: { ...env, WEBHOOKS_ALLOW_PRIVATE: '1' } });
      // Each attempt fails after 0.8 s.  Once the first are deferred,
      // renames fail: the attempts still on the wire then cannot be
      // deferred (they stay in cur/), and the deferred ones fall due (on
      // this scaled clock) and cannot be claimed.
      await until(() => spoolFiles(home, 'deferred').length >= 1, 15000, 'a first deferral');
      fault(`dir=${path.join(home, 'spool')} rename=EIO`);
      await sleep(2500);
      assert.equal(daemon.exited, null, 'webhookd exited');
      assert.match(daemon.logText(), /stays in cur\//, 'no file was stranded in cur/: the fault did not bite');
      assert.match(daemon.logText(), /spool_claim: rename \S*\/deferred\//, 'no claim from deferred/ failed: the fault did not bite');
      // The receiver takes them now, the renames work again: every event
      // is delivered, no restart.
      failing = false;
      fault('');
      await until(() => spoolFiles(home, 'cur').length === 0 && spoolFiles(home, 'new').length === 0 &&
        spoolFiles(home, 'deferred').length === 0, 30000, 'the spool empties');
      const log = await deliveries(srv, wh.id);
      const sent = rx.requests.filter((q) => q.url === '/cur');
      assert.equal(log.length, sent.length, `attempts logged ${log.length}, requests sent ${sent.length}`);
      assert.equal(new Set(log.map((a) => a.id)).size, log.length, 'an attempt logged twice');
      for (const id of ids) {
        assert.ok(log.some((a) => a.event_id === id && a.success), `event ${id} never delivered`);
      }
    } catch (e) {
      e.message += `\n--- webhookd log:\n${daemon ? daemon.logText().slice(-6000) : ''}\n--- server log:\n${srv.logText(4000)}`;
      throw e;
    } finally {
      fault('');
      void t;
    }
  });
});
