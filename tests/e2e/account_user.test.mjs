// The account's own user, no root anywhere (issue 20, point 4): on a
// shared host with suEXEC everything runs as the customer's user.  Here
// that user is `nobody` (setpriv drops all of root's ids and groups):
// `webhookctl init` makes the data directory that user's, mode 0700,
// and refuses one in reach of the web server (a public_html path, a
// directory holding the program, its .htaccess or cgi-bin/webhooks.fcgi,
// --docroot) unless --force, while the README's layouts pass; the program
// run as plain CGI (environment and stdin as a web server gives them)
// creates a webhook and accepts an event, and `webhookd --once` as cron
// runs it delivers it to a receiver on 127.0.0.1, signed.  Needs root to
// become another user (CI and `make test` run as root).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

import { FCGI, WEBHOOKCTL } from './lib.mjs';
import { WEBHOOKD, startReceiver } from './delivery_lib.mjs';

const isRoot = process.getuid && process.getuid() === 0;
const USER = 'nobody';
const AS = ['--reuid', USER, '--regid', 'nogroup', '--clear-groups', '--'];

function idOf(flag, name) {
  return Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
}

// webhookctl as the account's user.
function ctlAs(home, args, input) {
  return spawnSync('setpriv', [...AS, WEBHOOKCTL, ...args], {
    env: { PATH: process.env.PATH, WEBHOOKS_HOME: home }, encoding: 'utf8', input,
  });
}

// The program as plain CGI, as the account's user: one process, one request.
function cgi(home, method, p, { token, body } = {}) {
  const env = {
    PATH: process.env.PATH, WEBHOOKS_HOME: home, GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1', SERVER_NAME: '127.0.0.1', SERVER_PORT: '80',
    HTTP_HOST: '127.0.0.1', REMOTE_ADDR: '127.0.0.1', REQUEST_METHOD: method,
    REQUEST_URI: p, SCRIPT_NAME: '/webhooks.fcgi', PATH_INFO: p.split('?')[0],
  };
  if (token) env.HTTP_AUTHORIZATION = `Bearer ${token}`;
  const input = body === undefined ? '' : JSON.stringify(body);
  if (body !== undefined) {
    env.CONTENT_TYPE = 'application/json';
    env.CONTENT_LENGTH = String(Buffer.byteLength(input));
  }
  const r = spawnSync('setpriv', [...AS, FCGI], { env, input, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  const cut = r.stdout.indexOf('\r\n\r\n') >= 0 ? r.stdout.indexOf('\r\n\r\n') : r.stdout.indexOf('\n\n');
  const head = r.stdout.slice(0, cut);
  const text = r.stdout.slice(cut).trimStart();
  const status = Number((head.match(/^Status: (\d+)/m) || [0, 200])[1]);
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status, head, text, json, stderr: r.stderr };
}

// webhookd --once as the account's crontab runs it (asynchronous: the
// receiver answers from this process).
function cron(home) {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [...AS, WEBHOOKD, '--once'], {
      env: { PATH: process.env.PATH, WEBHOOKS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 60000);
    child.on('error', reject);
    child.on('exit', (status, signal) => { clearTimeout(timer); resolve({ status, signal, out }); });
  });
}

