// Seed 000 (Passona API 2.0, /api/2.0/webhooks) against the real program
// behind real lighttpd and real Apache + mod_fcgid, both started from the
// shipped example configurations.  The seed's requests are replayed verbatim
// (method, path, headers, body text) apart from the host and the token.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { SERVERS, UUID_RE, addToken, api, show } from './lib.mjs';

const SEED_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };

// The seed's bodies, byte for byte as its curl --data sends them.
const SEED_CREATE = `{
    "name": "Example Webhook",
    "url": "https://digitonic.co.uk/webhook",
    "headers": {
        "Accept": "application/json",
        "Content-Type": "application/json"
    }
}`;
const SEED_UPDATE = `{
    "name": "Example Webhook",
    "url": "https://digitonic.co.uk/webhook/update"
}`;

// A webhook as seed 000 shows it (extra union fields are allowed).
function checkWebhook(w, want, base, what) {
  assert.equal(typeof w, 'object', `${what}: data is an object`);
  assert.ok(w !== null && !Array.isArray(w), `${what}: data is an object`);
  assert.equal(w.name, want.name, `${what}: name`);
  assert.match(String(w.uuid), UUID_RE, `${what}: uuid is a UUID`);
  if (want.uuid) assert.equal(w.uuid, want.uuid, `${what}: uuid`);
  assert.equal(w.url, want.url, `${what}: url`);
  assert.equal(typeof w.headers, 'object', `${what}: headers is an object`);
  assert.ok(w.headers !== null && !Array.isArray(w.headers), `${what}: headers is an object, not an array`);
  assert.deepEqual(w.headers, want.headers, `${what}: headers`);
  assert.deepEqual(w.links, [{ rel: 'self', uri: `${base}/api/2.0/webhooks/${w.uuid}` }], `${what}: links`);
}

