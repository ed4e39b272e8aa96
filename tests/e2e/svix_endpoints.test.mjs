// Svix's endpoints at /api/v1/app/{app}/endpoint (src/web/api_svix_ep.c,
// src/model/endpoint.c), driven by the real `svix` npm clients: v1.99.1
// (filterTypes, rateLimit) and v2 (`svix2`, eventTypes, throttleRate).
// An endpoint is a webhook of the application: the native API sees it.
// Create, get by id and by uid, list with pagination, update (PUT, creating
// when absent), patch (absent unchanged, null clears), delete; the event
// types checked against the team's catalog; headers; the secret and its
// rotation (the old one kept for the grace period); an application's
// delete removing its endpoints; scopes; and the 404, 409 and 422 shapes
// as the clients surface them.  Every test on each setup a user has:
// lighttpd with FastCGI, Apache with mod_fcgid (apache.conf.example), and
// plain CGI, a process a request whose databases open at their first use
// (STORE_LAZY), through a shared host's Apache with mod_cgi and the
// shipped .htaccess (lib.mjs's startSharedHost).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ApiException as ApiException2, Svix as Svix2 } from 'svix2';

import { addToken, sleep, startApache, startLighttpd, startSharedHost, UUID_RE } from './lib.mjs';
import { client, fails, ISO_Z, raw } from './svix_lib.mjs';

const EP_ID = /^ep_[0-9A-Za-z]{22}$/;
const SECRET = /^whsec_[A-Za-z0-9+/=]{32,100}$/;

// The webhook's uuid of an endpoint id: "ep_" and the UUID's 128 bits in
// 22 base62 digits (src/model/app.c).
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function uuidOf(id) {
  let n = 0n;
  for (const ch of id.slice(3)) n = n * 62n + BigInt(B62.indexOf(ch));
  const h = n.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The v2 client's error for a call that must fail.
async function fails2(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ApiException2, `not an ApiException: ${e}`);
    return e;
  }
  assert.fail('the call succeeded');
}

// The setups: a name, how to start the server, and whether the program
// runs as plain CGI.
const SETUPS = [
  ['behind lighttpd', () => startLighttpd(), false],
  ['behind Apache and mod_fcgid', () => startApache(), false],
  ['as plain CGI (Apache mod_cgi, a process a request)', () => startSharedHost(), true],
];

// Stops srv and removes its data (a shared host's whole account).
async function stopAndClean(srv) {
  if (!srv.base_dir) return srv.stopAndClean();
  await srv.stop();
  if (!process.env.WEBHOOKS_E2E_KEEP && path.basename(srv.base_dir).startsWith('webhooks-shared-')) {
    fs.rmSync(srv.base_dir, { recursive: true, force: true });
  }
  return undefined;
}

