// Svix's API at /api/v1 (src/web/api_svix.c), driven by the real `svix`
// npm client (pinned in package.json) with only its serverUrl pointing at
// this service: health, applications (create, get-or-create by uid, get by
// id and by uid, list with pagination, update, patch, delete), the error
// shapes as the client surfaces them (401, 404, 409, 422) and idempotent
// POSTs.  Behind lighttpd, and behind Apache for the create and list path.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { Svix } from 'svix';

import { addToken, FCGI, makeHome, removeHome, startApache, startLighttpd } from './lib.mjs';
import { client, fails, ISO_Z, raw } from './svix_lib.mjs';

const APP_ID = /^app_[0-9A-Za-z]{27}$/;

describe('Svix API behind lighttpd', () => {
  let srv;
  let svix;
  before(async () => {
    srv = await startLighttpd();
    svix = client(srv);
  });
  after(async () => { if (srv) await srv.stopAndClean(); });

  test('health: the client gets through; Svix\'s report, no token needed', async () => {
    await svix.health.get();
    const r = await raw(srv, 'GET', '/api/v1/health', { token: 'nope' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { database: { status: 'Ok' }, queue: { status: 'Ok' }, cache: { status: 'Ok' } });
    const p = await raw(srv, 'GET', '/api/v1/health/ping/');
    assert.equal(p.status, 204);
    assert.equal(p.text, '');
  });

  test('create, get by id and by uid, dates and fields as ApplicationOut', async () => {
    const a = await svix.application.create({ name: 'Acme', uid: 'acme-1', metadata: { plan: 'pro' }, rateLimit: 10 });
    assert.match(a.id, APP_ID);
    assert.equal(a.name, 'Acme');
    assert.equal(a.uid, 'acme-1');
    assert.deepEqual(a.metadata, { plan: 'pro' });
    assert.equal(a.rateLimit, 10);
    assert.ok(a.createdAt instanceof Date && !Number.isNaN(a.createdAt.getTime()));
    assert.ok(Math.abs(a.createdAt.getTime() - Date.now()) < 60000);
    const byId = await svix.application.get(a.id);
    const byUid = await svix.application.get('acme-1');
    assert.equal(byId.id, a.id);
    assert.equal(byUid.id, a.id);
    const r = await raw(srv, 'GET', `/api/v1/app/${a.id}`);
    assert.equal(r.status, 200);
    assert.match(r.json.createdAt, ISO_Z);
    assert.match(r.json.updatedAt, ISO_Z);
    assert.equal(r.headers.get('content-type'), 'application/json');
    // An application without a uid or metadata.
    const b = await svix.application.create({ name: 'No uid' });
    assert.equal(b.uid, null);
    assert.deepEqual(b.metadata, {});
    assert.equal(b.rateLimit, null);
    // A new application answers 201.
    const c = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'raw' } });
    assert.equal(c.status, 201);
  });

  test('getOrCreate: the first call makes it, the next ones get it', async () => {
    const a = await svix.application.getOrCreate({ name: 'Goc', uid: 'goc' });
    const b = await svix.application.getOrCreate({ name: 'Other name', uid: 'goc' });
    assert.equal(b.id, a.id);
    assert.equal(b.name, 'Goc');
    const r = await raw(srv, 'POST', '/api/v1/app?get_if_exists=true', { body: { name: 'x', uid: 'goc' } });
    assert.equal(r.status, 200);
    assert.equal(r.json.id, a.id);
  });

  test('list: creation order, iterator pagination, done, descending, prevIterator', async () => {
    const token = addToken(srv.home, 'lister');
    const sv = client(srv, token);
    const made = [];
    for (let i = 0; i < 7; i++) made.push((await sv.application.create({ name: `app ${i}`, uid: `l${i}` })).id);
    assert.deepEqual([...made].sort(), made, 'ids sort in creation order');
    const seen = [];
    let page = await sv.application.list({ limit: 3 });
    for (;;) {
      seen.push(...page.data.map((a) => a.id));
      if (page.done) break;
      assert.equal(page.data.length, 3);
      page = await sv.application.list({ limit: 3, iterator: page.iterator });
    }
    assert.deepEqual(seen, made);
    const all = await sv.application.list();
    assert.equal(all.done, true);
    assert.deepEqual(all.data.map((a) => a.id), made);
    const desc = await sv.application.list({ order: 'descending', limit: 4 });
    assert.deepEqual(desc.data.map((a) => a.id), [...made].reverse().slice(0, 4));
    assert.equal(desc.done, false);
    const rest = await sv.application.list({ order: 'descending', limit: 4, iterator: desc.iterator });
    assert.deepEqual(rest.data.map((a) => a.id), [...made].reverse().slice(4));
    assert.equal(rest.done, true);
    // Back from the second ascending page: the first page again.
    const p2 = await sv.application.list({ limit: 3, iterator: made[2] });
    assert.deepEqual(p2.data.map((a) => a.id), made.slice(3, 6));
    assert.equal(p2.prevIterator, `-${made[3]}`);
    const back = await sv.application.list({ limit: 3, iterator: p2.prevIterator });
    assert.deepEqual(back.data.map((a) => a.id), made.slice(0, 3));
    // Another team sees none of them, and cannot read one.
    const other = await svix.application.list({ limit: 250 });
    assert.ok(!other.data.some((a) => made.includes(a.id)));
    const e = await fails(svix.application.get(made[0]));
    assert.equal(e.code, 404);
    const e2 = await fails(svix.application.get('l0'));
    assert.equal(e2.code, 404);
    // Unknown query parameters are ignored; so are double and trailing slashes.
    const r = await raw(srv, 'GET', '/api/v1//app/?limit=2&exclude_apps_with_no_endpoints=true&whatever=1', { token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.data.map((a) => a.id), made.slice(0, 2));
    // A server URL ending in '/': the client's paths then begin with "//".
    const slash = new Svix(token, { serverUrl: `${srv.base}/`, numRetries: 0 });
    assert.deepEqual((await slash.application.list({ limit: 2 })).data.map((a) => a.id), made.slice(0, 2));
    assert.equal((await slash.application.get('l3')).id, made[3]);
    const empty = await raw(srv, 'GET', `/api/v1/app?iterator=${made[6]}`, { token });
    assert.deepEqual(empty.json, { data: [], iterator: null, prevIterator: null, done: true });
  });

  test('update (PUT) replaces, and creates when absent; patch keeps what it omits, null clears', async () => {
    const a = await svix.application.create({ name: 'Up', uid: 'up-1', metadata: { k: 'v' }, rateLimit: 5 });
    const u = await svix.application.update(a.id, { name: 'Up 2', uid: 'up-2' });
    assert.equal(u.id, a.id);
    assert.equal(u.name, 'Up 2');
    assert.equal(u.uid, 'up-2');
    assert.deepEqual(u.metadata, {});
    assert.equal(u.rateLimit, null);
    assert.ok(u.updatedAt >= a.updatedAt);
    assert.equal((await svix.application.get('up-2')).id, a.id);
    assert.equal((await fails(svix.application.get('up-1'))).code, 404);
    // The old uid is free again.
    const again = await svix.application.create({ name: 'Reuse', uid: 'up-1' });
    assert.notEqual(again.id, a.id);
    // PUT of an unknown uid makes it under that uid.
    const made = await raw(srv, 'PUT', '/api/v1/app/put-made', { body: { name: 'Made by PUT' } });
    assert.equal(made.status, 201);
    assert.equal(made.json.uid, 'put-made');
    const viaClient = await svix.application.update('put-made', { name: 'Renamed' });
    assert.equal(viaClient.id, made.json.id);
    // Patch.
    const p = await svix.application.patch(a.id, { metadata: { a: 'b' } });
    assert.equal(p.name, 'Up 2');
    assert.equal(p.uid, 'up-2');
    assert.deepEqual(p.metadata, { a: 'b' });
    const p2 = await svix.application.patch('up-2', { uid: null, rateLimit: 7 });
    assert.equal(p2.uid, null);
    assert.equal(p2.rateLimit, 7);
    assert.deepEqual(p2.metadata, { a: 'b' });
    assert.equal((await fails(svix.application.get('up-2'))).code, 404);
    // Unknown fields are ignored.
    const p3 = await raw(srv, 'PATCH', `/api/v1/app/${a.id}`, { body: { name: 'P3', color: 'red' } });
    assert.equal(p3.status, 200);
    assert.equal(p3.json.name, 'P3');
    assert.equal(p3.json.color, undefined);
  });

  test('delete: 204, then 404 by id and by uid', async () => {
    const a = await svix.application.create({ name: 'Del', uid: 'del-me' });
    const r = await raw(srv, 'DELETE', `/api/v1/app/${a.id}`);
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await fails(svix.application.get(a.id))).code, 404);
    assert.equal((await fails(svix.application.get('del-me'))).code, 404);
    const e = await fails(svix.application.delete(a.id));
    assert.equal(e.code, 404);
    assert.deepEqual(e.body, { code: 'not_found', detail: 'Entity not found' });
    const b = await svix.application.create({ name: 'Del 2', uid: 'del-me' });
    await svix.application.delete('del-me');
    assert.equal((await fails(svix.application.get(b.id))).code, 404);
  });

  test('errors as the client surfaces them: 401, 403, 404, 409, 422', async () => {
    const bad = client(srv, 'wh_not_a_token');
    const e401 = await fails(bad.application.list());
    assert.equal(e401.code, 401);
    assert.equal(e401.body.code, 'authentication_failed');
    assert.equal(typeof e401.body.detail, 'string');
    const none = await raw(srv, 'GET', '/api/v1/app', { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.json.code, 'authentication_failed');

    const viewer = client(srv, addToken(srv.home, 'default', 'webhooks:view'));
    const e403 = await fails(viewer.application.create({ name: 'nope' }));
    assert.equal(e403.code, 403);
    assert.equal(e403.body.code, 'insufficient access');
    // PUT makes an absent application only with webhooks:add.
    const editor = addToken(srv.home, 'default', 'webhooks:view,webhooks:edit');
    const putNew = await raw(srv, 'PUT', '/api/v1/app/not-made', { token: editor, body: { name: 'n' } });
    assert.equal(putNew.status, 403);
    assert.equal(putNew.json.code, 'insufficient access');
    assert.equal((await fails(svix.application.get('not-made'))).code, 404);

    const e404 = await fails(svix.application.get('app_2Wq0000000000000000000000000'));
    assert.equal(e404.code, 404);
    assert.deepEqual(e404.body, { code: 'not_found', detail: 'Entity not found' });
    const path404 = await raw(srv, 'GET', '/api/v1/nothing-here');
    assert.equal(path404.status, 404);
    assert.equal(path404.json.code, 'not_found');

    await svix.application.create({ name: 'Dup', uid: 'dup' });
    const e409 = await fails(svix.application.create({ name: 'Dup again', uid: 'dup' }));
    assert.equal(e409.code, 409);
    assert.equal(e409.body.code, 'conflict');
    const other = await svix.application.create({ name: 'Other', uid: 'other' });
    const e409b = await fails(svix.application.patch(other.id, { uid: 'dup' }));
    assert.equal(e409b.code, 409);

    for (const uid of ['app_x', 'has space', 'a'.repeat(257), '']) {
      const e = await fails(svix.application.create({ name: 'Bad uid', uid }));
      assert.equal(e.code, 422, uid);
      assert.ok(Array.isArray(e.body.detail));
      assert.deepEqual(e.body.detail[0].loc, ['body', 'uid']);
      assert.equal(typeof e.body.detail[0].msg, 'string');
      assert.equal(e.body.detail[0].type, 'value_error');
    }
    const noName = await fails(svix.application.create({ uid: 'no-name' }));
    assert.equal(noName.code, 422);
    assert.deepEqual(noName.body.detail.map((d) => d.loc), [['body', 'name']]);
    // A NUL inside the name or uid: refused, not cut short ("acme-1").
    const nul = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'A\u0000B', uid: 'acme-1\u0000x' } });
    assert.equal(nul.status, 422, nul.text);
    assert.deepEqual(nul.json.detail.map((d) => d.loc), [['body', 'name'], ['body', 'uid']]);
    const longIter = await raw(srv, 'GET', `/api/v1/app?iterator=app_${'x'.repeat(100)}`);
    assert.equal(longIter.status, 422);
    assert.deepEqual(longIter.json.detail[0].loc, ['query', 'iterator']);
    for (const limit of [251, 0]) {
      const e = await fails(svix.application.list({ limit }));
      assert.equal(e.code, 422);
      assert.deepEqual(e.body.detail[0].loc, ['query', 'limit']);
    }
    assert.equal((await svix.application.list({ limit: 250 })).done, true);
    const notJson = await fetch(`${srv.base}/api/v1/app`, { method: 'POST', headers: { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'application/json' }, body: '{' });
    assert.equal(notJson.status, 400);
    assert.equal((await notJson.json()).code, 'generic_error');
    const method = await raw(srv, 'POST', '/api/v1/health', { body: {} });
    assert.equal(method.status, 405);
    assert.equal(method.json.code, 'method_not_allowed');
  });

  test('idempotency: a repeated POST with the same key gets the first answer', async () => {
    const key = `test-${Date.now()}`;
    const a = await svix.application.create({ name: 'Idem', uid: 'idem-1' }, { idempotencyKey: key });
    const b = await svix.application.create({ name: 'Idem', uid: 'idem-1' }, { idempotencyKey: key });
    assert.equal(b.id, a.id);
    assert.equal(b.createdAt.getTime(), a.createdAt.getTime());
    const r = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'whatever' }, headers: { 'idempotency-key': key } });
    assert.equal(r.status, 201);
    assert.equal(r.json.id, a.id);
    assert.equal(r.headers.get('idempotent-replayed'), 'true');
    // Without the key (the client makes a new one each call): a 409.
    assert.equal((await fails(svix.application.create({ name: 'Idem', uid: 'idem-1' }))).code, 409);
    // Another token of the same team does not share the key.
    const t2 = addToken(srv.home, 'default');
    const c = await raw(srv, 'POST', '/api/v1/app', { token: t2, body: { name: 'Idem 2' }, headers: { 'idempotency-key': key } });
    assert.equal(c.status, 201);
    assert.notEqual(c.json.id, a.id);
    // An error is not kept: the same key runs again once the cause is gone.
    const k2 = `retry-${Date.now()}`;
    const e = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'dup', uid: 'idem-1' }, headers: { 'idempotency-key': k2 } });
    assert.equal(e.status, 409);
    await svix.application.delete('idem-1');
    const ok = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'dup', uid: 'idem-1' }, headers: { 'idempotency-key': k2 } });
    assert.equal(ok.status, 201);
    // Concurrent duplicates: one application, every answer the same.
    const k3 = `conc-${Date.now()}`;
    const answers = await Promise.all([0, 1, 2, 3].map(() =>
      raw(srv, 'POST', '/api/v1/app', { body: { name: 'conc' }, headers: { 'idempotency-key': k3 } })));
    for (const x of answers) assert.equal(x.status, 201, x.text);
    assert.equal(new Set(answers.map((x) => x.json.id)).size, 1);
    assert.equal(answers.filter((x) => x.headers.get('idempotent-replayed') === 'true').length, 3);
    // A key outside the rules is a 422.
    const badKey = await raw(srv, 'POST', '/api/v1/app', { body: { name: 'k' }, headers: { 'idempotency-key': 'x'.repeat(256) } });
    assert.equal(badKey.status, 422);
    assert.deepEqual(badKey.json.detail[0].loc, ['header', 'idempotency-key']);
  });
});

