// Defects found by probing as a hostile tenant would (issue 16), each
// checked through every dialect behind real lighttpd: a full table of
// validation errors, basic auth beside an Authorization header, a NUL in a
// header name, what a view-only token sees, and links from base_url.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { addToken, api, makeHome, show, startLighttpd } from './lib.mjs';

const JSON_CT = { 'Content-Type': 'application/json' };

// The create route of each dialect and the status it gives a bad body.
const DIALECTS = [
  { name: 'native', create: '/api/2.0/webhooks', one: (id) => `/api/2.0/webhooks/${id}`, bad: 422 },
  { name: 'seed 001', create: '/api/web/v1/webhooks', one: (id) => `/api/web/v1/webhooks/${id}`, bad: 400 },
  { name: 'seed 002', create: '/webhooks', one: (id) => `/webhooks/${id}`, bad: 400 },
];

function headerRows(n) {
  return Array.from({ length: n }, (_, i) => ({ name: `bad name ${i}`, value: 'v' }));
}

// A GET with a chosen Host header (fetch does not let us set it).
function getWithHost(port, p, host, token) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: p, method: 'GET',
      headers: { Host: host, Authorization: `Bearer ${token}` },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text, json: JSON.parse(text || 'null') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('hardening: hostile bodies and what each token sees', () => {
  let s;
  const w = (fn) => async (t) => s.wrap(fn)(t);

  before(async () => { s = await startLighttpd(); });
  after(async () => { if (s) await s.stopAndClean(); });

  test('33 bad header rows and an auth without username: a clean 4xx, no process lost', w(async () => {
    const token = s.token;
    const pids = s.fcgiPids();
    for (const d of DIALECTS) {
      for (const auth of [{ password: 'x' }, { username: 'u' }, { username: 5, password: 'x' }]) {
        for (const body of [
          { name: 'n', url: 'https://example.com/', headers: headerRows(33), auth },
          { webhook: { name: 'n', url: 'https://example.com/', active: true, settings: { a: 'true' }, http_method: 'POST', headers: headerRows(40), auth } },
        ]) {
          const r = await api(s.base, 'POST', d.create, { token, headers: JSON_CT, body: JSON.stringify(body) });
          assert.equal(r.status, d.bad, `${d.name}: ${show(r)}`);
          if (d.bad === 400) assert.match(r.text, /and \d+ more/, `${d.name}: the errors past the table are counted: ${show(r)}`);
          else assert.equal(Object.keys(r.json.errors).length, 32, show(r));
        }
      }
    }
    // The same processes still serve, and nothing was stored.
    const r = await api(s.base, 'GET', '/api/2.0/webhooks', { token });
    assert.equal(r.status, 200, show(r));
    assert.equal(r.json.meta.total, 0, show(r));
    assert.deepEqual(s.fcgiPids(), pids, 'no FastCGI process died');
    assert.doesNotMatch(s.logText(), /signal/, 'lighttpd saw no child killed by a signal');
  }));

  test('basic auth with an Authorization header of its own is refused, also across updates', w(async () => {
    const token = s.token;
    for (const d of DIALECTS) {
      let r = await api(s.base, 'POST', d.create, {
        token, headers: JSON_CT,
        body: JSON.stringify({ name: 'both', url: `https://example.com/${d.name.replace(' ', '')}/both`, headers: { Authorization: 'Bearer k' }, auth: { username: 'u', password: 'p' } }),
      });
      assert.equal(r.status, d.bad, `${d.name}: ${show(r)}`);
      assert.match(r.text, /Authorization header/, show(r));

      r = await api(s.base, 'POST', d.create, {
        token, headers: JSON_CT,
        body: JSON.stringify({ name: 'basic', url: `https://example.com/${d.name.replace(' ', '')}/basic`, auth: { username: 'u', password: 'p' } }),
      });
      assert.ok(r.status === 200 || r.status === 201, `${d.name}: ${show(r)}`);
      const id = r.json.data?.uuid || r.json.id;
      assert.ok(id, show(r));
      r = await api(s.base, 'PUT', d.one(id), {
        token, headers: JSON_CT, body: JSON.stringify({ name: 'basic', url: `https://example.com/${d.name.replace(' ', '')}/basic`, headers: [{ name: 'authorization', value: 'Bearer k' }] }),
      });
      assert.equal(r.status, d.bad, `${d.name} update: ${show(r)}`);
      r = await api(s.base, 'GET', `/api/2.0/webhooks/${id}`, { token });
      assert.deepEqual(r.json.data.headers, {}, `${d.name}: nothing was written: ${show(r)}`);
      assert.equal(r.json.data.auth.username, 'u', show(r));
      r = await api(s.base, 'DELETE', `/api/2.0/webhooks/${id}`, { token });
      assert.equal(r.status, 204, show(r));
    }
  }));

  test('a NUL in a header name (or any object key) is refused, not cut', w(async () => {
    const token = s.token;
    for (const d of DIALECTS) {
      const r = await api(s.base, 'POST', d.create, {
        token, headers: JSON_CT,
        body: '{"name": "nul", "url": "https://example.com/nul", "headers": {"X-A\\u0000Host": "v"}}',
      });
      assert.equal(r.status, d.bad, `${d.name}: ${show(r)}`);
      assert.match(r.text, /NUL/, show(r));
    }
    const r = await api(s.base, 'POST', '/api/2.0/events', {
      token, headers: JSON_CT, body: '{"event": "a.b", "data": {"k\\u0000ey": 1}}',
    });
    assert.equal(r.status, 422, show(r));
    const list = await api(s.base, 'GET', '/api/2.0/webhooks', { token });
    assert.equal(list.json.meta.total, 0, show(list));
  }));

  test('a token without webhooks:edit sees no signing secret and no header value', w(async () => {
    const token = s.token;
    const viewer = addToken(s.home, 'default', 'webhooks:view');
    let r = await api(s.base, 'POST', '/api/2.0/webhooks', {
      token, headers: JSON_CT,
      body: JSON.stringify({ name: 'secretive', url: 'https://example.com/secretive', headers: { 'X-Api-Key': 'key-7f3a9', Authorization: 'Bearer cred-51bb2' } }),
    });
    assert.equal(r.status, 201, show(r));
    const id = r.json.data.uuid;
    const secret = r.json.data.token;
    assert.match(secret, /^whsec_/, 'the maker sees the secret it was given');
    const reads = [
      `/api/2.0/webhooks/${id}`, '/api/2.0/webhooks',
      `/api/web/v1/webhooks/${id}`, '/api/web/v1/webhooks',
      `/webhooks/${id}`, '/webhooks',
    ];
    for (const p of reads) {
      r = await api(s.base, 'GET', p, { token: viewer });
      assert.equal(r.status, 200, show(r));
      for (const hidden of [secret, 'key-7f3a9', 'cred-51bb2']) {
        assert.ok(!r.text.includes(hidden), `${p} shows ${hidden} to a view-only token: ${show(r)}`);
      }
      assert.ok(r.text.includes('secretive'), `${p} still shows the webhook: ${show(r)}`);
      r = await api(s.base, 'GET', p, { token });
      if (p.endsWith(id)) assert.ok(r.text.includes(secret), `${p} shows the secret to a token that may edit: ${show(r)}`);
    }
    r = await api(s.base, 'GET', `/api/2.0/webhooks/${id}`, { token: viewer });
    assert.equal(r.json.data.token, '********', show(r));
    assert.deepEqual(r.json.data.headers, { 'X-Api-Key': '********', Authorization: '********' }, show(r));
    await api(s.base, 'DELETE', `/api/2.0/webhooks/${id}`, { token });
  }));
});

