// Retries, on a scaled-down clock (the test-only setting time_scale, which
// multiplies every retry delay): failures then success, the whole default
// schedule with its jitter bounds, Retry-After, 410 Gone, dead deliveries
// and their manual retry, deferred deliveries surviving a restart, and the
// deactivation of a webhook that failed every attempt for "5 days".

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

import { addToken, api, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import {
  createWebhook, deliveries, getWebhook, publish, spoolFiles, startDaemon,
  startReceiver, until, writeConf,
} from './delivery_lib.mjs';

const HOUR = 3600 * 1000;
const SCHEDULE = [5000, 5 * 60000, 30 * 60000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

// One data directory, lighttpd and webhookd with the given time scale.
function stack(scale, answer) {
  const s = {};
  before(async () => {
    s.rx = await startReceiver(answer);
    const { home, token } = makeHome('webhooks-retry-');
    writeConf(home, { allow_private: 1, time_scale: scale });
    s.srv = await startLighttpd({ home, token });
    s.daemon = startDaemon(home);
  });
  after(async () => {
    if (s.daemon) await s.daemon.stop();
    if (s.srv) await s.srv.stopAndClean();
    if (s.rx) await s.rx.close();
  });
  s.wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- webhookd log:\n${s.daemon.logText().slice(-10000)}`;
      throw e;
    }
  };
  s.at = (p) => s.rx.requests.filter((r) => r.url === p);
  return s;
}

// Answers per path: a list of statuses (the last repeats), or a function.
const plans = new Map();
function answerByPlan(req) {
  const plan = plans.get(req.url);
  if (!plan) return { status: 204 };
  if (typeof plan === 'function') return plan(req);
  const n = (plan.n = (plan.n || 0) + 1) - 1;
  const a = plan.list[Math.min(n, plan.list.length - 1)];
  return typeof a === 'number' ? { status: a } : a;
}

describe('retries on a clock scaled by 0.0001', () => {
  const s = stack(0.0001, answerByPlan);

  test('failures, then success: same webhook-id, a fresh signature each time, all in the attempt log', s.wrap(async () => {
    plans.set('/flaky', { list: [500, 503, { status: 404 }, 204] });
    const wh = await createWebhook(s.srv, { name: 'flaky', url: `${s.rx.url}/flaky`, events: ['flaky.event'] });
    const r = await publish(s.srv, 'flaky.event', { k: 1 });
    assert.equal(r.status, 202, show(r));
    await s.rx.waitFor((q) => q.filter((x) => x.url === '/flaky').length >= 4, 10000);
    await sleep(300);
    const got = s.at('/flaky');
    assert.equal(got.length, 4, 'stops at the first success');
    const ids = new Set(got.map((q) => q.headers['webhook-id']));
    assert.equal(ids.size, 1, 'webhook-id is stable across retries');
    for (const q of got) assert.deepEqual(new Webhook(wh.token).verify(q.body, q.headers).data, { k: 1 });
    // Gap after attempt 3: 30 min * 0.0001 = 180 ms, +-20 %.
    const gap = got[3].at - got[2].at;
    assert.ok(gap >= 180 * 0.8 - 5 && gap <= 180 * 1.2 + 150, `gap ${gap} ms`);

    const log = await until(async () => {
      const d = await deliveries(s.srv, wh.id);
      return d.length >= 4 ? d : null;
    }, 5000, 'four attempts logged');
    assert.deepEqual(log.map((a) => a.attempt), [4, 3, 2, 1]);
    assert.deepEqual(log.map((a) => a.state), ['done', 'retrying', 'retrying', 'retrying']);
    assert.deepEqual(log.map((a) => a.status_code), [204, 404, 503, 500]);
    assert.equal(log[1].error, 'Request failed with status code 404');
    assert.ok(log[1].next_attempt_at, 'a retry says when');
    assert.equal(log[0].next_attempt_at, null);
    assert.ok(log.every((a) => a.delivery_id === got[0].headers['webhook-id']));
    // The last failure is the webhook's error; the webhook stays active.
    const w = await getWebhook(s.srv, wh.id);
    assert.equal(w.error.message, 'Request failed with status code 404');
    assert.equal(w.active, true);
  }));

  test('the default schedule: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (+-20 %), then dead', s.wrap(async () => {
    plans.set('/always', { list: [500] });
    const wh = await createWebhook(s.srv, { name: 'always', url: `${s.rx.url}/always`, events: ['always.event'] });
    assert.equal(wh.max_attempts, 8);
    const t0 = Date.now();
    assert.equal((await publish(s.srv, 'always.event', {})).status, 202);
    await s.rx.waitFor((q) => q.filter((x) => x.url === '/always').length >= 8, 30000);
    const got = s.at('/always');
    assert.ok(got[0].at - t0 < 1000, 'the first attempt is immediate');
    for (let i = 1; i < 8; i++) {
      const gap = got[i].at - got[i - 1].at;
      const want = SCHEDULE[i - 1] * 0.0001;
      assert.ok(gap >= want * 0.8 - 5 && gap <= want * 1.2 + 200,
        `gap ${i}: ${gap} ms, want ${want} ms +-20 %`);
    }
    const log = await until(async () => {
      const d = await deliveries(s.srv, wh.id);
      return d.length >= 8 && d[0].state === 'dead' ? d : null;
    }, 5000, 'the delivery is dead');
    assert.equal(log[0].attempt, 8);
    assert.ok(spoolFiles(s.srv.home, 'dead').includes(log[0].delivery_id));
    await sleep(1000);
    assert.equal(s.at('/always').length, 8, 'no ninth attempt');
  }));

  test('Retry-After on 503 and 429 is honoured (in seconds and as an HTTP date)', s.wrap(async () => {
    plans.set('/ra-503', { list: [{ status: 503, headers: { 'Retry-After': '3600' } }, 204] });
    const later = new Date(Date.now() + 3600 * 1000).toUTCString();
    plans.set('/ra-429', { list: [{ status: 429, headers: { 'Retry-After': later } }, 204] });
    await createWebhook(s.srv, { name: 'ra1', url: `${s.rx.url}/ra-503`, events: ['ra.event'] });
    await createWebhook(s.srv, { name: 'ra2', url: `${s.rx.url}/ra-429`, events: ['ra.event'] });
    assert.equal((await publish(s.srv, 'ra.event', {})).status, 202);
    await s.rx.waitFor((q) => q.filter((x) => x.url.startsWith('/ra-')).length >= 4, 10000);
    for (const p of ['/ra-503', '/ra-429']) {
      const got = s.at(p);
      const gap = got[1].at - got[0].at;
      // 1 h * 0.0001 = 360 ms, where the schedule alone says 5 s * 0.0001.
      assert.ok(gap >= 300 && gap < 2000, `${p}: gap ${gap} ms`);
    }
  }));

  test('410 Gone deactivates the webhook at once', s.wrap(async () => {
    plans.set('/gone', { list: [410] });
    const wh = await createWebhook(s.srv, { name: 'gone', url: `${s.rx.url}/gone`, events: ['gone.event'] });
    assert.equal((await publish(s.srv, 'gone.event', { n: 1 })).status, 202);
    const w = await until(async () => {
      const x = await getWebhook(s.srv, wh.id);
      return x.active === false ? x : null;
    }, 5000, 'deactivated');
    assert.match(w.error.message, /410/);
    assert.match(w.error.message, /deactivated/);
    assert.equal((await publish(s.srv, 'gone.event', { n: 2 })).status, 202);
    await sleep(800);
    assert.equal(s.at('/gone').length, 1, 'no retry, and nothing for an inactive webhook');
    const log = await deliveries(s.srv, wh.id);
    assert.equal(log.length, 1);
    assert.equal(log[0].state, 'dead');
    assert.equal(log[0].status_code, 410);
  }));

  test('max_attempts 1 never retries; a dead delivery is sent again by hand, with the same webhook-id', s.wrap(async () => {
    const plan = { list: [500] };
    plans.set('/dead', plan);
    const wh = await createWebhook(s.srv, { name: 'dead', url: `${s.rx.url}/dead`, events: ['dead.event'], max_attempts: 1 });
    assert.equal((await publish(s.srv, 'dead.event', { n: 1 })).status, 202);
    const log = await until(async () => {
      const d = await deliveries(s.srv, wh.id);
      return d.length >= 1 ? d : null;
    }, 5000, 'an attempt');
    assert.equal(log[0].state, 'dead');
    await sleep(500);
    assert.equal(s.at('/dead').length, 1);
    const id = log[0].delivery_id;

    // Not while the webhook is inactive; not for another team.
    let r = await api(s.srv.base, 'PUT', `/api/2.0/webhooks/${wh.id}`, { token: s.srv.token, body: { active: false } });
    assert.equal(r.status, 200, show(r));
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: s.srv.token });
    assert.equal(r.status, 409, show(r));
    r = await api(s.srv.base, 'PUT', `/api/2.0/webhooks/${wh.id}`, { token: s.srv.token, body: { active: true } });
    assert.equal(r.status, 200, show(r));
    const other = addToken(s.srv.home, 'other-team');
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: other });
    assert.equal(r.status, 404, show(r));
    const viewer = addToken(s.srv.home, 'default', 'webhooks:view');
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: viewer });
    assert.equal(r.status, 403, show(r));

    // A manual retry that fails again: still dead, still retryable.
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: s.srv.token });
    assert.equal(r.status, 202, show(r));
    assert.equal(r.json.delivery_id, id);
    await s.rx.waitFor((q) => q.filter((x) => x.url === '/dead').length >= 2, 5000);
    await sleep(300);
    assert.equal(s.at('/dead').length, 2, 'a manual retry is one attempt');
    // Then it gets through.
    plan.list = [204];
    plan.n = 0;
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: s.srv.token });
    assert.equal(r.status, 202, show(r));
    await s.rx.waitFor((q) => q.filter((x) => x.url === '/dead').length >= 3, 5000);
    const got = s.at('/dead');
    assert.ok(got.every((q) => q.headers['webhook-id'] === id));
    assert.deepEqual(new Webhook(wh.token).verify(got[2].body, got[2].headers).data, { n: 1 });
    const after2 = await until(async () => {
      const d = await deliveries(s.srv, wh.id);
      return d.length >= 3 && d[0].state === 'done' ? d : null;
    }, 5000, 'the manual attempt logged');
    assert.equal(after2[0].manual, true);
    assert.equal(after2[0].attempt, 2);
    // Delivered now: nothing left to retry.
    await until(() => !spoolFiles(s.srv.home, 'dead').includes(id), 3000, 'dead file removed');
    r = await api(s.srv.base, 'POST', `/api/2.0/deliveries/${id}/retry`, { token: s.srv.token });
    assert.equal(r.status, 404, show(r));
  }));

  test('a deferred delivery survives a restart of webhookd and waits for its time', s.wrap(async () => {
    // 10 h * 0.0001 = 3.6 s before the second attempt.
    plans.set('/later', { list: [{ status: 503, headers: { 'Retry-After': '36000' } }, 204] });
    await createWebhook(s.srv, { name: 'later', url: `${s.rx.url}/later`, events: ['later.event'] });
    assert.equal((await publish(s.srv, 'later.event', { n: 1 })).status, 202);
    await s.rx.waitFor((q) => q.some((x) => x.url === '/later'), 5000);
    const first = s.at('/later')[0].at;
    await until(() => spoolFiles(s.srv.home, 'deferred').length > 0, 3000, 'a deferred file');
    const st = await s.daemon.stop();
    assert.equal(st.code, 0, s.daemon.logText());
    const files = spoolFiles(s.srv.home, 'deferred');
    assert.equal(files.length, 1);
    const mtime = fs.statSync(path.join(s.srv.home, 'spool', 'deferred', files[0])).mtimeMs;
    assert.ok(mtime - first > 3000 && mtime - first < 5000, `next attempt in ${mtime - first} ms`);
    const text = JSON.parse(fs.readFileSync(path.join(s.srv.home, 'spool', 'deferred', files[0]), 'utf8'));
    assert.equal(text.attempt, 1);
    assert.equal(text.type, 'later.event');
    s.daemon = startDaemon(s.srv.home);
    await s.rx.waitFor((q) => q.filter((x) => x.url === '/later').length >= 2, 10000);
    const second = s.at('/later')[1].at;
    assert.ok(second - first >= 3400, `second attempt after ${second - first} ms`);
    await until(() => spoolFiles(s.srv.home, 'deferred').length === 0, 3000, 'deferred/ empty');
  }));
});

describe('a webhook failing every attempt for 5 days (clock scaled by 0.00001)', () => {
  const s = stack(0.00001, () => ({ status: 502 }));

  test('is deactivated, and its error says so', s.wrap(async () => {
    const wh = await createWebhook(s.srv, { name: 'sick', url: `${s.rx.url}/sick`, events: ['*'], max_attempts: 20 });
    const t0 = Date.now();
    assert.equal((await publish(s.srv, 'sick.event', {})).status, 202);
    // 5 days * 0.00001 = 4.32 s of failures in a row.
    const w = await until(async () => {
      const x = await getWebhook(s.srv, wh.id);
      return x.active === false ? x : null;
    }, 20000, 'deactivated');
    const took = Date.now() - t0;
    assert.ok(took >= 4000, `deactivated after ${took} ms`);
    assert.match(w.error.message, /5 days/);
    const n = s.at('/sick').length;
    await sleep(1500);
    assert.equal(s.at('/sick').length, n, 'nothing more to an inactive webhook');
  }));
});

// retention_days in fractions of a day: 0.00001 = 0.86 s.  webhookd's first
// maintenance, 10 s after its start, prunes the attempt log (and only it).
describe('retention_days 0.00001: webhookd prunes the attempt log', () => {
  const s = {};
  before(async () => {
    s.rx = await startReceiver();
    const { home, token } = makeHome('webhooks-retention-');
    writeConf(home, { allow_private: 1, retention_days: 0.00001 });
    s.srv = await startLighttpd({ home, token });
    s.daemon = startDaemon(home);
  });
  after(async () => {
    if (s.daemon) await s.daemon.stop();
    if (s.srv) await s.srv.stopAndClean();
    if (s.rx) await s.rx.close();
  });

  test('an attempt is listed, then pruned at the first maintenance', async () => {
    const wh = await createWebhook(s.srv, { name: 'kept briefly', url: `${s.rx.url}/brief` });
    assert.equal((await publish(s.srv, 'brief.event', { n: 1 })).status, 202);
    await s.rx.waitFor(1, 10000);
    const listed = await until(async () => (await deliveries(s.srv, wh.id)).length === 1, 5000, 'attempt listed');
    assert.ok(listed);
    await until(() => /pruned 1 attempts older than 1e-05 days/.test(s.daemon.logText()), 20000, 'webhookd pruned');
    assert.deepEqual(await deliveries(s.srv, wh.id), [], 'the attempt log is empty');
    const r = await api(s.srv.base, 'GET', `/api/2.0/webhooks/${wh.id}/deliveries?per_page=1`, { token: s.srv.token });
    assert.equal(r.json.meta.total, 0, show(r));
    assert.equal((await getWebhook(s.srv, wh.id)).name, 'kept briefly', 'the webhook stays');
  });
});
