// The four seed dialects against the real program behind real lighttpd and
// real Apache + mod_fcgid, both started from the shipped example
// configurations:
//
//  - every request example of the four seed documents, verbatim (method,
//    path, headers, body text) but for the host, the token and the target
//    URL;
//  - a webhook written through each dialect reads back the same through
//    each of the others;
//  - each dialect's error shapes and status codes for bad input;
//  - seed 001's test operation delivering webhook.test to a local receiver.
//
// seed000.test.mjs checks the native dialect's pagination and its own
// errors in depth; here seed 000 takes part in the replay and the cross
// reads.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Webhook as StandardWebhook } from 'standardwebhooks';

import { SERVERS, UUID_RE, addToken, api, makeHome, show } from './lib.mjs';

const JSON_HEADERS = { Accept: 'application/json', 'Content-Type': 'application/json' };

// ---- the seeds' request bodies, byte for byte --------------------------------

// Seed 000, "Create Webhook" and "Edit Webhook".
const S000_CREATE = `{
    "name": "Example Webhook",
    "url": "https://digitonic.co.uk/webhook",
    "headers": {
        "Accept": "application/json",
        "Content-Type": "application/json"
    }
}`;
const S000_UPDATE = `{
    "name": "Example Webhook",
    "url": "https://digitonic.co.uk/webhook/update"
}`;

// Seed 002, "Create a webhook" and "Update a webhook": the same body, with
// ${WEBHOOK-URL} replaced by the target URL.
const s002Body = (url) => `
{
"name": "Webhook name",
"url": "${url}",
"token": "",
"headers": [],
"auth": {}
}
`;

// Seed 003, "Create Webhook", and its settings snippet.
const S003_CREATE = `{
  "webhook": {
    "name": "webhook to capture customer state changes",
    "active": "true",
    "settings": {
      "customer_state_changed": "true"
    },
    "url": "https://endpoint.com/catch-a-hook",
    "http_method": "POST"
  }
}`;
const s003Settings = (url) => `{
  "webhook": {
    "name": "webhook to capture messages",
    "active": "true",
    "settings": {
  "new_assigned_message": "true",
  "new_unassigned_message": "true"
	},
    "url": "${url}",
    "http_method": "POST"
  }
}`;

// Seed 003's eleven event names.
const S003_EVENTS = [
  'new_assigned_message', 'new_unassigned_message', 'outbound_message',
  'customer_subscribed', 'customer_unsubscribed', 'user_assignment',
  'customer_created', 'tag_added_to_message', 'tag_removed_from_message',
  'customer_double_opted_in', 'customer_state_changed',
];

// ---- helpers -------------------------------------------------------------------

