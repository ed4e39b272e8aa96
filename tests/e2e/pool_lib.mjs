// What the tests of the FastCGI pool share (units_pool.test.mjs behind
// lighttpd, apache_pool.test.mjs behind Apache): the pool unit's ExecStart
// as `make install` fills it in, and the pool's workers as /proc shows
// them.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { FCGI, REPO, sleep } from './lib.mjs';

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
