// What the users of the FastCGI pool share (units_pool.test.mjs behind
// lighttpd, apache_pool.test.mjs behind Apache, bench/apache_cold.mjs):
// the pool unit's ExecStart as `make install` fills it in, the pool started
// under socket activation, and its workers as /proc shows them.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { FCGI, REPO, sleep, which } from './lib.mjs';

export const UNIT = path.join(REPO, 'src', 'systemd', 'webhooks-fcgi.service');

// The unit's ExecStart, its @NAME@ filled in as `make install` would
// (workers for @WORKERS@), the program being the repository's.
export function execStart(workers) {
  const text = fs.readFileSync(UNIT, 'utf8');
  assert.match(text, /^StandardInput=socket$/m, 'the pool gets its socket as standard input');
  const m = text.match(/^ExecStart=(.*)$/m);
  assert.ok(m, `${UNIT} has an ExecStart`);
  const prog = '@PREFIX@/lib/webhooks/cgi-bin/webhooks.fcgi';
  assert.ok(m[1].includes(prog), `ExecStart runs ${prog}: ${m[1]}`);
  const argv = m[1].replace(prog, FCGI).replace('@WORKERS@', String(workers)).split(/\s+/);
  assert.ok(!argv.some((a) => a.includes('@')), `every @NAME@ filled: ${argv.join(' ')}`);
  return argv;
}

// PID -> [ppid, exe] of every live process this user can see.
export function processes() {
  const out = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue;
      out.set(Number(d), [Number(rest[1]), fs.readlinkSync(`/proc/${d}/exe`)]);
    } catch { /* gone, or another user's */ }
  }
  return out;
}

// The webhooks.fcgi children of pid (multiwatch's workers), sorted.
export function workersOf(pid) {
  const w = [];
  for (const [p, [ppid, exe]] of processes()) {
    if (ppid === pid && path.basename(exe.replace(/ \(deleted\)$/, '')) === 'webhooks.fcgi') w.push(p);
  }
  return w.sort((a, b) => a - b);
}

// fn's first truthy answer, polled every 50 ms for at most ms.
export async function until(what, fn, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// The pool as systemd runs it, without systemd: systemd-socket-activate
// listens on sock and runs the unit's ExecStart (multiwatch forking
// workers of prog) with the listening socket as standard input, as
// StandardInput=socket does (a shell moves it there from fd 3,
// LISTEN_FDS).  With user set the socket gets mode 0660 (the socket unit's
// SocketMode=) and, as root, home and the socket become that user's
// (SocketUser=), setpriv dropping root after the socket is made, as
// systemd would.
// Returns {pid, sock, exited (a promise of {code, signal}), log(),
// running(), stop()}.
export async function startPool({ home, sock, workers, user = null, prog = FCGI }) {
  const sa = which('systemd-socket-activate');
  assert.ok(sa, 'systemd-socket-activate (Debian package systemd) is installed');
  const argv = execStart(workers).map((a) => (a === FCGI ? prog : a));
  assert.ok(fs.existsSync(argv[0]), `${argv[0]} (Debian package multiwatch) is installed`);
  let drop = [];
  let owner = null;
  if (user && process.getuid() === 0) {
    const id = (f) => {
      const r = spawnSync('id', [f, user], { encoding: 'utf8' });
      assert.equal(r.status, 0, `user ${user} exists`);
      return Number(r.stdout);
    };
    owner = { uid: id('-u'), gid: id('-g') };
    spawnSync('chown', ['-R', `${owner.uid}:${owner.gid}`, home]);
    const setpriv = which('setpriv');
    assert.ok(setpriv, 'setpriv (Debian package util-linux) is installed');
    drop = [setpriv, `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--clear-groups'];
  }
  const child = spawn(sa, ['-l', sock, '-E', `WEBHOOKS_HOME=${home}`, '--',
    '/bin/sh', '-c', 'exec "$@" <&3 3<&-', 'sh', ...drop, ...argv], {
    env: { ...process.env, WEBHOOKS_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (c) => { log += c; });
  child.stderr.on('data', (c) => { log += c; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await until('the socket', () => fs.existsSync(sock));
  if (owner) fs.chownSync(sock, owner.uid, owner.gid);
  if (user) fs.chmodSync(sock, 0o660);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    pid: child.pid, sock, exited, running,
    log: () => log,
    // SIGTERM to multiwatch, as systemd stops the unit (it ends and reaps
    // its workers); SIGKILL to what is left after ms.
    async stop(ms = 5000) {
      if (!running()) return;
      const kids = workersOf(child.pid);
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
      let timer;
      const r = await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); })]);
      clearTimeout(timer);
      if (r === 'timeout') {
        try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
        for (const k of kids) try { process.kill(k, 'SIGKILL'); } catch { /* gone */ }
      }
    },
  };
}
