// `make valgrind`, second part: the programs themselves under memcheck, on
// a data directory of their own, through the paths a user takes:
// webhookctl (init, teams, tokens, publish), webhooks.fcgi as plain CGI (the
// API's good and bad requests, Svix's applications, event types and
// endpoints, the admin page), and webhookd --once and
// --test delivering to a real receiver on loopback, whose signatures
// standardwebhooks verifies.  Every run must exit as expected with no
// memcheck error and no definite leak (--error-exitcode=9).
//
//   cd tests && node valgrind/programs.mjs

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

import { FCGI, REPO, WEBHOOKCTL, daemonArgs } from '../e2e/lib.mjs';
import { WEBHOOKD, spoolFiles, startReceiver, writeConf } from '../e2e/delivery_lib.mjs';

const VG = ['valgrind', '-q', '--error-exitcode=9', '--leak-check=full',
  '--errors-for-leak-kinds=definite', `--suppressions=${path.join(REPO, 'tests', 'valgrind.supp')}`];
const ERR = 9;
let runs = 0;

// Runs one program under valgrind; answers {status, stdout, stderr}.
function vg(prog, args, { env = {}, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(VG[0], [...VG.slice(1), prog, ...args], {
      env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 120000);
    child.on('error', reject);
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      runs++;
      const what = `${path.basename(prog)} ${args.join(' ')}`;
      if (status === ERR) reject(new Error(`valgrind: errors in ${what}\n${stderr}`));
      else if (signal) reject(new Error(`${what}: killed by ${signal}\n${stderr}`));
      else resolve({ status, stdout, stderr });
    });
    // A program may answer (413) without reading all its input.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

// webhookd --test --detach as webhooks.fcgi runs it under plain CGI: the
// first process exits at once, the tester goes on with the standard output
// and error it was given.  Waits for both to close (the tester ended):
// with -q, memcheck's only lines (==PID==) are its errors and leaks.
function vgDetached(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(VG[0], [...VG.slice(1), WEBHOOKD, '--test', '--detach', ...args], {
      env: { ...process.env, GATEWAY_INTERFACE: 'CGI/1.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => reject(new Error(`webhookd --test --detach: no end\n${stderr}`)), 120000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      runs++;
      if (status === ERR || /^==\d+==/m.test(stderr)) reject(new Error(`valgrind: errors in webhookd --test --detach\n${stderr}`));
      else resolve({ status, stdout, stderr });
    });
  });
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-valgrind-'));
const env = { WEBHOOKS_HOME: home };
const ctl = async (args, input) => {
  const r = await vg(WEBHOOKCTL, args, { env, input });
  assert.equal(r.status, 0, `webhookctl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
};

// One request to webhooks.fcgi as plain CGI; answers {status, headers, body}.
async function cgi(method, uri, { token, body, type = 'application/json', extra = {} } = {}) {
  const q = uri.indexOf('?');
  const e = {
    ...env, GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1',
    REQUEST_METHOD: method, REQUEST_URI: uri, SCRIPT_NAME: '',
    PATH_INFO: q < 0 ? uri : uri.slice(0, q), QUERY_STRING: q < 0 ? '' : uri.slice(q + 1),
    REMOTE_ADDR: '127.0.0.1', HTTP_HOST: '127.0.0.1', SERVER_NAME: '127.0.0.1', SERVER_PORT: '80',
    ...extra,
  };
  if (token) e.HTTP_AUTHORIZATION = `Bearer ${token}`;
  if (body !== undefined) { e.CONTENT_LENGTH = String(Buffer.byteLength(body)); e.CONTENT_TYPE = type; }
  const r = await vg(FCGI, [], { env: e, input: body });
  assert.equal(r.status, 0, `${method} ${uri}: exit ${r.status}\n${r.stderr}`);
  const sep = r.stdout.indexOf('\r\n\r\n');
  assert.ok(sep > 0, `${method} ${uri}: no CGI header block\n${r.stdout}`);
  const head = r.stdout.slice(0, sep).split('\r\n');
  const headers = {};
  for (const l of head) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
  const status = Number((headers.status || '200').split(' ')[0]);
  const text = r.stdout.slice(sep + 4);
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status, headers, text, json };
}

const rx = await startReceiver(() => ({ status: 204 }));
try {
  await ctl(['init']);
  await ctl(['team', 'add', 'default']);
  await ctl(['team', 'add', 'other']);
  const token = (await ctl(['token', 'add', '--team', 'default'])).trim().split('\n').pop().trim();
  const foreign = (await ctl(['token', 'add', '--team', 'other'])).trim().split('\n').pop().trim();
  await ctl(['token', 'list']);
  writeConf(home, { allow_private: 1, webhookd: WEBHOOKD });

  // The API: good requests.
  let r = await cgi('POST', '/api/2.0/webhooks', { token, body: JSON.stringify({ name: 'vg', url: `${rx.url}/vg`, events: ['order.paid'], headers: { 'X-A': 'b' } }) });
  assert.equal(r.status, 201, r.text);
  const wh = r.json.data;
  assert.equal((await cgi('GET', `/api/2.0/webhooks/${wh.id}`, { token })).status, 200);
  assert.equal((await cgi('GET', '/api/2.0/webhooks?per_page=5&page=1', { token })).status, 200);
  assert.equal((await cgi('PATCH', `/api/2.0/webhooks/${wh.id}`, { token, body: '{"name":"vg2"}' })).status, 200);
  // ...and bad ones: no token, a foreign token, malformed JSON, a bad URL,
  // CR/LF in a header, an oversized body, an unknown route, a wrong method.
  assert.equal((await cgi('GET', '/api/2.0/webhooks', {})).status, 401);
  assert.equal((await cgi('GET', `/api/2.0/webhooks/${wh.id}`, { token: foreign })).status, 404);
  assert.equal((await cgi('POST', '/api/2.0/webhooks', { token, body: '{"name": ' })).status, 400);
  assert.equal((await cgi('POST', '/api/2.0/webhooks', { token, body: '{"name":"x","url":"ftp://x"}' })).status, 422);
  r = await cgi('POST', '/api/2.0/webhooks', { token, body: JSON.stringify({ name: 'x', url: `${rx.url}/x`, headers: { 'X-B': 'a\r\nInjected: 1' } }) });
  assert.ok(r.status === 400 || r.status === 422, r.text);
  assert.equal((await cgi('POST', '/api/2.0/events', { token, body: `{"event":"e","data":{"x":"${'a'.repeat(1100000)}"}}` })).status, 413);
  assert.equal((await cgi('GET', '/api/2.0/nothing', { token })).status, 404);
  assert.equal((await cgi('PUT', '/api/2.0/webhooks', { token, body: '{}' })).status, 405);
  // The admin page.
  assert.equal((await cgi('GET', '/admin/login')).status, 200);
  r = await cgi('POST', '/admin/login', { body: `token=${encodeURIComponent(token)}`, type: 'application/x-www-form-urlencoded', extra: { HTTP_ORIGIN: 'http://127.0.0.1', HTTP_SEC_FETCH_SITE: 'same-origin' } });
  assert.ok(r.status === 303 || r.status === 302 || r.status === 403, `${r.status} ${r.text}`);

  // Svix's API (/api/v1): applications, an idempotency key's replay, errors.
  assert.equal((await cgi('GET', '/api/v1/health')).status, 200);
  r = await cgi('POST', '/api/v1/app', { token, body: '{"name":"vg","uid":"vg","metadata":{"a":"b"}}', extra: { HTTP_IDEMPOTENCY_KEY: 'vg-1' } });
  assert.equal(r.status, 201, r.text);
  assert.equal((await cgi('POST', '/api/v1/app', { token, body: '{"name":"vg"}', extra: { HTTP_IDEMPOTENCY_KEY: 'vg-1' } })).json.id, r.json.id);
  assert.equal((await cgi('POST', '/api/v1/app?get_if_exists=true', { token, body: '{"name":"x","uid":"vg"}' })).json.id, r.json.id);
  assert.equal((await cgi('GET', '/api/v1/app/vg', { token })).status, 200);
  assert.equal((await cgi('GET', '/api/v1/app?limit=1&order=descending', { token })).json.data.length, 1);
  assert.equal((await cgi('PATCH', `/api/v1/app/${r.json.id}`, { token, body: '{"metadata":null,"rateLimit":3}' })).status, 200);
  assert.equal((await cgi('PUT', '/api/v1/app/vg-put', { token, body: '{"name":"made"}' })).status, 201);
  assert.equal((await cgi('POST', '/api/v1/app', { token, body: '{"name":"dup","uid":"vg"}' })).status, 409);
  assert.equal((await cgi('POST', '/api/v1/app', { token, body: '{"uid":"app_x","rateLimit":"a"}' })).status, 422);
  assert.equal((await cgi('GET', '/api/v1/app?limit=251', { token })).status, 422);
  assert.equal((await cgi('GET', '/api/v1/app/vg', { token: foreign })).status, 404);
  assert.equal((await cgi('DELETE', '/api/v1/app/vg', { token })).status, 204);
  // Svix's event types: create, list, patch, archive, un-archive, expunge, errors.
  assert.equal((await cgi('POST', '/api/v1/event-type', { token, body: '{"name":"vg.t","description":"d","schemas":{"1":{}},"featureFlag":"f"}', extra: { HTTP_IDEMPOTENCY_KEY: 'vg-et' } })).status, 201);
  assert.equal((await cgi('POST', '/api/v1/event-type', { token, body: '{"name":"vg.t","description":"d"}' })).status, 409);
  assert.equal((await cgi('POST', '/api/v1/event-type', { token, body: '{"name":"a b","description":1,"schemas":[]}' })).status, 422);
  assert.equal((await cgi('PATCH', '/api/v1/event-type/vg.t', { token, body: '{"schemas":null,"featureFlags":["a","b"]}' })).status, 200);
  assert.equal((await cgi('PUT', '/api/v1/event-type/vg.put', { token, body: '{"description":"p","groupName":"g"}' })).status, 201);
  assert.equal((await cgi('DELETE', '/api/v1/event-type/vg.put', { token })).status, 204);
  assert.equal((await cgi('GET', '/api/v1/event-type?limit=1&include_archived=true&with_content=true', { token })).json.data.length, 1);
  assert.equal((await cgi('POST', '/api/v1/event-type', { token, body: '{"name":"vg.put","description":"again"}' })).status, 201);
  assert.equal((await cgi('DELETE', '/api/v1/event-type/vg.t?expunge=true', { token })).status, 204);
  assert.equal((await cgi('GET', '/api/v1/event-type/vg.t', { token })).status, 404);
  // Svix's endpoints: each route, good and bad requests.
  assert.equal((await cgi('POST', '/api/v1/app', { token, body: '{"name":"ep","uid":"ep-app"}' })).status, 201);
  const EP = '/api/v1/app/ep-app/endpoint';
  r = await cgi('POST', EP, { token, body: JSON.stringify({ url: `${rx.url}/ep`, uid: 'ep1', description: 'd', filterTypes: ['vg.put'], channels: ['c1', 'c2'], metadata: { k: 'v' }, rateLimit: 5, headers: { 'X-E': '1', Authorization: 'Bearer x' } }), extra: { HTTP_IDEMPOTENCY_KEY: 'vg-ep' } });
  assert.equal(r.status, 201, r.text);
  const ep = r.json;
  assert.equal((await cgi('POST', EP, { token, body: '{"url":"https://example.com/2"}', extra: { HTTP_IDEMPOTENCY_KEY: 'vg-ep' } })).json.id, ep.id);
  assert.equal((await cgi('POST', EP, { token, body: '{"url":"https://example.com/3","eventTypes":["vg.put"],"throttleRate":2}' })).status, 201);
  assert.equal((await cgi('GET', `${EP}/${ep.id}`, { token })).json.uid, 'ep1');
  assert.equal((await cgi('GET', `${EP}/ep1`, { token })).json.id, ep.id);
  r = await cgi('GET', `${EP}?limit=1`, { token });
  assert.equal(r.json.data.length, 1, r.text);
  assert.equal((await cgi('GET', `${EP}?limit=1&iterator=${r.json.iterator}`, { token })).json.done, true);
  assert.equal((await cgi('GET', `${EP}?limit=5&order=descending&iterator=-${ep.id}`, { token })).status, 200);
  assert.equal((await cgi('PATCH', `${EP}/ep1`, { token, body: '{"description":"p","channels":null,"metadata":{"a":"b"},"filterTypes":null}' })).status, 200);
  assert.equal((await cgi('PUT', `${EP}/ep1`, { token, body: `{"url":"${rx.url}/ep","uid":"ep1","disabled":true}` })).status, 200);
  assert.equal((await cgi('PUT', `${EP}/ep-put`, { token, body: '{"url":"https://example.com/p"}' })).status, 201);
  assert.equal((await cgi('PUT', `${EP}/${'u'.repeat(257)}`, { token, body: '{"url":"https://example.com/p"}' })).status, 422);
  assert.equal((await cgi('GET', `${EP}/ep1/headers`, { token })).json.sensitive[0], 'Authorization');
  assert.equal((await cgi('PUT', `${EP}/ep1/headers`, { token, body: '{"headers":{"X-F":"2","X-G":"3"}}' })).status, 204);
  assert.equal((await cgi('PATCH', `${EP}/ep1/headers`, { token, body: '{"headers":{"X-F":null,"X-H":"4"},"deleteHeaders":["x-g"]}' })).status, 204);
  assert.match((await cgi('GET', `${EP}/ep1/secret`, { token })).json.key, /^whsec_/);
  assert.equal((await cgi('POST', `${EP}/ep1/secret/rotate`, { token, body: '{"gracePeriodSeconds":60}', extra: { HTTP_IDEMPOTENCY_KEY: 'vg-rot' } })).status, 204);
  assert.equal((await cgi('POST', `${EP}/ep1/secret/rotate`, { token })).status, 204);
  // ...and bad ones: an unknown filter type, a uid taken, malformed JSON,
  // another application's, another team's, CR/LF and svix-* in a header,
  // a bad iterator, limit and deleteHeaders, a NUL in a uid.
  r = await cgi('POST', EP, { token, body: '{"url":"https://example.com/x","filterTypes":["no.such"]}' });
  assert.equal(r.status, 422, r.text);
  assert.equal((await cgi('POST', EP, { token, body: '{"url":"https://example.com/x","uid":"ep1"}' })).status, 409);
  assert.equal((await cgi('PATCH', `${EP}/ep-put`, { token, body: '{"uid":"ep1"}' })).status, 409);
  assert.equal((await cgi('POST', EP, { token, body: '{"url": ' })).status, 400);
  assert.equal((await cgi('PATCH', `${EP}/ep1/headers`, { token, body: '{"headers"' })).status, 400);
  assert.equal((await cgi('GET', `/api/v1/app/vg-put/endpoint/${ep.id}`, { token })).status, 404);
  assert.equal((await cgi('GET', '/api/v1/app/no-such-app/endpoint', { token })).status, 404);
  assert.equal((await cgi('GET', `${EP}/ep1`, { token: foreign })).status, 404);
  assert.equal((await cgi('POST', EP, { token, body: '{"url":"https://example.com/x","headers":{"X-B":"a\\r\\nInjected: 1"}}' })).status, 422);
  assert.equal((await cgi('PUT', `${EP}/ep1/headers`, { token, body: '{"headers":{"X-B":"a\\r\\nInjected: 1"}}' })).status, 422);
  assert.equal((await cgi('PATCH', `${EP}/ep1/headers`, { token, body: '{"headers":{"svix-id":"x"},"deleteHeaders":[1]}' })).status, 422);
  assert.equal((await cgi('PUT', `${EP}/ep1/headers`, { token, body: '{"headers":{"X-A":"1","X-B":"2","x-a":"3"}}' })).status, 422);
  assert.equal((await cgi('POST', EP, { token, body: `{"url":"https://u:p@example.com/x","uid":"a\\u0000b","metadata":{"a":1},"channels":[],"rateLimit":0,"secret":"x","description":"${'d'.repeat(2000)}"}` })).status, 422);
  const many = (n, f) => Array.from({ length: n }, (_, i) => f(i));
  r = await cgi('POST', EP, { token, body: JSON.stringify({ url: 'https://example.com/x', filterTypes: many(5000, (i) => `t${i}`), channels: many(5000, (i) => `c${i}`), metadata: Object.fromEntries(many(10000, (i) => [`k${i}`, 'v'])), headers: Object.fromEntries(many(500, (i) => [`X-${i}`, 'v'])) }) });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.detail.length, 4, r.text);
  assert.equal((await cgi('GET', `${EP}?iterator=app_nope&limit=0`, { token })).status, 422);
  assert.equal((await cgi('POST', `${EP}/ep1/secret/rotate`, { token, body: '{"key":"short","gracePeriodSeconds":-1}' })).status, 422);
  assert.equal((await cgi('DELETE', `${EP}/ep-put`, { token })).status, 204);
  assert.equal((await cgi('DELETE', `${EP}/ep-put`, { token })).status, 404);
  // An application's delete takes its endpoints.
  assert.equal((await cgi('DELETE', '/api/v1/app/ep-app', { token })).status, 204);
  assert.equal((await cgi('GET', `${EP}/ep1`, { token })).status, 404);
  // Events: through the API and webhookctl, delivered by webhookd --once.
  r = await cgi('POST', '/api/2.0/events', { token, body: JSON.stringify({ event: 'order.paid', data: { n: 1 }, idempotency_key: 'k1' }) });
  assert.equal(r.status, 202, r.text);
  assert.equal((await cgi('POST', '/api/2.0/events', { token, body: JSON.stringify({ event: 'order.paid', data: { n: 1 }, idempotency_key: 'k1' }) })).json.id, r.json.id);
  await ctl(['publish', '--team', 'default', '--event', 'order.paid', '--data', '-'], '{"n":2}');
  const d = await vg(WEBHOOKD, daemonArgs(home, ['--once']), { env });
  assert.equal(d.status, 0, d.stderr);
  const got = rx.requests.filter((q) => q.url === '/vg');
  assert.equal(got.length, 2, d.stderr);
  for (const q of got) assert.equal(new Webhook(wh.token).verify(q.body, q.headers).type, 'order.paid');
  assert.deepEqual(spoolFiles(home, 'new'), []);
  assert.deepEqual(spoolFiles(home, 'cur'), []);
  // The attempt log, and a test delivery (webhooks.fcgi runs webhookd --test).
  r = await cgi('GET', `/api/2.0/webhooks/${wh.id}/deliveries`, { token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.length, 2);
  r = await cgi('POST', `/api/2.0/webhooks/${wh.id}/test`, { token });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.data.status_code, 204, r.text);
  const t = await vg(WEBHOOKD, ['--test', 'default', wh.id], { env });
  assert.equal(t.status, 0, t.stderr);
  const dt = await vgDetached(['default', wh.id, '2f0b7a3c-6d1e-4c59-9a8b-0e4d5c6f7a81'], { env });
  assert.equal(dt.status, 0, dt.stderr);
  assert.match(dt.stdout, /"class":"done","status":204/, dt.stderr);
  assert.equal(rx.requests.filter((q) => q.url === '/vg').length, 5);
  assert.equal((await vg(WEBHOOKD, ['-n'], { env })).status, 0);
  assert.equal((await cgi('DELETE', `/api/2.0/webhooks/${wh.id}`, { token })).status, 204);
  console.log(`valgrind: ${runs} program runs clean (webhookctl, webhooks.fcgi as CGI, webhookd)`);
} finally {
  await rx.close();
  if (!process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(home, { recursive: true, force: true });
}
