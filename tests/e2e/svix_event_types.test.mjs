// Svix's event-type catalog at /api/v1/event-type (src/web/api_svix.c,
// src/model/event_type.c), driven by the real `svix` npm client: create,
// get, list in name order with pagination (archived ones only when asked
// for, schemas only with with_content), update (PUT, creating when absent),
// patch (absent unchanged, null clears), delete (archive; expunge removes),
// creating an archived type again un-archives it, each team its own
// catalog, idempotent POSTs, and the 403, 404, 409 and 422 shapes as the
// client surfaces them.  Behind lighttpd.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addToken, startLighttpd } from './lib.mjs';
import { client, fails, ISO_Z, raw } from './svix_lib.mjs';

describe('Svix event types behind lighttpd', () => {
  let srv;
  let svix;
  before(async () => {
    srv = await startLighttpd();
    svix = client(srv);
  });
  after(async () => { if (srv) await srv.stopAndClean(); });

  test('create and get: EventTypeOut, 201, schemas, both feature-flag spellings', async () => {
    const schemas = { 1: { type: 'object', properties: { id: { type: 'string' } } } };
    const t = await svix.eventType.create({ name: 'user.signup', description: 'A user signed up', schemas, featureFlag: 'beta' });
    assert.equal(t.name, 'user.signup');
    assert.equal(t.description, 'A user signed up');
    assert.equal(t.archived, false);
    assert.equal(t.deprecated, false);
    assert.deepEqual(t.schemas, schemas);
    assert.equal(t.featureFlag, 'beta');
    assert.deepEqual(t.featureFlags, ['beta']);
    assert.ok(t.createdAt instanceof Date && Math.abs(t.createdAt.getTime() - Date.now()) < 60000);
    const g = await svix.eventType.get('user.signup');
    assert.deepEqual(g.schemas, schemas);
    assert.equal(g.createdAt.getTime(), t.createdAt.getTime());
    const r = await raw(srv, 'POST', '/api/v1/event-type', { body: { name: 'raw.one', description: '', featureFlags: ['a', 'b'], deprecated: true } });
    assert.equal(r.status, 201);
    assert.match(r.json.createdAt, ISO_Z);
    assert.match(r.json.updatedAt, ISO_Z);
    assert.deepEqual(r.json.featureFlags, ['a', 'b']);
    assert.equal(r.json.deprecated, true);
    assert.equal(r.json.schemas, null);
    const gr = await raw(srv, 'GET', '/api/v1/event-type/raw.one/');
    assert.equal(gr.status, 200);
    assert.equal(gr.json.name, 'raw.one');
  });

  test('list: name order, pagination, archived only when asked, schemas only with_content', async () => {
    const token = addToken(srv.home, 'types');
    const sv = client(srv, token);
    const names = ['order.paid', 'a.b', 'invoice.sent', 'z-last', 'm_mid', 'b.c'];
    for (const name of names) await sv.eventType.create({ name, description: name, schemas: { 1: {} } });
    const sorted = [...names].sort();
    const seen = [];
    let page = await sv.eventType.list({ limit: 4 });
    for (;;) {
      seen.push(...page.data.map((x) => x.name));
      if (page.done) break;
      assert.equal(page.data.length, 4);
      page = await sv.eventType.list({ limit: 4, iterator: page.iterator });
    }
    assert.deepEqual(seen, sorted);
    const all = await sv.eventType.list();
    assert.equal(all.done, true);
    assert.ok(all.data.every((x) => x.schemas === null), 'no schemas without with_content');
    const full = await sv.eventType.list({ withContent: true });
    assert.ok(full.data.every((x) => x.schemas !== null && typeof x.schemas === 'object'));
    const desc = await sv.eventType.list({ order: 'descending', limit: 2 });
    assert.deepEqual(desc.data.map((x) => x.name), [...sorted].reverse().slice(0, 2));
    assert.equal(desc.done, false);
    // Back from the second page: the first again.
    const p2 = await sv.eventType.list({ limit: 2, iterator: sorted[1] });
    assert.deepEqual(p2.data.map((x) => x.name), sorted.slice(2, 4));
    const back = await sv.eventType.list({ limit: 2, iterator: p2.prevIterator });
    assert.deepEqual(back.data.map((x) => x.name), sorted.slice(0, 2));
    // Archived: hidden, unless include_archived; still readable.
    await sv.eventType.delete('invoice.sent');
    const live = await sv.eventType.list();
    assert.deepEqual(live.data.map((x) => x.name), sorted.filter((n) => n !== 'invoice.sent'));
    const withArch = await sv.eventType.list({ includeArchived: true });
    assert.deepEqual(withArch.data.map((x) => x.name), sorted);
    assert.equal(withArch.data.find((x) => x.name === 'invoice.sent').archived, true);
    assert.equal((await sv.eventType.get('invoice.sent')).archived, true);
    const rl = await raw(srv, 'GET', '/api/v1/event-type?include_archived=true&with_content=true&limit=2&iterator=b.c', { token });
    assert.equal(rl.status, 200);
    assert.deepEqual(rl.json.data.map((x) => x.name), ['invoice.sent', 'm_mid']);
    assert.deepEqual(rl.json.data[0].schemas, { 1: {} });
    assert.equal(rl.json.iterator, 'm_mid');
    assert.equal(rl.json.prevIterator, '-invoice.sent');
    assert.equal(rl.json.done, false);
    // Another team's catalog is its own.
    const other = await svix.eventType.list({ limit: 250, includeArchived: true });
    assert.ok(!other.data.some((x) => x.name === 'order.paid'));
    assert.equal((await fails(svix.eventType.get('order.paid'))).code, 404);
  });

  test('delete archives, create un-archives, expunge removes', async () => {
    const t = await svix.eventType.create({ name: 'arch.me', description: 'one', schemas: { 1: {} } });
    await svix.eventType.delete('arch.me');
    assert.equal((await svix.eventType.get('arch.me')).archived, true);
    const again = await svix.eventType.create({ name: 'arch.me', description: 'two' });
    assert.equal(again.archived, false);
    assert.equal(again.description, 'two');
    assert.equal(again.schemas, null, 'create does not keep the old schemas');
    assert.equal(again.createdAt.getTime(), t.createdAt.getTime());
    await svix.eventType.delete('arch.me', { expunge: true });
    assert.equal((await fails(svix.eventType.get('arch.me'))).code, 404);
    assert.equal((await fails(svix.eventType.delete('arch.me'))).code, 404);
    const r = await raw(srv, 'DELETE', '/api/v1/event-type/never.made');
    assert.equal(r.status, 404);
    assert.equal(r.json.code, 'not_found');
  });

  test('update (PUT) replaces and creates when absent; patch keeps what it omits, null clears', async () => {
    const made = await raw(srv, 'PUT', '/api/v1/event-type/put.new', { body: { description: 'made', deprecated: true } });
    assert.equal(made.status, 201);
    assert.equal(made.json.name, 'put.new');
    const u = await svix.eventType.update('put.new', { description: 'replaced', schemas: { 1: {} }, featureFlags: ['f'] });
    assert.equal(u.description, 'replaced');
    assert.equal(u.deprecated, false, 'PUT: an absent field is reset');
    assert.deepEqual(u.featureFlags, ['f']);
    const p = await svix.eventType.patch('put.new', { deprecated: true });
    assert.equal(p.description, 'replaced');
    assert.deepEqual(p.schemas, { 1: {} });
    assert.equal(p.deprecated, true);
    const c = await svix.eventType.patch('put.new', { schemas: null, featureFlags: null });
    assert.equal(c.schemas, null);
    assert.equal(c.featureFlags, null);
    assert.equal(c.deprecated, true);
    assert.equal((await fails(svix.eventType.patch('no.such', { description: 'x' }))).code, 404);
    // PUT without webhooks:add makes nothing.
    const editor = client(srv, addToken(srv.home, 'default', 'webhooks:view,webhooks:edit'));
    const e403 = await fails(editor.eventType.update('put.nope', { description: 'x' }));
    assert.equal(e403.code, 403);
    assert.equal((await editor.eventType.update('put.new', { description: 'ed' })).description, 'ed');
  });

  test('errors as the client surfaces them: 401, 403, 409, 422', async () => {
    const e401 = await fails(client(srv, 'bad').eventType.list());
    assert.equal(e401.code, 401);
    const viewer = client(srv, addToken(srv.home, 'default', 'webhooks:view'));
    assert.equal((await fails(viewer.eventType.create({ name: 'v.x', description: '' }))).code, 403);
    assert.equal((await fails(viewer.eventType.delete('user.signup'))).code, 403);
    await svix.eventType.create({ name: 'dup.type', description: '' });
    const e409 = await fails(svix.eventType.create({ name: 'dup.type', description: 'again' }));
    assert.equal(e409.code, 409);
    assert.equal(e409.body.code, 'event_type_exists');
    assert.match(e409.body.detail, /already exists/);
    const r409 = await raw(srv, 'POST', '/api/v1/event-type', { body: { name: 'dup.type', description: '' } });
    assert.equal(r409.status, 409);
    assert.deepEqual(Object.keys(r409.json).sort(), ['code', 'detail']);
    // The name: this service's event-type rule (Svix's characters, at most 128).
    for (const name of ['a b', 'a/b', '', 'x'.repeat(129), 'é']) {
      const e = await fails(svix.eventType.create({ name, description: '' }));
      assert.equal(e.code, 422, JSON.stringify(name));
      assert.deepEqual(e.body.detail[0].loc, ['body', 'name']);
      assert.equal(e.body.detail[0].type, 'value_error');
    }
    assert.equal((await svix.eventType.create({ name: 'y'.repeat(128), description: '' })).name.length, 128);
    const noDesc = await fails(svix.eventType.create({ name: 'no.desc' }));
    assert.equal(noDesc.code, 422);
    assert.deepEqual(noDesc.body.detail[0].loc, ['body', 'description']);
    const badPut = await fails(svix.eventType.update('a b', { description: '' }));
    assert.equal(badPut.code, 422);
    assert.deepEqual(badPut.body.detail[0].loc, ['path', 'event_type_name']);
    for (const limit of [0, 251]) {
      const e = await fails(svix.eventType.list({ limit }));
      assert.equal(e.code, 422);
      assert.deepEqual(e.body.detail[0].loc, ['query', 'limit']);
    }
    const bad = await raw(srv, 'PATCH', '/api/v1/event-type/dup.type', { body: { archived: 'yes', schemas: [1] } });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail.map((d) => d.loc[1]), ['archived', 'schemas']);
  });

  test('idempotency: a repeated create with the same key gets the first answer', async () => {
    const key = `et-${Date.now()}`;
    const a = await svix.eventType.create({ name: 'idem.type', description: 'first' }, { idempotencyKey: key });
    const b = await svix.eventType.create({ name: 'idem.type', description: 'second' }, { idempotencyKey: key });
    assert.equal(b.description, 'first');
    assert.equal(b.createdAt.getTime(), a.createdAt.getTime());
    const r = await raw(srv, 'POST', '/api/v1/event-type', { body: { name: 'idem.type', description: 'x' }, headers: { 'idempotency-key': key } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('idempotent-replayed'), 'true');
    // Without it: the name is taken.
    assert.equal((await fails(svix.eventType.create({ name: 'idem.type', description: 'x' }))).code, 409);
  });
});
