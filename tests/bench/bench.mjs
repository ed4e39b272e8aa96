// The benchmarks (`make bench`): every figure is a ratio to a reference
// measured in the same run, on the same machine, with the same server
// settings.  Writes tests/bench/RESULTS.md (keeping whatever follows the
// "notes" marker in the old file) and prints every figure as it goes.
//
//   cd tests && node bench/bench.mjs [issue2] [events] [events:PART ...] [cgi] [soak]
//
// events (bench/events_delivery.mjs: intake, latency and delivery, issue
// 3's figures); events:delivery, events:latency, events:intake run only
// those parts (quick trials: set BENCH_OUT too, or RESULTS.md holds only
// them).  issue3 and issue3:PART, their old names, still work.
// cgi (issue 20, tests/bench/cgi.mjs): the program as plain CGI, one
// process a request, against the trivial responder started the same way
// (build/bench/cgispawn), BENCH_CGI_RUNS (200) requests a run.
// soak (issue 16, tests/bench/soak.mjs) runs last: BENCH_SOAK_SECONDS (600)
// of mixed load with FastCGI processes renewed every
// BENCH_SOAK_MAX_REQUESTS (500) requests, BENCH_SOAK_CLIENTS (6) clients.
//
// Environment (for quick trials; `make bench` uses the defaults):
//   BENCH_SECONDS   length of each wrk run (10)
//   BENCH_ROUNDS    rounds of alternating program/reference runs (3)
//   BENCH_COLD_WINDOWS, BENCH_COLD_SECONDS  Apache's cold start: windows
//                   and their length (6, 10)
//   BENCH_WEBHOOKS  webhooks preloaded into the store (100000)
//   BENCH_EVENTS    events for the delivery benchmark (10000)
//   BENCH_OUT       where to write the results (tests/bench/RESULTS.md)
//
// Servers listen on 127.0.0.1 on free ports, with temporary data
// directories; everything started here is stopped by its PID.  Each load is
// bounded in time (wrk -d, timeouts below) and stops by itself.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as lib from '../e2e/lib.mjs';
import * as cold from './apache_cold.mjs';

const { REPO } = lib;
const BENCH = path.join(REPO, 'tests', 'bench');
const BIN = path.join(REPO, 'build', 'bench');
const SECS = Number(process.env.BENCH_SECONDS || 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const NHOOKS = Number(process.env.BENCH_WEBHOOKS || 100000);
const NEVENTS = Number(process.env.BENCH_EVENTS || 10000);
const OUT = process.env.BENCH_OUT || path.join(BENCH, 'RESULTS.md');
const CONNS = 16;
const THREADS = 2;

const only = process.argv.slice(2);
// The old names of the events benchmarks (issue3, issue3:PART) still work.
for (let i = 0; i < only.length; i++) only[i] = only[i].replace(/^issue3(?=$|:)/, 'events');
const partsEv = only.filter((s) => s.startsWith('events:')).map((s) => s.slice(7));
const want = (s) => only.length === 0 || only.includes(s) || (s === 'events' && partsEv.length > 0);

const results = [];     // {section, name, cmd, value, unit, ref, refValue, ratio, target, met, note}
const notes = [];       // free lines printed under the table
const cleanups = [];    // functions run at the end, last first
const t0 = Date.now();

function say(s) { process.stdout.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${s}\n`); }

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  return r;
}

// Runs a command to its end (bounded by timeoutMs); {code, out, err}.
function run(cmd, args, { env = {}, timeoutMs = 120000, cwd = REPO } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out, err }); });
  });
}

// --- wrk -----------------------------------------------------------------------

function toMs(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return { us: v / 1000, ms: v, s: v * 1000, m: v * 60000 }[m[2]];
}

function parseWrk(out) {
  const num = (re) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
  const lat = {};
  for (const m of out.matchAll(/^\s+(50|75|90|99)%\s+(\S+)/gm)) lat[m[1]] = toMs(m[2]);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in/),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    sockErr: se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    sockDetail: se ? se[0] : 'Socket errors: none',
    p50: lat['50'], p99: lat['99'],
  };
}

// One wrk run; the command as recorded (the token by name, not value).
async function wrk(url, { script = 'get.lua', secs = SECS, conns = CONNS, threads = THREADS, token = '' } = {}) {
  const args = [`-t${threads}`, `-c${conns}`, `-d${secs}s`, '--latency', '-s', path.join(BENCH, script), url];
  const cmd = `WEBHOOKS_TOKEN=$TOKEN wrk ${args.join(' ').replace(BENCH + '/', 'tests/bench/')}`;
  const r = await run('wrk', args, { env: { WEBHOOKS_TOKEN: token }, timeoutMs: (secs + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk failed (${r.code}): ${r.err}${r.out}`);
  const w = parseWrk(r.out);
  w.cmd = cmd;
  w.raw = r.out;
  say(`  ${url.replace(/^http:\/\/127\.0\.0\.1:\d+/, '')} c${conns}: ${w.rps.toFixed(0)} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms, ` +
      `non-2xx ${w.non2xx}, ${w.sockDetail}`);
  return w;
}