function assertJson(res, status) {
  assert.equal(res.status, status, show(res));
  assert.notEqual(res.json, undefined, `body is JSON: ${show(res)}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/, `Content-Type of ${show(res)}`);
}

// Seed 001's error: {timestamp, status, error, message, path}, 400s naming
// each bad field in the message and in "errors".
function assertV1Error(res, status, fields = []) {
  assertJson(res, status);
  const j = res.json;
  assert.equal(j.status, status, show(res));
  assert.equal(typeof j.error, 'string', show(res));
  assert.equal(typeof j.message, 'string', show(res));
  assert.equal(typeof j.timestamp, 'string', show(res));
  assert.equal(typeof j.path, 'string', show(res));
  for (const f of fields) {
    assert.ok(j.message.includes(f), `message names ${f}: ${show(res)}`);
    assert.ok(j.errors && Array.isArray(j.errors[f]), `errors.${f}: ${show(res)}`);
  }
}

// Seed 002's error: {[id], timestamp, status: {code, type: "error", message}}.
function assertChatbotError(res, status, fields = [], id = undefined) {
  assertJson(res, status);
  const j = res.json;
  assert.equal(typeof j.timestamp, 'string', show(res));
  assert.equal(j.status?.code, status, show(res));
  assert.equal(j.status?.type, 'error', show(res));
  assert.equal(typeof j.status?.message, 'string', show(res));
  if (id !== undefined) assert.equal(j.id, id, show(res));
  for (const f of fields) {
    assert.ok(j.status.message.includes(f), `message names ${f}: ${show(res)}`);
    assert.ok(j.errors && Array.isArray(j.errors[f]), `errors.${f}: ${show(res)}`);
  }
}

// Seed 000's error: {message, errors: {field: [...]}}.
function assertNativeError(res, status, fields = []) {
  assertJson(res, status);
  assert.equal(typeof res.json.message, 'string', show(res));
  for (const f of fields) {
    assert.ok(res.json.errors && Array.isArray(res.json.errors[f]), `errors.${f}: ${show(res)}`);
  }
}

// Seed 002's answer to a write.
function assertChatbotSuccess(res, id) {
  assertJson(res, 200);
  assert.deepEqual(Object.keys(res.json), ['id', 'timestamp', 'status'], show(res));
  if (id) assert.equal(res.json.id, id, show(res));
  else assert.match(res.json.id, UUID_RE, show(res));
  assert.match(res.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, show(res));
  assert.deepEqual(res.json.status, { code: 200, type: 'success' }, show(res));
}

const SEED002_KEYS = ['id', 'name', 'url', 'token', 'headers', 'auth', 'error'];

// A webhook as each dialect's reader sees it, in one comparable form.
function normalize(w, dialect) {
  const headers = {};
  if (Array.isArray(w.headers)) {
    for (const h of w.headers) headers[h.name] = h.value;
  } else Object.assign(headers, w.headers);
  return {
    id: dialect === 'native' ? w.uuid : w.id,
    name: w.name,
    url: w.url,
    token: w.token,
    headers,
    auth: w.auth,
    events: w.events,
    settings: w.settings,
    active: w.active,
    http_method: w.http_method,
    max_attempts: w.max_attempts,
  };
}

// Reads one webhook through every dialect (one GET and the list each);
// returns the normalized forms by reader.
async function readEverywhere(base, token, id) {
  const o = { token, headers: JSON_HEADERS };
  const out = {};
  let r = await api(base, 'GET', `/api/2.0/webhooks/${id}`, o);
  assertJson(r, 200);
  out.native = normalize(r.json.data, 'native');
  r = await api(base, 'GET', '/api/2.0/webhooks?per_page=100', o);
  assertJson(r, 200);
  out.native_list = normalize(r.json.data.find((x) => x.uuid === id), 'native');

  r = await api(base, 'GET', `/api/web/v1/webhooks/${id}`, o);
  assertJson(r, 200);
  out.v1 = normalize(r.json, 'v1');
  r = await api(base, 'GET', '/api/web/v1/webhooks', o);
  assertJson(r, 200);
  assert.ok(Array.isArray(r.json), `a bare array: ${show(r)}`);
  out.v1_list = normalize(r.json.find((x) => x.id === id), 'v1');

  r = await api(base, 'GET', `/webhooks/${id}`, { token });
  assertJson(r, 200);
  assert.deepEqual(Object.keys(r.json).slice(0, SEED002_KEYS.length), SEED002_KEYS, show(r));
  assert.ok(Array.isArray(r.json.headers), `headers as an array: ${show(r)}`);
  out.chatbot = normalize(r.json, 'chatbot');
  // The list entry holds only id, name, url, error.
  r = await api(base, 'GET', '/webhooks', { token });
  assertJson(r, 200);
  const item = r.json.find((x) => x.id === id);
  assert.deepEqual(Object.keys(item), ['id', 'name', 'url', 'error'], show(r));
  assert.equal(item.name, out.v1.name);
  assert.equal(item.url, out.v1.url);
  assert.equal(typeof item.error, 'string');
  return out;
}

// A receiver on loopback: records each request, answers `status`.
function startReceiver() {
  return new Promise((resolve) => {
    const rec = { got: [], status: 200 };
    rec.server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        rec.got.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(rec.status, { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    rec.server.listen(0, '127.0.0.1', () => {
      rec.url = `http://127.0.0.1:${rec.server.address().port}`;
      resolve(rec);
    });
  });
}

// ---- the tests -------------------------------------------------------------------

