// What a message did at each endpoint, the way Svix's clients read it
// (src/web/api_svix_msg.c, src/model/message.c), driven by the real `svix`
// npm client (1.99.1, and svix@2 where it names the method) against
// lighttpd, the real webhookd and a loopback receiver that answers 204 at
// one endpoint and 500 at the other (retried; a manual resend that fails
// is final): an endpoint's attempted
// messages (listAttemptedMessages: EndpointMessageOut newest first, its
// latest attempt's outcome, sending with nextAttempt while a retry is due,
// Svix's filters and pages) and a message's attempted endpoints
// (listAttemptedDestinations: MessageEndpointOut in endpoint id order);
// an event type's example sent to one endpoint (sendExample); a
// message's content expunged (expungeContent: read back as
// {"expired": true}, resend refused, its retry waiting in deferred/
// withdrawn and not sent).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { Webhook } from 'svix';
import { Svix as Svix2 } from 'svix2';

import { makeHome, sleep, startLighttpd } from './lib.mjs';
import { spoolFiles, startDaemon, startReceiver, writeConf } from './delivery_lib.mjs';
import { client, fails, ISO_Z, raw } from './svix_lib.mjs';

// The UUID behind a Svix id (prefix and 22 base62 digits: app.c).
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function uuidOf(id) {
  let n = 0n;
  for (const ch of id.slice(id.indexOf('_') + 1)) n = n * 62n + BigInt(B62.indexOf(ch));
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
// A delivery's file name in deferred/ and dead/ (delivery.c's
// deliver_msg_id).
const deliveryFile = (msgId, epId) =>
  'msg_' + crypto.createHash('sha256').update(`${uuidOf(msgId)}\n${uuidOf(epId)}`).digest('hex').slice(0, 32);

describe('Svix attempted messages and destinations', () => {
  let srv, rx, daemon, svix, v2, app, epOk, epBad;
  const m = [];
  const at = (p) => rx.requests.filter((q) => q.url === p);
  const ids = (list) => list.data.map((x) => x.id);

  before(async () => {
    rx = await startReceiver((q) => ({ status: q.url.startsWith('/ok') ? 204 : 500 }));
    const { home, token } = makeHome('webhooks-svixatt-');
    writeConf(home, { allow_private: 1 });
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(srv.home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    svix = client(srv);
    v2 = new Svix2(srv.token, { serverUrl: srv.base, numRetries: 0 });
    app = await svix.application.getOrCreate({ name: 'Shop', uid: 'shop' });
    for (const name of ['order.paid', 'user.created']) {
      await svix.eventType.create({ name, description: name });
    }
    epOk = await svix.endpoint.create(app.id, { url: `${rx.url}/ok`, uid: 'ep-ok' });
    epBad = await svix.endpoint.create(app.id, { url: `${rx.url}/bad`, filterTypes: ['order.paid'] });
    // m0 and m2 reach both, m1 (user.created) epOk alone, and epBad by a
    // resend; apart by a few ms so that before/after can tell them apart.
    m.push(await svix.message.create(app.id, { eventType: 'order.paid', payload: { n: 0 }, channels: ['eu'] }));
    await sleep(20);
    m.push(await svix.message.create(app.id, { eventType: 'user.created', payload: { n: 1 } }));
    await sleep(20);
    m.push(await svix.message.create(app.id, { eventType: 'order.paid', payload: { n: 2 }, eventId: 'e-2' }));
    await rx.waitFor(() => at('/ok').length >= 3 && at('/bad').length >= 2, 20000);
    // A manual attempt that fails is final: m1 failed at epBad.
    await svix.messageAttempt.resend(app.id, m[1].id, epBad.id);
    await rx.waitFor(() => at('/bad').some((q) => q.headers['svix-id'] === m[1].id), 20000);
    // Until webhookd has logged them.
    for (let i = 0; i < 100; i++) {
      const b = await svix.messageAttempt.listAttemptedMessages(app.id, epBad.id);
      const c = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id);
      if (b.data.length === 3 && c.data.length === 3) break;
      await sleep(100);
    }
  });

  after(async () => {
    if (daemon) {
      await daemon.stop();
      assert.doesNotMatch(daemon.logText(), /ERROR: AddressSanitizer|runtime error: /);
    }
    if (srv) await srv.stopAndClean();
    if (rx) await rx.close();
  });

  test('listAttemptedMessages: newest first, the latest outcome, the content by default', async () => {
    const ok = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id);
    assert.deepEqual(ids(ok), [m[2].id, m[1].id, m[0].id]);
    assert.ok(ok.data.every((x) => x.status === 0 && x.statusText === 'success' && x.nextAttempt === null));
    assert.deepEqual(ok.data.map((x) => x.payload), [{ n: 2 }, { n: 1 }, { n: 0 }]);
    assert.equal(ok.data[0].eventId, 'e-2');
    assert.deepEqual(ok.data[2].channels, ['eu']);
    assert.equal(ok.done, true);

    // epBad: m0 and m2 sending (a retry is due, with its time), m1 failed
    // for good; Svix leaves nextAttempt out when none is due.
    const r = await raw(srv, 'GET', `/api/v1/app/shop/endpoint/${epBad.id}/msg`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.data.map((x) => x.id), [m[2].id, m[1].id, m[0].id]);
    assert.deepEqual(r.json.data.map((x) => [x.status, x.statusText]), [[3, 'sending'], [2, 'fail'], [3, 'sending']]);
    for (const x of [r.json.data[0], r.json.data[2]]) {
      assert.match(x.nextAttempt, ISO_Z);
      assert.ok(Date.parse(x.nextAttempt) > Date.parse(x.timestamp));
    }
    assert.equal('nextAttempt' in r.json.data[1], false);
    const bad = await svix.messageAttempt.listAttemptedMessages('shop', epBad.id);
    assert.ok(bad.data[0].nextAttempt instanceof Date);
    assert.equal(bad.data[1].nextAttempt, null);
    const r2 = await raw(srv, 'GET', `/api/v1/app/${app.id}/endpoint/ep-ok/msg`);
    assert.equal(r2.status, 200);
    assert.ok(r2.json.data.every((x) => !('nextAttempt' in x)));
  });

  test('listAttemptedMessages: status, event_types, channel, before, after, with_content', async () => {
    const list = async (ep, q) => ids(await svix.messageAttempt.listAttemptedMessages(app.id, ep, q));
    assert.deepEqual(await list(epOk.id, { status: 0 }), [m[2].id, m[1].id, m[0].id]);
    assert.deepEqual(await list(epOk.id, { status: 2 }), []);
    assert.deepEqual(await list(epBad.id, { status: 2 }), [m[1].id]);
    assert.deepEqual(await list(epBad.id, { status: 3 }), [m[2].id, m[0].id]);
    assert.deepEqual(await list(epBad.id, { status: 0 }), []);
    assert.deepEqual(await list(epOk.id, { status: 1 }), []);
    assert.deepEqual(await list(epOk.id, { eventTypes: ['user.created'] }), [m[1].id]);
    assert.deepEqual(await list(epOk.id, { eventTypes: ['user.created', 'order.paid'] }), [m[2].id, m[1].id, m[0].id]);
    assert.deepEqual(await list(epOk.id, { channel: 'eu' }), [m[0].id]);
    assert.deepEqual(await list(epOk.id, { before: m[1].timestamp }), [m[0].id]);
    assert.deepEqual(await list(epOk.id, { after: m[1].timestamp }), [m[2].id]);
    const bare = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { withContent: false });
    assert.ok(bare.data.every((x) => Object.keys(x.payload).length === 0));
  });

  test('listAttemptedMessages: pages of one, onwards and back', async () => {
    const p1 = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { limit: 1 });
    assert.deepEqual(ids(p1), [m[2].id]);
    assert.equal(p1.done, false);
    const p2 = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { limit: 1, iterator: p1.iterator });
    assert.deepEqual(ids(p2), [m[1].id]);
    const p3 = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { limit: 1, iterator: p2.iterator });
    assert.deepEqual(ids(p3), [m[0].id]);
    assert.equal(p3.done, true);
    const back = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { limit: 5, iterator: p3.prevIterator });
    assert.deepEqual(ids(back), [m[2].id, m[1].id]);
  });

  test('listAttemptedMessages: 404 for no such endpoint, 422 for a bad status or iterator', async () => {
    assert.equal((await fails(svix.messageAttempt.listAttemptedMessages(app.id, 'ep_nope'))).code, 404);
    assert.equal((await fails(svix.messageAttempt.listAttemptedMessages('nope', epOk.id))).code, 404);
    const r = await raw(srv, 'GET', `/api/v1/app/${app.id}/endpoint/${epOk.id}/msg?status=7`);
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.detail[0].loc, ['query', 'status']);
    const r2 = await raw(srv, 'GET', `/api/v1/app/${app.id}/endpoint/${epOk.id}/msg?iterator=zzz`);
    assert.equal(r2.status, 422);
    assert.deepEqual(r2.json.detail[0].loc, ['query', 'iterator']);
    const r3 = await raw(srv, 'GET', `/api/v1/app/${app.id}/endpoint/${epOk.id}/msg?before=yesterday`);
    assert.equal(r3.status, 422);
  });

  test('listAttemptedDestinations: the endpoints in id order, each with its latest outcome', async () => {
    // Svix: the latest attempt's status (a failure with a retry due is
    // fail, with nextAttempt).
    const d = await svix.messageAttempt.listAttemptedDestinations(app.id, m[0].id);
    assert.deepEqual(ids(d), [epOk.id, epBad.id]);
    assert.deepEqual(d.data.map((x) => [x.status, x.statusText]), [[0, 'success'], [2, 'fail']]);
    assert.equal(d.data[0].nextAttempt, null);
    assert.ok(d.data[1].nextAttempt instanceof Date, 'a retry is due at epBad');
    assert.equal(d.data[0].url, `${rx.url}/ok`);
    assert.equal(d.data[0].uid, 'ep-ok');
    assert.deepEqual(d.data[1].filterTypes, ['order.paid']);
    assert.equal(d.done, true);
    // m1 reached epBad by the resend alone: failed, no retry; e-2 is m2's
    // eventId.
    const d1 = await svix.messageAttempt.listAttemptedDestinations('shop', m[1].id);
    assert.deepEqual(ids(d1), [epOk.id, epBad.id]);
    assert.equal(d1.data[1].nextAttempt, null);
    assert.deepEqual(ids(await svix.messageAttempt.listAttemptedDestinations(app.id, 'e-2')), [epOk.id, epBad.id]);
    const r = await raw(srv, 'GET', `/api/v1/app/${app.id}/msg/${m[0].id}/endpoint`);
    assert.equal(r.status, 200);
    assert.equal(r.json.data[0].nextAttempt, null);
    assert.match(r.json.data[1].nextAttempt, ISO_Z);
    assert.equal('metadata' in r.json.data[0], false);
  });

  test('listAttemptedDestinations: pages, 404', async () => {
    const p1 = await svix.messageAttempt.listAttemptedDestinations(app.id, m[0].id, { limit: 1 });
    assert.deepEqual(ids(p1), [epOk.id]);
    assert.equal(p1.done, false);
    const p2 = await svix.messageAttempt.listAttemptedDestinations(app.id, m[0].id, { limit: 1, iterator: p1.iterator });
    assert.deepEqual(ids(p2), [epBad.id]);
    assert.equal(p2.done, true);
    const back = await svix.messageAttempt.listAttemptedDestinations(app.id, m[0].id, { iterator: p2.prevIterator });
    assert.deepEqual(ids(back), [epOk.id]);
    assert.equal((await fails(svix.messageAttempt.listAttemptedDestinations(app.id, 'msg_nope'))).code, 404);
  });

  test('the v2 client (svix@2): both lists, with_content false by default', async () => {
    const l = await v2.messageAttempt.listAttemptedMessages(app.id, epBad.id, { status: 3 });
    assert.deepEqual(ids(l), [m[2].id, m[0].id]);
    assert.ok(l.data.every((x) => x.status === 3 && x.nextAttempt instanceof Date));
    assert.deepEqual(l.data[0].payload, {});
    const c = await v2.messageAttempt.listAttemptedMessages(app.id, epBad.id, { withContent: true, status: 3 });
    assert.deepEqual(c.data[0].payload, { n: 2 });
    const d = await v2.messageAttempt.listAttemptedDestinations(app.id, m[1].id);
    assert.deepEqual(ids(d), [epOk.id, epBad.id]);
    assert.deepEqual(d.data.map((x) => x.status), [0, 2]);
  });

  test('sendExample: the type\'s example as a message to that endpoint alone', async () => {
    await svix.eventType.create({
      name: 'invoice.sent', description: 'i',
      schemas: { 1: { type: 'object', examples: [{ invoice: 1 }, { invoice: 2 }] } },
    });
    const epOk2 = await svix.endpoint.create(app.id, { url: `${rx.url}/ok2` });
    const secret = (await svix.endpoint.getSecret(app.id, epOk.id)).key;
    const ex = await svix.endpoint.sendExample(app.id, epOk.id, { eventType: 'invoice.sent', exampleIndex: 1 });
    assert.match(ex.id, /^msg_[0-9A-Za-z]{22}$/);
    assert.equal(ex.eventType, 'invoice.sent');
    assert.deepEqual(ex.payload, {}, 'answered without its content, as Svix does');
    await rx.waitFor(() => at('/ok').some((q) => q.headers['svix-id'] === ex.id), 20000);
    const q = at('/ok').find((x) => x.headers['svix-id'] === ex.id);
    assert.deepEqual(new Webhook(secret).verify(q.body, q.headers), { invoice: 2 });
    assert.deepEqual((await svix.message.get(app.id, ex.id)).payload, { invoice: 2 });
    // svix@2, the ping; the first example by default.
    const ping = await v2.endpoint.sendExample(app.id, epOk2.id, { eventType: 'svix.ping' });
    const first = await svix.endpoint.sendExample(app.id, epOk2.id, { eventType: 'invoice.sent' });
    await rx.waitFor(() => at('/ok2').length >= 2, 20000);
    await sleep(1000);	// anything more would have come by now
    assert.deepEqual(new Map(at('/ok2').map((x) => [x.headers['svix-id'], JSON.parse(x.body)])),
      new Map([[ping.id, { success: true }], [first.id, { invoice: 1 }]]));
    assert.equal(at('/ok').filter((x) => x.headers['svix-id'] === ping.id || x.headers['svix-id'] === first.id).length, 0, 'epOk gets neither');
    assert.equal(at('/ok2').filter((x) => x.headers['svix-id'] === ex.id).length, 0, 'epOk2 does not get epOk\'s');

    // No example, no such type or endpoint, bad bodies.
    let e = await fails(svix.endpoint.sendExample(app.id, epOk.id, { eventType: 'order.paid' }));
    assert.equal(e.code, 400);
    assert.equal(e.body.code, 'invalid_scheme');
    e = await fails(svix.endpoint.sendExample(app.id, epOk.id, { eventType: 'invoice.sent', exampleIndex: 2 }));
    assert.equal(e.code, 400);
    const r0 = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${epOk.id}/send-example`, { body: { eventType: 'invoice.sent', exampleIndex: 9 } });
    assert.equal(r0.status, 400);
    assert.equal(r0.json.code, 'invalid_scheme');
    assert.equal((await fails(svix.endpoint.sendExample(app.id, epOk.id, { eventType: 'no.such' }))).code, 404);
    assert.equal((await fails(svix.endpoint.sendExample(app.id, 'ep_nope', { eventType: 'svix.ping' }))).code, 404);
    const r = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${epOk.id}/send-example`, { body: { eventType: 'invoice.sent', exampleIndex: -1 } });
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.detail[0].loc, ['body', 'exampleIndex']);
    const r2 = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${epOk.id}/send-example`, { body: {} });
    assert.equal(r2.status, 422);
    assert.deepEqual(r2.json.detail[0].loc, ['body', 'eventType']);
    const r3 = await raw(srv, 'POST', `/api/v1/app/${app.id}/endpoint/${epOk.id}/send-example`, { body: { eventType: 'svix.ping' } });
    assert.equal(r3.status, 200);
    assert.deepEqual(r3.json.payload, {});
    await svix.endpoint.delete(app.id, epOk2.id);
  });

  // Last: it changes m1's content.
  test('expungeContent: 204, the payload reads {"expired": true}, resend refused, the retry waiting withdrawn', async () => {
    const m3 = await svix.message.create(app.id, { eventType: 'order.paid', payload: { secret: 's3' } });
    const file = deliveryFile(m3.id, epBad.id);
    await rx.waitFor(() => at('/bad').some((q) => q.headers['svix-id'] === m3.id), 20000);
    const first = at('/bad').find((q) => q.headers['svix-id'] === m3.id).at;
    for (let i = 0; i < 100 && !spoolFiles(srv.home, 'deferred').includes(file); i++) await sleep(50);
    assert.ok(spoolFiles(srv.home, 'deferred').includes(file), 'its retry waits in deferred/');

    assert.equal(await svix.message.expungeContent(app.id, m3.id), undefined);
    assert.equal(spoolFiles(srv.home, 'deferred').includes(file), false, 'the retry withdrawn');
    assert.deepEqual((await svix.message.get(app.id, m3.id)).payload, { expired: true });
    const r = await raw(srv, 'GET', `/api/v1/app/${app.id}/msg/${m3.id}?with_content=false`);
    assert.deepEqual(r.json.payload, {});
    const l = await svix.messageAttempt.listAttemptedMessages(app.id, epOk.id, { limit: 1 });
    assert.deepEqual(l.data.map((x) => [x.id, x.payload]), [[m3.id, { expired: true }]]);
    const e = await fails(svix.messageAttempt.resend(app.id, m3.id, epOk.id));
    assert.equal(e.code, 400);
    assert.equal(e.body.code, 'missing_payload');
    const rr = await raw(srv, 'POST', `/api/v1/app/${app.id}/msg/${m3.id}/endpoint/${epBad.id}/resend`);
    assert.equal(rr.status, 400);
    assert.match(rr.json.detail, /Payload is missing/);
    // Twice is fine; the raw answer is a 204 without a body; 404s.
    const again = await raw(srv, 'DELETE', `/api/v1/app/${app.id}/msg/${m3.id}/content`);
    assert.equal(again.status, 204);
    assert.equal(again.text, '');
    assert.equal((await fails(svix.message.expungeContent(app.id, 'msg_nope'))).code, 404);
    assert.equal((await fails(svix.message.expungeContent('nope', m3.id))).code, 404);

    // svix@2, by eventId.
    await v2.message.expungeContent(app.id, 'e-2');
    assert.deepEqual((await v2.message.get(app.id, m[2].id, { withContent: true })).payload, { expired: true });
    assert.deepEqual((await svix.message.get(app.id, m[1].id)).payload, { n: 1 }, 'another message keeps its payload');

    // Past the time its retry was due (5 s, at most +20 %), m3 went to
    // epBad once.
    await sleep(Math.max(0, first + 7500 - Date.now()));
    assert.equal(at('/bad').filter((q) => q.headers['svix-id'] === m3.id).length, 1);
  });
});
