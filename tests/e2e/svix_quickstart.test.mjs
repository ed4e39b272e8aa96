// Issue 19's acceptance: an application written against Svix's npm client,
// unchanged but for its serverUrl, against `make run`'s stack (tests/run.sh
// as the README starts it: lighttpd from lighttpd.conf.example, the
// FastCGI program, webhookd, a fresh data directory and its admin token).
// `shop` below is such an application: it knows nothing of this service.
// It runs once with each client generation (svix@1.99.1, whose endpoints
// say filterTypes, and svix@2, eventTypes); a loopback receiver verifies
// each delivery with the client's own Webhook class, as a Svix consumer
// does.  Only WEBHOOKS_ALLOW_PRIVATE is added to make run's environment,
// so that webhookd may deliver to the loopback receiver.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ApiException, Svix, Webhook } from 'svix';
import { ApiException as ApiException2, Svix as Svix2, Webhook as Webhook2 } from 'svix2';

import { freePort, sleep } from './lib.mjs';
import { startReceiver, until } from './delivery_lib.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---- the application: what a Svix user writes ----------------------------

// What the application's customer "acme" receives is this shop's events.
async function shop(svix, gen, hookUrl) {
  const types = gen === 1 ? 'filterTypes' : 'eventTypes';
  const log = {};
  log.app = await svix.application.getOrCreate({ name: 'Acme Inc.', uid: `acme-v${gen}` });
  log.again = await svix.application.getOrCreate({ name: 'Acme Inc.', uid: `acme-v${gen}` });
  for (const name of [`order.paid.v${gen}`, `order.refunded.v${gen}`]) {
    await svix.eventType.create({ name, description: `An order event (${name})` });
  }
  log.endpoint = await svix.endpoint.create(log.app.id, {
    url: hookUrl, description: 'Acme\'s order hook', [types]: [`order.paid.v${gen}`],
  });
  log.secret = (await svix.endpoint.getSecret(log.app.id, log.endpoint.id)).key;
  log.paid = await svix.message.create(log.app.id, {
    eventType: `order.paid.v${gen}`, eventId: `order-1-v${gen}`, payload: { order: 1, total: '9.90' },
  });
  // Acme's endpoint does not take refunds.
  log.refunded = await svix.message.create(log.app.id, {
    eventType: `order.refunded.v${gen}`, payload: { order: 1 },
  });
  return log;
}

// ---- the test ---------------------------------------------------------------

// A message with this id reached the receiver, once more than `seen`.
const arrivals = (rx, msgId) => rx.requests.filter((r) => r.headers['svix-id'] === msgId);

