// Health and metrics (issue 18, point 4), end to end through lighttpd:
// GET /health without a token, 200 with its JSON, 503 while the spool
// cannot be written (write=EIO under spool/ by the fault tests' shim,
// build/fault/faultfs.so: the tests run as root, whom a chmod would not
// stop); GET /metrics behind a token with metrics:view (401, 403, 200), in
// Prometheus's text format as the npm package parse-prometheus-text-format
// reads it, with counters that move by what was published and delivered
// (by the real webhookd --once, to a receiver on loopback), kept in the
// store across a restart of the server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

import { addToken, api, ctl, makeHome, show, startLighttpd } from './lib.mjs';
import { faultShim } from './fault_lib.mjs';
import { createWebhook, publish, runDaemon, spoolFiles, startReceiver, writeConf } from './delivery_lib.mjs';

const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';


// The text checked line by line against the format (every family with its
// HELP and TYPE before its samples, every sample a name, labels and a
// number), then parsed: {name: family}.
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const typed = new Set();
  const helped = new Set();
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line))) { helped.add(m[1]); continue; }
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$/.exec(line))) {
      assert.ok(helped.has(m[1]), `TYPE before HELP: ${line}`);
      typed.add(m[1]);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? (-?[0-9]+(\.[0-9]+)?)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(typed.has(m[1]) || typed.has(family), `a sample before its TYPE: ${line}`);
  }
  const out = {};
  for (const f of parsePrometheusTextFormat(text)) out[f.name] = f;
  return out;
}

// The metrics as numbers: {events, outcome: {..}, hist: {buckets, count, sum}, spool: {..}, oldest, disabled, bytes}.
function numbers(fams) {
  const one = (name) => Number(fams[name].metrics[0].value);
  const labelled = (name, label) => Object.fromEntries(fams[name].metrics.map((m) => [m.labels[label], Number(m.value)]));
  const h = fams.webhooks_attempt_duration_seconds.metrics[0];
  return {
    events: one('webhooks_events_accepted_total'),
    outcome: labelled('webhooks_deliveries_total', 'outcome'),
    hist: {
      buckets: Object.fromEntries(Object.entries(h.buckets).map(([k, v]) => [k, Number(v)])),
      count: Number(h.count),
      sum: Number(h.sum),
    },
    disabled: one('webhooks_disabled_total'),
    spool: labelled('webhooks_spool_files', 'state'),
    oldest: one('webhooks_oldest_pending_event_age_seconds'),
    bytes: one('webhooks_store_bytes'),
  };
}