const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a) => { const b = [...a].sort((x, y) => x - y); const n = b.length; return n === 0 ? NaN : n % 2 ? b[(n - 1) / 2] : (b[n / 2 - 1] + b[n / 2]) / 2; };

// For runs [{k, w}] in the order they ran: each non-reference run's req/s
// over the mean of the nearest reference run before and after it.
function pairRatios(done, refKey) {
  const out = {};
  done.forEach((d, i) => {
    if (d.k === refKey) return;
    const near = [];
    for (let j = i - 1; j >= 0; j--) if (done[j].k === refKey) { near.push(done[j].w.rps); break; }
    for (let j = i + 1; j < done.length; j++) if (done[j].k === refKey) { near.push(done[j].w.rps); break; }
    (out[d.k] ||= []).push(d.w.rps / mean(near));
  });
  return out;
}
const fmt = (v, d = 0) => (v === undefined || Number.isNaN(v) ? 'n/a' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));

function record(r) {
  r.load = os.loadavg()[0];
  results.push(r);
  const ratio = r.ratio !== undefined ? `, ratio ${fmt(r.ratio, 2)}` : '';
  say(`FIGURE ${r.section} / ${r.name}: ${r.valueText}${ratio}; target ${r.target}: ${r.met === undefined ? 'no target' : (r.met ? 'MET' : 'NOT MET')}`);
}

// --- fixtures --------------------------------------------------------------------

function tmpDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `webhooks-bench-${prefix}-`));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

// A root directory whose cgi-bin/webhooks.fcgi is a copy of prog (a copy:
// a rebuild during the run must not change what is measured), with a copy
// of webhookd next to it, where the program looks for it (test
// deliveries).  Readable by the web server's user.
function makeRoot(name, prog) {
  const root = tmpDir(name);
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, 'cgi-bin'), { mode: 0o755 });
  const copies = [[prog, path.join(root, 'cgi-bin', 'webhooks.fcgi')], [path.join(REPO, 'webhookd'), path.join(root, 'webhookd')]];
  for (const [src, dst] of copies) {
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, 0o755);
  }
  return root;
}

// lighttpd.conf.example with only "max-procs" changed.
function benchLighttpdConf(procs) {
  const src = fs.readFileSync(lib.LIGHTTPD_CONF, 'utf8');
  let n = 0;
  const out = src.replace(/("max-procs"\s*=>\s*)\d+/g, (m, p) => { n++; return `${p}${procs}`; });
  if (n !== 1) throw new Error(`lighttpd.conf.example: expected one "max-procs", found ${n}`);
  const dir = tmpDir('conf');
  const f = path.join(dir, 'lighttpd-bench.conf');
  fs.writeFileSync(f, out);
  return f;
}

function rssOf(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s); return m ? Number(m[1]) : NaN; };
  let pss = NaN, priv = NaN;
  try {
    const r = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const g = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(r); return m ? Number(m[1]) : 0; };
    pss = g('Pss');
    priv = g('Private_Clean') + g('Private_Dirty');
  } catch { /* no smaps_rollup */ }
  return { pid, rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem'), pss, priv };
}

async function stopServer(srv) {
  if (srv && !srv.exited) await srv.stop();
}

