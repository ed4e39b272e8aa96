// Helpers for the end-to-end tests: free loopback ports, temporary data
// directories made with the real webhookctl, the real lighttpd and Apache
// started from the shipped example configurations, and a small HTTP client.
//
// Every server listens on 127.0.0.1 on a free port, has its own temporary
// WEBHOOKS_HOME, and is stopped by its PID (only what we started).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEBHOOKCTL = path.join(REPO, 'webhookctl');
export const FCGI = path.join(REPO, 'cgi-bin', 'webhooks.fcgi');
export const LIGHTTPD_CONF = path.join(REPO, 'lighttpd.conf.example');
export const APACHE_CONF = path.join(REPO, 'apache.conf.example');
export const ALL_SCOPES = 'webhooks:view,webhooks:add,webhooks:edit,webhooks:remove,events:publish';

const started = new Set(); // child processes to kill if this process dies

process.on('exit', () => {
  for (const child of started) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A port nobody listens on now: bind 127.0.0.1:0 and let the kernel choose.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function which(cmd, extra = []) {
  for (const dir of [...(process.env.PATH || '').split(':'), '/usr/sbin', '/sbin', ...extra]) {
    const p = path.join(dir, cmd);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

// --- data directories --------------------------------------------------------

function ownerOf(dir) {
  const st = fs.statSync(dir);
  return { uid: st.uid, gid: st.gid };
}

// Runs webhookctl on a data directory, as the directory's owner (when the
// tests run as root and the directory was given to the web server's user,
// so that files the command creates stay usable by the server).
export function ctl(home, args, { input, allowFail = false } = {}) {
  const opts = { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8', input };
  if (process.getuid && process.getuid() === 0 && fs.existsSync(home)) {
    const o = ownerOf(home);
    if (o.uid !== 0) { opts.uid = o.uid; opts.gid = o.gid; }
  }
  const r = spawnSync(WEBHOOKCTL, args, opts);
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) {
    throw new Error(`webhookctl ${args.join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  }
  return r;
}

// webhookd's arguments for a data directory: run as root (CI, make test)
// on a root-owned directory, webhookd refuses to start unless told to stay
// root (README, "Permissions"); the tests say so explicitly.
export function daemonArgs(home, args = []) {
  if (process.getuid && process.getuid() === 0 && !args.includes('--user') &&
      fs.existsSync(home) && ownerOf(home).uid === 0) {
    return ['--user', 'root', ...args];
  }
  return args;
}

// Adds a team (if new) and a token for it; returns the token (the last line
// of webhookctl's output).
export function addToken(home, team, scopes = ALL_SCOPES) {
  const teams = ctl(home, ['team', 'list'], { allowFail: true }).stdout || '';
  if (!teams.split(/\s+/).includes(team)) ctl(home, ['team', 'add', team]);
  const args = ['token', 'add', '--team', team];
  if (scopes) args.push('--scopes', scopes);
  const out = ctl(home, args).stdout.trim().split('\n');
  const token = out[out.length - 1].trim();
  if (!token || /\s/.test(token)) throw new Error(`no token in webhookctl output: ${out.join('\n')}`);
  return token;
}

// A new data directory: `webhookctl init`, team "default" and a token with
// every scope.
export function makeHome(prefix = 'webhooks-e2e-') {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(home, 0o700);
  ctl(home, ['init']);
  const token = addToken(home, 'default');
  return { home, token };
}

export function removeHome(home) {
  if (!home || process.env.WEBHOOKS_E2E_KEEP) return;
  if (!path.basename(home).startsWith('webhooks-')) return;
  fs.rmSync(home, { recursive: true, force: true });
}

function lookupUser(name) {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function chownR(p, uid, gid) {
  fs.lchownSync(p, uid, gid);
  const st = fs.lstatSync(p);
  if (st.isDirectory()) {
    for (const e of fs.readdirSync(p)) chownR(path.join(p, e), uid, gid);
  }
}

// --- servers -----------------------------------------------------------------

class Server {
  // prefix: the path the server mounts the program at ('' at the root,
  // '/hooks'); base is where the API and admin paths continue, origin the
  // server's own root.
  constructor(kind, child, { port, home, token, prefix = '' }) {
    this.kind = kind;
    this.child = child;
    this.pid = child.pid;
    this.port = port;
    this.home = home;
    this.token = token;
    this.prefix = prefix;
    this.origin = `http://127.0.0.1:${port}`;
    this.base = this.origin + prefix;
    this.log = [];
    this.exited = null;
    this.sanitizer = '';
    const keep = (chunk) => {
      const text = chunk.toString();
      this.log.push(text);
      if (this.log.length > 2000) this.log.splice(0, 1000);
      if (this.sanitizer.length < 20000 && SANITIZER_RE.test(text)) this.sanitizer += text;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        started.delete(child);
        resolve(this.exited);
      });
    });
    started.add(child);
  }

  logText(maxChars = 20000) {
    let s = this.log.join('');
    if (this.logFile) {
      try { s += `--- ${this.logFile}:\n` + fs.readFileSync(this.logFile, 'utf8'); } catch { /* none */ }
    }
    return s.length > maxChars ? '...' + s.slice(-maxChars) : s;
  }

  // Wraps a test function so that a failure carries the server's log.
  wrap(fn) {
    return async (t) => {
      try {
        await fn(t);
      } catch (e) {
        const extra = `\n--- ${this.kind} on ${this.base} (WEBHOOKS_HOME ${this.home}), log:\n${this.logText()}\n--- end of log`;
        if (e && typeof e === 'object') {
          try { e.message = `${e.message}${extra}`; } catch { /* read-only */ }
        }
        throw e;
      }
    };
  }

  async waitReady(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let lastErr;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`${this.kind} exited (${JSON.stringify(this.exited)}) before answering\n${this.logText()}`);
      }
      try {
        const r = await fetch(`${this.base}/api/2.0/webhooks`, {
          headers: { Authorization: `Bearer ${this.token}` },
          signal: AbortSignal.timeout(3000),
        });
        await r.arrayBuffer();
        if (r.status < 500) return;
        lastErr = new Error(`status ${r.status}`);
      } catch (e) {
        lastErr = e;
      }
      await sleep(100);
    }
    throw new Error(`${this.kind} did not answer on ${this.base} within ${timeoutMs} ms: ${lastErr}\n${this.logText()}`);
  }

  // Ready as soon as the port accepts a connection: no request, so that a
  // server that starts its FastCGI processes on demand (mod_fcgid) has
  // started none yet (a cold start).
  async waitListening(timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) {
        throw new Error(`${this.kind} exited (${JSON.stringify(this.exited)}) before listening\n${this.logText()}`);
      }
      const ok = await new Promise((resolve) => {
        const c = net.connect(this.port, '127.0.0.1', () => { c.destroy(); resolve(true); });
        c.on('error', () => resolve(false));
      });
      if (ok) return;
      await sleep(50);
    }
    throw new Error(`${this.kind} did not listen on ${this.base} within ${timeoutMs} ms\n${this.logText()}`);
  }

  // PIDs of the FastCGI processes (webhooks.fcgi) under this server.
  fcgiPids() {
    const procs = new Map(); // pid -> ppid
    const exes = new Map();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        procs.set(Number(d), Number(rest[1]));
        try { exes.set(Number(d), fs.readlinkSync(`/proc/${d}/exe`)); } catch { /* other user */ }
      } catch { /* gone */ }
    }
    const descends = (pid) => {
      for (let p = procs.get(pid), n = 0; p && n < 20; p = procs.get(p), n++) {
        if (p === this.pid) return true;
      }
      return false;
    };
    const out = [];
    for (const [pid, exe] of exes) {
      if (path.basename(exe.replace(/ \(deleted\)$/, '')) === 'webhooks.fcgi' && descends(pid)) out.push(pid);
    }
    return out.sort((a, b) => a - b);
  }

  // Stops the server and removes its data directory (kept when
  // WEBHOOKS_E2E_KEEP is set, to look at after a failure).
  async stopAndClean() {
    const r = await this.stop();
    removeHome(this.home);
    return r;
  }

  // Stops the server, then its FastCGI processes if any outlived it (a
  // server killed after its 10 s, or one that did not end its children):
  // such an orphan holds the server's stderr open, and this test file's
  // process would never end.  Each is ended by the PID it had under this
  // server, and only if it is still that process (its start time).
  async stop() {
    if (this.exited) return this.exited;
    const kids = this.fcgiPids().map((pid) => [pid, startTime(pid)]);
    try { process.kill(this.pid, 'SIGTERM'); } catch { /* gone */ }
    let timer;
    const t = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 10000); });
    const r = await Promise.race([this.exitPromise, t]);
    clearTimeout(timer);
    if (r === 'timeout') {
      try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
      await this.exitPromise;
    }
    await endOrphans(kids);
    this.checkSanitizer();
    return this.exited;
  }

  // Under make asan: a report of AddressSanitizer or UndefinedBehavior-
  // Sanitizer from any process writing to the server's log (the FastCGI
  // processes' standard error: lighttpd's, or Apache's error log) fails
  // the test file that stopped the server.  (A process that hits one
  // aborts, which most tests would see as a 500; this also catches what
  // they do not.  Leaks are left to the unit tests and make valgrind: a
  // FastCGI process ended by its server frees nothing on the way out.)
  checkSanitizer() {
    let found = this.sanitizer;
    if (this.logFile) {
      try {
        const t = fs.readFileSync(this.logFile, 'utf8');
        const i = t.search(SANITIZER_RE);
        if (i >= 0) found += t.slice(Math.max(0, i - 200), i + 8000);
      } catch { /* none */ }
    }
    if (found) throw new Error(`${this.kind} on ${this.base}: a sanitizer report in its log:\n${found.slice(0, 20000)}`);
  }
}