for (const kind of Object.keys(SERVERS)) {
  describe(`the four dialects behind ${kind}`, () => {
    let s;
    let rec;
    const w = (fn) => async (t) => s.wrap(fn)(t);

    before(async () => {
      rec = await startReceiver();
      // The test operation delivers to the loopback receiver.
      const { home, token } = makeHome(`webhooks-dialects-${kind}-`);
      fs.appendFileSync(path.join(home, 'webhooks.conf'), 'allow_private = 1\ntimeout_ms = 5000\n');
      s = await SERVERS[kind]({ home, token });
    });
    after(async () => {
      if (s) await s.stopAndClean();
      if (rec) await new Promise((resolve) => rec.server.close(resolve));
    });

    test('seed 000: its five requests', w(async () => {
      const token = addToken(s.home, 's000');
      const o = { token, headers: JSON_HEADERS };
      let r = await api(s.base, 'POST', '/api/2.0/webhooks/', { ...o, body: S000_CREATE });
      assertJson(r, 201);
      const uuid = r.json.data.uuid;
      assert.match(uuid, UUID_RE);
      assert.deepEqual(r.json.data.headers, { Accept: 'application/json', 'Content-Type': 'application/json' });
      r = await api(s.base, 'PUT', `/api/2.0/webhooks/${uuid}`, { ...o, body: S000_UPDATE });
      assertJson(r, 200);
      assert.equal(r.json.data.url, 'https://digitonic.co.uk/webhook/update');
      r = await api(s.base, 'GET', `/api/2.0/webhooks/${uuid}`, o);
      assertJson(r, 200);
      assert.equal(r.json.data.name, 'Example Webhook');
      r = await api(s.base, 'GET', '/api/2.0/webhooks/', o);
      assertJson(r, 200);
      assert.equal(r.json.data.length, 1);
      assert.equal(r.json.meta.per_page, 15);
      r = await api(s.base, 'DELETE', `/api/2.0/webhooks/${uuid}`, o);
      assert.equal(r.status, 204, show(r));
      assert.equal(r.text, '');
    }));

    test('seed 001: its six operations', w(async () => {
      const token = addToken(s.home, 's001');
      const base = s.base;
      // createWebhookUsingPOST: Content-Type and Accept application/json.
      const parms = { name: 'v1 hook', url: `${rec.url}/v1`, events: ['order.created'] };
      let r = await api(base, 'POST', '/api/web/v1/webhooks', { token, headers: JSON_HEADERS, body: JSON.stringify(parms) });
      assertJson(r, 200);
      assert.match(r.json.id, UUID_RE, show(r));
      assert.equal(r.json.name, 'v1 hook');
      assert.equal(r.json.url, `${rec.url}/v1`);
      assert.deepEqual(r.json.events, ['order.created']);
      assert.equal(r.json.data, undefined, 'no envelope');
      const id = r.json.id;
      // getWebhooksUsingGET: Accept only.
      const accept = { Accept: 'application/json' };
      r = await api(base, 'GET', '/api/web/v1/webhooks', { token, headers: accept });
      assertJson(r, 200);
      assert.ok(Array.isArray(r.json), show(r));
      assert.deepEqual(r.json.map((x) => x.id), [id]);
      // readWebhookUsingGET
      r = await api(base, 'GET', `/api/web/v1/webhooks/${id}`, { token, headers: accept });
      assertJson(r, 200);
      assert.equal(r.json.id, id);
      assert.equal(r.json.name, 'v1 hook');
      // updateWebhookUsingPUT
      r = await api(base, 'PUT', `/api/web/v1/webhooks/${id}`, {
        token, headers: JSON_HEADERS, body: JSON.stringify({ name: 'v1 hook, renamed', url: `${rec.url}/v1`, active: true }),
      });
      assertJson(r, 200);
      assert.equal(r.json.id, id);
      assert.equal(r.json.name, 'v1 hook, renamed');
      // testWebhookUsingPOST: a dummy payload to the callback URL.
      rec.got.length = 0;
      rec.status = 200;
      r = await api(base, 'POST', `/api/web/v1/webhooks/test/${id}`, { token, headers: accept });
      assertJson(r, 200);
      assert.equal(r.json.delivered, true, show(r));
      assert.equal(r.json.status, 200, show(r));
      assert.equal(rec.got.length, 1, 'the receiver got one request');
      const got = rec.got[0];
      assert.equal(got.method, 'POST');
      assert.equal(got.url, '/v1');
      const payload = JSON.parse(got.body);
      assert.equal(payload.type, 'webhook.test', got.body);
      // Signed with the webhook's token, as Standard Webhooks verifies it.
      const secret = (await api(base, 'GET', `/api/web/v1/webhooks/${id}`, { token })).json.token;
      new StandardWebhook(secret).verify(got.body, {
        'webhook-id': got.headers['webhook-id'],
        'webhook-timestamp': got.headers['webhook-timestamp'],
        'webhook-signature': got.headers['webhook-signature'],
      });
      // A failing receiver: still 200, the outcome in the body, the error
      // on the webhook.
      rec.status = 500;
      r = await api(base, 'POST', `/api/web/v1/webhooks/test/${id}`, { token, headers: accept });
      assertJson(r, 200);
      assert.equal(r.json.delivered, false, show(r));
      assert.equal(r.json.status, 500, show(r));
      assert.equal(typeof r.json.error, 'string', show(r));
      rec.status = 200;
      r = await api(base, 'GET', `/webhooks/${id}`, { token });
      assertJson(r, 200);
      assert.ok(r.json.error.message.length > 0, `the error is recorded: ${show(r)}`);
      assert.match(r.json.error.date, /^\d{4}-/, show(r));
      r = await api(base, 'GET', '/webhooks', { token });
      assert.ok(r.json[0].error.length > 0, `the list shows the error: ${show(r)}`);
      // deleteWebhookUsingDELETE: 200, empty body.
      r = await api(base, 'DELETE', `/api/web/v1/webhooks/${id}`, { token, headers: accept });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.text, '', 'an empty body');
      r = await api(base, 'GET', `/api/web/v1/webhooks/${id}`, { token, headers: accept });
      assertV1Error(r, 404);
    }));

    test('seed 002: its five requests', w(async () => {
      const token = addToken(s.home, 's002');
      const base = s.base;
      const auth = { authorization: `Bearer ${token}` };
      const authJson = { ...auth, 'content-type': 'application/json' };
      // Create a webhook.
      let r = await api(base, 'POST', '/webhooks', { headers: authJson, body: s002Body('https://example.com') });
      assertChatbotSuccess(r);
      const id = r.json.id;
      // List all Webhooks.
      r = await api(base, 'GET', '/webhooks', { headers: auth });
      assertJson(r, 200);
      assert.deepEqual(r.json, [{ id, name: 'Webhook name', url: 'https://example.com', error: '' }]);
      // Get a specific webhook.
      r = await api(base, 'GET', `/webhooks/${id}`, { headers: auth });
      assertJson(r, 200);
      const one = r.json;
      assert.deepEqual(Object.keys(one).slice(0, 7), SEED002_KEYS, show(r));
      assert.equal(one.id, id);
      assert.equal(one.name, 'Webhook name');
      assert.equal(one.url, 'https://example.com');
      assert.match(one.token, /^whsec_/, 'an empty token means: one is generated');
      assert.deepEqual(one.headers, []);
      assert.deepEqual(one.auth, { username: '', password: '' });
      assert.deepEqual(one.error, { date: '', message: '' });
      // Update a webhook, then again with headers, auth and a token.
      r = await api(base, 'PUT', `/webhooks/${id}`, { headers: authJson, body: s002Body('https://example.com/updated') });
      assertChatbotSuccess(r, id);
      r = await api(base, 'PUT', `/webhooks/${id}`, {
        headers: authJson,
        body: JSON.stringify({
          name: 'Webhook example', url: 'https://example.com', token: 'qwerty',
          headers: [{ name: 'X-Api-Key', value: 'k1' }], auth: { username: 'bot', password: 'pa55-word' },
        }),
      });
      assertChatbotSuccess(r, id);
      r = await api(base, 'GET', `/webhooks/${id}`, { headers: auth });
      assertJson(r, 200);
      assert.equal(r.json.token, 'qwerty');
      assert.deepEqual(r.json.headers, [{ name: 'X-Api-Key', value: 'k1' }]);
      assert.deepEqual(r.json.auth, { username: 'bot', password: '********' });
      // The password is never served in clear, by any dialect.
      for (const p of [`/webhooks/${id}`, '/webhooks', `/api/web/v1/webhooks/${id}`, '/api/web/v1/webhooks',
        `/api/2.0/webhooks/${id}`, '/api/2.0/webhooks']) {
        r = await api(base, 'GET', p, { token });
        assert.equal(r.status, 200, show(r));
        assert.ok(!r.text.includes('pa55-word'), `${p} does not show the password`);
      }
      // Delete a webhook (with the seed's content-type and no body).
      r = await api(base, 'DELETE', `/webhooks/${id}`, { headers: authJson });
      assertChatbotSuccess(r, id);
      r = await api(base, 'GET', `/webhooks/${id}`, { headers: auth });
      assertChatbotError(r, 404, [], id);
      r = await api(base, 'GET', '/webhooks', { headers: auth });
      assert.deepEqual(r.json, []);
    }));

    test('seed 003: its body on every create and update route', w(async () => {
      const token = addToken(s.home, 's003');
      const base = s.base;
      const o = { token, headers: JSON_HEADERS };
      const want = {
        name: 'webhook to capture customer state changes',
        url: 'https://endpoint.com/catch-a-hook',
        events: ['customer_state_changed'],
        settings: { customer_state_changed: 'true' },
        active: true,
        http_method: 'POST',
      };
      const check = (w0, what) => {
        for (const [k, v] of Object.entries(want)) assert.deepEqual(w0[k], v, `${what}: ${k}`);
      };
      // Create through each dialect's route; the v1 route refuses the same
      // url twice in a team, so each create is in its own team.
      const ids = [];
      let r = await api(base, 'POST', '/api/2.0/webhooks', { ...o, body: S003_CREATE });
      assertJson(r, 201);
      check(r.json.data, 'native create');
      ids.push(['/api/2.0/webhooks', r.json.data.uuid, token]);
      const t1 = addToken(s.home, 's003v1');
      r = await api(base, 'POST', '/api/web/v1/webhooks', { token: t1, headers: JSON_HEADERS, body: S003_CREATE });
      assertJson(r, 200);
      check(r.json, 'v1 create');
      ids.push(['/api/web/v1/webhooks', r.json.id, t1]);
      const t2 = addToken(s.home, 's003cb');
      r = await api(base, 'POST', '/webhooks', { token: t2, headers: JSON_HEADERS, body: S003_CREATE });
      assertChatbotSuccess(r);
      ids.push(['/webhooks', r.json.id, t2]);
      for (const [, id, t] of ids) {
        const all = await readEverywhere(base, t, id);
        for (const [reader, n] of Object.entries(all)) check(n, `${reader} of ${id}`);
      }
      // Update through each route with the settings snippet of the seed.
      for (const [p, id, t] of ids) {
        r = await api(base, 'PUT', `${p}/${id}`, { token: t, headers: JSON_HEADERS, body: s003Settings(`https://endpoint.com/${id}`) });
        assert.equal(r.status, 200, show(r));
        r = await api(base, 'GET', `/api/web/v1/webhooks/${id}`, { token: t });
        assertJson(r, 200);
        assert.deepEqual([...r.json.events].sort(), ['new_assigned_message', 'new_unassigned_message'], show(r));
        assert.deepEqual(r.json.settings, { new_assigned_message: 'true', new_unassigned_message: 'true' }, show(r));
        assert.equal(r.json.name, 'webhook to capture messages');
      }
      // "active": "false" and the eleven event names, on and off.
      const settings = {};
      S003_EVENTS.forEach((e, i) => { settings[e] = i % 2 ? 'false' : 'true'; });
      const [p0, id0, tk0] = ids[0];
      r = await api(base, 'PUT', `${p0}/${id0}`, {
        token: tk0, headers: JSON_HEADERS,
        body: JSON.stringify({ webhook: { name: 'all eleven', active: 'false', settings, url: 'https://endpoint.com/x', http_method: 'PUT' } }),
      });
      assertJson(r, 200);
      r = await api(base, 'GET', `/api/web/v1/webhooks/${id0}`, { token: tk0 });
      assert.equal(r.json.active, false);
      assert.equal(r.json.http_method, 'PUT');
      assert.deepEqual([...r.json.events].sort(), S003_EVENTS.filter((e, i) => i % 2 === 0).sort());
    }));

    test('a webhook written through each dialect reads the same through the others', w(async () => {
      const token = addToken(s.home, 'cross');
      const base = s.base;
      const writers = [
        {
          name: 'native', path: '/api/2.0/webhooks', status: 201,
          body: { name: 'from native', url: 'https://example.com/native', headers: { 'X-Team': 'a' },
            auth: { username: 'u0', password: 'p0-secret' }, token: 'token-native', events: ['a.b'], active: false, http_method: 'PATCH' },
          id: (j) => j.data.uuid,
        },
        {
          name: 'v1', path: '/api/web/v1/webhooks', status: 200,
          body: { name: 'from v1', url: 'https://example.com/v1', headers: { 'X-Team': 'b' },
            auth: { username: 'u1', password: 'p1-secret' }, token: 'token-v1', events: ['c.d', 'e.f'], active: true, http_method: 'PUT' },
          id: (j) => j.id,
        },
        {
          name: 'chatbot', path: '/webhooks', status: 200,
          body: { name: 'from chatbot', url: 'https://example.com/chatbot', headers: [{ name: 'X-Team', value: 'c' }],
            auth: { username: 'u2', password: 'p2-secret' }, token: 'token-chatbot' },
          id: (j) => j.id,
        },
        {
          name: 'seed 003 envelope', path: '/api/2.0/webhooks', status: 201,
          body: { webhook: { name: 'from 003', active: 'false', settings: { customer_created: 'true', outbound_message: 'false' },
            url: 'https://example.com/003', http_method: 'POST' } },
          id: (j) => j.data.uuid,
        },
      ];
      for (const wr of writers) {
        const r = await api(base, 'POST', wr.path, { token, headers: JSON_HEADERS, body: JSON.stringify(wr.body) });
        assert.equal(r.status, wr.status, show(r));
        const id = wr.id(r.json);
        assert.match(id, UUID_RE);
        const all = await readEverywhere(base, token, id);
        const ref = all.v1;
        for (const [reader, n] of Object.entries(all)) {
          assert.deepEqual(n, ref, `written through ${wr.name}, read through ${reader} as through v1`);
        }
        // ...and the same as what was written.
        const b = wr.body.webhook || wr.body;
        assert.equal(ref.id, id);
        assert.equal(ref.name, b.name);
        assert.equal(ref.url, b.url);
        if (b.headers) assert.deepEqual(Object.entries(ref.headers), Array.isArray(b.headers)
          ? b.headers.map((h) => [h.name, h.value]) : Object.entries(b.headers), `${wr.name}: headers`);
        if (b.auth) assert.deepEqual(ref.auth, { username: b.auth.username, password: '********' }, `${wr.name}: auth`);
        else assert.deepEqual(ref.auth, { username: '', password: '' });
        if (b.token) assert.equal(ref.token, b.token, `${wr.name}: token`);
        else assert.match(ref.token, /^whsec_/);
        if (b.events) assert.deepEqual(ref.events, b.events, `${wr.name}: events`);
        if (b.settings) assert.deepEqual(ref.events, ['customer_created'], `${wr.name}: settings`);
        if (!b.events && !b.settings) assert.deepEqual(ref.events, ['*']);
        const active = b.active === undefined ? true : b.active === true || b.active === 'true';
        assert.equal(ref.active, active, `${wr.name}: active`);
        assert.equal(ref.http_method, b.http_method || 'POST', `${wr.name}: http_method`);
      }
      // An update through one dialect shows through the others too.
      let r = await api(base, 'GET', '/webhooks', { token });
      const id = r.json.find((x) => x.name === 'from v1').id;
      r = await api(base, 'PUT', `/webhooks/${id}`, { token, headers: JSON_HEADERS, body: JSON.stringify({ name: 'renamed by chatbot', headers: [] }) });
      assertChatbotSuccess(r, id);
      const all = await readEverywhere(base, token, id);
      for (const [reader, n] of Object.entries(all)) {
        assert.equal(n.name, 'renamed by chatbot', reader);
        assert.deepEqual(n.headers, {}, reader);
        assert.deepEqual(n.auth, { username: 'u1', password: '********' }, `${reader}: auth kept`);
      }
    }));

    test('seed 001: errors and status codes', w(async () => {
      const token = addToken(s.home, 'e001');
      const view = addToken(s.home, 'e001', 'webhooks:view');
      const base = s.base;
      const o = { token, headers: JSON_HEADERS };
      const V1 = '/api/web/v1/webhooks';
      let r = await api(base, 'POST', V1, { ...o, body: '{"name": "a", "url": "https://example.com/dup"}' });
      assertJson(r, 200);
      const a = r.json.id;
      r = await api(base, 'POST', V1, { ...o, body: '{"name": "b", "url": "https://example.com/other"}' });
      assertJson(r, 200);
      const b = r.json.id;
      const big = JSON.stringify({ name: 'x'.repeat(1536 * 1024), url: 'https://example.com' });
      const cases = [
        ['409 on a duplicate url', 'POST', V1, o, '{"name": "a2", "url": "https://example.com/dup"}', 409, []],
        ['409 on an update onto a taken url', 'PUT', `${V1}/${b}`, o, '{"url": "https://example.com/dup"}', 409, []],
        ['400 for bad fields, no 422', 'POST', V1, o, '{"name": "", "url": "ftp://example.com", "active": "maybe"}', 400, ['name', 'url', 'active']],
        ['400 for a missing url', 'POST', V1, o, '{"name": "n"}', 400, ['url']],
        ['400 for bad fields on update', 'PUT', `${V1}/${a}`, o, '{"headers": [{"name": "X"}], "http_method": "GET"}', 400, ['headers[0].value', 'http_method']],
        ['400 for an envelope missing fields', 'POST', V1, o, '{"webhook": {"name": "n", "url": "https://example.com/e"}}', 400, ['active', 'settings', 'http_method']],
        ['400 for malformed JSON', 'POST', V1, o, '{"name": ', 400, []],
        ['415 for another content type', 'POST', V1, { token, headers: { 'Content-Type': 'text/plain' } }, '{}', 415, []],
        ['413 for a body over 1 MiB', 'POST', V1, o, big, 413, []],
        ['401 without a token', 'GET', V1, { headers: JSON_HEADERS }, undefined, 401, []],
        ['401 with a bad token', 'GET', V1, { token: 'wh_not-a-token', headers: JSON_HEADERS }, undefined, 401, []],
        ['403 create without WEBHOOKS:ADD', 'POST', V1, { token: view, headers: JSON_HEADERS }, '{"name": "n", "url": "https://e.com"}', 403, []],
        ['403 update without WEBHOOKS:EDIT', 'PUT', `${V1}/${a}`, { token: view, headers: JSON_HEADERS }, '{"name": "n"}', 403, []],
        ['403 test without WEBHOOKS:EDIT', 'POST', `${V1}/test/${a}`, { token: view }, undefined, 403, []],
        ['403 delete without WEBHOOKS:REMOVE', 'DELETE', `${V1}/${a}`, { token: view }, undefined, 403, []],
        ['404 for an unknown id', 'GET', `${V1}/0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01`, o, undefined, 404, []],
        ['404 for a test of an unknown id', 'POST', `${V1}/test/0b7c1f9e-2d4a-4c3e-9f1a-5e6d7c8b9a01`, { token }, undefined, 404, []],
        ['404 for a path beyond the routes', 'GET', `${V1}/${a}/deliveries/x`, o, undefined, 404, []],
        ['405 for PATCH', 'PATCH', `${V1}/${a}`, o, '{}', 405, []],
      ];
      for (const [label, method, p, opts, body, status, fields] of cases) {
        r = await api(base, method, p, { ...opts, body });
        try {
          assertV1Error(r, status, fields);
        } catch (e) {
          e.message = `${label}: ${e.message}`;
          throw e;
        }
      }
      r = await api(base, 'PATCH', `${V1}/${a}`, { ...o, body: '{}' });
      assert.equal(r.headers.get('allow'), 'GET, HEAD, PUT, DELETE');
      // Another team's webhook is 404, as if it did not exist.
      const other = addToken(s.home, 'e001-other');
      r = await api(base, 'GET', `${V1}/${a}`, { token: other });
      assertV1Error(r, 404);
      // ...and its url is free in that team.
      r = await api(base, 'POST', V1, { token: other, headers: JSON_HEADERS, body: '{"name": "a", "url": "https://example.com/dup"}' });
      assertJson(r, 200);
      // Nothing of the refused requests was stored.
      r = await api(base, 'GET', V1, { token });
      assert.deepEqual(r.json.map((x) => x.id), [a, b], show(r));
      assert.deepEqual(r.json.map((x) => x.url), ['https://example.com/dup', 'https://example.com/other']);
    }));

    test('seed 002: errors and status codes', w(async () => {
      const token = addToken(s.home, 'e002');
      const view = addToken(s.home, 'e002', 'webhooks:view');
      const base = s.base;
      const o = { token, headers: JSON_HEADERS };
      let r = await api(base, 'POST', '/webhooks', { ...o, body: s002Body('https://example.com/e') });
      assertChatbotSuccess(r);
      const a = r.json.id;
      const hdrs = (n) => JSON.stringify({ headers: Array.from({ length: n }, (_, i) => ({ name: `X-H${i}`, value: 'v' })) });
      const big = JSON.stringify({ name: 'x'.repeat(1536 * 1024), url: 'https://example.com' });
      const cases = [
        ['name over 1024', 'POST', '/webhooks', o, JSON.stringify({ name: 'n'.repeat(1025), url: 'https://e.com' }), 400, ['name']],
        ['empty name', 'POST', '/webhooks', o, '{"name": "", "url": "https://e.com"}', 400, ['name']],
        ['no url', 'POST', '/webhooks', o, '{"name": "n", "token": ""}', 400, ['url']],
        ['token over 1024', 'PUT', `/webhooks/${a}`, o, JSON.stringify({ token: 't'.repeat(1025) }), 400, ['token']],
        ['100 headers', 'PUT', `/webhooks/${a}`, o, hdrs(100), 400, ['headers']],
        ['header name over 128', 'PUT', `/webhooks/${a}`, o, JSON.stringify({ headers: [{ name: 'H'.repeat(129), value: 'v' }] }), 400, ['headers[0].name']],
        ['header value over 1024', 'PUT', `/webhooks/${a}`, o, JSON.stringify({ headers: [{ name: 'X', value: 'v'.repeat(1025) }] }), 400, ['headers[0].value']],
        ['auth without password', 'PUT', `/webhooks/${a}`, o, '{"auth": {"username": "u"}}', 400, ['auth.password']],
        ['auth username over 1024', 'PUT', `/webhooks/${a}`, o, JSON.stringify({ auth: { username: 'u'.repeat(1025), password: 'p' } }), 400, ['auth.username']],
        ['malformed JSON', 'POST', '/webhooks', o, '{', 400, []],
        ['another content type', 'POST', '/webhooks', { token, headers: { 'Content-Type': 'text/plain' } }, '{}', 415, []],
        ['a body over 1 MiB', 'POST', '/webhooks', o, big, 413, []],
        ['no token', 'GET', '/webhooks', {}, undefined, 401, []],
        ['a bad token', 'GET', `/webhooks/${a}`, { token: 'wh_nope' }, undefined, 401, []],
        ['create without the scope', 'POST', '/webhooks', { token: view, headers: JSON_HEADERS }, s002Body('https://e.com'), 403, []],
        ['delete without the scope', 'DELETE', `/webhooks/${a}`, { token: view }, undefined, 403, []],
        ['an unknown id', 'GET', '/webhooks/5a21a9e21ec94a0007f9ac19', o, undefined, 404, []],
        ['an unknown path', 'GET', `/webhooks/${a}/x`, o, undefined, 404, []],
        ['DELETE on the list', 'DELETE', '/webhooks', o, undefined, 405, []],
      ];
      for (const [label, method, p, opts, body, status, fields] of cases) {
        r = await api(base, method, p, { ...opts, body });
        try {
          assertChatbotError(r, status, fields);
        } catch (e) {
          e.message = `${label}: ${e.message}`;
          throw e;
        }
      }
      // An error about one webhook names it.
      r = await api(base, 'PUT', `/webhooks/${a}`, { ...o, body: '{"name": ""}' });
      assertChatbotError(r, 400, ['name'], a);
      // The limits themselves are accepted.
      r = await api(base, 'PUT', `/webhooks/${a}`, {
        ...o,
        body: JSON.stringify({
          name: 'n'.repeat(1024), token: 't'.repeat(1024),
          headers: Array.from({ length: 99 }, (_, i) => ({ name: i ? `X-H${i}` : 'H'.repeat(128), value: 'v'.repeat(1024) })),
          auth: { username: 'u'.repeat(1024), password: 'p'.repeat(1024) },
        }),
      });
      assertChatbotSuccess(r, a);
      r = await api(base, 'GET', `/webhooks/${a}`, { token });
      assertJson(r, 200);
      assert.equal(r.json.headers.length, 99);
      assert.equal(r.json.name.length, 1024);
      // Nothing of the refused requests was stored.
      r = await api(base, 'GET', '/webhooks', { token });
      assert.equal(r.json.length, 1, show(r));
    }));

    test('seed 003 envelope: errors in each dialect', w(async () => {
      const token = addToken(s.home, 'e003');
      const base = s.base;
      const o = { token, headers: JSON_HEADERS };
      const missing = '{"webhook": {"name": "n"}}';
      const fields = ['url', 'active', 'settings', 'http_method'];
      let r = await api(base, 'POST', '/api/2.0/webhooks', { ...o, body: missing });
      assertNativeError(r, 422, fields);
      r = await api(base, 'POST', '/api/web/v1/webhooks', { ...o, body: missing });
      assertV1Error(r, 400, fields);
      r = await api(base, 'POST', '/webhooks', { ...o, body: missing });
      assertChatbotError(r, 400, fields);
      const bad = JSON.stringify({ webhook: { name: 'n', active: 'yes', settings: { customer_created: 'maybe' }, url: 'https://e.com', http_method: 'GET' } });
      const badFields = ['active', 'settings.customer_created', 'http_method'];
      r = await api(base, 'POST', '/api/2.0/webhooks', { ...o, body: bad });
      assertNativeError(r, 422, badFields);
      r = await api(base, 'POST', '/api/web/v1/webhooks', { ...o, body: bad });
      assertV1Error(r, 400, badFields);
      r = await api(base, 'POST', '/webhooks', { ...o, body: bad });
      assertChatbotError(r, 400, badFields);
      r = await api(base, 'GET', '/webhooks', { token });
      assert.deepEqual(r.json, [], 'nothing stored');
    }));
  });
}