// Instructions per request of the FastCGI program, counted by callgrind:
// exact and free of the machine's load, so they show where a req/s figure
// loses and whether two requests really cost the same.  lighttpd runs the
// program under valgrind through a wrapper (same configuration); n
// requests one after another after a warm-up; the counts of every
// FastCGI process are summed.
async function instructionsPerRequest({ prog, home, token, conf, paths, n }) {
  const vg = lib.which('valgrind');
  const ctl = lib.which('callgrind_control');
  if (!vg || !ctl) return null;
  const root = tmpDir('vgroot');
  fs.chmodSync(root, 0o755);
  fs.mkdirSync(path.join(root, 'cgi-bin'), { mode: 0o755 });
  const outDir = tmpDir('callgrind');
  const bin = path.join(root, 'cgi-bin', 'prog');
  fs.copyFileSync(prog, bin);
  fs.chmodSync(bin, 0o755);
  fs.writeFileSync(path.join(root, 'cgi-bin', 'webhooks.fcgi'),
    `#!/bin/sh\nexec ${vg} --tool=callgrind --callgrind-out-file=${outDir}/cg.%p.out ${bin}\n`, { mode: 0o755 });
  const srv = await lib.startLighttpd({ home, token, conf, root });
  cleanups.push(() => stopServer(srv));
  const kids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8'); return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === srv.pid; } catch { return false; }
  });
  const out = {};
  try {
    for (const p of paths) {
      for (let i = 0; i < 20; i++) await lib.api(srv.base, 'GET', p, { token });
      const pids = kids();
      for (const f of fs.readdirSync(outDir)) fs.rmSync(path.join(outDir, f));
      await run(ctl, ['-z', ...pids], { timeoutMs: 30000 });
      for (let i = 0; i < n; i++) {
        const r = await lib.api(srv.base, 'GET', p, { token });
        if (r.status !== 200) throw new Error(`callgrind run: ${lib.show(r)}`);
      }
      await run(ctl, ['-d', ...pids], { timeoutMs: 30000 });
      let total = 0;
      for (const f of fs.readdirSync(outDir)) {
        const m = /^summary:\s+(\d+)/m.exec(fs.readFileSync(path.join(outDir, f), 'utf8'));
        if (m) total += Number(m[1]);
      }
      out[p] = total / n;
      say(`  callgrind: ${p}: ${fmt(out[p])} instructions a request`);
    }
  } finally {
    await stopServer(srv);
  }
  return out;
}

// --- issue 2: the API through lighttpd and Apache ----------------------------------