const SANITIZER_RE = /ERROR: AddressSanitizer|runtime error: /;

// The start time of a process (/proc/PID/stat's 22nd field), or null: with
// its PID, it names one process for good.
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch { return null; }
}

// Ends those of pids (with their start times) that are still alive 2 s
// after their server is gone (a server ends its FastCGI processes as it
// exits, and they take a moment); SIGTERM, then SIGKILL after 2 s more.
async function endOrphans(kids) {
  const alive = ([pid, st]) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return f[19] === st && f[0] !== 'Z';
    } catch { return false; }
  };
  let left = kids.filter(alive);
  for (const sig of [null, 'SIGTERM', 'SIGKILL']) {
    if (left.length === 0) return;
    for (const [pid] of sig ? left : []) {
      process.stderr.write(`lib: webhooks.fcgi ${pid} outlived its server: ${sig}\n`);
      try { process.kill(pid, sig); } catch { /* gone */ }
    }
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await sleep(100);
      left = left.filter(alive);
    }
  }
}

// detached: a process group of its own, for a server that signals its
// whole group when it stops (Apache's prefork MPM does, and would take the
// tests with it).
function startProcess(kind, cmd, args, env, info, { detached = false } = {}) {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: REPO,
    detached,
  });
  child.on('error', (e) => { child.emit('exit', null, `spawn error: ${e.message}`); });
  return new Server(kind, child, info);
}