function assertJsonError(res, status) {
  assert.equal(res.status, status, show(res));
  assert.notEqual(res.json, undefined, `error body is JSON: ${show(res)}`);
  assert.equal(typeof res.json, 'object', `error body is a JSON object: ${show(res)}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/, `Content-Type of ${show(res)}`);
}

// A GET with a chosen Host header (fetch does not let us set it).
function getWithHost(port, p, host, token) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: p, method: 'GET',
      headers: { Host: host, Authorization: `Bearer ${token}`, ...SEED_HEADERS },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, text, json, request: `GET ${p} (Host: ${host})` });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function pageOf(u) {
  const url = new URL(u);
  return Number(url.searchParams.get('page'));
}

for (const kind of Object.keys(SERVERS)) {
  describe(`seed 000 behind ${kind}`, () => {
    let s;
    const w = (fn) => async (t) => s.wrap(fn)(t);

    before(async () => { s = await SERVERS[kind](); });
    after(async () => { if (s) await s.stopAndClean(); });

    test('replays the seed: create, edit, show, list, delete', w(async () => {
      const token = addToken(s.home, 'seed');
      const base = s.base;
      const o = { token, headers: SEED_HEADERS };

      // POST /api/2.0/webhooks/ (with the seed's trailing slash)
      let r = await api(base, 'POST', '/api/2.0/webhooks/', { ...o, body: SEED_CREATE });
      assert.equal(r.status, 201, show(r));
      assert.ok(r.json && r.json.data, `data envelope: ${show(r)}`);
      const created = {
        name: 'Example Webhook',
        url: 'https://digitonic.co.uk/webhook',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      };
      checkWebhook(r.json.data, created, base, 'create');
      const uuid = r.json.data.uuid;

      // PUT: name and url change, headers stay.
      r = await api(base, 'PUT', `/api/2.0/webhooks/${uuid}`, { ...o, body: SEED_UPDATE });
      assert.equal(r.status, 200, show(r));
      const updated = { ...created, uuid, url: 'https://digitonic.co.uk/webhook/update' };
      checkWebhook(r.json?.data, updated, base, 'update');

      // GET one (with the seed's Content-Type on a GET).
      r = await api(base, 'GET', `/api/2.0/webhooks/${uuid}`, o);
      assert.equal(r.status, 200, show(r));
      checkWebhook(r.json?.data, updated, base, 'show');

      // The links follow the Host the request came in on.
      r = await getWithHost(s.port, `/api/2.0/webhooks/${uuid}`, 'passona.test', token);
      assert.equal(r.status, 200, show(r));
      checkWebhook(r.json?.data, updated, 'http://passona.test', 'show with Host: passona.test');

      // The seed's show path is not a UUID: 404.
      r = await api(base, 'GET', '/api/2.0/webhooks/f3357bfe-fb20-11e9-93ef-0242ac120008ds', o);
      assertJsonError(r, 404);

      // GET the list, as the heading writes it and as the seed's curl does.
      for (const p of ['/api/2.0/webhooks', '/api/2.0/webhooks/']) {
        r = await api(base, 'GET', p, o);
        assert.equal(r.status, 200, show(r));
        assert.ok(Array.isArray(r.json?.data), `data array: ${show(r)}`);
        assert.equal(r.json.data.length, 1, show(r));
        checkWebhook(r.json.data[0], updated, base, `list ${p}`);
        assert.deepEqual(r.json.links, {
          first: `${base}/api/2.0/webhooks?page=1`,
          last: `${base}/api/2.0/webhooks?page=1`,
          prev: null,
          next: null,
        }, `links of ${p}`);
        assert.deepEqual(r.json.meta, {
          current_page: 1,
          from: 1,
          last_page: 1,
          path: `${base}/api/2.0/webhooks`,
          per_page: 15,
          to: 1,
          total: 1,
        }, `meta of ${p}`);
      }

      // DELETE: 204, no body; then it is gone.
      r = await api(base, 'DELETE', `/api/2.0/webhooks/${uuid}`, o);
      assert.equal(r.status, 204, show(r));
      assert.equal(r.text, '', 'DELETE answers with an empty body');
      r = await api(base, 'GET', `/api/2.0/webhooks/${uuid}`, o);
      assertJsonError(r, 404);
      r = await api(base, 'DELETE', `/api/2.0/webhooks/${uuid}`, o);
      assertJsonError(r, 404);
      r = await api(base, 'GET', '/api/2.0/webhooks', o);
      assert.equal(r.status, 200, show(r));
      assert.deepEqual(r.json.data, [], show(r));
      assert.equal(r.json.meta.total, 0, show(r));
    }));

    test('paginates 40 webhooks', w(async () => {
      const token = addToken(s.home, 'pages');
      const base = s.base;
      const made = new Set();
      for (let i = 0; i < 40; i++) {
        const r = await api(base, 'POST', '/api/2.0/webhooks', {
          token, body: { name: `hook ${i}`, url: `https://example.com/hook/${i}`, headers: { 'X-N': String(i) } },
        });
        assert.equal(r.status, 201, show(r));
        made.add(r.json.data.uuid);
      }
      assert.equal(made.size, 40);

      const seen = new Set();
      const expect = [
        { page: 1, n: 15, from: 1, to: 15, prev: null, next: 2 },
        { page: 2, n: 15, from: 16, to: 30, prev: 1, next: 3 },
        { page: 3, n: 10, from: 31, to: 40, prev: 2, next: null },
      ];
      for (const e of expect) {
        const r = await api(base, 'GET', `/api/2.0/webhooks?page=${e.page}`, { token });
        assert.equal(r.status, 200, show(r));
        const { data, links, meta } = r.json;
        assert.equal(data.length, e.n, `page ${e.page} size`);
        assert.deepEqual(meta, {
          current_page: e.page, from: e.from, last_page: 3, path: `${base}/api/2.0/webhooks`,
          per_page: 15, to: e.to, total: 40,
        }, `meta of page ${e.page}`);
        assert.equal(links.first, `${base}/api/2.0/webhooks?page=1`);
        assert.equal(links.last, `${base}/api/2.0/webhooks?page=3`);
        if (e.prev === null) assert.equal(links.prev, null, `prev of page ${e.page}`);
        else assert.equal(links.prev, `${base}/api/2.0/webhooks?page=${e.prev}`);
        if (e.next === null) assert.equal(links.next, null, `next of page ${e.page}`);
        else assert.equal(links.next, `${base}/api/2.0/webhooks?page=${e.next}`);
        for (const h of data) {
          assert.ok(made.has(h.uuid), `listed ${h.uuid} was made here`);
          assert.ok(!seen.has(h.uuid), `${h.uuid} listed twice`);
          seen.add(h.uuid);
          assert.deepEqual(h.links, [{ rel: 'self', uri: `${base}/api/2.0/webhooks/${h.uuid}` }]);
        }
      }
      assert.equal(seen.size, 40, 'the three pages hold every webhook once');

      // per_page: other sizes, the cap of 100, links that keep per_page.
      let r = await api(base, 'GET', '/api/2.0/webhooks?per_page=10&page=2', { token });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.data.length, 10);
      assert.equal(r.json.meta.per_page, 10);
      assert.equal(r.json.meta.last_page, 4);
      assert.equal(r.json.meta.from, 11);
      assert.equal(r.json.meta.to, 20);
      assert.equal(pageOf(r.json.links.next), 3, r.json.links.next);
      assert.equal(pageOf(r.json.links.prev), 1, r.json.links.prev);
      assert.equal(pageOf(r.json.links.last), 4, r.json.links.last);
      const nextUrl = new URL(r.json.links.next);
      assert.equal(`${nextUrl.origin}${nextUrl.pathname}`, `${base}/api/2.0/webhooks`);
      // Following `next` gives the next page of the same size.
      r = await api(base, 'GET', nextUrl.pathname + nextUrl.search, { token });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.meta.current_page, 3);
      assert.equal(r.json.data.length, 10, show(r));

      for (const [q, per] of [['per_page=100', 100], ['per_page=1000', 100]]) {
        r = await api(base, 'GET', `/api/2.0/webhooks?${q}`, { token });
        assert.equal(r.status, 200, show(r));
        assert.equal(r.json.meta.per_page, per, `${q}: per_page`);
        assert.equal(r.json.data.length, 40, `${q}: all 40 on one page`);
        assert.equal(r.json.meta.last_page, 1);
        assert.equal(r.json.meta.total, 40);
        assert.equal(r.json.links.next, null);
      }

      // Beyond the end: an empty page, not an error.
      r = await api(base, 'GET', '/api/2.0/webhooks?page=4', { token });
      assert.equal(r.status, 200, show(r));
      assert.deepEqual(r.json.data, []);
      assert.equal(r.json.meta.current_page, 4);
      assert.equal(r.json.meta.total, 40);
      assert.equal(r.json.links.next, null);
      r = await api(base, 'GET', '/api/2.0/webhooks?page=1000', { token });
      assert.equal(r.status, 200, show(r));
      assert.deepEqual(r.json.data, []);
    }));

    test('refuses bad requests with JSON errors, store intact', w(async () => {
      const token = addToken(s.home, 'errors');
      const viewOnly = addToken(s.home, 'errors', 'webhooks:view');
      const other = addToken(s.home, 'intruders');
      const base = s.base;
      let r = await api(base, 'POST', '/api/2.0/webhooks', {
        token, body: { name: 'keep me', url: 'https://example.com/keep', headers: { 'X-Keep': '1' } },
      });
      assert.equal(r.status, 201, show(r));
      const keep = r.json.data;
      const listTotal = async () => {
        const l = await api(base, 'GET', '/api/2.0/webhooks', { token });
        assert.equal(l.status, 200, show(l));
        return l.json.meta.total;
      };
      const total = await listTotal();
      assert.equal(total, 1);
      const json = { 'Content-Type': 'application/json', Accept: 'application/json' };

      // Malformed JSON: 400.
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, headers: json, body: '{"name": "x",' });
      assertJsonError(r, 400);
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, { token, headers: json, body: '{"name": ' });
      assertJsonError(r, 400);
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, headers: json, body: '' });
      assert.ok([400, 422].includes(r.status), `empty body: ${show(r)}`);
      assertJsonError(r, r.status);

      // Over 1 MiB: 413 from the program itself (JSON), behind both servers.
      const big = `{"name": "big", "url": "https://example.com/", "pad": "${'a'.repeat(1024 * 1024)}"}`;
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, headers: json, body: big });
      assertJsonError(r, 413);
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, { token, headers: json, body: big });
      assertJsonError(r, 413);

      // Wrong Content-Type: 415.
      r = await api(base, 'POST', '/api/2.0/webhooks', {
        token, headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ name: 'x', url: 'https://example.com/' }),
      });
      assertJsonError(r, 415);

      // Bad fields: 422 naming each one.
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, body: { name: '', url: 'ftp://x' } });
      assertJsonError(r, 422);
      assert.equal(typeof r.json.errors, 'object', `errors object: ${show(r)}`);
      assert.ok('name' in r.json.errors, `422 names "name": ${show(r)}`);
      assert.ok('url' in r.json.errors, `422 names "url": ${show(r)}`);
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, body: { url: 'https://example.com/' } });
      assertJsonError(r, 422);
      assert.ok('name' in (r.json.errors || {}), `missing name is named: ${show(r)}`);
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'x'.repeat(1025), url: 'https://example.com/' } });
      assertJsonError(r, 422);
      assert.ok('name' in (r.json.errors || {}), `name over 1024 is named: ${show(r)}`);
      r = await api(base, 'POST', '/api/2.0/webhooks', { token, body: { name: 'x', url: `https://example.com/${'a'.repeat(2048)}` } });
      assertJsonError(r, 422);
      assert.ok('url' in (r.json.errors || {}), `url over 2048 is named: ${show(r)}`);
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, { token, body: { url: 'javascript:alert(1)' } });
      assertJsonError(r, 422);
      assert.ok('url' in (r.json.errors || {}), `PUT bad url is named: ${show(r)}`);

      // CR/LF in a header value (header injection): 422.
      for (const v of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb']) {
        r = await api(base, 'POST', '/api/2.0/webhooks', {
          token, body: { name: 'h', url: 'https://example.com/', headers: { 'X-A': v } },
        });
        assertJsonError(r, 422);
        assert.ok(Object.keys(r.json.errors || {}).some((k) => k.startsWith('headers')),
          `422 names the headers for ${JSON.stringify(v)}: ${show(r)}`);
      }
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, {
        token, body: { headers: { 'X-A': 'a\r\nb' } },
      });
      assertJsonError(r, 422);

      // Unknown routes: 404 (the seed's own typo /api/2.0/keywords too).
      for (const p of ['/api/2.0/nothing', `/api/2.0/keywords/${keep.uuid}`, '/api/2.0/webhooks/a/b/c', '/nothing']) {
        r = await api(base, 'GET', p, { token });
        assertJsonError(r, 404);
      }

      // Wrong method: 405 with Allow.
      r = await api(base, 'DELETE', '/api/2.0/webhooks', { token });
      assertJsonError(r, 405);
      const allowList = (r.headers.get('allow') || '').toUpperCase();
      assert.ok(allowList.includes('GET') && allowList.includes('POST'), `Allow: ${allowList}`);
      r = await api(base, 'POST', `/api/2.0/webhooks/${keep.uuid}`, { token, body: { name: 'x' } });
      assertJsonError(r, 405);
      const allowOne = (r.headers.get('allow') || '').toUpperCase();
      for (const m of ['GET', 'PUT', 'DELETE']) assert.ok(allowOne.includes(m), `Allow: ${allowOne} has ${m}`);

      // Tokens: none, bad, wrong scheme: 401; without the scope: 403.
      r = await api(base, 'GET', '/api/2.0/webhooks', {});
      assertJsonError(r, 401);
      r = await api(base, 'GET', '/api/2.0/webhooks', { token: 'not-a-token' });
      assertJsonError(r, 401);
      r = await api(base, 'GET', '/api/2.0/webhooks', { token: `${token}x` });
      assertJsonError(r, 401);
      r = await api(base, 'GET', '/api/2.0/webhooks', { headers: { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      assertJsonError(r, 401);
      r = await api(base, 'POST', '/api/2.0/webhooks', { body: { name: 'x', url: 'https://example.com/' } });
      assertJsonError(r, 401);
      r = await api(base, 'GET', '/api/2.0/webhooks', { token: viewOnly });
      assert.equal(r.status, 200, `view-only token lists: ${show(r)}`);
      r = await api(base, 'POST', '/api/2.0/webhooks', { token: viewOnly, body: { name: 'x', url: 'https://example.com/' } });
      assertJsonError(r, 403);
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, { token: viewOnly, body: { name: 'x' } });
      assertJsonError(r, 403);
      r = await api(base, 'DELETE', `/api/2.0/webhooks/${keep.uuid}`, { token: viewOnly });
      assertJsonError(r, 403);

      // Another team's webhook does not exist for it.
      r = await api(base, 'GET', `/api/2.0/webhooks/${keep.uuid}`, { token: other });
      assertJsonError(r, 404);
      r = await api(base, 'PUT', `/api/2.0/webhooks/${keep.uuid}`, { token: other, body: { name: 'stolen' } });
      assertJsonError(r, 404);
      r = await api(base, 'DELETE', `/api/2.0/webhooks/${keep.uuid}`, { token: other });
      assertJsonError(r, 404);
      r = await api(base, 'GET', '/api/2.0/webhooks', { token: other });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.meta.total, 0, `the other team sees none: ${show(r)}`);

      // Nothing above changed the store.
      assert.equal(await listTotal(), total, 'list total unchanged');
      r = await api(base, 'GET', `/api/2.0/webhooks/${keep.uuid}`, { token });
      assert.equal(r.status, 200, show(r));
      checkWebhook(r.json.data, { uuid: keep.uuid, name: 'keep me', url: 'https://example.com/keep', headers: { 'X-Keep': '1' } }, base, 'kept webhook');
    }));
  });
}