async function issue2() {
  const S = 'API (issue 2)';
  say(`issue 2: preloading ${NHOOKS} webhooks`);
  const { home, token } = lib.makeHome('webhooks-bench-store-');
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));

  // The bulk preload is set-up, not a measurement: DB_CONFIG turns off the
  // commit flush for the preloader's environment handle only, and the file
  // is removed before anything else opens the store.
  const dbconf = path.join(home, 'db', 'DB_CONFIG');
  fs.writeFileSync(dbconf, 'set_flags DB_TXN_NOSYNC\n');
  let r = await run(path.join(BIN, 'preload'), ['default', String(NHOOKS)], { env: { WEBHOOKS_HOME: home }, timeoutMs: 600000 });
  fs.rmSync(dbconf);
  if (r.code !== 0) throw new Error(`preload failed: ${r.out}${r.err}`);
  say(`  preload (no commit flush): ${r.out.trim()}`);
  const cp = lib.which('db5.3_checkpoint') || lib.which('db_checkpoint');
  if (cp) sh(cp, ['-1', '-h', path.join(home, 'db')]);

  // Creates through the model alone, each a durable transaction, against
  // the durable-commit ceiling of the disk (both one writer).
  const NMODEL = 2000;
  r = await run(path.join(BIN, 'preload'), ['default', String(NMODEL)], { env: { WEBHOOKS_HOME: home }, timeoutMs: 120000 });
  if (r.code !== 0) throw new Error(`preload failed: ${r.out}${r.err}`);
  const modelCps = Number(/([\d.]+) creates\/s/.exec(r.out)[1]);
  const refDir = path.join(tmpDir('bdbref'), 'env');
  const rr = await run(path.join(BIN, 'diskref'), ['bdb', refDir, '5', '1000000', '1024'], { timeoutMs: 60000 });
  if (rr.code !== 0) throw new Error(`diskref failed: ${rr.err}`);
  const bdbRef = Number(rr.out.trim().split(' ')[2]);
  record({
    section: S, name: 'creates/s through the model, no HTTP (one writer, durable commits)',
    cmd: `WEBHOOKS_HOME=$STORE build/bench/preload default ${NMODEL}`,
    valueText: `${fmt(modelCps)} creates/s`, value: modelCps,
    ref: `Berkeley DB 1 KiB put, one durable transaction each, one writer: \`build/bench/diskref bdb DIR 5 1000000 1024\` = ${fmt(bdbRef)} puts/s`,
    refValue: bdbRef, ratio: modelCps / bdbRef, target: 'none (diagnostic)',
  });
  const total = NHOOKS + NMODEL;

  // The same lighttpd settings for both: lighttpd.conf.example with
  // max-procs 2; the trivial responder runs as the root's webhooks.fcgi.
  const conf = benchLighttpdConf(2);
  const progRoot = makeRoot('prog', lib.FCGI);
  const trivRoot = makeRoot('trivial', path.join(BIN, 'trivial'));
  const trivHome = tmpDir('trivial-home');
  fs.chmodSync(trivHome, 0o755);

  say('issue 2: lighttpd, 2 FastCGI processes each');
  const prog = await lib.startLighttpd({ home, token, conf, root: progRoot });
  const triv = await lib.startLighttpd({ home: trivHome, token: 'x', conf, root: trivRoot });
  cleanups.push(() => stopServer(prog), () => stopServer(triv));

  // The webhook to GET: one from the middle of the list.
  const mid = Math.floor(total / 2 / 15) + 1;
  const lr = await lib.api(prog.base, 'GET', `/api/2.0/webhooks?page=${mid}`, { token, retryStale: true });
  if (lr.status !== 200 || !lr.json?.data?.length) throw new Error(`list page ${mid}: ${lib.show(lr)}`);
  const uuid = lr.json.data[0].uuid;
  const lastPage = lr.json.meta.last_page;
  if (lr.json.meta.total !== total) throw new Error(`meta.total ${lr.json.meta.total}, expected ${total}`);
  const PAGE_FAR = 6000;
  if (lastPage < PAGE_FAR) throw new Error(`only ${lastPage} pages`);
  const urls = {
    trivial: `${triv.base}/api/2.0/webhooks/${uuid}`,
    get: `${prog.base}/api/2.0/webhooks/${uuid}`,
    page1: `${prog.base}/api/2.0/webhooks?page=1`,
    pageFar: `${prog.base}/api/2.0/webhooks?page=${PAGE_FAR}`,
  };
  for (const [k, u] of Object.entries(urls)) {
    const a = await lib.api(u.replace(/^(http:\/\/[^/]+).*/, '$1'), 'GET', u.replace(/^http:\/\/[^/]+/, ''), { token, retryStale: true });
    if (a.status !== 200) throw new Error(`${k}: ${lib.show(a)}`);
    say(`  ${k}: 200, ${a.text.length} bytes`);
  }

  // Short warm-ups, then rounds that put a reference run next to every
  // program run: T G T L1 LF (the list pages swapped every other round),
  // and a last T.  Each program run is compared with the mean of the
  // reference runs just before and just after it, so that a change in the
  // machine's load during the run (other work on the host) moves both; the
  // figure is the median of those ratios.
  for (const k of ['trivial', 'get', 'page1', 'pageFar']) await wrk(urls[k], { token, secs: 2 });
  const seq = [];
  for (let round = 0; round < ROUNDS; round++) {
    seq.push('trivial', 'get', 'trivial', ...(round % 2 === 0 ? ['page1', 'pageFar'] : ['pageFar', 'page1']));
  }
  seq.push('trivial');
  const done = [];
  for (const k of seq) done.push({ k, w: await wrk(urls[k], { token }) });
  const ratios = pairRatios(done, 'trivial');
  const runsOf = (k) => done.filter((d) => d.k === k).map((d) => d.w);
  const trivRuns = runsOf('trivial');
  const trivRps = mean(trivRuns.map((w) => w.rps));
  const refText = `trivial responder, same lighttpd settings: \`${trivRuns[0].cmd.replace(/:\d+\//, ':$PORT_T/')}\` = ${trivRuns.map((w) => fmt(w.rps)).join(' / ')} req/s (mean ${fmt(trivRps)}), p99 ${trivRuns.map((w) => w.p99).join(' / ')} ms`;
  const fig = (name, k, target, min) => {
    const rs = runsOf(k);
    const rt = ratios[k];
    const ok = rs.every((w) => w.non2xx === 0 && w.sockErr === 0);
    record({
      section: S, name, cmd: rs[0].cmd.replace(/:\d+\//, ':$PORT/'),
      valueText: `${rs.map((w) => fmt(w.rps)).join(' / ')} req/s (mean ${fmt(mean(rs.map((w) => w.rps)))}), p99 ${rs.map((w) => w.p99).join(' / ')} ms, non-2xx ${rs.reduce((a, w) => a + w.non2xx, 0)}, socket errors ${rs.reduce((a, w) => a + w.sockErr, 0)}; ratio of each run to its neighbouring reference runs ${rt.map((x) => fmt(x, 2)).join(' / ')}`,
      value: mean(rs.map((w) => w.rps)), ref: refText, refValue: trivRps, ratio: median(rt), target, met: median(rt) >= min && ok,
    });
  };
  fig('lighttpd, GET one webhook (100,000 in the store)', 'get', '>= 0.80', 0.80);
  fig('lighttpd, list page 1 (15 a page)', 'page1', '>= 0.60', 0.60);
  fig(`lighttpd, list page ${PAGE_FAR}`, 'pageFar', '>= 0.60', 0.60);
  // Page far against page 1: the two runs of each round are adjacent.
  const farRatios = [];
  for (let i = 0; i + 1 < done.length; i++) {
    const a = done[i], b = done[i + 1];
    if (a.k === 'page1' && b.k === 'pageFar') farRatios.push(b.w.rps / a.w.rps);
    if (a.k === 'pageFar' && b.k === 'page1') farRatios.push(a.w.rps / b.w.rps);
  }
  const far = median(farRatios);
  record({
    section: S, name: `page ${PAGE_FAR} against page 1`, cmd: 'the list runs above, page 1 and the far page back to back in each round',
    valueText: `${runsOf('pageFar').map((w) => fmt(w.rps)).join(' / ')} against ${runsOf('page1').map((w) => fmt(w.rps)).join(' / ')} req/s; per round ${farRatios.map((x) => fmt(x, 2)).join(' / ')}`,
    value: far, ref: 'page 1, in the same round', refValue: mean(runsOf('page1').map((w) => w.rps)), ratio: far,
    target: 'within 10 % (0.90 to 1.10)', met: Math.abs(far - 1) <= 0.10,
  });

  // Creates through HTTP, each a durable commit.
  const cw = await wrk(`${prog.base}/api/2.0/webhooks`, { token, script: 'create.lua' });
  const cTriv = await wrk(`${triv.base}/api/2.0/webhooks`, { token: 'x', script: 'create.lua' });
  const after = await lib.api(prog.base, 'GET', '/api/2.0/webhooks?per_page=1', { token, retryStale: true });
  const created = after.json.meta.total - total;
  record({
    section: S, name: 'lighttpd, creates/s (POST, durable commits)',
    cmd: cw.cmd.replace(/:\d+\//, ':$PORT/'),
    valueText: `${fmt(cw.rps)} creates/s, p99 ${cw.p99} ms, non-2xx ${cw.non2xx}, ${cw.sockDetail}; store total grew by ${created} (wrk counted ${cw.requests})`,
    value: cw.rps,
    ref: `Berkeley DB durable-commit ceiling above (${fmt(bdbRef)} puts/s, one writer); trivial responder on the same POSTs: ${fmt(cTriv.rps)} req/s`,
    refValue: bdbRef, ratio: cw.rps / bdbRef, target: 'none set (figure asked for)',
  });

  // Resident memory of each FastCGI process after all of the above.
  const mem = prog.fcgiPids().map(rssOf);
  const tmem = triv.fcgiPids().map(rssOf);
  const maxRss = Math.max(...mem.map((m) => m.rss));
  const memText = (ms) => ms.map((m) => `pid ${m.pid}: VmRSS ${fmt(m.rss / 1024, 1)} MiB (RssAnon ${fmt(m.anon / 1024, 1)}, RssFile ${fmt(m.file / 1024, 1)}, RssShmem ${fmt(m.shmem / 1024, 1)}; private ${fmt(m.priv / 1024, 1)}, Pss ${fmt(m.pss / 1024, 1)}), VmHWM ${fmt(m.hwm / 1024, 1)} MiB`).join('; ');
  record({
    section: S, name: 'RSS of one FastCGI process after the run',
    cmd: 'VmRSS in /proc/PID/status of each webhooks.fcgi under lighttpd',
    valueText: `${fmt(maxRss / 1024, 1)} MiB (largest): ${memText(mem)}`, value: maxRss,
    ref: `trivial responder: ${memText(tmem)}`, refValue: Math.max(...tmem.map((m) => m.rss)),
    ratio: maxRss / Math.max(...tmem.map((m) => m.rss)), target: '<= 8 MiB', met: maxRss <= 8 * 1024,
  });
  await stopServer(prog);
  await stopServer(triv);

  // The same requests counted in instructions (see instructionsPerRequest).
  const NI = 200;
  const pPaths = [`/api/2.0/webhooks/${uuid}`, '/api/2.0/webhooks?page=1', `/api/2.0/webhooks?page=${PAGE_FAR}`];
  const ip = await instructionsPerRequest({ prog: lib.FCGI, home, token, conf, paths: pPaths, n: NI });
  const it = await instructionsPerRequest({ prog: path.join(BIN, 'trivial'), home: trivHome, token: 'x', conf, paths: [pPaths[0]], n: NI });
  if (ip && it) {
    const tI = it[pPaths[0]];
    record({
      section: S, name: 'instructions a request (callgrind), GET one webhook',
      cmd: `valgrind --tool=callgrind on each FastCGI process under the same lighttpd configuration, ${NI} sequential GETs after 20 warm-up requests, counts summed over the processes`,
      valueText: `${fmt(ip[pPaths[0]])} instructions a request`, value: ip[pPaths[0]],
      ref: `trivial responder, same way: ${fmt(tI)} instructions a request`, refValue: tI, ratio: ip[pPaths[0]] / tI,
      target: 'none (diagnostic: what the req/s ratio is made of)',
    });
    record({
      section: S, name: `instructions a request (callgrind), list page ${PAGE_FAR} against page 1`,
      cmd: `same, ${NI} sequential GETs of \`/api/2.0/webhooks?page=1\` and \`?page=${PAGE_FAR}\``,
      valueText: `page ${PAGE_FAR}: ${fmt(ip[pPaths[2]])}; page 1: ${fmt(ip[pPaths[1]])} instructions a request (trivial responder: ${fmt(tI)})`,
      value: ip[pPaths[2]], ref: `page 1: ${fmt(ip[pPaths[1]])} instructions a request`, refValue: ip[pPaths[1]],
      ratio: ip[pPaths[2]] / ip[pPaths[1]],
      target: 'within 10 % (diagnostic: the cost of positioning at page N, free of the machine\'s load)',
      met: Math.abs(ip[pPaths[2]] / ip[pPaths[1]] - 1) <= 0.10,
    });
  } else {
    notes.push('valgrind is not installed: no instruction counts.');
  }

  await apacheCold({ home, token, uuid, progRoot, trivRoot, trivHome });
}

// Apache from a cold start (issue 18), tests/bench/apache_cold.mjs: per
// mode, the program (GET one webhook of the store above) and the trivial
// responder, each from Apache's start with no warm-up, WINDOWS windows of
// WINDOW_SECS s at 16 connections.  The target holds from the second
// window on (after at most 10 s): no failed request, p99 under 50 ms.
async function apacheCold({ home, token, uuid, progRoot, trivRoot, trivHome }) {
  const S = 'Apache from a cold start (issue 18)';
  const urlPath = `/api/2.0/webhooks/${uuid}`;
  // mod_fcgid twice: the load first (the first requests find no process
  // busy and each asks for one at once), and after a health check (one
  // process started first: the requests that find it busy wait a second).
  const modes = [['fcgid', false, 'mod_fcgid (apache.conf.example as it is), the load first'],
    ['fcgid', true, 'mod_fcgid (apache.conf.example as it is), one GET /health first'],
    ['pool', false, `the pool (apache.conf.example -D WEBHOOKS_POOL, mod_proxy_fcgi to ${cold.POOL_WORKERS} workers of webhooks-fcgi.service's ExecStart)`]];
  const list = (ws, f) => ws.map(f).join(' / ');
  const failed = (ws) => ws.reduce((a, w) => a + w.failed, 0);
  for (const [mode, health, what] of modes) {
    say(`Apache from a cold start: ${what}: the program`);
    const pw = await cold.coldStart({ mode, root: progRoot, home, token, urlPath, health, say });
    say(`Apache from a cold start: ${what}: the trivial responder`);
    const tw = await cold.coldStart({ mode, root: trivRoot, home: trivHome, token: 'x', urlPath, health, say });
    const later = pw.slice(1);
    const worst = Math.max(...later.map((w) => w.p99));
    record({
      section: S,
      name: `${what}, GET one webhook at ${cold.CONNS} connections, ${cold.WINDOWS} windows of ${cold.WINDOW_SECS} s from Apache's start`,
      cmd: `Apache started (ready: a TCP connect)${health ? ', `curl /health`' : ''}, then ${cold.WINDOWS} back-to-back \`${pw[0].cmd.replace(/http:\/\/127\.0\.0\.1:\d+/, 'http://127.0.0.1:$PORT')}\``,
      valueText: `p99 per window ${list(pw, (w) => w.p99)} ms; failed requests (non-2xx + socket errors) per window ${list(pw, (w) => w.failed)}; req/s ${list(pw, (w) => fmt(w.rps))}; FastCGI processes at each window's end ${list(pw, (w) => w.procs)}`,
      value: worst,
      ref: `trivial responder, the same mode, file and cold start: p99 ${list(tw, (w) => w.p99)} ms, failed ${list(tw, (w) => w.failed)}, req/s ${list(tw, (w) => fmt(w.rps))}, processes ${list(tw, (w) => w.procs)}`,
      refValue: Math.max(...tw.slice(1).map((w) => w.p99)),
      ratio: mean(pw.map((w) => w.rps)) / mean(tw.map((w) => w.rps)),
      target: 'from the second window on (after at most 10 s): no failed request and p99 < 50 ms in every window (the ratio, req/s against the trivial responder, has no target)',
      met: failed(later) === 0 && worst < 50,
    });
  }
}

// --- machine and report -----------------------------------------------------------

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  const ver = (cmd, args) => { try { return sh(cmd, args).stdout.split('\n')[0].trim() || sh(cmd, args).stderr.split('\n')[0].trim(); } catch { return 'n/a'; } };
  const mem = /MemTotal:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return {
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    cpu: cpu ? cpu[1] : 'unknown',
    kernel: os.release(),
    mem: mem ? `${(Number(mem[1]) / 1048576).toFixed(1)} GiB` : 'n/a',
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    lighttpd: ver('lighttpd', ['-v']),
    apache: ver(lib.which('apache2') || 'apache2', ['-v']),
    wrk: ver('wrk', ['-v']),
    commit: sh('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']).stdout.trim(),
    dirty: sh('git', ['-C', REPO, 'status', '--porcelain', 'src']).stdout.trim() ? ' (with uncommitted changes in src/)' : '',
  };
}