for (const [where, start, cgi] of SETUPS) describe(`Svix endpoints ${where}`, () => {
  let srv;
  let svix;
  before(async () => {
    srv = await start();
    svix = client(srv);
    for (const name of ['user.signup', 'user.deleted', 'invoice.paid']) {
      await svix.eventType.create({ name, description: name });
    }
  });
  after(async () => { if (srv) await stopAndClean(srv); });

  test(cgi ? 'plain CGI: no program process outlives its request'
    : 'FastCGI: the program\'s processes stay between requests', async () => {
    await svix.application.create({ name: 'Setup', uid: 'setup' });
    await svix.endpoint.create('setup', { url: 'https://example.com/setup' });
    let pids = srv.fcgiPids();
    for (let i = 0; cgi && pids.length > 0 && i < 50; i++) {
      await sleep(100);
      pids = srv.fcgiPids();
    }
    if (cgi) assert.deepEqual(pids, []);
    else assert.ok(pids.length > 0, 'no webhooks.fcgi process under the server');
  });

  test('create, get by id and by uid: EndpointOut, 201, a webhook of the team', async () => {
    const app = await svix.application.create({ name: 'Acme', uid: 'acme' });
    const ep = await svix.endpoint.create('acme', {
      url: 'https://example.com/hook', uid: 'main', description: 'Main hook',
      filterTypes: ['user.signup'], channels: ['project_1'], metadata: { team: 'a' },
      rateLimit: 10, headers: { 'X-Custom': 'yes' }, version: 1,
    });
    assert.match(ep.id, EP_ID);
    assert.equal(ep.uid, 'main');
    assert.equal(ep.url, 'https://example.com/hook');
    assert.equal(ep.description, 'Main hook');
    assert.equal(ep.disabled, false);
    assert.deepEqual(ep.filterTypes, ['user.signup']);
    assert.deepEqual(ep.channels, ['project_1']);
    assert.deepEqual(ep.metadata, { team: 'a' });
    assert.equal(ep.rateLimit, 10);
    assert.equal(ep.throttleRate, 10);
    assert.equal(ep.version, 1);
    assert.ok(ep.createdAt instanceof Date && Math.abs(ep.createdAt.getTime() - Date.now()) < 60000);
    const byId = await svix.endpoint.get(app.id, ep.id);
    const byUid = await svix.endpoint.get('acme', 'main');
    assert.equal(byId.id, ep.id);
    assert.equal(byUid.id, ep.id);
    const r = await raw(srv, 'GET', `/api/v1/app/acme/endpoint/${ep.id}`);
    assert.equal(r.status, 200);
    assert.match(r.json.createdAt, ISO_Z);
    assert.match(r.json.updatedAt, ISO_Z);
    assert.deepEqual(r.json.eventTypes, ['user.signup']);
    assert.equal('secret' in r.json, false);
    // The webhook itself: the native API sees it, named by the description.
    const uuid = uuidOf(ep.id);
    assert.match(uuid, UUID_RE);
    assert.equal(uuid[14], '7');
    const n = await raw(srv, 'GET', `/api/2.0/webhooks/${uuid}`);
    assert.equal(n.status, 200, n.text);
    assert.equal(n.json.data.name, 'Main hook');
    assert.equal(n.json.data.url, 'https://example.com/hook');
    assert.deepEqual(n.json.data.events, ['user.signup']);
    assert.deepEqual(n.json.data.headers, { 'X-Custom': 'yes' });
    // Without a uid, description or types: null, "", every type.
    const c = await raw(srv, 'POST', '/api/v1/app/acme/endpoint', { body: { url: 'https://example.com/bare' } });
    assert.equal(c.status, 201);
    assert.equal(c.json.uid, null);
    assert.equal(c.json.description, '');
    assert.equal(c.json.filterTypes, null);
    assert.equal(c.json.channels, null);
    assert.equal(c.json.rateLimit, null);
    assert.deepEqual(c.json.metadata, {});
    const bare = await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(c.json.id)}`);
    assert.equal(bare.json.data.name, 'https://example.com/bare');
    assert.deepEqual(bare.json.data.events, ['*']);
  });

  test('list: creation order, iterator pagination, done, descending, prevIterator', async () => {
    await svix.application.create({ name: 'Lister', uid: 'lister' });
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await svix.endpoint.create('lister', { url: `https://example.com/${i}` })).id);
    assert.deepEqual([...made].sort(), made);
    const seen = [];
    let page = await svix.endpoint.list('lister', { limit: 2 });
    for (;;) {
      seen.push(...page.data.map((e) => e.id));
      if (page.done) break;
      assert.equal(page.data.length, 2);
      page = await svix.endpoint.list('lister', { limit: 2, iterator: page.iterator });
    }
    assert.deepEqual(seen, made);
    const desc = await svix.endpoint.list('lister', { limit: 3, order: 'descending' });
    assert.deepEqual(desc.data.map((e) => e.id), made.slice(2).reverse());
    assert.equal(desc.done, false);
    // Back from the fourth: the two before it, in the asked order.
    const back = await svix.endpoint.list('lister', { limit: 2, iterator: `-${made[3]}` });
    assert.deepEqual(back.data.map((e) => e.id), made.slice(1, 3));
    const r = await raw(srv, 'GET', '/api/v1/app/lister/endpoint?limit=5');
    assert.equal(r.status, 200);
    assert.equal(r.json.done, true);
    assert.equal(r.json.iterator, made[4]);
    assert.equal(r.json.prevIterator, `-${made[0]}`);
    // Another application's list holds none of them.
    await svix.application.create({ name: 'Empty', uid: 'empty' });
    const none = await svix.endpoint.list('empty');
    assert.deepEqual(none.data, []);
    assert.equal(none.done, true);
    for (const limit of [251, 0]) {
      const e = await fails(svix.endpoint.list('lister', { limit }));
      assert.equal(e.code, 422);
      assert.deepEqual(e.body.detail[0].loc, ['query', 'limit']);
    }
    const badIter = await raw(srv, 'GET', '/api/v1/app/lister/endpoint?iterator=app_nope');
    assert.equal(badIter.status, 422);
    assert.deepEqual(badIter.json.detail[0].loc, ['query', 'iterator']);
  });

  test('update (PUT) replaces, creating when absent; patch: absent stays, null clears', async () => {
    await svix.application.create({ name: 'Upd', uid: 'upd' });
    const ep = await svix.endpoint.create('upd', {
      url: 'https://example.com/a', uid: 'u1', description: 'd', filterTypes: ['user.signup'],
      channels: ['c'], metadata: { k: 'v' }, rateLimit: 3, headers: { 'X-H': '1' },
    });
    const secret = (await svix.endpoint.getSecret('upd', 'u1')).key;
    const p = await svix.endpoint.update('upd', 'u1', { url: 'https://example.com/b', uid: 'u1', disabled: true });
    assert.equal(p.url, 'https://example.com/b');
    assert.equal(p.disabled, true);
    assert.equal(p.description, '');
    assert.equal(p.filterTypes, null);
    assert.equal(p.channels, null);
    assert.deepEqual(p.metadata, {});
    assert.equal(p.rateLimit, null);
    assert.ok(p.updatedAt.getTime() >= ep.updatedAt.getTime());
    // The secret and the headers are not the update's.
    assert.equal((await svix.endpoint.getSecret('upd', ep.id)).key, secret);
    assert.deepEqual((await svix.endpoint.getHeaders('upd', ep.id)).headers, { 'X-H': '1' });
    const native = await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`);
    assert.equal(native.json.data.active, false);

    const q = await svix.endpoint.patch('upd', ep.id, { description: 'patched', filterTypes: ['user.deleted', 'invoice.paid'] });
    assert.equal(q.description, 'patched');
    assert.deepEqual(q.filterTypes, ['user.deleted', 'invoice.paid']);
    assert.equal(q.url, 'https://example.com/b');
    assert.equal(q.disabled, true);
    assert.equal(q.uid, 'u1');
    const r = await raw(srv, 'PATCH', `/api/v1/app/upd/endpoint/u1`, { body: { filterTypes: null, uid: null, disabled: false, channels: ['x', 'y'], metadata: { a: 'b' } } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.filterTypes, null);
    assert.equal(r.json.uid, null);
    assert.equal(r.json.disabled, false);
    assert.deepEqual(r.json.channels, ['x', 'y']);
    assert.deepEqual(r.json.metadata, { a: 'b' });
    assert.equal(r.json.description, 'patched');
    assert.equal((await fails(svix.endpoint.get('upd', 'u1'))).code, 404);

    // PUT of an absent uid makes it (201) under that uid.
    const made = await raw(srv, 'PUT', '/api/v1/app/upd/endpoint/by-put', { body: { url: 'https://example.com/put' } });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.uid, 'by-put');
    const again = await raw(srv, 'PUT', '/api/v1/app/upd/endpoint/by-put', { body: { url: 'https://example.com/put2' } });
    assert.equal(again.status, 200);
    assert.equal(again.json.id, made.json.id);
    assert.equal(again.json.uid, null);
    // A token that may edit but not add gets 403 for an absent one.
    const editor = addToken(srv.home, 'default', 'webhooks:view,webhooks:edit');
    const forbidden = await raw(srv, 'PUT', '/api/v1/app/upd/endpoint/never', { token: editor, body: { url: 'https://example.com/n' } });
    assert.equal(forbidden.status, 403);
  });

  test('delete: 204, then 404 by id and uid; the webhook goes with it', async () => {
    await svix.application.create({ name: 'Del', uid: 'del' });
    const ep = await svix.endpoint.create('del', { url: 'https://example.com/d', uid: 'gone' });
    const r = await raw(srv, 'DELETE', `/api/v1/app/del/endpoint/${ep.id}`);
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await fails(svix.endpoint.get('del', ep.id))).code, 404);
    assert.equal((await fails(svix.endpoint.get('del', 'gone'))).code, 404);
    assert.equal((await fails(svix.endpoint.delete('del', ep.id))).code, 404);
    assert.equal((await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`)).status, 404);
    // Its uid is free again.
    const again = await svix.endpoint.create('del', { url: 'https://example.com/d', uid: 'gone' });
    assert.notEqual(again.id, ep.id);
  });

  test('an application\'s delete removes its endpoints and their webhooks', async () => {
    const app = await svix.application.create({ name: 'Doomed', uid: 'doomed' });
    const a = await svix.endpoint.create('doomed', { url: 'https://example.com/1' });
    const b = await svix.endpoint.create('doomed', { url: 'https://example.com/2', uid: 'b' });
    await svix.application.delete(app.id);
    for (const ep of [a, b]) assert.equal((await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`)).status, 404);
    assert.equal((await fails(svix.endpoint.list('doomed'))).code, 404);
    // The same uid in a new application of the same uid is a new endpoint.
    await svix.application.create({ name: 'Reborn', uid: 'doomed' });
    const c = await svix.endpoint.create('doomed', { url: 'https://example.com/3', uid: 'b' });
    assert.notEqual(c.id, b.id);
  });

  test('filterTypes and eventTypes name only the catalog\'s types (422 otherwise)', async () => {
    await svix.application.create({ name: 'Types', uid: 'types' });
    const e = await fails(svix.endpoint.create('types', { url: 'https://example.com/t', filterTypes: ['user.signup', 'no.such.type'] }));
    assert.equal(e.code, 422);
    assert.deepEqual(e.body.detail[0].loc, ['body', 'filterTypes']);
    assert.match(e.body.detail[0].msg, /no\.such\.type/);
    assert.equal(e.body.detail[0].type, 'value_error');
    // An archived type is not one either.
    await svix.eventType.create({ name: 'old.type', description: 'old' });
    await svix.eventType.delete('old.type');
    const archived = await fails(svix.endpoint.create('types', { url: 'https://example.com/t', filterTypes: ['old.type'] }));
    assert.equal(archived.code, 422);
    const ep = await svix.endpoint.create('types', { url: 'https://example.com/t', uid: 't' });
    const p = await fails(svix.endpoint.patch('types', 't', { filterTypes: ['nope'] }));
    assert.equal(p.code, 422);
    const empty = await raw(srv, 'POST', '/api/v1/app/types/endpoint', { body: { url: 'https://example.com/t', filterTypes: [] } });
    assert.equal(empty.status, 422);
    assert.equal((await svix.endpoint.get('types', ep.id)).filterTypes, null);
    // Another team's catalog is not this one's.
    const other = client(srv, addToken(srv.home, 'types-team'));
    await other.application.create({ name: 'T', uid: 'tt' });
    const e2 = await fails(other.endpoint.create('tt', { url: 'https://example.com/t', filterTypes: ['user.signup'] }));
    assert.equal(e2.code, 422);
  });

  test('client v2 (svix@2): eventTypes and throttleRate, both spellings answered', async () => {
    const v2 = new Svix2(srv.token, { serverUrl: srv.base });
    await v2.application.create({ name: 'V2', uid: 'v2' });
    const ep = await v2.endpoint.create('v2', { url: 'https://example.com/v2', eventTypes: ['user.signup', 'user.deleted'], throttleRate: 4, uid: 'two' });
    assert.match(ep.id, EP_ID);
    assert.deepEqual(ep.eventTypes, ['user.signup', 'user.deleted']);
    assert.equal(ep.throttleRate, 4);
    const v1view = await svix.endpoint.get('v2', 'two');
    assert.deepEqual(v1view.filterTypes, ['user.signup', 'user.deleted']);
    assert.equal(v1view.rateLimit, 4);
    const p = await v2.endpoint.patch('v2', 'two', { eventTypes: null });
    assert.equal(p.eventTypes, null);
    const list = await v2.endpoint.list('v2');
    assert.deepEqual(list.data.map((e) => e.id), [ep.id]);
    const e = await fails2(v2.endpoint.create('v2', { url: 'https://example.com/v2', eventTypes: ['not.there'] }));
    assert.equal(e.code, 422);
    assert.deepEqual(e.body.detail[0].loc, ['body', 'eventTypes']);
    // Both in one body: eventTypes, the newer name, wins.
    const both = await raw(srv, 'POST', '/api/v1/app/v2/endpoint', { body: { url: 'https://example.com/b', filterTypes: ['user.signup'], eventTypes: ['invoice.paid'] } });
    assert.equal(both.status, 201);
    assert.deepEqual(both.json.filterTypes, ['invoice.paid']);
    const e404 = await fails2(v2.endpoint.get('v2', 'nobody'));
    assert.equal(e404.code, 404);
  });

  test('headers: put, get (sensitive ones listed, not shown), patch', async () => {
    await svix.application.create({ name: 'Hdr', uid: 'hdr' });
    const ep = await svix.endpoint.create('hdr', { url: 'https://example.com/h', uid: 'h' });
    await svix.endpoint.updateHeaders('hdr', 'h', { headers: { 'X-One': '1', 'X-Two': '2', Authorization: 'Bearer secret-value' } });
    const h = await svix.endpoint.getHeaders('hdr', ep.id);
    assert.deepEqual(h.headers, { 'X-One': '1', 'X-Two': '2' });
    assert.deepEqual(h.sensitive, ['Authorization']);
    await svix.endpoint.patchHeaders('hdr', 'h', { headers: { 'X-Three': '3' }, deleteHeaders: ['x-one'] });
    const r = await raw(srv, 'PATCH', '/api/v1/app/hdr/endpoint/h/headers', { body: { headers: { 'X-Two': null } } });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    const g = await raw(srv, 'GET', '/api/v1/app/hdr/endpoint/h/headers');
    assert.deepEqual(g.json, { headers: { 'X-Three': '3' }, sensitive: ['Authorization'] });
    // The webhook's own headers, which every delivery sends.
    const n = await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`);
    assert.deepEqual(n.json.data.headers, { Authorization: 'Bearer secret-value', 'X-Three': '3' });
    // A token that may only view sees the values masked.
    const viewer = addToken(srv.home, 'default', 'webhooks:view');
    await svix.endpoint.updateHeaders('hdr', 'h', { headers: { 'X-Key': 'k' } });
    const masked = await raw(srv, 'GET', '/api/v1/app/hdr/endpoint/h/headers', { token: viewer });
    assert.equal(masked.status, 200);
    assert.deepEqual(masked.json.headers, { 'X-Key': '********' });
    for (const body of [{}, { headers: 'x' }, { headers: { 'Bad Name': 'x' } }]) {
      const bad = await raw(srv, 'PUT', '/api/v1/app/hdr/endpoint/h/headers', { body });
      assert.equal(bad.status, 422, JSON.stringify(body));
      assert.equal(bad.json.detail[0].loc[1].split(/[.[{]/)[0], 'headers');
    }
  });

  test('secret: get, rotate (the old one kept for the grace period), a key of the caller\'s', async () => {
    await svix.application.create({ name: 'Sec', uid: 'sec' });
    const given = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const ep = await svix.endpoint.create('sec', { url: 'https://example.com/s', uid: 's', secret: given });
    assert.equal((await svix.endpoint.getSecret('sec', 's')).key, given);
    const made = await svix.endpoint.create('sec', { url: 'https://example.com/s2' });
    assert.match((await svix.endpoint.getSecret('sec', made.id)).key, SECRET);

    await svix.endpoint.rotateSecret('sec', 's', {});
    const k1 = (await svix.endpoint.getSecret('sec', ep.id)).key;
    assert.match(k1, SECRET);
    assert.notEqual(k1, given);
    // The replaced secret signs beside the new one for 24 hours.
    const n = await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`);
    assert.equal(n.json.data.previous_secrets.length, 1);
    const left = Date.parse(n.json.data.previous_secrets[0].expires_at) - Date.now();
    assert.ok(left > 23.9 * 3600e3 && left <= 24 * 3600e3, `${left}`);
    const key = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';
    const r = await raw(srv, 'POST', '/api/v1/app/sec/endpoint/s/secret/rotate', { body: { key, gracePeriodSeconds: 60 } });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await svix.endpoint.getSecret('sec', 's')).key, key);
    const n2 = await raw(srv, 'GET', `/api/2.0/webhooks/${uuidOf(ep.id)}`);
    assert.equal(n2.json.data.previous_secrets.length, 2);
    // A rotation without a body; a bad key or grace: 422.
    const nobody = await raw(srv, 'POST', '/api/v1/app/sec/endpoint/s/secret/rotate');
    assert.equal(nobody.status, 204);
    const bad = await fails(svix.endpoint.rotateSecret('sec', 's', { key: 'short', gracePeriodSeconds: 604801 }));
    assert.equal(bad.code, 422);
    assert.deepEqual(bad.body.detail.map((d) => d.loc[1]).sort(), ['gracePeriodSeconds', 'key']);
    const badSecret = await fails(svix.endpoint.create('sec', { url: 'https://example.com/s', secret: 'not a secret' }));
    assert.deepEqual(badSecret.body.detail[0].loc, ['body', 'secret']);
    // Only a token that may edit reads a secret.
    const viewer = addToken(srv.home, 'default', 'webhooks:view');
    const v = await raw(srv, 'GET', '/api/v1/app/sec/endpoint/s/secret', { token: viewer });
    assert.equal(v.status, 403);
    assert.equal((await fails(client(srv, viewer).endpoint.rotateSecret('sec', 's', {}))).code, 403);
  });

  test('404, 409 and 422 as the client surfaces them; another team\'s; scopes; idempotent POST', async () => {
    await svix.application.create({ name: 'Err', uid: 'err' });
    await svix.endpoint.create('err', { url: 'https://example.com/e', uid: 'taken' });
    const e409 = await fails(svix.endpoint.create('err', { url: 'https://example.com/e', uid: 'taken' }));
    assert.equal(e409.code, 409);
    assert.equal(e409.body.code, 'conflict');
    const other = await svix.endpoint.create('err', { url: 'https://example.com/o', uid: 'other' });
    assert.equal((await fails(svix.endpoint.patch('err', other.id, { uid: 'taken' }))).code, 409);
    assert.equal((await fails(svix.endpoint.update('err', 'other', { url: 'https://example.com/o', uid: 'taken' }))).code, 409);

    const e404 = await fails(svix.endpoint.get('err', 'ep_0000000000000000000000'));
    assert.equal(e404.code, 404);
    assert.deepEqual(e404.body, { code: 'not_found', detail: 'Entity not found' });
    assert.equal((await fails(svix.endpoint.get('no-such-app', 'taken'))).code, 404);
    assert.equal((await fails(svix.endpoint.create('no-such-app', { url: 'https://example.com/x' }))).code, 404);
    // The same uid under another application is another endpoint.
    await svix.application.create({ name: 'Err2', uid: 'err2' });
    assert.equal((await fails(svix.endpoint.get('err2', 'taken'))).code, 404);
    assert.equal((await fails(svix.endpoint.get('err2', other.id))).code, 404);
    // Another team sees nothing of them.
    const stranger = client(srv, addToken(srv.home, 'strangers'));
    assert.equal((await fails(stranger.endpoint.get('err', 'taken'))).code, 404);
    assert.equal((await fails(stranger.endpoint.list('err'))).code, 404);
    assert.equal((await fails(stranger.endpoint.delete('err', other.id))).code, 404);

    for (const [body, field] of [
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{}, 'url'],
      [{ url: 'https://example.com/x', uid: 'ep_reserved' }, 'uid'],
      [{ url: 'https://example.com/x', uid: 'has space' }, 'uid'],
      [{ url: 'https://example.com/x', channels: [] }, 'channels'],
      [{ url: 'https://example.com/x', channels: ['bad channel'] }, 'channels'],
      [{ url: 'https://example.com/x', rateLimit: 0 }, 'rateLimit'],
      [{ url: 'https://example.com/x', metadata: { a: 1 } }, 'metadata'],
      [{ url: 'https://example.com/x', disabled: 'no' }, 'disabled'],
    ]) {
      const e = await fails(svix.endpoint.create('err', body));
      assert.equal(e.code, 422, JSON.stringify(body));
      assert.deepEqual(e.body.detail[0].loc, ['body', field], JSON.stringify(body));
      assert.equal(e.body.detail[0].type, 'value_error');
    }

    const viewer = client(srv, addToken(srv.home, 'default', 'webhooks:view'));
    assert.equal((await viewer.endpoint.list('err')).data.length, 2);
    assert.equal((await viewer.endpoint.get('err', 'taken')).uid, 'taken');
    assert.equal((await fails(viewer.endpoint.create('err', { url: 'https://example.com/v' }))).code, 403);
    assert.equal((await fails(viewer.endpoint.patch('err', 'taken', { description: 'x' }))).code, 403);
    assert.equal((await fails(viewer.endpoint.delete('err', 'taken'))).code, 403);

    // A repeated idempotency key gets the first answer.
    const headers = { 'idempotency-key': 'ep-key-1' };
    const a = await raw(srv, 'POST', '/api/v1/app/err/endpoint', { body: { url: 'https://example.com/i' }, headers });
    const b = await raw(srv, 'POST', '/api/v1/app/err/endpoint', { body: { url: 'https://example.com/i' }, headers });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.headers.get('idempotent-replayed'), 'true');
    // Double and trailing slashes, as Svix's routes take them.
    const s = await raw(srv, 'GET', '/api/v1//app/err//endpoint/taken/');
    assert.equal(s.status, 200);
    assert.equal(s.json.uid, 'taken');
  });
  test('hostile bodies: each a 4xx in Svix\'s shape naming the field, nothing stored', async () => {
    await svix.application.create({ name: 'Hostile', uid: 'hostile' });
    const U = 'https://example.com/x';
    const many = (n, f) => Array.from({ length: n }, (_, i) => f(i));
    const rows = [
      [{ url: U, filterTypes: many(10000, () => 'user.signup') }, 'filterTypes'],
      [{ url: U, channels: many(10000, (i) => `c${i}`) }, 'channels'],
      [{ url: U, metadata: Object.fromEntries(many(10000, (i) => [`k${i}`, 'v'])) }, 'metadata'],
      [{ url: U, metadata: { a: 1 } }, 'metadata'],
      [{ url: U, metadata: { a: null } }, 'metadata'],
      [{ url: U, metadata: { a: { b: 'c' } } }, 'metadata'],
      [{ url: U, headers: { 'X-A': 'a\r\nInjected: 1' } }, 'headers.X-A.value'],
      [{ url: U, headers: { 'svix-signature': 'v1,x' } }, 'headers.svix-signature.name'],
      [{ url: U, headers: { Host: 'evil.example' } }, 'headers.Host.name'],
      [{ url: U, headers: { 'content-length': '0' } }, 'headers.content-length.name'],
      [{ url: U, headers: Object.fromEntries(many(200, (i) => [`X-${i}`, 'v'])) }, 'headers'],
      [{ url: U, uid: 'u'.repeat(257) }, 'uid'],
      [{ url: U, uid: 'a\u0000b' }, 'uid'],
      [{ url: 'https://user:pass@example.com/x' }, 'url'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ url: 'file:///etc/passwd' }, 'url'],
      [{ url: U, description: 'a\u0000b' }, 'description'],
      [{ url: U, channels: ['a\u0000b'] }, 'channels'],
      [{ url: U, secret: `whsec_${'A'.repeat(32)}\u0000x` }, 'secret'],
      [{ url: U, filterTypes: ['user.signup', 7] }, 'filterTypes[1]'],
    ];
    for (const [body, field] of rows) {
      const r = await raw(srv, 'POST', '/api/v1/app/hostile/endpoint', { body });
      const what = JSON.stringify(body).slice(0, 100);
      assert.equal(r.status, 422, `${what}: ${r.text.slice(0, 300)}`);
      assert.deepEqual(r.json.detail[0].loc, ['body', field], what);
      assert.equal(r.json.detail[0].type, 'value_error', what);
    }
    for (const text of ['{', '{"url":"https://example.com/x"}x', '', 'null']) {
      const r = await raw(srv, 'POST', '/api/v1/app/hostile/endpoint', { body: text, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 400, `${text}: ${r.text}`);
      assert.equal(r.json.code, 'generic_error');
    }
    // A PUT at a path that is no uid makes nothing (each PUT again would
    // make one more): a 422 naming the path, as an event type's; an id
    // not there is not found.
    for (const p of ['u'.repeat(257), 'has%20space']) {
      const r = await raw(srv, 'PUT', `/api/v1/app/hostile/endpoint/${p}`, { body: { url: U, uid: 'in-body' } });
      assert.equal(r.status, 422, `${p.slice(0, 20)}: ${r.text}`);
      assert.deepEqual(r.json.detail[0].loc, ['path', 'endpoint_id']);
    }
    const noId = await raw(srv, 'PUT', '/api/v1/app/hostile/endpoint/ep_0000000000000000000000', { body: { url: U, uid: 'in-body' } });
    assert.equal(noId.status, 404, noId.text);
    assert.equal(noId.json.code, 'not_found');
    assert.deepEqual((await svix.endpoint.list('hostile')).data, []);
    // The headers routes and the rotation.
    await svix.endpoint.create('hostile', { url: U, uid: 'h' });
    for (const [method, body, field] of [
      ['PUT', { headers: { 'X-A': 'a\nB: c' } }, 'headers.X-A.value'],
      ['PUT', { headers: { 'Svix-Id': 'x' } }, 'headers.Svix-Id.name'],
      ['PATCH', { headers: { 'svix-timestamp': '1' } }, 'headers.svix-timestamp.name'],
      ['PATCH', { headers: {}, deleteHeaders: 'X-A' }, 'deleteHeaders'],
      ['PATCH', { headers: {}, deleteHeaders: many(1000, () => 'X-A') }, 'deleteHeaders'],
    ]) {
      const r = await raw(srv, method, '/api/v1/app/hostile/endpoint/h/headers', { body });
      assert.equal(r.status, 422, `${method} ${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
      assert.deepEqual(r.json.detail[0].loc, ['body', field]);
    }
    const k = await raw(srv, 'POST', '/api/v1/app/hostile/endpoint/h/secret/rotate', { body: { key: `whsec_${'A'.repeat(32)}\u0000`, gracePeriodSeconds: 1e300 } });
    assert.equal(k.status, 422, k.text);
    assert.deepEqual(k.json.detail.map((d) => d.loc[1]).sort(), ['gracePeriodSeconds', 'key']);
    assert.deepEqual((await svix.endpoint.getHeaders('hostile', 'h')).headers, {});
  });
  test('concurrent creates of one uid: one 201, the others 409; concurrent patches all land', async () => {
    await svix.application.create({ name: 'Race', uid: 'race' });
    const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) =>
      raw(srv, 'POST', '/api/v1/app/race/endpoint', { body: { url: `https://example.com/${i}`, uid: 'same' } })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], answers.map((r) => r.text).join('\n'));
    const list = await svix.endpoint.list('race');
    assert.equal(list.data.length, 1);
    const patched = await Promise.all([0, 1, 2, 3].map((i) =>
      raw(srv, 'PATCH', '/api/v1/app/race/endpoint/same/headers', { body: { headers: { [`X-${i}`]: `${i}` } } })));
    for (const r of patched) assert.equal(r.status, 204, r.text);
    assert.deepEqual(Object.keys((await svix.endpoint.getHeaders('race', 'same')).headers).sort(), ['X-0', 'X-1', 'X-2', 'X-3']);
  });
});
