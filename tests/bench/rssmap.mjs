// Resident memory of the FastCGI program by mapping, after GET and list
// runs: a diagnosis for the RSS figure of `make bench` (issue 2).
//
//   make all build/bench/preload && cd tests && node bench/rssmap.mjs
//
// Environment: BENCH_WEBHOOKS (100000), BENCH_SECONDS (5).  Servers listen
// on 127.0.0.1 on free ports, with a temporary data directory; everything
// started here is stopped by its PID.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lib from '../e2e/lib.mjs';

const NHOOKS = Number(process.env.BENCH_WEBHOOKS || 100000);
const SECS = Number(process.env.BENCH_SECONDS || 5);
const BIN = path.join(lib.REPO, 'build', 'bench');

// {name: {rss, priv}} in kB for one process, by mapped file (or [heap] ...).
export function smapsByMapping(pid) {
  const out = {};
  let cur = null;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1] ? path.basename(head[1].replace(/ \(deleted\)$/, '')) : '[anon]';
      cur = out[name] ||= { rss: 0, priv: 0 };
      continue;
    }
    const m = /^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
    if (m && cur) {
      if (m[1] === 'Rss') cur.rss += Number(m[2]);
      else cur.priv += Number(m[2]);
    }
  }
  return out;
}

export function statusOf(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s) || [0, NaN])[1]);
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

function wrk(url, token, script = 'get.lua') {
  const r = spawnSync('wrk', ['-t2', '-c16', `-d${SECS}s`, '-s', path.join(lib.REPO, 'tests', 'bench', script), url],
    { env: { ...process.env, WEBHOOKS_TOKEN: token }, encoding: 'utf8', timeout: (SECS + 30) * 1000 });
  const rps = (/Requests\/sec:\s+([\d.]+)/.exec(r.stdout) || [0, '?'])[1];
  const bad = (/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout) || [0, 0])[1];
  console.log(`wrk ${url.replace(/^http:\/\/[^/]+/, '')}: ${rps} req/s, non-2xx ${bad}`);
}

if (!fs.existsSync(path.join(BIN, 'preload'))) throw new Error('no build/bench/preload: make build/bench/preload first');
const { home, token } = lib.makeHome('webhooks-rssmap-');
let srv;
try {
  fs.writeFileSync(path.join(home, 'db', 'DB_CONFIG'), 'set_flags DB_TXN_NOSYNC\n');
  const p = spawnSync(path.join(BIN, 'preload'), ['default', String(NHOOKS)], { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8' });
  fs.rmSync(path.join(home, 'db', 'DB_CONFIG'));
  if (p.status !== 0) throw new Error(`preload: ${p.stdout}${p.stderr}`);
  const src = fs.readFileSync(lib.LIGHTTPD_CONF, 'utf8').replace(/("max-procs"\s*=>\s*)\d+/, '$12');
  const conf = path.join(home, 'lighttpd-rss.conf');
  fs.writeFileSync(conf, src);
  srv = await lib.startLighttpd({ home, token, conf });
  const lr = await lib.api(srv.base, 'GET', '/api/2.0/webhooks?page=3000', { token });
  const uuid = lr.json.data[0].uuid;
  const brief = (what) => {
    for (const pid of srv.fcgiPids()) {
      const st = statusOf(pid);
      const by = smapsByMapping(pid);
      const db = Object.entries(by).filter(([k]) => k.startsWith('__db')).map(([k, v]) => `${k} ${v.rss}`).join(', ');
      console.log(`  ${what}: pid ${pid} VmRSS ${st.rss} kB; ${db}`);
    }
  };
  brief('after the first requests');
  wrk(`${srv.base}/api/2.0/webhooks/${uuid}`, token);
  brief('after GET');
  wrk(`${srv.base}/api/2.0/webhooks?page=1`, token);
  brief('after page 1');
  wrk(`${srv.base}/api/2.0/webhooks?page=6000`, token);
  brief('after page 6000');
  for (const pid of srv.fcgiPids()) {
    const st = statusOf(pid);
    console.log(`\npid ${pid}: VmRSS ${(st.rss / 1024).toFixed(1)} MiB (RssAnon ${(st.anon / 1024).toFixed(1)}, RssFile ${(st.file / 1024).toFixed(1)}, RssShmem ${(st.shmem / 1024).toFixed(1)})`);
    const by = Object.entries(smapsByMapping(pid)).sort((a, b) => b[1].rss - a[1].rss);
    for (const [name, v] of by) if (v.rss > 0) console.log(`  ${String(v.rss).padStart(6)} kB rss ${String(v.priv).padStart(6)} kB private  ${name}`);
  }
} finally {
  if (srv) await srv.stop();
  if (!process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(home, { recursive: true, force: true });
}