function writeReport(m, endLoad) {
  const marker = '<!-- notes: everything below this line is kept by make bench -->';
  let kept = '';
  try {
    const old = fs.readFileSync(OUT, 'utf8');
    const i = old.indexOf(marker);
    if (i >= 0) kept = old.slice(i + marker.length);
  } catch { /* first run */ }
  const lines = [];
  lines.push('# Benchmark results');
  lines.push('');
  lines.push('Written by `make bench` (`tests/bench/bench.mjs`); every figure below was');
  lines.push('measured in this run, and each ratio is to a reference measured in the same');
  lines.push('run on the same machine.  Figures drift from run to run; the ratios are the');
  lines.push('figures.');
  lines.push('');
  lines.push(`- date: ${m.date}; duration ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  lines.push(`- machine: ${m.nproc} CPUs, ${m.cpu}, ${m.mem} RAM, Linux ${m.kernel}`);
  lines.push(`- load average at start: ${m.load}; at end: ${endLoad} (the load generator and the servers share the CPUs)`);
  lines.push(`- ${m.lighttpd}; ${m.apache}; ${m.wrk}`);
  lines.push(`- source: commit ${m.commit}${m.dirty}`);
  lines.push(`- wrk: ${THREADS} threads, ${CONNS} connections, ${SECS} s a run; ${ROUNDS} rounds, each program run next to reference runs (figures of successive runs separated by /); a ratio is the median of each program run over the mean of the reference runs just before and after it`);
  lines.push('');
  let section = null;
  for (const r of results) {
    if (r.section !== section) {
      section = r.section;
      lines.push(`## ${section}`);
      lines.push('');
    }
    lines.push(`### ${r.name}`);
    lines.push('');
    lines.push(`- command: ${r.cmd.includes('`') ? r.cmd : `\`${r.cmd}\``}`);
    lines.push(`- measured: ${r.valueText}`);
    lines.push(`- reference: ${r.ref}`);
    if (r.ratio !== undefined) lines.push(`- ratio: **${fmt(r.ratio, 2)}**`);
    lines.push(`- target: ${r.target}: **${r.met === undefined ? 'no target' : (r.met ? 'met' : 'NOT met')}**`);
    lines.push(`- load average (1 min) when recorded: ${r.load.toFixed(2)}`);
    if (r.note) lines.push(`- ${r.note}`);
    lines.push('');
    if (r.table) lines.push(...r.table, '');
  }
  if (notes.length) {
    lines.push('## Notes from this run');
    lines.push('');
    for (const n of notes) lines.push(`- ${n}`);
    lines.push('');
  }
  lines.push('## Summary');
  lines.push('');
  lines.push('| figure | ratio | target | met |');
  lines.push('|---|---|---|---|');
  for (const r of results) {
    lines.push(`| ${r.section}: ${r.name} | ${r.ratio !== undefined ? fmt(r.ratio, 2) : ''} | ${r.target} | ${r.met === undefined ? '' : (r.met ? 'yes' : '**no**')} |`);
  }
  lines.push('');
  lines.push(marker + (kept || '\n'));
  fs.writeFileSync(OUT, lines.join('\n'));
  say(`wrote ${OUT}`);
}