describe('base_url: links from the setting, not from the Host header', () => {
  let s;
  const w = (fn) => async (t) => s.wrap(fn)(t);

  before(async () => {
    const { home, token } = makeHome('webhooks-baseurl-');
    fs.writeFileSync(path.join(home, 'webhooks.conf'), 'base_url = https://hooks.example.com/svc/\n');
    s = await startLighttpd({ home, token });
  });
  after(async () => { if (s) await s.stopAndClean(); });

  test('Location, links and pagination use base_url whatever the Host', w(async () => {
    let r = await api(s.base, 'POST', '/api/2.0/webhooks', {
      token: s.token, headers: JSON_CT, body: JSON.stringify({ name: 'b', url: 'https://example.com/b' }),
    });
    assert.equal(r.status, 201, show(r));
    const id = r.json.data.uuid;
    assert.equal(r.headers.get('location'), `https://hooks.example.com/svc/api/2.0/webhooks/${id}`);
    r = await getWithHost(s.port, `/api/2.0/webhooks/${id}`, 'evil.example', s.token);
    assert.deepEqual(r.json.data.links, [{ rel: 'self', uri: `https://hooks.example.com/svc/api/2.0/webhooks/${id}` }]);
    r = await getWithHost(s.port, '/api/2.0/webhooks', 'evil.example', s.token);
    assert.equal(r.json.links.first, 'https://hooks.example.com/svc/api/2.0/webhooks?page=1');
    assert.equal(r.json.meta.path, 'https://hooks.example.com/svc/api/2.0/webhooks');
    assert.ok(!r.text.includes('evil.example'), r.text);
  }));
});