function notOwnedBy(dir, uid) {
  const out = [];
  const walk = (p) => {
    const st = fs.lstatSync(p);
    if (st.uid !== uid) out.push(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

describe('the account\'s own user, no root', { skip: !isRoot && 'needs root to become another user' }, () => {
  let base, uid;

  before(() => {
    uid = idOf('-u', USER);
    // The account's home directory: its own, as a host makes it.
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-account-'));
    fs.chmodSync(base, 0o755);
    fs.chownSync(base, uid, idOf('-g', USER));
  });

  after(() => {
    if (base && !process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(base, { recursive: true, force: true });
  });

  // A directory made by the account's user (as its file manager would).
  const mkdirAs = (p, mode = '755') => {
    const r = spawnSync('setpriv', [...AS, 'mkdir', '-p', '-m', mode, p], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const touchAs = (p) => {
    const r = spawnSync('setpriv', [...AS, 'touch', p], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };

  test('init makes the data directory the user\'s, mode 0700, everything in it the user\'s', () => {
    const home = path.join(base, 'webhooks-data');
    const r = ctlAs(home, ['init']);
    assert.equal(r.status, 0, r.stderr);
    const st = fs.statSync(home);
    assert.equal(st.uid, uid);
    assert.equal(st.mode & 0o7777, 0o700);
    assert.deepEqual(notOwnedBy(home, uid), []);
    // One the user made beforehand, group and world readable: made 0700.
    const pre = path.join(base, 'premade');
    mkdirAs(pre, '755');
    const r2 = ctlAs(pre, ['init']);
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(fs.statSync(pre).mode & 0o7777, 0o700);
    assert.deepEqual(notOwnedBy(pre, uid), []);
    // Initialising it again changes nothing and is not refused.
    assert.equal(ctlAs(pre, ['init']).status, 0);
  });

  test('init refuses a directory or a file in it that is not the user\'s, naming it', () => {
    const theirs = path.join(base, 'rootmade');
    fs.mkdirSync(theirs, { mode: 0o755 });
    let r = ctlAs(theirs, ['init']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /rootmade is owned by uid 0, not by this user \(uid \d+\)/);
    assert.ok(!fs.existsSync(path.join(theirs, 'db')));
    const mixed = path.join(base, 'mixed');
    mkdirAs(mixed, '755');
    fs.writeFileSync(path.join(mixed, 'stray'), '');
    r = ctlAs(mixed, ['init']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not this user's .*mixed\/stray \(uid 0\)/);
    assert.ok(!fs.existsSync(path.join(mixed, 'db')));
    assert.equal(fs.statSync(mixed).mode & 0o7777, 0o755, 'left as it was');
  });

  test('init refuses a data directory in reach of the web server, exit 3, unless --force', () => {
    // A cPanel-like account: public_html/ with the program and .htaccess,
    // a classic public_html/cgi-bin/, and a bare Apache site with cgi-bin/.
    const site = path.join(base, 'site');
    mkdirAs(path.join(site, 'public_html', 'hooks'));
    for (const f of ['public_html/webhooks.fcgi', 'public_html/.htaccess', 'public_html/hooks/webhooks.fcgi', 'public_html/hooks/.htaccess']) touchAs(path.join(site, f));
    const bare = path.join(base, 'bare');
    mkdirAs(path.join(bare, 'cgi-bin'));
    touchAs(path.join(bare, 'cgi-bin', 'webhooks.fcgi'));
    const web = path.join(base, 'web');
    mkdirAs(path.join(web, 'pub'));
    const cases = [
      [path.join(site, 'public_html', 'webhooks-data'), [], /public_html holds \.htaccess|public_html is named as a web server's document root/],
      [path.join(site, 'public_html', 'hooks', 'data'), [], /hooks holds \.htaccess/],
      [path.join(site, 'www', 'data'), [], /www is named as a web server's document root/],
      [site, [], /site holds public_html, named as a web server's document root/],
      [path.join(bare, 'data'), [], /bare holds cgi-bin\/webhooks\.fcgi/],
      [path.join(web, 'pub', 'data'), ['--docroot', path.join(web, 'pub')], /is inside the document root .*web\/pub \(--docroot\)/],
    ];
    for (const [home, extra, why] of cases) {
      const r = ctlAs(home, ['init', ...extra]);
      assert.equal(r.status, 3, `${home}: ${r.stderr}`);
      assert.match(r.stderr, /^webhookctl: init: refusing /);
      assert.match(r.stderr, why);
      assert.match(r.stderr, /outside the document root.*--force/);
      assert.ok(!fs.existsSync(path.join(home, 'db')), `${home}: written to`);
    }
    for (const [home, extra] of [cases[1], cases[4], cases[5]]) {
      const r = ctlAs(home, ['init', '--force', ...extra]);
      assert.equal(r.status, 0, `${home}: ${r.stderr}`);
      assert.match(r.stderr, /WARNING: /);
      assert.equal(fs.statSync(home).mode & 0o7777, 0o700);
    }
    // No false alarm on the README's layouts: the data directory beside
    // public_html (root of the domain and the subdirectory install alike),
    // and beside a --docroot.
    for (const [home, extra] of [[path.join(site, 'webhooks-data'), []], [path.join(web, 'data'), ['--docroot', path.join(web, 'pub')]]]) {
      const r = ctlAs(home, ['init', ...extra]);
      assert.equal(r.status, 0, `${home}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /WARNING/);
    }
    const r = ctlAs(path.join(web, 'd2'), ['init', '--docroot', path.join(web, 'missing')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--docroot .*missing: No such file or directory/);
  });

  test('the program as CGI and webhookd --once from cron, all as the user, deliver an event', async () => {
    const rx = await startReceiver();
    try {
      const home = path.join(base, 'live-data');
      assert.equal(ctlAs(home, ['init']).status, 0);
      assert.equal(ctlAs(home, ['team', 'add', 'default']).status, 0);
      const t = ctlAs(home, ['token', 'add', '--team', 'default']);
      assert.equal(t.status, 0, t.stderr);
      const token = t.stdout.trim().split('\n').pop();
      const conf = ctlAs(home, ['check']);
      assert.equal(conf.status, 0, conf.stdout + conf.stderr);
      fs.writeFileSync(path.join(home, 'webhooks.conf'), 'allow_private = 1\n');
      fs.chownSync(path.join(home, 'webhooks.conf'), uid, fs.statSync(home).gid);
      const c = cgi(home, 'POST', '/api/2.0/webhooks', { token, body: { name: 'own', url: `${rx.url}/own`, events: ['order.paid'] } });
      assert.equal(c.status, 201, c.head + c.text + c.stderr);
      const wh = c.json.data;
      const data = { order: 'A-1' };
      const p = cgi(home, 'POST', '/api/2.0/events', { token, body: { event: 'order.paid', data } });
      assert.equal(p.status, 202, p.head + p.text + p.stderr);
      assert.equal(rx.requests.length, 0);
      const run = await cron(home);
      assert.equal(run.status, 0, run.out);
      assert.equal(rx.requests.length, 1, run.out);
      const payload = new Webhook(wh.token).verify(rx.requests[0].body, rx.requests[0].headers);
      assert.deepEqual(payload, { type: 'order.paid', timestamp: p.json.timestamp, data });
      const log = cgi(home, 'GET', `/api/2.0/webhooks/${wh.id}/deliveries`, { token });
      assert.equal(log.status, 200, log.text);
      assert.equal(log.json.data.length, 1);
      // Nothing anywhere in the data directory is another user's.
      assert.deepEqual(notOwnedBy(home, uid), []);
      assert.equal(fs.statSync(home).mode & 0o7777, 0o700);
    } finally {
      await rx.close();
    }
  });
});