describe('Svix API behind Apache', () => {
  let srv;
  before(async () => { srv = await startApache(); });
  after(async () => { if (srv) await srv.stopAndClean(); });

  test('create, get-or-create and list through the client', async () => {
    const svix = client(srv);
    await svix.health.get();
    const a = await svix.application.create({ name: 'Behind Apache', uid: 'apache-1' });
    const b = await svix.application.getOrCreate({ name: 'x', uid: 'apache-1' });
    assert.equal(b.id, a.id);
    const c = await svix.application.create({ name: 'Second' });
    const page = await svix.application.list({ limit: 1 });
    assert.deepEqual(page.data.map((x) => x.id), [a.id]);
    assert.equal(page.done, false);
    const next = await svix.application.list({ limit: 1, iterator: page.iterator });
    assert.deepEqual(next.data.map((x) => x.id), [c.id]);
    assert.equal(next.done, true);
    assert.equal((await svix.application.get('apache-1')).name, 'Behind Apache');
    const e = await fails(client(srv, 'bad').application.list());
    assert.equal(e.code, 401);
    // A server URL ending in '/'.
    const slash = new Svix(srv.token, { serverUrl: `${srv.base}/`, numRetries: 0 });
    assert.equal((await slash.application.create({ name: 'Slash', uid: 'slash' })).uid, 'slash');
    assert.equal((await slash.application.list()).data.length, 3);
  });
});