// lighttpd in the foreground with lighttpd.conf.example, unchanged.
// (The benchmarks pass conf, a configuration derived from it, and root, a
// directory whose cgi-bin/webhooks.fcgi is the program to run.)
// (extraEnv: more variables for lighttpd and so its FastCGI processes,
// such as the fault tests' LD_PRELOAD.)
// (prefix: the path a derived conf mounts the program at, for srv.base.)
export async function startLighttpd({ home, token, port, conf = LIGHTTPD_CONF, root = REPO, extraEnv = {}, prefix = '' } = {}) {
  if (!home) ({ home, token } = makeHome('webhooks-lighttpd-'));
  port = port || await freePort();
  const bin = which('lighttpd');
  if (!bin) throw new Error('lighttpd is not installed');
  const env = { ...extraEnv, WEBHOOKS_ROOT: root, WEBHOOKS_PORT: String(port), WEBHOOKS_HOME: home };
  const t = spawnSync(bin, ['-tt', '-f', conf], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`lighttpd -tt failed:\n${t.stdout}${t.stderr}`);
  const srv = startProcess('lighttpd', bin, ['-D', '-f', conf], env, { port, home, token, prefix });
  await srv.waitReady();
  return srv;
}

// Apache in the foreground with apache.conf.example, unchanged; values by
// -C 'Define NAME value'.  As root Apache runs as www-data: the data
// directory is given to that user first.
// (root, for the benchmarks: a directory whose cgi-bin/webhooks.fcgi is the
// program to run.)
// (conf and prefix: a configuration derived from it, mounting the program
// at prefix.)
// (defines: more Defines, such as { WEBHOOKS_POOL: '' } for the pool mode;
// '' defines the name without a value.)
// cold: ready when the port accepts a connection, no request sent.
export async function startApache({ home, token, port, user = 'www-data', root = REPO, conf = APACHE_CONF, prefix = '', defines = {}, cold = false } = {}) {
  if (!home) ({ home, token } = makeHome('webhooks-apache-'));
  port = port || await freePort();
  const bin = which('apache2') || which('httpd');
  if (!bin) throw new Error('apache2 is not installed');
  const defs = { WEBHOOKS_ROOT: root, WEBHOOKS_HOME: home, WEBHOOKS_PORT: String(port) };
  if (process.getuid && process.getuid() === 0) {
    const u = lookupUser(user);
    if (!u) throw new Error(`no user ${user} to run Apache as`);
    chownR(home, u.uid, u.gid);
    defs.WEBHOOKS_USER = user;
    defs.WEBHOOKS_GROUP = `#${u.gid}`;
  }
  const args = ['-DFOREGROUND'];
  for (const [k, v] of Object.entries({ ...defs, ...defines })) args.push('-C', v === '' ? `Define ${k}` : `Define ${k} ${v}`);
  args.push('-f', conf);
  const t = spawnSync(bin, [...args.slice(1), '-t'], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`apache2 -t failed:\n${t.stdout}${t.stderr}`);
  // Debian's apache2 reads APACHE_* from /etc/apache2/envvars only through
  // apache2ctl; the standalone configuration needs none of them.
  const srv = startProcess('apache', bin, args, {}, { port, home, token, prefix });
  srv.logFile = path.join(home, 'apache-error.log');
  if (cold) await srv.waitListening();
  else await srv.waitReady();
  return srv;
}

