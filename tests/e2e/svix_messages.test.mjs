// Svix messages, their delivery and their attempts (src/web/api_svix_msg.c,
// src/model/message.c), driven by the real `svix` npm client against
// lighttpd, the real webhookd and a loopback receiver: a message is an
// event of the spool, delivered only to its application's endpoints
// (filtered by event type and by channel), as its payload alone with the
// svix-id, svix-timestamp and svix-signature headers that the client's own
// Webhook class verifies; eventId unique per application (409); get by id
// and by eventId; the list and its filters; attempts by message, by
// endpoint and one; resend (a manual attempt, the same svix-id); native
// events and webhooks untouched by it all; endpoint stats and recover.
// Behind lighttpd, and behind Apache for send, verify, attempts, resend.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'svix';
import { Svix as Svix2 } from 'svix2';

import { api, makeHome, sleep, startApache, startLighttpd } from './lib.mjs';
import { createWebhook, publish, startDaemon, startReceiver, writeConf } from './delivery_lib.mjs';
import { client, fails, ISO_Z, raw } from './svix_lib.mjs';

const MSG_ID = /^msg_[0-9A-Za-z]{22}$/;
const ATMPT_ID = /^atmpt_[0-9A-Za-z]{22}$/;

describe('Svix messages, deliveries and attempts', () => {
  let srv, rx, daemon, svix, app, ep1, ep2, secret1, secret2, native;
  const sent = {};
  const at = (p) => rx.requests.filter((q) => q.url === p);

  before(async () => {
    rx = await startReceiver(() => ({ status: 204 }));
    const { home, token } = makeHome('webhooks-svixmsg-');
    writeConf(home, { allow_private: 1 });
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(srv.home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    svix = client(srv);
    app = await svix.application.getOrCreate({ name: 'Shop', uid: 'shop' });
    for (const name of ['order.paid', 'order.shipped', 'user.created']) {
      await svix.eventType.create({ name, description: name });
    }
    // ep1: two types, no channels; ep2: every type, channel eu.
    ep1 = await svix.endpoint.create(app.id, { url: `${rx.url}/a`, filterTypes: ['order.paid', 'order.shipped'] });
    ep2 = await svix.endpoint.create('shop', { url: `${rx.url}/b`, channels: ['eu'], uid: 'ep-b' });
    secret1 = (await svix.endpoint.getSecret(app.id, ep1.id)).key;
    secret2 = (await svix.endpoint.getSecret(app.id, 'ep-b')).key;
    // A native webhook of the same team, subscribed to everything.
    native = await createWebhook(srv, { name: 'native', url: `${rx.url}/native`, events: ['*'] });
  });

  after(async () => {
    if (daemon) {
      await daemon.stop();
      // Under make asan: webhookd's own reports (the server's are
      // lib.mjs's to check).
      assert.doesNotMatch(daemon.logText(), /ERROR: AddressSanitizer|runtime error: /);
    }
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
  });

  test('send: 202 MessageOut; each endpoint gets what its types and channels let through', async () => {
    const r = await raw(srv, 'POST', `/api/v1/app/${app.id}/msg`, { body: { eventType: 'order.paid', payload: { n: 1, s: 'é/x' }, eventId: 'evt-1' } });
    assert.equal(r.status, 202, r.text);
    assert.match(r.json.id, MSG_ID);
    assert.equal(r.json.eventId, 'evt-1');
    assert.equal(r.json.eventType, 'order.paid');
    assert.deepEqual(r.json.payload, { n: 1, s: 'é/x' });
    assert.equal(r.json.channels, null);
    assert.match(r.json.timestamp, ISO_Z);
    sent.m1 = r.json;
    // The client (with_content=false on the wire, the payload its own).
    sent.m2 = await svix.message.create('shop', { eventType: 'user.created', payload: { u: 2 }, channels: ['eu'] });
    assert.match(sent.m2.id, MSG_ID);
    assert.deepEqual(sent.m2.channels, ['eu']);
    sent.m3 = await svix.message.create(app.id, { eventType: 'order.shipped', payload: { n: 3 }, channels: ['us'] });
    // Not for ep1 (its types) nor ep2 (no eu): nobody's.
    sent.m4 = await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 4 }, channels: ['us'] });
    assert.ok(sent.m1.id < sent.m2.id && sent.m2.id < sent.m3.id && sent.m3.id < sent.m4.id, 'ids in creation order');

    await rx.waitFor(() => at('/a').length >= 2 && at('/b').length >= 1, 20000);
    await sleep(1500);	// anything more would have come by now
    assert.deepEqual(new Set(at('/a').map((q) => q.headers['svix-id'])), new Set([sent.m1.id, sent.m3.id]));
    assert.deepEqual(at('/b').map((q) => q.headers['svix-id']), [sent.m2.id]);
    assert.equal(at('/native').length, 0, 'a native webhook gets no message');
    assert.equal(rx.requests.length, 3);
  });

  test('each delivery: the payload alone, svix-* headers the client\'s Webhook class verifies', () => {
    const check = (q, secret, m) => {
      assert.equal(q.headers['svix-id'], m.id);
      assert.match(q.headers['svix-timestamp'], /^\d+$/);
      assert.match(q.headers['svix-signature'], /^v1,[A-Za-z0-9+/=]{44}$/);
      assert.equal(q.headers['webhook-id'], undefined);
      assert.equal(q.headers['webhook-signature'], undefined);
      assert.equal(q.headers['content-type'], 'application/json');
      const payload = new Webhook(secret).verify(q.body, q.headers);
      assert.deepEqual(payload, m.payload);
      // Another secret does not verify it.
      assert.throws(() => new Webhook(secret === secret1 ? secret2 : secret1).verify(q.body, q.headers));
    };
    check(at('/a').find((q) => q.headers['svix-id'] === sent.m1.id), secret1, sent.m1);
    check(at('/a').find((q) => q.headers['svix-id'] === sent.m3.id), secret1, sent.m3);
    check(at('/b')[0], secret2, sent.m2);
    assert.equal(at('/a').find((q) => q.headers['svix-id'] === sent.m1.id).body, JSON.stringify({ n: 1, s: 'é/x' }));
  });

  test('a native event reaches the native webhook only, with webhook-* headers', async () => {
    const before = rx.requests.length;
    const r = await publish(srv, 'order.paid', { native: true });
    assert.equal(r.status, 202);
    await rx.waitFor(() => at('/native').length >= 1, 20000);
    await sleep(1000);
    assert.equal(rx.requests.length, before + 1, 'no endpoint of an application gets a native event');
    const q = at('/native')[0];
    assert.ok(q.headers['webhook-id']);
    assert.equal(q.headers['svix-id'], undefined);
    assert.equal(JSON.parse(q.body).type, 'order.paid');
    assert.ok(native.uuid || native.id);
  });

  test('eventId: unique per application (409), and a message is found by it', async () => {
    const e = await fails(svix.message.create(app.id, { eventType: 'order.paid', payload: {}, eventId: 'evt-1' }));
    assert.equal(e.code, 409);
    assert.equal(e.body.code, 'conflict');
    const byEvent = await svix.message.get(app.id, 'evt-1');
    assert.equal(byEvent.id, sent.m1.id);
    assert.deepEqual(byEvent.payload, sent.m1.payload);
    const byId = await svix.message.get('shop', sent.m1.id);
    assert.equal(byId.eventId, 'evt-1');
    // Another application may use the same eventId.
    const other = await svix.application.create({ name: 'Other' });
    const m = await svix.message.create(other.id, { eventType: 'order.paid', payload: {}, eventId: 'evt-1' });
    assert.match(m.id, MSG_ID);
    assert.equal((await fails(svix.message.get(other.id, sent.m1.id))).code, 404);
  });

  test('errors: no such application 404, bad bodies 422 naming the field', async () => {
    assert.equal((await fails(svix.message.create('nope', { eventType: 'x', payload: {} }))).code, 404);
    for (const [body, field] of [
      [{ eventType: 'a b', payload: {} }, 'eventType'],
      [{ eventType: 'x', payload: [1] }, 'payload'],
      [{ eventType: 'x' }, 'payload'],
      [{ eventType: 'x', payload: {}, channels: ['a b'] }, 'channels'],
      [{ eventType: 'x', payload: {}, eventId: 'a/b' }, 'eventId'],
    ]) {
      const r = await raw(srv, 'POST', `/api/v1/app/${app.id}/msg`, { body });
      assert.equal(r.status, 422, JSON.stringify(body));
      assert.deepEqual(r.json.detail[0].loc, ['body', field]);
    }
    const g = await raw(srv, 'GET', `/api/v1/app/${app.id}/msg/msg_nope`);
    assert.equal(g.status, 404);
    assert.equal(g.json.code, 'not_found');
  });

  test('list: newest first, pages, channel and event-type filters', async () => {
    const all = await svix.message.list(app.id);
    assert.deepEqual(all.data.map((m) => m.id), [sent.m4.id, sent.m3.id, sent.m2.id, sent.m1.id]);
    assert.equal(all.done, true);
    const p1 = await svix.message.list(app.id, { limit: 3 });
    assert.equal(p1.data.length, 3);
    assert.equal(p1.done, false);
    const p2 = await svix.message.list(app.id, { limit: 3, iterator: p1.iterator });
    assert.deepEqual(p2.data.map((m) => m.id), [sent.m1.id]);
    assert.equal(p2.done, true);
    const eu = await svix.message.list(app.id, { channel: 'eu' });
    assert.deepEqual(eu.data.map((m) => m.id), [sent.m2.id]);
    const types = await svix.message.list(app.id, { eventTypes: ['order.paid', 'order.shipped'] });
    assert.deepEqual(types.data.map((m) => m.id), [sent.m3.id, sent.m1.id]);
    const none = await svix.message.list(app.id, { before: new Date(Date.now() - 3600e3) });
    assert.equal(none.data.length, 0);
    const r = await raw(srv, 'GET', `/api/v1/app/${app.id}/msg?with_content=false&order=ascending`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.data[0].payload, {});
    assert.equal(r.json.data[0].id, sent.m1.id);
    const bad = await raw(srv, 'GET', `/api/v1/app/${app.id}/msg?before=yesterday`);
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail[0].loc, ['query', 'before']);
  });

  test('attempts: by message, by endpoint, one; MessageAttemptOut', async () => {
    const byMsg = await svix.messageAttempt.listByMsg(app.id, sent.m1.id);
    assert.equal(byMsg.data.length, 1);
    const a = byMsg.data[0];
    assert.match(a.id, ATMPT_ID);
    assert.equal(a.msgId, sent.m1.id);
    assert.equal(a.endpointId, ep1.id);
    assert.equal(a.url, `${rx.url}/a`);
    assert.equal(a.status, 0);
    assert.equal(a.responseStatusCode, 204);
    assert.equal(a.triggerType, 0);
    assert.ok(a.timestamp instanceof Date && !Number.isNaN(a.timestamp.getTime()));
    const byEp = await svix.messageAttempt.listByEndpoint(app.id, ep1.id);
    assert.deepEqual(byEp.data.map((x) => x.msgId), [sent.m3.id, sent.m1.id]);
    const byEp2 = await svix.messageAttempt.listByEndpoint(app.id, 'ep-b');
    assert.deepEqual(byEp2.data.map((x) => x.msgId), [sent.m2.id]);
    const one = await svix.messageAttempt.get(app.id, sent.m1.id, a.id);
    assert.equal(one.id, a.id);
    // An undelivered message has none; an attempt of another message is
    // not this one's.
    assert.equal((await svix.messageAttempt.listByMsg(app.id, sent.m4.id)).data.length, 0);
    assert.equal((await fails(svix.messageAttempt.get(app.id, sent.m2.id, a.id))).code, 404);
    assert.equal((await fails(svix.messageAttempt.listByEndpoint(app.id, 'ep_nope'))).code, 404);
    const r = await raw(srv, 'GET', `/api/v1/app/${app.id}/attempt/endpoint/${ep1.id}?limit=1`);
    assert.equal(r.status, 200);
    assert.equal(r.json.data.length, 1);
    assert.equal(r.json.done, false);
    const r2 = await raw(srv, 'GET', `/api/v1/app/${app.id}/attempt/endpoint/${ep1.id}?limit=1&iterator=${r.json.iterator}`);
    assert.equal(r2.json.data[0].msgId, sent.m1.id);
    assert.equal(r2.json.done, true);
  });

  test('resend: 202 {}, delivered again with the same svix-id, a manual attempt', async () => {
    const n = at('/a').length;
    const r = await raw(srv, 'POST', `/api/v1/app/${app.id}/msg/${sent.m1.id}/endpoint/${ep1.id}/resend`);
    assert.equal(r.status, 202, r.text);
    assert.deepEqual(r.json, {});
    await rx.waitFor(() => at('/a').length > n, 20000);
    const q = at('/a')[n];
    assert.equal(q.headers['svix-id'], sent.m1.id);
    assert.deepEqual(new Webhook(secret1).verify(q.body, q.headers), sent.m1.payload);
    // The client's call too (by the endpoint's uid, the message's eventId).
    await svix.messageAttempt.resend('shop', 'evt-1', ep1.id);
    await rx.waitFor(() => at('/a').length > n + 1, 20000);
    let list;
    for (let i = 0; i < 50; i++) {
      list = await svix.messageAttempt.listByMsg(app.id, sent.m1.id);
      if (list.data.length >= 3) break;
      await sleep(100);
    }
    assert.equal(list.data.length, 3);
    assert.deepEqual(list.data.map((x) => x.triggerType), [1, 1, 0]);
    assert.equal((await fails(svix.messageAttempt.resend(app.id, 'msg_nope', ep1.id))).code, 404);
    assert.equal((await fails(svix.messageAttempt.resend(app.id, sent.m1.id, 'ep_nope'))).code, 404);
  });

  test('a failing endpoint: failed attempts (status 2) and its retries keep the svix-id', async () => {
    const rx2 = await startReceiver(() => ({ status: 500 }));
    try {
      const ep = await svix.endpoint.create(app.id, { url: `${rx2.url}/f`, filterTypes: ['order.paid'] });
      const m = await svix.message.create(app.id, { eventType: 'order.paid', payload: { f: 1 } });
      await rx2.waitFor(2, 30000);
      assert.deepEqual(rx2.requests.slice(0, 2).map((q) => q.headers['svix-id']), [m.id, m.id]);
      let list;
      for (let i = 0; i < 50; i++) {
        list = await svix.messageAttempt.listByMsg(app.id, m.id, { endpointId: ep.id });
        if (list.data.length >= 2) break;
        await sleep(100);
      }
      assert.ok(list.data.length >= 2);
      assert.ok(list.data.every((x) => x.status === 2 && x.responseStatusCode === 500));
      const fails2 = await raw(srv, 'GET', `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}?status=2`);
      assert.ok(fails2.json.data.length >= 2);
      const ok0 = await raw(srv, 'GET', `/api/v1/app/${app.id}/attempt/endpoint/${ep.id}?status=0`);
      assert.equal(ok0.json.data.length, 0);
      await svix.endpoint.delete(app.id, ep.id);
    } finally {
      await rx2.close();
    }
  });

  test('stats and recover: a failed message counted, sent again by recover, then a success', async () => {
    let failing = true;
    const rx3 = await startReceiver(() => ({ status: failing ? 500 : 204 }));
    try {
      const ep = await svix.endpoint.create(app.id, { url: `${rx3.url}/r`, filterTypes: ['order.paid'] });
      // One attempt only (the endpoint is a webhook: the native API sets
      // it), so that the failure is final.
      const l = await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=100', { token: srv.token });
      const wh = l.json.data.find((w) => w.url === `${rx3.url}/r`);
      const u = await api(srv.base, 'PUT', `/api/2.0/webhooks/${wh.uuid}`, { token: srv.token, body: { max_attempts: 1 } });
      assert.equal(u.status, 200, u.text);
      const m = await svix.message.create(app.id, { eventType: 'order.paid', payload: { r: 1 } });
      await rx3.waitFor(1, 20000);
      let st;
      for (let i = 0; i < 50; i++) {
        st = await svix.endpoint.getStats(app.id, ep.id);
        if (st.fail === 1) break;
        await sleep(100);
      }
      assert.deepEqual({ ...st }, { success: 0, pending: 0, sending: 0, fail: 1, canceled: 0 });
      // The other endpoints' counts.
      const b = await svix.endpoint.getStats(app.id, 'ep-b');
      assert.equal(b.success, 1);
      assert.equal(b.fail, 0);
      const future = await raw(srv, 'GET', `/api/v1/app/${app.id}/endpoint/${ep.id}/stats?since=${new Date(Date.now() + 3600e3).toISOString()}`);
      assert.equal(future.status, 200);
      assert.equal(future.json.fail, 0);
      // Recover: the failed message again, to the endpoint now answering.
      failing = false;
      const rec = await svix.endpoint.recover(app.id, ep.id, { since: new Date(Date.now() - 3600e3) });
      assert.equal(rec.status, 'finished');
      assert.equal(rec.task, 'endpoint.recover');
      await rx3.waitFor(2, 20000);
      assert.equal(rx3.requests[1].headers['svix-id'], m.id);
      assert.deepEqual(new Webhook((await svix.endpoint.getSecret(app.id, ep.id)).key).verify(rx3.requests[1].body, rx3.requests[1].headers), { r: 1 });
      for (let i = 0; i < 50; i++) {
        st = await svix.endpoint.getStats(app.id, ep.id);
        if (st.success === 1) break;
        await sleep(100);
      }
      assert.equal(st.success, 1);
      assert.equal(st.fail, 0);
      // Nothing failed any more: a second recover sends nothing.
      const r2 = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { body: { since: new Date(Date.now() - 3600e3).toISOString() } });
      assert.equal(r2.status, 202);
      await sleep(1000);
      assert.equal(rx3.requests.length, 2);
      const bad = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${ep.id}/recover`, { body: {} });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.json.detail[0].loc, ['body', 'since']);
      await svix.endpoint.delete(app.id, ep.id);
    } finally {
      await rx3.close();
    }
  });

  test('the v2 client (svix@2): send, get, attempts by message, stats', async () => {
    const v2 = new Svix2(srv.token, { serverUrl: srv.base, numRetries: 0 });
    const n = at('/a').length;
    const m = await v2.message.create(app.id, { eventType: 'order.paid', payload: { v: 2 }, eventId: 'evt-v2' });
    assert.match(m.id, MSG_ID);
    // v2 asks with_content=false unless told otherwise, and keeps the answer.
    assert.deepEqual(m.payload, {});
    const m2 = await v2.message.create(app.id, { eventType: 'user.created', payload: { w: 1 } }, { withContent: true });
    assert.deepEqual(m2.payload, { w: 1 });
    assert.equal((await v2.message.get(app.id, 'evt-v2')).id, m.id);
    await rx.waitFor(() => at('/a').length > n, 20000);
    assert.deepEqual(new Webhook(secret1).verify(at('/a')[n].body, at('/a')[n].headers), { v: 2 });
    let list;
    for (let i = 0; i < 50; i++) {
      list = await v2.messageAttempt.listByMsg(app.id, m.id);
      if (list.data.length >= 1) break;
      await sleep(100);
    }
    assert.equal(list.data[0].endpointId, ep1.id);
    assert.equal(list.data[0].statusText, 'success');
    assert.ok((await v2.endpoint.getStats(app.id, ep1.id)).success >= 3);
  });

  test('after a rotation a delivery verifies with the old secret and with the new one', async () => {
    const ep = await svix.endpoint.create(app.id, { url: `${rx.url}/rot`, channels: ['rot'] });
    const old = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    await svix.endpoint.rotateSecret(app.id, ep.id, {});
    const now = (await svix.endpoint.getSecret(app.id, ep.id)).key;
    assert.notEqual(now, old);
    const m = await svix.message.create(app.id, { eventType: 'user.created', payload: { rot: 1 }, channels: ['rot'] });
    await rx.waitFor(() => at('/rot').length >= 1, 20000);
    const q = at('/rot')[0];
    assert.equal(q.headers['svix-id'], m.id);
    assert.equal(q.headers['svix-signature'].split(' ').length, 2);
    assert.deepEqual(new Webhook(now).verify(q.body, q.headers), { rot: 1 });
    assert.deepEqual(new Webhook(old).verify(q.body, q.headers), { rot: 1 });
    await svix.endpoint.delete(app.id, ep.id);
  });

  test('idempotent create: the same key answers the first message', async () => {
    const key = `k-${Date.now()}`;
    const a = await svix.message.create(app.id, { eventType: 'user.created', payload: { i: 1 } }, { idempotencyKey: key });
    const b = await svix.message.create(app.id, { eventType: 'user.created', payload: { i: 2 } }, { idempotencyKey: key });
    assert.equal(b.id, a.id);
    const r = await api(srv.base, 'GET', `/api/v1/app/${app.id}/msg?event_types=user.created`, { token: srv.token });
    assert.equal(r.json.data.filter((m) => m.id === a.id).length, 1);
    assert.equal(r.json.data.filter((m) => m.payload.i === 2).length, 0);
  });
});

describe('Svix messages behind Apache', () => {
  let srv, rx, daemon;
  before(async () => {
    rx = await startReceiver(() => ({ status: 204 }));
    const { home, token } = makeHome('webhooks-svixmsg-apache-');
    writeConf(home, { allow_private: 1 });
    srv = await startApache({ home, token });
    daemon = startDaemon(srv.home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
  });
  after(async () => {
    if (daemon) {
      await daemon.stop();
      assert.doesNotMatch(daemon.logText(), /ERROR: AddressSanitizer|runtime error: /);
    }
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
  });

  test('send, receive and verify, attempts, resend', async () => {
    const svix = client(srv);
    const app = await svix.application.getOrCreate({ name: 'Apache shop', uid: 'ashop' });
    await svix.eventType.create({ name: 'invoice.paid', description: 'paid' });
    const ep = await svix.endpoint.create(app.id, { url: `${rx.url}/ap`, filterTypes: ['invoice.paid'] });
    const { key } = await svix.endpoint.getSecret(app.id, ep.id);
    const m = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { amount: 12 }, eventId: 'inv-12' });
    await rx.waitFor(1, 20000);
    assert.equal(rx.requests[0].headers['svix-id'], m.id);
    assert.deepEqual(new Webhook(key).verify(rx.requests[0].body, rx.requests[0].headers), { amount: 12 });
    assert.equal((await fails(svix.message.create(app.id, { eventType: 'invoice.paid', payload: {}, eventId: 'inv-12' }))).code, 409);
    let list;
    for (let i = 0; i < 50; i++) {
      list = await svix.messageAttempt.listByMsg(app.id, 'inv-12');
      if (list.data.length >= 1) break;
      await sleep(100);
    }
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].status, 0);
    await svix.messageAttempt.resend(app.id, m.id, ep.id);
    await rx.waitFor(2, 20000);
    assert.equal(rx.requests[1].headers['svix-id'], m.id);
  });
});
