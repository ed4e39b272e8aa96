// The test deliveries of the FastCGI program run in a child `webhookd
// --test` (src/probe.h): the FastCGI processes map no libcurl, leave no
// child behind, and answer a clear 500 in each dialect's shape when the
// webhookd setting names no program.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { REPO, api, makeHome, show, startLighttpd } from './lib.mjs';
import { createWebhook, deliveries, startReceiver, writeConf } from './delivery_lib.mjs';

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
