// The shared-hosting bundle (make bundle) on a host that has nothing but
// the C library: unpacked into a directory made a chroot that holds only
// the files of Debian's libc6 package, CA certificates and a resolver
// configuration (and /proc).  Inside it, as an ordinary user (uid 1000, what suEXEC
// gives), run as a customer would: webhookctl init, a team and a token;
// the program as plain CGI (a create, a list, an event publish; the
// environment and standard input a web server gives); then webhookd --once
// delivering to a receiver on loopback (outside the chroot), whose
// signature standardwebhooks verifies.  Needs root (chroot, and /proc
// mounted in it, as on any host).
//
//   make test-bundle    (builds the bundle, passes its path in WEBHOOKS_BUNDLE)

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';

import { REPO } from '../e2e/lib.mjs';
import { startReceiver } from '../e2e/delivery_lib.mjs';

const UID = 1000;
const HOME = '/home/you';		// inside the chroot
const DATA = `${HOME}/webhooks-data`;

function bundlePath() {
  if (process.env.WEBHOOKS_BUNDLE) return path.resolve(REPO, process.env.WEBHOOKS_BUNDLE);
  const all = fs.readdirSync(REPO).filter((f) => /^webhooks-shared-.*\.tar\.gz$/.test(f))
    .map((f) => path.join(REPO, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  assert.ok(all.length > 0, 'no webhooks-shared-*.tar.gz: run make bundle');
  return all[0];
}

// Copies into root every file, symbolic link and directory libc6's package
// lists, links kept as links (a link to a directory, /lib64 on a merged-/usr
// system, made with the directory it points to); directories 0755.
function copyLibc6(root) {
  const list = execFileSync('dpkg', ['-L', 'libc6'], { encoding: 'utf8' }).split('\n')
    .filter((p) => p.startsWith('/') && p !== '/.').sort();
  let files = 0;
  const mkdir = (d) => fs.mkdirSync(d, { recursive: true, mode: 0o755 });
  for (const p of list) {
    let st;
    try { st = fs.lstatSync(p); } catch { continue; }
    const dest = path.join(root, p);
    if (st.isSymbolicLink()) {
      const to = fs.readlinkSync(p);
      if (fs.statSync(p, { throwIfNoEntry: false })?.isDirectory()) {
        mkdir(path.join(root, path.resolve(path.dirname(p), to)));
      }
      mkdir(path.dirname(dest));
      if (!fs.existsSync(dest) && !isLink(dest)) fs.symlinkSync(to, dest);
    } else if (st.isDirectory()) {
      mkdir(dest);
    } else if (st.isFile()) {
      mkdir(path.dirname(dest));
      fs.copyFileSync(p, dest);
      fs.chmodSync(dest, st.mode & 0o7777);
      files++;
    }
  }
  return files;
}

function isLink(p) {
  try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; }
}

// Every file under root (for the check that nothing else came in).
function walk(root, dir = root, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(root, p, out); else out.push(`/${path.relative(root, p)}`);
  }
  return out;
}

// Runs a command in the chroot as UID; answers {status, stdout, stderr}.
function inRoot(root, argv, { env = {}, input = '' } = {}) {
  const r = spawnSync('chroot', [`--userspec=${UID}:${UID}`, root, ...argv], {
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, input, encoding: 'utf8', timeout: 60000,
  });
  if (r.error) throw r.error;
  return r;
}

// The same, without blocking: the receiver answers from this process.
function inRootAsync(root, argv, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('chroot', [`--userspec=${UID}:${UID}`, root, ...argv], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, 60000);
    child.on('error', reject);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

// One request to the program as plain CGI, as Apache runs it from the
// shipped .htaccess at the root of a domain: the rewrite gives the program
// the path as PATH_INFO; answers {status, headers, json}.
function cgi(root, method, uri, { token, body } = {}) {
  const q = uri.indexOf('?');
  const env = {
    WEBHOOKS_HOME: DATA, GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_SOFTWARE: 'Apache', SERVER_NAME: 'hooks.example.com', SERVER_PORT: '443', HTTPS: 'on',
    HTTP_HOST: 'hooks.example.com', REMOTE_ADDR: '192.0.2.7',
    REQUEST_METHOD: method, REQUEST_URI: uri, SCRIPT_NAME: '/webhooks.fcgi',
    SCRIPT_FILENAME: `${HOME}/public_html/webhooks.fcgi`,
    PATH_INFO: q < 0 ? uri : uri.slice(0, q), QUERY_STRING: q < 0 ? '' : uri.slice(q + 1),
  };
  if (token) env.HTTP_AUTHORIZATION = `Bearer ${token}`;
  if (body !== undefined) {
    env.CONTENT_TYPE = 'application/json';
    env.CONTENT_LENGTH = String(Buffer.byteLength(body));
  }
  const r = inRoot(root, [`${HOME}/public_html/webhooks.fcgi`], { env, input: body ?? '' });
  assert.equal(r.status, 0, `${method} ${uri}: exit ${r.status} ${r.signal ?? ''}\n${r.stderr}`);
  const sep = r.stdout.indexOf('\r\n\r\n');
  assert.ok(sep > 0, `${method} ${uri}: no CGI header block\n${r.stdout}\n${r.stderr}`);
  const headers = {};
  for (const l of r.stdout.slice(0, sep).split('\r\n')) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const text = r.stdout.slice(sep + 4);
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: Number((headers.status || '200').split(' ')[0]), headers, text, json };
}