describe('a Svix application against make run, changing only serverUrl', () => {
  let child, out = '', home, serverUrl, token, rx, exited;

  before(async () => {
    rx = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-quickstart-'));
    fs.chmodSync(base, 0o755);
    home = path.join(base, 'var');
    const port = await freePort();
    child = spawn('sh', [path.join(REPO, 'tests', 'run.sh'), String(port)], {
      env: { ...process.env, WEBHOOKS_HOME: home, WEBHOOKS_ALLOW_PRIVATE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO,
    });
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    exited = new Promise((resolve) => child.on('close', resolve));
    await until(() => /The webhook service is running/.test(out), 30000, `make run started\n${out}`);
    assert.match(out, /webhookd +running/, out);
    token = fs.readFileSync(path.join(home, 'admin.token'), 'utf8').trim();
    serverUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    if (child) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15000)]);
      assert.match(out, /run: stopped/, out);
    }
    if (rx) await rx.close();
    if (home && !process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(path.dirname(home), { recursive: true, force: true });
  });

  for (const gen of [1, 2]) {
    const make = () => (gen === 1
      ? new Svix(token, { serverUrl })
      : new Svix2(token, { serverUrl }));
    const WebhookN = gen === 1 ? Webhook : Webhook2;
    const Err = gen === 1 ? ApiException : ApiException2;

    test(`svix@${gen === 1 ? '1.99.1' : '2'}: the whole flow`, async () => {
      const svix = make();
      const log = await shop(svix, gen, `${rx.url}/acme-v${gen}`);
      assert.match(log.app.id, /^app_/);
      assert.equal(log.again.id, log.app.id, 'getOrCreate gets the one made');
      assert.match(log.endpoint.id, /^ep_/);
      assert.deepEqual(log.endpoint.filterTypes ?? log.endpoint.eventTypes, [`order.paid.v${gen}`]);

      // Delivered, and verified as a Svix consumer verifies it.
      await until(() => arrivals(rx, log.paid.id).length === 1, 20000, 'the paid order delivered');
      const got = arrivals(rx, log.paid.id)[0];
      assert.equal(got.url, `/acme-v${gen}`);
      // svix@1's verify answers the payload; svix@2's only throws.
      const verified = new WebhookN(log.secret).verify(got.body, got.headers);
      if (gen === 1) assert.deepEqual(verified, { order: 1, total: '9.90' });
      assert.deepEqual(JSON.parse(got.body), { order: 1, total: '9.90' });
      assert.throws(() => new WebhookN(log.secret).verify(got.body.replace('9.90', '0.01'), got.headers));

      // Attempts by message and by endpoint; the refund reached nobody.
      let byMsg;
      await until(async () => {
        byMsg = await svix.messageAttempt.listByMsg(log.app.id, log.paid.id);
        return byMsg.data.length === 1;
      }, 10000, 'the attempt recorded');
      assert.equal(byMsg.data[0].responseStatusCode, 200);
      assert.equal(byMsg.data[0].endpointId, log.endpoint.id);
      const byEp = await svix.messageAttempt.listByEndpoint(log.app.id, log.endpoint.id);
      assert.ok(byEp.data.some((a) => a.msgId === log.paid.id), JSON.stringify(byEp));
      assert.equal((await svix.messageAttempt.listByMsg(log.app.id, log.refunded.id)).data.length, 0);
      assert.equal(arrivals(rx, log.refunded.id).length, 0);

      // Resend: once more, the same svix-id.
      await svix.messageAttempt.resend(log.app.id, log.paid.id, log.endpoint.id);
      await until(() => arrivals(rx, log.paid.id).length === 2, 20000, 'the resend delivered');

      // Rotation: a later delivery verifies with the old and the new key.
      await svix.endpoint.rotateSecret(log.app.id, log.endpoint.id, {});
      const fresh = (await svix.endpoint.getSecret(log.app.id, log.endpoint.id)).key;
      assert.notEqual(fresh, log.secret);
      const later = await svix.message.create(log.app.id, { eventType: `order.paid.v${gen}`, payload: { order: 2 } });
      await until(() => arrivals(rx, later.id).length === 1, 20000, 'the delivery after rotation');
      const r = arrivals(rx, later.id)[0];
      assert.equal(r.headers['svix-signature'].split(' ').length, 2, r.headers['svix-signature']);
      new WebhookN(fresh).verify(r.body, r.headers);
      new WebhookN(log.secret).verify(r.body, r.headers);
      const forged = `v1,${Buffer.alloc(32).toString('base64')}`;
      assert.throws(() => new WebhookN(log.secret).verify(r.body, { ...r.headers, 'svix-signature': forged }));
      assert.deepEqual(JSON.parse(r.body), { order: 2 });
      // Sent before this one, the refund still reached nobody.
      assert.equal(arrivals(rx, log.refunded.id).length, 0);

      // The errors, as the client surfaces them.
      const fails = async (p) => {
        try { await p; } catch (e) { assert.ok(e instanceof Err, String(e)); return e; }
        return assert.fail('the call succeeded');
      };
      const bad = gen === 1 ? new Svix('not-a-token', { serverUrl }) : new Svix2('not-a-token', { serverUrl });
      assert.equal((await fails(bad.application.list())).code, 401);
      assert.equal((await fails(svix.application.get('no-such-app'))).code, 404);
      const dup = await fails(svix.message.create(log.app.id, {
        eventType: `order.paid.v${gen}`, eventId: `order-1-v${gen}`, payload: {},
      }));
      assert.equal(dup.code, 409);
      const unknown = await fails(svix.endpoint.create(log.app.id, {
        url: `${rx.url}/x`, [gen === 1 ? 'filterTypes' : 'eventTypes']: ['no.such.type'],
      }));
      assert.equal(unknown.code, 422);
      assert.ok(Array.isArray(unknown.body.detail) && unknown.body.detail[0].loc.length >= 1, JSON.stringify(unknown.body));

      // Pagination over the applications, then the clean-up.
      await svix.application.create({ name: 'Beta', uid: `beta-v${gen}` });
      const first = await svix.application.list({ limit: 1 });
      assert.equal(first.data.length, 1);
      assert.equal(first.done, false);
      const second = await svix.application.list({ limit: 1, iterator: first.iterator });
      assert.equal(second.data.length, 1);
      assert.notEqual(second.data[0].id, first.data[0].id);
      await svix.endpoint.delete(log.app.id, log.endpoint.id);
      await svix.application.delete(log.app.id);
      assert.equal((await fails(svix.application.get(log.app.id))).code, 404);
    });
  }
});
