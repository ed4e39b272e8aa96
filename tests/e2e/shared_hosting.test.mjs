// Shared hosting, as the README's "Shared hosting" section tells a customer
// to set it up: the shipped cgi-bin/.htaccess and webhooks.fcgi copied into
// a document root of a real Apache that only allows .htaccess, the program
// run as plain CGI (one process a request) and, on a host with mod_fcgid,
// as FastCGI started by the .htaccess alone (WEBHOOKS_HOME then reaches it
// as a request parameter, not in its environment).  The API and the admin
// page through the .htaccess rewrites, the Test button through the webhookd
// named in webhooks.conf, and delivery by `webhookd --once` as cron runs it,
// verified with the npm package standardwebhooks.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

import { api, show, startSharedHost, UUID_RE } from './lib.mjs';
import { createWebhook, deliveries, publish, spoolFiles, startReceiver } from './delivery_lib.mjs';

// webhookd --once as the account's owner (cron runs it as the customer).
function cron(srv) {
  return new Promise((resolve, reject) => {
    const opts = { env: { ...process.env, WEBHOOKS_HOME: srv.home }, stdio: ['ignore', 'pipe', 'pipe'] };
    if (srv.owner) { opts.uid = srv.owner.uid; opts.gid = srv.owner.gid; }
    const child = spawn(srv.webhookd, ['--once'], opts);
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 60000);
    child.on('error', reject);
    child.on('exit', (status, signal) => { clearTimeout(timer); resolve({ status, signal, out }); });
  });
}