describe('health and metrics', () => {
  let srv, rx, home, token, metricsToken, viewToken, shim, env;

  // Sets the fault (words of the control file; '' for none): fault_lib.
  const fault = (words) => shim.set(words);

  before(async () => {
    ({ home, token } = makeHome('webhooks-metrics-'));
    writeConf(home, { allow_private: 1 });
    metricsToken = addToken(home, 'ops', 'metrics:view');
    viewToken = addToken(home, 'default', 'webhooks:view');
    shim = faultShim(home);
    ({ env } = shim);
    srv = await startLighttpd({ home, token, extraEnv: env });
    rx = await startReceiver((req) => (req.url.startsWith('/fail') ? { status: 500, body: 'no' } : { status: 204 }));
  });

  after(async () => {
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
    if (shim) shim.remove();
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- server log:\n${srv.logText(6000)}`;
      throw e;
    } finally {
      fault('');
    }
  };

  const scrape = async () => {
    const r = await api(srv.base, 'GET', '/metrics', { token: metricsToken });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.headers.get('content-type'), EXPOSITION);
    return numbers(parseExposition(r.text));
  };

  test('GET /health needs no token and answers 200 with a small JSON, logging nothing', wrap(async () => {
    const logBefore = srv.logText(1e9).length;
    for (let i = 0; i < 20; i++) {
      const r = await api(srv.base, 'GET', '/health');
      assert.equal(r.status, 200, show(r));
      assert.match(r.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(r.json, { status: 'ok', store: 'ok', spool: 'ok' });
    }
    assert.equal(srv.logText(1e9).length, logBefore, 'a health check wrote to the log');
    // The probe's file is gone (dot files too).
    assert.deepEqual(fs.readdirSync(path.join(home, 'spool', 'tmp')), []);
    const r = await api(srv.base, 'POST', '/health');
    assert.equal(r.status, 405, show(r));
  }));

  test('GET /health answers 503 while the spool cannot be written, and 200 again after', wrap(async () => {
    fault(`dir=${path.join(home, 'spool')} write=EIO`);
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.base, 'GET', '/health');
      assert.equal(r.status, 503, show(r));
      assert.deepEqual(r.json, { status: 'unavailable', store: 'ok', spool: 'not writable' });
    }
    fault('');
    const r = await api(srv.base, 'GET', '/health');
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.status, 'ok');
  }));

  test('GET /metrics: 401 without a token, 403 without metrics:view, 200 with it', wrap(async () => {
    let r = await api(srv.base, 'GET', '/metrics');
    assert.equal(r.status, 401, show(r));
    r = await api(srv.base, 'GET', '/metrics', { token: 'wh_not_a_token' });
    assert.equal(r.status, 401, show(r));
    // Neither webhooks:view nor "all" (a team's scopes) implies it.
    r = await api(srv.base, 'GET', '/metrics', { token: viewToken });
    assert.equal(r.status, 403, show(r));
    assert.match(r.json.message, /metrics:view/);
    r = await api(srv.base, 'GET', '/metrics', { token });
    assert.equal(r.status, 403, show(r));
    const m = await scrape();
    assert.equal(m.events, 0);
    assert.deepEqual(m.outcome, { delivered: 0, failed: 0, retrying: 0, dead: 0 });
    assert.equal(m.hist.count, 0);
    assert.equal(m.hist.buckets['+Inf'], 0);
    assert.deepEqual(Object.keys(m.spool).sort(), ['cur', 'dead', 'deferred', 'new', 'quarantine']);
    assert.ok(m.bytes > 0, `store bytes ${m.bytes}`);
    // webhookctl lists the scope with the token.
    const list = ctl(home, ['token', 'list']).stdout;
    assert.match(list, /metrics:view/);
  }));

  test('the counters move by what was published and delivered, and survive a restart', wrap(async () => {
    const m0 = await scrape();
    await createWebhook(srv, { name: 'ok', url: `${rx.url}/ok`, events: ['m.ok'] });
    await createWebhook(srv, { name: 'retry', url: `${rx.url}/fail-retry`, events: ['m.retry'], max_attempts: 5 });
    await createWebhook(srv, { name: 'dead', url: `${rx.url}/fail-dead`, events: ['m.dead'], max_attempts: 1 });
    for (const type of ['m.ok', 'm.retry', 'm.dead']) {
      const r = await publish(srv, type, { type });
      assert.equal(r.status, 202, show(r));
    }
    // An idempotent replay is not a second event; a refused one is none.
    for (let i = 0; i < 2; i++) {
      const r = await publish(srv, 'm.none', {}, { idempotency_key: 'metrics-once' });
      assert.equal(r.status, 202, show(r));
    }
    let r = await api(srv.base, 'POST', '/api/2.0/events', { token, body: { event: 'bad type' } });
    assert.equal(r.status, 422, show(r));
    // webhookctl publish counts too.
    ctl(home, ['publish', '--team', 'default', '--event', 'm.none']);

    const m1 = await scrape();
    assert.equal(m1.events - m0.events, 5);
    assert.equal(m1.spool.new, 5);
    assert.ok(m1.oldest >= 0 && m1.oldest < 60, `oldest ${m1.oldest}`);
    assert.deepEqual(m1.outcome, m0.outcome);

    r = await runDaemon(home, ['--once'], { WEBHOOKS_ALLOW_PRIVATE: '1' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(rx.requests.length, 3);

    const m2 = await scrape();
    assert.equal(m2.events, m1.events);
    assert.equal(m2.outcome.delivered - m1.outcome.delivered, 1);
    assert.equal(m2.outcome.retrying - m1.outcome.retrying, 1);
    assert.equal(m2.outcome.dead - m1.outcome.dead, 1);
    assert.equal(m2.outcome.failed - m1.outcome.failed, 0);
    assert.equal(m2.hist.count - m1.hist.count, 3);
    assert.equal(m2.hist.buckets['+Inf'] - m1.hist.buckets['+Inf'], 3);
    assert.ok(m2.hist.sum >= m1.hist.sum);
    // Cumulative buckets, never decreasing, the last one the count.
    // (By their bound: an integer-like key such as "10" comes first in
    // an object's key order.)
    const bound = (le) => (le === '+Inf' ? Infinity : Number(le));
    const les = Object.keys(m2.hist.buckets).sort((a, b) => bound(a) - bound(b));
    assert.equal(les.length, 12);
    assert.equal(les[les.length - 1], '+Inf');
    for (let i = 1; i < les.length; i++) {
      assert.ok(m2.hist.buckets[les[i]] >= m2.hist.buckets[les[i - 1]], `bucket ${les[i]} < ${les[i - 1]}`);
    }
    assert.equal(m2.hist.buckets['+Inf'], m2.hist.count);
    // The spool as it is now: nothing new, one retry deferred, one dead.
    assert.equal(m2.spool.new, 0);
    assert.equal(m2.spool.cur, 0);
    assert.equal(m2.spool.deferred, spoolFiles(home, 'deferred').length);
    assert.equal(m2.spool.deferred, 1);
    assert.equal(m2.spool.dead, 1);
    assert.equal(m2.oldest, 0);

    // Another server process (a restart) reads the same counters.
    await srv.stop();
    srv = await startLighttpd({ home, token, extraEnv: env });
    const m3 = await scrape();
    assert.equal(m3.events, m2.events);
    assert.deepEqual(m3.outcome, m2.outcome);
    assert.deepEqual(m3.hist, m2.hist);
  }));
});
