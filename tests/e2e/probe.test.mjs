// The test deliveries of the FastCGI program run in a detached `webhookd
// --test` (src/web/probe.h): the FastCGI processes map no libcurl, leave no
// child behind, and answer a clear 500 in each dialect's shape when the
// webhookd setting names no program.  A receiver that never answers holds
// no FastCGI process longer than the bounded wait (202 with the delivery
// id, the attempt recorded later), and a team has at most 2 tests in
// flight (429 with Retry-After).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { REPO, addToken, api, makeHome, show, startLighttpd } from './lib.mjs';
import { createWebhook, deliveries, startReceiver, until, writeConf } from './delivery_lib.mjs';

// src/model/delivery.h: DELIVER_TEST_WAIT_MS; src/web/probe.h: PROBE_PER_TEAM.
const WAIT_MS = 2000;
const PER_TEAM = 2;

// A receiver that accepts connections, reads, and never answers.
async function startSilent() {
  const sockets = new Set();
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on('data', () => {});
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    get connections() { return connections; },
    close() {
      for (const sock of sockets) sock.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// api() with the time it took.
async function timed(...args) {
  const t0 = Date.now();
  const r = await api(...args);
  r.ms = Date.now() - t0;
  return r;
}

// Children of pid (pid, state) from /proc.
function children(pid) {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[1]) === pid) out.push({ pid: Number(d), state: rest[0] });
    } catch { /* gone */ }
  }
  return out;
}

describe('test deliveries through webhookd --test', () => {
  let srv, rx;

  before(async () => {
    rx = await startReceiver(() => ({ status: 200, body: 'pong' }));
    const { home, token } = makeHome('webhooks-probe-');
    writeConf(home, { allow_private: 1 });
    srv = await startLighttpd({ home, token });
  });

  after(async () => {
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
  });

  test('the attempt is made, answered and recorded; no child is left; no libcurl is mapped', async () => {
    const wh = await createWebhook(srv, { name: 'probe', url: `${rx.url}/probe`, events: ['nothing'] });
    for (let i = 0; i < 3; i++) {
      const r = await api(srv.base, 'POST', `/api/2.0/webhooks/${wh.id}/test`, { token: srv.token });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.data.success, true);
      assert.equal(r.json.data.status_code, 200);
      assert.equal(r.json.data.response_body, 'pong');
    }
    const v1 = await api(srv.base, 'POST', `/api/web/v1/webhooks/test/${wh.id}`, { token: srv.token, body: '' });
    assert.equal(v1.status, 200, show(v1));
    assert.equal(v1.json.delivered, true);
    assert.equal(rx.requests.filter((q) => q.url === '/probe').length, 4);
    const log = await deliveries(srv, wh.id);
    assert.equal(log.length, 4);
    assert.ok(log.every((a) => a.event_type === 'webhook.test'));

    const pids = srv.fcgiPids();
    assert.ok(pids.length > 0);
    for (const pid of pids) {
      assert.deepEqual(children(pid), [], `FastCGI process ${pid} has children left`);
      const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
      assert.doesNotMatch(maps, /libcurl/, `FastCGI process ${pid} maps libcurl`);
    }
  });

  test('a webhookd setting that names no program: 500 with a message, in each dialect', async () => {
    const wh = await createWebhook(srv, { name: 'nowhere', url: `${rx.url}/nowhere`, events: ['nothing'] });
    writeConf(srv.home, { allow_private: 1, webhookd: '/nonexistent/webhookd' });
    // The FastCGI processes read the configuration when they start:
    // restart the server on the same data directory.
    await srv.stop();
    srv = await startLighttpd({ home: srv.home, token: srv.token });
    let r = await api(srv.base, 'POST', `/api/2.0/webhooks/${wh.id}/test`, { token: srv.token });
    assert.equal(r.status, 500, show(r));
    assert.match(r.json.message, /webhookd/);
    r = await api(srv.base, 'POST', `/api/web/v1/webhooks/test/${wh.id}`, { token: srv.token, body: '' });
    assert.equal(r.status, 500, show(r));
    assert.match(r.text, /webhookd/);
    assert.match(srv.logText(), /probe: the webhookd setting names \/nonexistent\/webhookd/);
    assert.equal(rx.requests.filter((q) => q.url === '/nowhere').length, 0);
  });

  test('webhookd --test refuses a team or uuid it could not have been given, before any log line names it', () => {
    for (const args of [['a\r\nforged: line', '00000000-0000-4000-8000-000000000001'], ['default', 'not-a-uuid\nforged']]) {
      const r = spawnSync(path.join(REPO, 'webhookd'), ['--test', ...args], { encoding: 'utf8', env: { ...process.env, WEBHOOKS_HOME: srv.home } });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /usage: webhookd --test \[--detach\] TEAM UUID \[EVENT_ID\]/);
      assert.doesNotMatch(r.stderr, /forged/);
      assert.equal(r.stdout, '');
    }
  });
});