async function main() {
  const m = machine();
  say(`machine: ${m.nproc} CPUs, ${m.cpu}, Linux ${m.kernel}, load ${m.load}`);
  let failed = null;
  try {
    if (want('issue2')) await issue2();
    if (want('events')) {
      const mod = await import('./events_delivery.mjs');
      await mod.eventsDelivery({ say, run, wrk, record, notes, tmpDir, makeRoot, stopServer, cleanups, fmt, mean, median, BIN, NEVENTS, SECS, CONNS, ROUNDS, parts: partsEv });
    }
    if (want('cgi')) {
      const mod = await import('./cgi.mjs');
      await mod.cgi({ say, run, record, notes, tmpDir, fmt, mean, median, BIN, NHOOKS, ROUNDS });
    }
    if (want('soak')) {
      const mod = await import('./soak.mjs');
      await mod.soak({ say, record, notes, cleanups, fmt, stopServer });
    }
  } catch (e) {
    failed = e;
    say(`FAILED: ${e.stack || e}${e.cause ? `\ncause: ${e.cause.stack || e.cause}` : ""}`);
    notes.push(`The run stopped on an error: ${String(e.message || e).split('\n')[0]}`);
  } finally {
    for (const f of cleanups.reverse()) {
      try { await f(); } catch { /* best effort */ }
    }
  }
  writeReport(m, os.loadavg().map((x) => x.toFixed(2)).join(' '));
  process.exit(failed ? 1 : 0);
}

main();