export const SERVERS = { lighttpd: startLighttpd, apache: startApache };

// A shared host's Apache (tests/e2e/shared_host.conf: .htaccess allowed,
// plain CGI, or mod_fcgid with the host's defaults when fcgid is set) and a
// customer's account laid out as the README's "Shared hosting" says:
//   base/public_html/   cgi-bin/webhooks.fcgi and cgi-bin/.htaccess, its
//                       SetEnv WEBHOOKS_HOME line set to base/webhooks-data
//   base/templates/     the admin page's templates (public_html/../templates)
//   base/bin/webhookd   named in webhooks.conf for the Test buttons
//   base/webhooks-data/ `webhookctl init`, a team and a token
// As root, the account belongs to www-data, whom Apache runs as.
// subdir ('hooks'): the program and .htaccess go into public_html/subdir/
// instead (the templates stay at base/templates), srv.base ends in /subdir.
export async function startSharedHost({ fcgid = false, settings = {}, user = 'www-data', subdir = '' } = {}) {
  const bin = which('apache2') || which('httpd');
  if (!bin) throw new Error('apache2 is not installed');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-shared-'));
  const docroot = path.join(base, 'public_html');
  const home = path.join(base, 'webhooks-data');
  const run = path.join(base, 'run');
  const appdir = path.join(docroot, subdir);
  for (const d of [docroot, path.join(base, 'bin'), path.join(base, 'templates'), run]) fs.mkdirSync(d);
  if (subdir) fs.mkdirSync(appdir);
  fs.copyFileSync(FCGI, path.join(appdir, 'webhooks.fcgi'));
  fs.chmodSync(path.join(appdir, 'webhooks.fcgi'), 0o755);
  const ht = fs.readFileSync(path.join(REPO, 'cgi-bin', '.htaccess'), 'utf8');
  const set = ht.replace(/^SetEnv WEBHOOKS_HOME .*$/m, `SetEnv WEBHOOKS_HOME ${home}`);
  if (set === ht) throw new Error('cgi-bin/.htaccess has no SetEnv WEBHOOKS_HOME line');
  fs.writeFileSync(path.join(appdir, '.htaccess'), set);
  for (const f of fs.readdirSync(path.join(REPO, 'templates'))) {
    fs.copyFileSync(path.join(REPO, 'templates', f), path.join(base, 'templates', f));
  }
  const webhookd = path.join(base, 'bin', 'webhookd');
  fs.copyFileSync(path.join(REPO, 'webhookd'), webhookd);
  fs.chmodSync(webhookd, 0o755);
  fs.mkdirSync(home, { mode: 0o700 });
  ctl(home, ['init']);
  const token = addToken(home, 'default');
  const conf = { webhookd, ...settings };
  fs.writeFileSync(path.join(home, 'webhooks.conf'),
    Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
  fs.chmodSync(base, 0o755);
  const port = await freePort();
  const defs = { DOCROOT: docroot, RUNDIR: run, PORT: String(port) };
  let owner = null;
  if (process.getuid && process.getuid() === 0) {
    owner = lookupUser(user);
    if (!owner) throw new Error(`no user ${user} to run Apache as`);
    chownR(base, owner.uid, owner.gid);
    defs.USER = user;
    defs.GROUP = `#${owner.gid}`;
  }
  const args = ['-DFOREGROUND'];
  if (fcgid) args.push('-D', 'WITH_FCGID');
  for (const [k, v] of Object.entries(defs)) args.push('-C', `Define ${k} ${v}`);
  args.push('-f', path.join(REPO, 'tests', 'e2e', 'shared_host.conf'));
  const t = spawnSync(bin, [...args.slice(1), '-t'], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`apache2 -t failed:\n${t.stdout}${t.stderr}`);
  const srv = startProcess(fcgid ? 'shared host (mod_fcgid)' : 'shared host (CGI)', bin, args, {}, { port, home, token, prefix: subdir ? `/${subdir}` : '' }, { detached: true });
  srv.logFile = path.join(run, 'apache-error.log');
  srv.base_dir = base;
  srv.webhookd = webhookd;
  srv.owner = owner;
  await srv.waitReady();
  return srv;
}

// --- HTTP ----------------------------------------------------------------------

// One request; answers {status, headers, text, json (or undefined)}.
// body: a string or Buffer is sent as is, anything else as JSON.
// retryStale (the benchmarks): a GET whose kept-alive connection the
// server closed just as it was reused is sent once more, as HTTP/1.1 lets
// a client do with an idempotent request (RFC 9112, 9.3.1).  The tests
// leave it off, so that a connection failure there is never hidden.
// make test-e2e names a file in WEBHOOKS_OPENAPI_LOG: every answer of every
// dialect (/api/2.0/..., /api/web/v1/..., /api/v1/..., /webhooks...,
// /health, /metrics, unmounted) is recorded there, one JSON line each, and
// tests/openapi/check.mjs validates each against templates/openapi.json.
const OPENAPI_LOG = process.env.WEBHOOKS_OPENAPI_LOG || '';
const OPENAPI_PATHS = /^\/(api\/2\.0|api\/web\/v1|api\/v1|webhooks|health|metrics)([/?]|$)/;

export async function api(base, method, p, { token, body, headers = {}, timeoutMs = 30000, retryStale = false } = {}) {
  const h = { ...headers };
  if (token !== undefined && token !== null) h.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
    else {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json';
    }
  }
  const send = () => fetch(base + p, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeoutMs) });
  let r;
  try {
    r = await send();
  } catch (e) {
    const stale = ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(e?.cause?.code);
    if (!retryStale || !stale || (method !== 'GET' && method !== 'HEAD')) throw e;
    r = await send();
  }
  const text = await r.text();
  let json;
  try { json = text.length ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (OPENAPI_LOG && OPENAPI_PATHS.test(p)) {
    fs.appendFileSync(OPENAPI_LOG, JSON.stringify({ method, path: p, status: r.status, type: r.headers.get('content-type'), body: text }) + '\n');
  }
  return { status: r.status, headers: r.headers, text, json, request: `${method} ${p}` };
}

// Describes a response for assertion messages.
export function show(res) {
  return `${res.request} -> ${res.status} ${res.text.length > 600 ? res.text.slice(0, 600) + '...' : res.text}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Berkeley DB's verifier: db_verify, or Debian's db5.3_verify.
export function dbVerify(home) {
  const bin = which('db5.3_verify') || which('db_verify');
  if (!bin) throw new Error('db5.3_verify / db_verify is not installed (Debian: db5.3-util)');
  const dir = path.join(home, 'db');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.db'));
  const out = [];
  for (const f of files) {
    const r = spawnSync(bin, ['-h', dir, f], { encoding: 'utf8', cwd: dir });
    out.push({ file: f, status: r.status, output: `${r.stdout}${r.stderr}`.trim() });
  }
  return out;
}