// Plain CGI, a process a request: the databases open at their first use
// there (STORE_LAZY), unlike behind FastCGI, where every one is open before
// the first request.  Each Svix table read and written that way.
describe('Svix API as plain CGI', () => {
  let home;
  let token;
  before(() => { ({ home, token } = makeHome('webhooks-svix-cgi-')); });
  after(() => removeHome(home));

  const cgi = (method, p, body) => {
    const input = body === undefined ? '' : JSON.stringify(body);
    const r = spawnSync(FCGI, [], {
      input, encoding: 'utf8', timeout: 20000,
      env: { PATH: process.env.PATH, WEBHOOKS_HOME: home, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: method,
        REQUEST_URI: p, SCRIPT_NAME: '', PATH_INFO: p.replace(/\?.*$/, ''), QUERY_STRING: p.includes('?') ? p.replace(/^[^?]*\?/, '') : '',
        CONTENT_TYPE: 'application/json', CONTENT_LENGTH: String(Buffer.byteLength(input)),
        HTTP_AUTHORIZATION: `Bearer ${token}`, REMOTE_ADDR: '127.0.0.1', SERVER_NAME: '127.0.0.1', SERVER_PORT: '80' },
    });
    assert.equal(r.signal, null, `${method} ${p}: the program died of ${r.signal}\n${r.stderr}`);
    const m = /^Status: (\d+)/.exec(r.stdout);
    assert.ok(m, `${method} ${p}: no status line\n${r.stdout}\n${r.stderr}`);
    const text = r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
    return { status: Number(m[1]), json: text ? JSON.parse(text) : null };
  };

  test('applications and event types: create, get, list, patch, delete, each request a new process', () => {
    let r = cgi('POST', '/api/v1/app/', { name: 'Cgi', uid: 'cgi-1' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.match(r.json.id, APP_ID);
    assert.equal(cgi('GET', '/api/v1/app/cgi-1/').json.id, r.json.id);
    assert.equal(cgi('GET', '/api/v1/app/?limit=10').json.data.length, 1);
    assert.equal(cgi('PATCH', '/api/v1/app/cgi-1/', { name: 'Cgi 2' }).json.name, 'Cgi 2');
    assert.equal(cgi('DELETE', '/api/v1/app/cgi-1/').status, 204);
    assert.equal(cgi('GET', '/api/v1/app/cgi-1/').status, 404);
    r = cgi('POST', '/api/v1/event-type/', { name: 'invoice.paid', description: 'An invoice was paid' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(cgi('GET', '/api/v1/event-type/invoice.paid/').json.description, 'An invoice was paid');
    assert.equal(cgi('GET', '/api/v1/event-type/').json.data.length, 1);
    assert.equal(cgi('DELETE', '/api/v1/event-type/invoice.paid/').status, 204);
    assert.equal(cgi('GET', '/api/v1/event-type/').json.data.length, 0);
  });
});
