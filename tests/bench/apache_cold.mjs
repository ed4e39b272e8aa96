// Apache from a cold start (issue 18): apache.conf.example as the README
// starts it, no warm-up, then 16 steady connections for 60 s, measured as
// six back-to-back 10 s wrk runs (a window each: p99, failed requests, the
// FastCGI processes at its end).  Two modes, each for the program and for
// the trivial responder under the very same file:
//   fcgid  mod_fcgid starts the processes on demand (the default mode);
//   pool   -D WEBHOOKS_POOL: mod_proxy_fcgi to a pool of workers started in
//          advance (src/systemd/webhooks-fcgi.service's ExecStart, multiwatch
//          under systemd-socket-activate, as tests/e2e/apache_pool does).
//
// Used by bench.mjs (section "apache"); also runs alone for trials:
//   cd tests && node bench/apache_cold.mjs [fcgid|pool] [prog|trivial] [health]
// (BENCH_COLD_WINDOWS, BENCH_COLD_SECONDS: windows and their length.)

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lib from '../e2e/lib.mjs';
import * as poolLib from '../e2e/pool_lib.mjs';
import { workersOf } from '../e2e/pool_lib.mjs';

export const WINDOWS = Number(process.env.BENCH_COLD_WINDOWS || 6);
export const WINDOW_SECS = Number(process.env.BENCH_COLD_SECONDS || 10);
export const CONNS = 16;
// The pool's workers: make install's SERVICE_WORKERS default.
export const POOL_WORKERS = 4;

function toMs(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return { us: v / 1000, ms: v, s: v * 1000, m: v * 60000 }[m[2]];
}

function wrkOnce(url, token, secs) {
  return new Promise((resolve, reject) => {
    const args = ['-t2', `-c${CONNS}`, `-d${secs}s`, '--latency', '-s',
      path.join(lib.REPO, 'tests', 'bench', 'get.lua'), url];
    const child = spawn('wrk', args, { env: { ...process.env, WEBHOOKS_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, (secs + 30) * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) { reject(new Error(`wrk failed (${code}): ${out}`)); return; }
      const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
      const lat = {};
      for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+(\S+)/gm)) lat[m[1]] = toMs(m[2]);
      const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        rps: num(/Requests\/sec:\s+([\d.]+)/),
        requests: num(/(\d+) requests in/),
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        sockErr: se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
        sockDetail: se ? se[0].replace('Socket errors: ', '') : 'none',
        p50: lat['50'], p99: lat['99'],
        cmd: `wrk ${args.join(' ').replace(path.join(lib.REPO, 'tests') + '/', 'tests/')}`,
      });
    });
  });
}

// The pool: pool_lib's, as the e2e tests start it, on a fresh socket,
// running prog instead of the repository's program (as root its workers
// run as www-data, who owns home).
async function startPool(home, prog) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-bench-sock-'));
  fs.chmodSync(dir, 0o755);
  const pool = await poolLib.startPool({ home, sock: path.join(dir, 'fcgi.sock'), workers: POOL_WORKERS, user: 'www-data', prog });
  return {
    sock: pool.sock,
    workers: () => workersOf(pool.pid),
    async stop() {
      await pool.stop(10000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// One cold start: Apache (and the pool) started now, WINDOWS windows of
// WINDOW_SECS s at CONNS connections on urlPath.  Returns the windows.
// health: one GET /health first, as an operator's check or a load
// balancer's probe would (under mod_fcgid it starts one process).
export async function coldStart({ mode, root, home, token, urlPath, health = false, say = () => {} }) {
  let pool = null;
  const defines = {};
  if (mode === 'pool') {
    pool = await startPool(home, path.join(root, 'cgi-bin', 'webhooks.fcgi'));
    defines.WEBHOOKS_POOL = '';
    defines.WEBHOOKS_POOL_SOCKET = pool.sock;
  }
  const t0 = Date.now();
  const srv = await lib.startApache({ home, token, root, defines, cold: true });
  const windows = [];
  try {
    const procs = () => (pool ? pool.workers().length : srv.fcgiPids().length);
    if (health) {
      const r = await fetch(`${srv.base}/health`, { signal: AbortSignal.timeout(10000) });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`GET /health: ${r.status}`);
    }
    say(`  Apache (${mode}) listening after ${Date.now() - t0} ms${health ? ', GET /health answered' : ''}, ${procs()} FastCGI processes`);
    for (let i = 0; i < WINDOWS; i++) {
      const w = await wrkOnce(`${srv.base}${urlPath}`, token, WINDOW_SECS);
      w.procs = procs();
      w.failed = w.non2xx + w.sockErr;
      windows.push(w);
      say(`  ${mode} window ${i + 1} (${i * WINDOW_SECS}-${(i + 1) * WINDOW_SECS} s): ${w.rps.toFixed(0)} req/s, p99 ${w.p99} ms, failed ${w.failed} (non-2xx ${w.non2xx}, socket ${w.sockDetail}), ${w.procs} processes`);
    }
    windows.log = fs.existsSync(srv.logFile) ? fs.readFileSync(srv.logFile, 'utf8') : '';
  } finally {
    await srv.stop();
    if (pool) await pool.stop();
  }
  return windows;
}

// Alone: one mode, the program (a store with one webhook) or the trivial
// responder.
if (import.meta.url === `file://${process.argv[1]}`) {
  const mode = process.argv[2] || 'fcgid';
  const which = process.argv[3] || 'prog';
  const { home, token } = lib.makeHome('webhooks-bench-cold-');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-bench-root-'));
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, 'cgi-bin'), { mode: 0o755 });
  const bin = which === 'prog' ? lib.FCGI : path.join(lib.REPO, 'build', 'bench', 'trivial');
  fs.copyFileSync(bin, path.join(root, 'cgi-bin', 'webhooks.fcgi'));
  fs.chmodSync(path.join(root, 'cgi-bin', 'webhooks.fcgi'), 0o755);
  let urlPath = '/api/2.0/webhooks';
  if (which === 'prog') {
    // One webhook, created by the program run as CGI (no server yet).
    const body = JSON.stringify({ name: 'bench', url: 'https://example.com/hook', events: ['*'] });
    const r = spawnSync(lib.FCGI, [], {
      input: body, encoding: 'utf8',
      env: { ...process.env, WEBHOOKS_HOME: home, GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'POST',
        REQUEST_URI: urlPath, SCRIPT_NAME: '', PATH_INFO: urlPath, CONTENT_TYPE: 'application/json',
        CONTENT_LENGTH: String(body.length), HTTP_AUTHORIZATION: `Bearer ${token}`, REMOTE_ADDR: '127.0.0.1',
        SERVER_NAME: '127.0.0.1', SERVER_PORT: '80' },
    });
    const m = /"id"\s*:\s*"([0-9a-f-]{36})"/.exec(r.stdout);
    if (!m) throw new Error(`no webhook created: ${r.stdout}${r.stderr}`);
    urlPath += `/${m[1]}`;
  }
  const say = (s) => process.stdout.write(`${s}\n`);
  try {
    const w = await coldStart({ mode, root, home, token, urlPath, say, health: process.argv[4] === 'health' });
    const errs = w.log.split('\n').filter((l) => l.trim()).slice(-20);
    if (errs.length) say(`Apache's error log (last lines):\n${errs.join('\n')}`);
  } finally {
    lib.removeHome(home);
    fs.rmSync(root, { recursive: true, force: true });
  }
}