describe('test deliveries to a receiver that never answers', () => {
  const TIMEOUT_MS = 6000;
  let srv, silent, rx;

  before(async () => {
    silent = await startSilent();
    rx = await startReceiver(() => ({ status: 200, body: 'pong' }));
    const { home, token } = makeHome('webhooks-probe-wait-');
    writeConf(home, { allow_private: 1, timeout_ms: TIMEOUT_MS });
    srv = await startLighttpd({ home, token });
  });

  after(async () => {
    if (srv) await srv.stopAndClean();
    if (silent) await silent.close();
    if (rx) await rx.close();
  });

  test('the calls answer within the bounded wait, other teams are served meanwhile, the cap answers 429, the attempt is recorded later', async () => {
    const teamA = srv;
    const teamB = { base: srv.base, token: addToken(srv.home, 'team-b') };
    const teamC = { base: srv.base, token: addToken(srv.home, 'team-c') };
    const hangA = await createWebhook(teamA, { name: 'hang a', url: `${silent.url}/a`, events: ['nothing'] });
    const hangB = await createWebhook(teamB, { name: 'hang b', url: `${silent.url}/b`, events: ['nothing'] });
    const fastA = await createWebhook(teamA, { name: 'fast a', url: `${rx.url}/fast`, events: ['nothing'] });
    await createWebhook(teamC, { name: 'c', url: `${rx.url}/c`, events: ['nothing'] });
    const test = (team, id) => timed(team.base, 'POST', `/api/2.0/webhooks/${id}/test`, { token: team.token });

    // Four at once, as many as the server has FastCGI processes: each
    // goes on alone after the wait (202).  (A fifth would queue behind one
    // of them in lighttpd, for one wait more.)
    const calls = await Promise.all([
      test(teamA, hangA.id), test(teamA, hangA.id),
      test(teamB, hangB.id), test(teamB, hangB.id),
    ]);
    for (const r of calls) {
      assert.ok(r.ms < WAIT_MS + 1500, `a test call took ${r.ms} ms: ${show(r)}`);
    }
    assert.deepEqual(calls.map((r) => r.status), [202, 202, 202, 202], calls.map(show).join('\n'));
    const pending = calls;
    for (const r of pending) {
      assert.ok(r.ms >= WAIT_MS - 100, `202 after ${r.ms} ms, before the wait ended`);
      assert.equal(r.json.data.status, 'in_progress');
      assert.match(r.json.data.delivery_id, /^msg_[0-9a-f]{32}$/);
      assert.equal(r.json.data.event_type, 'webhook.test');
    }
    assert.equal(new Set(pending.map((r) => r.json.data.delivery_id)).size, 4);
    assert.equal(calls[0].json.links.deliveries, `/api/2.0/webhooks/${hangA.id}/deliveries`);

    // Meanwhile (the four testers wait on the receiver): another team's
    // requests are served at once, and team A is still at its cap, in
    // every dialect, answered at once too.
    assert.equal(silent.connections, 4);
    const get = await timed(teamC.base, 'GET', '/api/2.0/webhooks', { token: teamC.token });
    assert.equal(get.status, 200, show(get));
    assert.ok(get.ms < 1000, `team C's GET took ${get.ms} ms`);
    for (const id of [hangA.id, fastA.id]) {
      const busy = await test(teamA, id);
      assert.equal(busy.status, 429, show(busy));
      assert.ok(busy.ms < 1000, `the 429 took ${busy.ms} ms`);
      assert.match(busy.json.message, /test deliveries/);
      assert.equal(busy.headers.get('retry-after'), String(TIMEOUT_MS / 1000));
    }
    const v1 = await timed(srv.base, 'POST', `/api/web/v1/webhooks/test/${fastA.id}`, { token: teamA.token, body: '' });
    assert.equal(v1.status, 429, show(v1));
    assert.equal(v1.headers.get('retry-after'), String(TIMEOUT_MS / 1000));
    assert.equal(rx.requests.filter((q) => q.url === '/fast').length, 0);

    // The attempts are recorded when the delivery timeout ends, under the
    // delivery ids answered.
    const want = new Map(pending.map((r) => [r.json.data.delivery_id, r.json.data.webhook_id]));
    for (const [team, wh] of [[teamA, hangA], [teamB, hangB]]) {
      const log = await until(async () => {
        const l = await deliveries(team, wh.id);
        return l.length === 2 ? l : null;
      }, TIMEOUT_MS + 8000, `the attempts of ${wh.name}`);
      for (const at of log) {
        assert.equal(want.get(at.delivery_id), wh.id);
        assert.equal(at.event_type, 'webhook.test');
        assert.equal(at.success, false);
        assert.match(at.error, new RegExp(`timeout of ${TIMEOUT_MS}ms exceeded`));
      }
    }

    // The testers ended, and with them their slots: team A's test of a
    // receiver that answers is answered in full again, in each dialect.
    const ok = await until(async () => {
      const r = await test(teamA, fastA.id);
      return r.status === 429 ? null : r;
    }, 5000, 'a free slot');
    assert.equal(ok.status, 200, show(ok));
    assert.equal(ok.json.data.success, true);
    assert.equal(ok.json.data.response_body, 'pong');
    assert.match(ok.json.data.delivery_id, /^msg_[0-9a-f]{32}$/);
    assert.ok(ok.ms < WAIT_MS, `the answered test took ${ok.ms} ms`);
    const okv1 = await api(srv.base, 'POST', `/api/web/v1/webhooks/test/${fastA.id}`, { token: teamA.token, body: '' });
    assert.equal(okv1.status, 200, show(okv1));
    assert.equal(okv1.json.delivered, true);
    for (const pid of srv.fcgiPids()) assert.deepEqual(children(pid), [], `FastCGI process ${pid} has children left`);
  });

  test('seed 001\'s test of a receiver that never answers: 202 with the delivery id', async () => {
    const team = { base: srv.base, token: addToken(srv.home, 'team-v1') };
    const wh = await createWebhook(team, { name: 'hang v1', url: `${silent.url}/v1`, events: ['nothing'] });
    const r = await timed(srv.base, 'POST', `/api/web/v1/webhooks/test/${wh.id}`, { token: team.token, body: '' });
    assert.equal(r.status, 202, show(r));
    assert.ok(r.ms < WAIT_MS + 1500, `took ${r.ms} ms`);
    assert.equal(r.json.id, wh.id);
    assert.equal(r.json.in_progress, true);
    assert.equal(r.json.delivered, null);
    const log = await until(async () => {
      const l = await deliveries(team, wh.id);
      return l.length === 1 ? l : null;
    }, TIMEOUT_MS + 8000, 'the attempt');
    assert.equal(log[0].delivery_id, r.json.delivery_id);
    assert.match(log[0].error, /timeout of 6000ms exceeded/);
  });
});