test('the bundle runs in a chroot holding only libc6, CA certificates and a resolver configuration',
  { skip: process.getuid() !== 0 && 'needs root (chroot)' }, async () => {
    const bundle = bundlePath();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-bundle-'));
    fs.chmodSync(root, 0o755);
    const rx = await startReceiver(() => ({ status: 204 }));
    let procMounted = false;
    let keep = Boolean(process.env.WEBHOOKS_KEEP);
    try {
      const n = copyLibc6(root);
      assert.ok(n > 50, `libc6: only ${n} files`);
      fs.mkdirSync(path.join(root, 'etc/ssl/certs'), { recursive: true, mode: 0o755 });
      fs.copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(root, 'etc/ssl/certs/ca-certificates.crt'));
      fs.writeFileSync(path.join(root, 'etc/resolv.conf'), 'nameserver 127.0.0.1\n');
      fs.writeFileSync(path.join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
      fs.writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
      fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
      fs.chmodSync(path.join(root, 'tmp'), 0o1777);

      // The bundle, as the customer uploads it into their home.
      const home = path.join(root, HOME);
      fs.mkdirSync(home, { recursive: true, mode: 0o755 });
      execFileSync('tar', ['-C', home, '--strip-components=1', '-xzf', bundle]);
      for (const f of ['public_html/webhooks.fcgi', 'public_html/.htaccess', 'bin/webhookd',
        'bin/webhookctl', 'templates/layout.html', 'INSTALL']) {
        assert.ok(fs.existsSync(path.join(home, f)), `the bundle lacks ${f}`);
      }
      execFileSync('chown', ['-R', `${UID}:${UID}`, home]);

      // Nothing in the chroot but libc6's files, the bundle and /etc's four.
      // (Each of libc6's paths as reached in the chroot: /lib may be usr/lib.)
      const libc6 = new Set(execFileSync('dpkg', ['-L', 'libc6'], { encoding: 'utf8' }).split('\n')
        .filter((p) => p.startsWith('/') && fs.existsSync(path.join(root, p)))
        .map((p) => `/${path.relative(fs.realpathSync(root),
          path.join(fs.realpathSync(path.dirname(path.join(root, p))), path.basename(p)))}`));
      const extra = walk(root).filter((f) => !libc6.has(f) && !f.startsWith(`${HOME}/`) &&
        !['/etc/ssl/certs/ca-certificates.crt', '/etc/resolv.conf', '/etc/nsswitch.conf', '/etc/hosts'].includes(f));
      assert.deepEqual(extra, []);

      // /proc, which every host has: ld.so finds $ORIGIN (webhookd's run
      // path to lib/) from /proc/self/exe, and the store's recovery reads
      // /proc/PID.  Unmounted before the directory is removed.
      fs.mkdirSync(path.join(root, 'proc'), { mode: 0o555 });
      execFileSync('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
      procMounted = true;

      const ctl = (args, input) => {
        const r = inRoot(root, [`${HOME}/bin/webhookctl`, ...args], { env: { WEBHOOKS_HOME: DATA }, input });
        assert.equal(r.status, 0, `webhookctl ${args.join(' ')}: ${r.status} ${r.signal ?? ''}\n${r.stdout}${r.stderr}`);
        return r.stdout;
      };
      ctl(['init', '--docroot', `${HOME}/public_html`]);
      assert.equal(fs.statSync(path.join(root, DATA)).mode & 0o777, 0o700);
      ctl(['team', 'add', 'acme']);
      const token = ctl(['token', 'add', '--team', 'acme']).trim().split('\n').pop().trim();
      fs.writeFileSync(path.join(root, DATA, 'webhooks.conf'), 'allow_private = 1\n');

      let r = cgi(root, 'POST', '/api/2.0/webhooks', {
        token, body: JSON.stringify({ name: 'shop', url: `${rx.url}/in`, events: ['order.paid'] }),
      });
      assert.equal(r.status, 201, r.text);
      const wh = r.json.data;
      assert.match(r.headers.location ?? '', /^(https:\/\/hooks\.example\.com)?\/api\/2\.0\/webhooks\//);
      r = cgi(root, 'GET', '/api/2.0/webhooks?per_page=10', { token });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.data.map((w) => w.id), [wh.id]);
      r = cgi(root, 'POST', '/api/2.0/events', {
        token, body: JSON.stringify({ event: 'order.paid', data: { order: 42 } }),
      });
      assert.equal(r.status, 202, r.text);
      assert.equal(cgi(root, 'GET', '/api/2.0/webhooks', {}).status, 401);

      const d = await inRootAsync(root, [`${HOME}/bin/webhookd`, '--once'], { env: { WEBHOOKS_HOME: DATA } });
      assert.equal(d.status, 0, `webhookd --once: ${d.status} ${d.signal ?? ''}\n${d.stdout}${d.stderr}`);
      assert.equal(rx.requests.length, 1, d.stderr);
      const got = rx.requests[0];
      assert.equal(got.url, '/in');
      const ev = new Webhook(wh.token).verify(got.body, got.headers);
      assert.equal(ev.type, 'order.paid');
      assert.deepEqual(ev.data, { order: 42 });
      assert.throws(() => new Webhook(wh.token).verify(got.body.replace('42', '43'), got.headers));
    } finally {
      await rx.close();
      if (procMounted) {
        // Never remove the tree while /proc is mounted in it.
        const u = spawnSync('umount', [path.join(root, 'proc')]);
        if (u.status !== 0) keep = true;
      }
      if (!keep) fs.rmSync(root, { recursive: true, force: true });
    }
  });