for (const mode of ['cgi', 'fcgid']) {
  describe(`shared hosting: Apache with .htaccess, ${mode === 'cgi' ? 'plain CGI' : 'mod_fcgid'}`, () => {
    let srv, rx;

    before(async () => {
      rx = await startReceiver((q) => (q.url === '/slow' ? { status: 204, delayMs: 4000 } : { status: 204 }));
      srv = await startSharedHost({ fcgid: mode === 'fcgid', settings: { allow_private: 1 } });
    });

    after(async () => {
      if (srv) {
        await srv.stop();
        if (!process.env.WEBHOOKS_E2E_KEEP && path.basename(srv.base_dir).startsWith('webhooks-shared-')) {
          fs.rmSync(srv.base_dir, { recursive: true, force: true });
        }
      }
      if (rx) await rx.close();
    });

    const wrap = (fn) => async (t) => (srv ? srv.wrap(fn)(t) : fn(t));

    test('the API answers through the .htaccess rewrites, with the token passed through', wrap(async () => {
      const none = await api(srv.base, 'GET', '/api/2.0/webhooks');
      assert.equal(none.status, 401, show(none));
      const foreign = await api(srv.base, 'GET', '/api/2.0/webhooks', { token: 'wh_not_a_token_of_ours' });
      assert.equal(foreign.status, 401, show(foreign));
      const wh = await createWebhook(srv, { name: 'shared', url: `${rx.url}/hook`, events: ['order.paid'] });
      assert.match(wh.id, UUID_RE);
      const one = await api(srv.base, 'GET', `/api/2.0/webhooks/${wh.id}`, { token: srv.token });
      assert.equal(one.status, 200, show(one));
      assert.equal(one.json.data.url, `${rx.url}/hook`);
      const list = await api(srv.base, 'GET', '/api/2.0/webhooks', { token: srv.token });
      assert.equal(list.status, 200, show(list));
      assert.ok(list.json.data.some((w) => w.id === wh.id), show(list));
      const bad = await api(srv.base, 'POST', '/api/2.0/webhooks', { token: srv.token, body: '{"name": ', headers: { 'Content-Type': 'application/json' } });
      assert.equal(bad.status, 400, show(bad));
      assert.ok(bad.json && typeof bad.json === 'object', show(bad));
      const unknown = await api(srv.base, 'GET', '/api/2.0/nothing-here', { token: srv.token });
      assert.equal(unknown.status, 404, show(unknown));
      // The customer's files are not served as files.
      for (const p of ['/.htaccess', '/webhooks.fcgi']) {
        const r = await api(srv.base, 'GET', p);
        assert.ok(r.status === 403 || r.status === 404, `${p}: ${show(r)}`);
        assert.ok(!r.text.includes('SetEnv'), `${p}: ${show(r)}`);
        assert.ok(!r.text.includes('\x7fELF'), `${p}: ${show(r)}`);
      }
    }));

    test('the program runs as the mode says: one process a request, or kept FastCGI processes', wrap(async () => {
      const r = await api(srv.base, 'GET', '/api/2.0/webhooks', { token: srv.token });
      assert.equal(r.status, 200, show(r));
      if (mode === 'cgi') assert.deepEqual(srv.fcgiPids(), [], 'a CGI process outlived its request');
      else assert.ok(srv.fcgiPids().length >= 1, 'no FastCGI process kept by mod_fcgid');
    }));

    test('the admin page is served from public_html/../templates', wrap(async () => {
      const login = await api(srv.base, 'GET', '/admin/login');
      assert.equal(login.status, 200, show(login));
      assert.match(login.headers.get('content-type'), /text\/html/);
      assert.match(login.text, /<form/i);
      const css = await api(srv.base, 'GET', '/admin/style.css');
      assert.equal(css.status, 200, show(css));
      assert.match(css.headers.get('content-type'), /text\/css/);
    }));

    test('the Test button runs the webhookd named in webhooks.conf', wrap(async () => {
      const wh = await createWebhook(srv, { name: 'probe', url: `${rx.url}/probe`, events: ['*'] });
      const r = await api(srv.base, 'POST', `/api/2.0/webhooks/${wh.id}/test`, { token: srv.token });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.data.status_code, 204, show(r));
      const got = rx.requests.filter((q) => q.url === '/probe');
      assert.equal(got.length, 1);
      assert.equal(new Webhook(wh.token).verify(got[0].body, got[0].headers).type, 'webhook.test');
    }));

    test('a test whose receiver answers after the bounded wait: 202 at once, the attempt recorded later', wrap(async () => {
      // The test goes on in a detached webhookd: the web server does not
      // wait for it (nor for its standard error, the server's error log).
      const wh = await createWebhook(srv, { name: 'slow', url: `${rx.url}/slow`, events: ['*'] });
      const t0 = Date.now();
      const r = await api(srv.base, 'POST', `/api/2.0/webhooks/${wh.id}/test`, { token: srv.token });
      const took = Date.now() - t0;
      assert.equal(r.status, 202, show(r));
      assert.ok(took < 3500, `answered after ${took} ms`);
      const deadline = Date.now() + 10000;
      let log = [];
      while (log.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        log = await deliveries(srv, wh.id);
      }
      assert.equal(log.length, 1, 'the attempt was recorded');
      assert.equal(log[0].delivery_id, r.json.data.delivery_id);
      assert.equal(log[0].status_code ?? log[0].status, 204, JSON.stringify(log[0]));
    }));

    test('an event published through the API is delivered by webhookd --once from cron', wrap(async () => {
      const wh = await createWebhook(srv, { name: 'cron', url: `${rx.url}/cron`, events: ['invoice.sent'] });
      const data = { invoice: 'INV-7', total: 99.5 };
      const p = await publish(srv, 'invoice.sent', data);
      assert.equal(p.status, 202, show(p));
      assert.equal(spoolFiles(srv.home, 'new').length, 1);
      // Nothing is sent until cron runs webhookd.
      assert.equal(rx.requests.filter((q) => q.url === '/cron').length, 0);
      const c = await cron(srv);
      assert.equal(c.status, 0, c.out);
      const got = rx.requests.filter((q) => q.url === '/cron');
      assert.equal(got.length, 1, c.out);
      const payload = new Webhook(wh.token).verify(got[0].body, got[0].headers);
      assert.deepEqual(payload, { type: 'invoice.sent', timestamp: p.json.timestamp, data });
      assert.deepEqual(spoolFiles(srv.home, 'new'), []);
      assert.deepEqual(spoolFiles(srv.home, 'cur'), []);
      // The attempt is in the log, read back through the web server.
      const log = await deliveries(srv, wh.id);
      assert.equal(log.length, 1, JSON.stringify(log));
      assert.equal(log[0].status_code, 204, JSON.stringify(log));
      // A second cron run finds nothing to do and sends nothing.
      const again = await cron(srv);
      assert.equal(again.status, 0, again.out);
      assert.equal(rx.requests.filter((q) => q.url === '/cron').length, 1);
    }));
  });
}
