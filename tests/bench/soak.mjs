// The soak (issue 16), run by bench.mjs as the part `soak`: BENCH_SOAK_SECONDS
// (600) of mixed API load, publishes and deliveries against lighttpd started
// from lighttpd.conf.example (4 FastCGI processes, each starting afresh every
// BENCH_SOAK_MAX_REQUESTS requests, the max_requests setting) and webhookd,
// delivering to a receiver in this process that answers 500 to 10 % of
// requests.  Every SAMPLE_S seconds it samples each process's resident
// memory and open descriptors, the store's files, the spool and the attempt
// log; at the end it compares the start with the end and counts errors.
//
// Retries run on a scaled clock (time_scale = 0.001: after 5 ms, 0.3 s,
// 1.8 s, ...) and attempts are kept 0.001 day (retention_days, 86.4 s), so
// that retries and pruning happen within the soak; webhookd's maintenance
// (checkpoint, log removal, pruning) keeps its real period (5 min, the first
// 10 s after its start), and the FastCGI processes checkpoint when the
// environment's last checkpoint is a minute old.
//
// Everything listens on 127.0.0.1 on free ports and is stopped by its PID.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lib from '../e2e/lib.mjs';
import { startDaemon, writeConf } from '../e2e/delivery_lib.mjs';

const SECS = Number(process.env.BENCH_SOAK_SECONDS || 600);
const MAX_REQUESTS = Number(process.env.BENCH_SOAK_MAX_REQUESTS || 500);
const CLIENTS = Number(process.env.BENCH_SOAK_CLIENTS || 6);
const SAMPLE_S = 10;
const SCALE = 0.001;
const RETENTION_DAYS = 0.001;
const MAINTAIN_S = 300;			// webhookd.c MAINTAIN_MS
const FAIL_RATE = 0.10;
const POOL_MAX = 40;			// webhooks a client keeps at most
const S = 'Soak (issue 16)';

// --- /proc ------------------------------------------------------------------------

function procFigures(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => { const m = new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s); return m ? Number(m[1]) : NaN; };
    return {
      pid, rss: kb('VmRSS'), anon: kb('RssAnon'), shmem: kb('RssShmem'), file: kb('RssFile'),
      threads: kb('Threads'), fds: fs.readdirSync(`/proc/${pid}/fd`).length,
    };
  } catch { return null; }
}

function sizeOf(p) { try { return fs.statSync(p).size; } catch { return 0; } }

function dbFigures(home) {
  const dir = path.join(home, 'db');
  const out = { dbBytes: 0, logBytes: 0, logs: 0, regionBytes: 0, files: {} };
  for (const f of fs.readdirSync(dir)) {
    const n = sizeOf(path.join(dir, f));
    if (f.endsWith('.db')) { out.dbBytes += n; out.files[f] = n; }
    else if (/^log\.\d+$/.test(f)) { out.logBytes += n; out.logs++; }
    else if (f.startsWith('__db.')) out.regionBytes += n;
  }
  return out;
}

function spoolCounts(home) {
  const out = {};
  for (const d of ['tmp', 'new', 'cur', 'deferred', 'dead', 'quarantine']) {
    try { out[d] = fs.readdirSync(path.join(home, 'spool', d)).filter((f) => !f.startsWith('.')).length; } catch { out[d] = 0; }
  }
  return out;
}

// Calls fn(line) for each whole line a stream writes.
function eachLine(stream, fn) {
  let rest = '';
  stream.on('data', (chunk) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop();
    for (const l of parts) if (l) fn(l);
  });
}

const MiB = (kb) => (kb / 1024).toFixed(1);
const MB = (b) => (b / 1048576).toFixed(1);
const median = (a) => { const b = [...a].sort((x, y) => x - y); return b.length ? b[Math.floor((b.length - 1) / 2)] : NaN; };

export async function soak(ctx) {
  const { say, record, notes, cleanups, fmt, stopServer } = ctx;
  say(`soak: ${SECS} s of mixed load, ${CLIENTS} clients, max_requests ${MAX_REQUESTS}, time_scale ${SCALE}`);

  // --- the receiver: 204, or 500 for 10 % of requests ---------------------------------
  const recv = { ok: 0, failed: 0, delivered: new Set(), dup: 0 };
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (Math.random() < FAIL_RATE) {
        recv.failed++;
        res.writeHead(500).end();
        return;
      }
      recv.ok++;
      res.writeHead(204).end();
      try {
        const seq = JSON.parse(Buffer.concat(chunks).toString()).data?.seq;
        const key = `${req.url}#${seq}`;
        if (recv.delivered.has(key)) recv.dup++;
        else recv.delivered.add(key);
      } catch { /* not ours */ }
    });
  });
  receiver.keepAliveTimeout = 30000;
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const rport = receiver.address().port;
  cleanups.push(() => { receiver.closeAllConnections?.(); return new Promise((resolve) => receiver.close(resolve)); });

  // --- the store, lighttpd and webhookd ------------------------------------------------
  const { home } = lib.makeHome('webhooks-bench-soak-');
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const settings = { allow_private: 1, time_scale: SCALE, retention_days: RETENTION_DAYS, max_requests: MAX_REQUESTS };
  writeConf(home, settings);
  const crudToken = lib.addToken(home, 'crud');
  const pubToken = lib.addToken(home, 'pub');
  const srv = await lib.startLighttpd({ home, token: crudToken });
  cleanups.push(() => stopServer(srv));
  const hooks = [];
  for (const i of [0, 1]) {
    const r = await lib.api(srv.base, 'POST', '/api/2.0/webhooks', { token: pubToken, body: { name: `soak ${i}`, url: `http://127.0.0.1:${rport}/hook/${i}` } });
    if (r.status !== 201) throw new Error(`create webhook: ${lib.show(r)}`);
    hooks.push(r.json.data.uuid);
  }
  const wd = startDaemon(home);
  cleanups.push(() => wd.stop());

  // Log lines: every line that is not an info line is an error, except
  // lighttpd's own start and stop lines.
  const logs = { renewals: 0, fcgiInfo: 0, errors: [], nErrors: 0, states: {}, pruned: [], wdLines: 0 };
  const logError = (who, l) => { logs.nErrors++; if (logs.errors.length < 20) logs.errors.push(`${who}: ${l.slice(0, 300)}`); };
  for (const st of [srv.child.stdout, srv.child.stderr]) {
    eachLine(st, (l) => {
      if (/: info: served \d+ requests \(max_requests\)/.test(l)) logs.renewals++;
      else if (/^webhooks\.fcgi\[\d+\]: info: /.test(l)) logs.fcgiInfo++;
      else if (/\(server\.c\.\d+\) server (started|stopped)|graceful shutdown/.test(l)) { /* lighttpd's own */ }
      else logError('lighttpd', l);
    });
  }
  const t0 = performance.now();
  for (const st of [wd.child.stdout, wd.child.stderr]) {
    eachLine(st, (l) => {
      logs.wdLines++;
      const m = /: info: deliver: .* attempt \d+\/\d+: (\w+),/.exec(l);
      if (m) { logs.states[m[1]] = (logs.states[m[1]] || 0) + 1; return; }
      const p = /: info: webhookd: pruned (\d+) attempts/.exec(l);
      if (p) { logs.pruned.push({ at: (performance.now() - t0) / 1000, n: Number(p[1]) }); return; }
      if (!/^webhookd\[\d+\]: info: /.test(l)) logError('webhookd', l);
    });
  }

  // --- the clients ----------------------------------------------------------------------
  const ops = {};
  const op = (k) => (ops[k] ||= { n: 0, ok: 0, r503: 0, bad: 0, ms: 0, lat: [] });
  const badSamples = [];
  const published = new Set();
  let seq = 0;
  let stopAt = Infinity;
  const call = async (kind, method, p, token, body, want) => {
    const o = op(kind);
    o.n++;
    const ts = performance.now();
    try {
      const r = await lib.api(srv.base, method, p, { token, body, timeoutMs: 30000 });
      o.ms += performance.now() - ts;
      o.lat.push(performance.now() - ts);
      if (r.status === want) { o.ok++; return r; }
      if (r.status === 503 && r.headers.get('retry-after')) { o.r503++; return null; }
      o.bad++;
      if (badSamples.length < 20) badSamples.push(`${lib.show(r).slice(0, 300)}`);
    } catch (e) {
      o.ms += performance.now() - ts;
      o.bad++;
      if (badSamples.length < 20) badSamples.push(`${method} ${p}: ${e.name}: ${e.message} ${e.cause?.code || ''}`);
    }
    return null;
  };
  const pad = 'x'.repeat(400);
  const client = async (id) => {
    const mine = [];
    let n = 0;
    while (performance.now() < stopAt) {
      n++;
      const roll = Math.random();
      if (roll < 0.28) {
        const s = seq++;
        const r = await call('publish', 'POST', '/api/2.0/events', pubToken, { event: 'order.created', data: { seq: s, pad } }, 202);
        if (r) published.add(s);
      } else if (roll < 0.53 && mine.length > 0) {
        await call('get one', 'GET', `/api/2.0/webhooks/${mine[Math.floor(Math.random() * mine.length)]}`, crudToken, undefined, 200);
      } else if (roll < 0.68) {
        const page = 1 + Math.floor(Math.random() * Math.max(1, Math.ceil((CLIENTS * POOL_MAX * 0.75) / 15)));
        await call('list page', 'GET', `/api/2.0/webhooks?page=${page}`, crudToken, undefined, 200);
      } else if (roll < 0.80 && mine.length > 0) {
        await call('update', 'PUT', `/api/2.0/webhooks/${mine[Math.floor(Math.random() * mine.length)]}`, crudToken,
          { name: `c${id} ${n} updated`, headers: { 'X-Soak': String(n) } }, 200);
      } else if (mine.length < POOL_MAX && (roll < 0.90 || mine.length < POOL_MAX / 2)) {
        const r = await call('create', 'POST', '/api/2.0/webhooks', crudToken,
          { name: `c${id} ${n}`, url: `https://example.com/soak/${id}/${n}`, headers: { Accept: 'application/json' } }, 201);
        if (r?.json?.data?.uuid) mine.push(r.json.data.uuid);
      } else if (mine.length > 0) {
        const i = Math.floor(Math.random() * mine.length);
        const [u] = mine.splice(i, 1);
        await call('delete', 'DELETE', `/api/2.0/webhooks/${u}`, crudToken, undefined, 204);
      }
    }
  };

  // --- sampling ---------------------------------------------------------------------------
  const samples = [];
  const attemptTotal = async () => {
    let total = 0;
    for (const u of hooks) {
      const r = await lib.api(srv.base, 'GET', `/api/2.0/webhooks/${u}/deliveries?per_page=1`, { token: pubToken, retryStale: true });
      if (r.status !== 200) { logError('sampler', lib.show(r)); return NaN; }
      total += r.json.meta.total;
    }
    return total;
  };
  const sample = async () => {
    const t = (performance.now() - t0) / 1000;
    const fcgi = srv.fcgiPids().map(procFigures).filter(Boolean);
    const s = {
      t, fcgi, webhookd: procFigures(wd.pid), lighttpd: procFigures(srv.pid),
      db: dbFigures(home), spool: spoolCounts(home), attempts: await attemptTotal(),
      requests: Object.values(ops).reduce((a, o) => a + o.n, 0), received: recv.ok + recv.failed,
      renewals: logs.renewals, errors: logs.nErrors + Object.values(ops).reduce((a, o) => a + o.bad, 0),
      load: os.loadavg()[0],
    };
    samples.push(s);
    const fr = fcgi.map((f) => `${MiB(f.rss)}/${f.fds}`).join(' ');
    say(`  soak ${t.toFixed(0)} s: fcgi rss MiB/fds ${fr}; webhookd ${MiB(s.webhookd?.rss)} MiB (anon ${MiB(s.webhookd?.anon)}) ${s.webhookd?.fds} fds; ` +
        `db ${MB(s.db.dbBytes)} MB, ${s.db.logs} logs ${MB(s.db.logBytes)} MB; spool ${JSON.stringify(s.spool)}; attempts ${s.attempts}; ` +
        `requests ${s.requests}, received ${s.received}, renewals ${s.renewals}, errors ${s.errors}`);
    return s;
  };

  // --- the run ------------------------------------------------------------------------------
  await sample();
  const runStart = performance.now();
  stopAt = runStart + SECS * 1000;
  const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
  while (performance.now() < stopAt) {
    await lib.sleep(Math.min(SAMPLE_S * 1000, Math.max(0, stopAt - performance.now())));
    await sample();
  }
  await Promise.all(clients);
  const loadSecs = (performance.now() - runStart) / 1000;
  const endLoad = samples[samples.length - 1];

  // Drain: every accepted event delivered to both webhooks (retries of a
  // delivery that failed 8 times in a row would go dead; counted).
  const want = published.size * hooks.length;
  const drainStart = performance.now();
  while (performance.now() - drainStart < 120000) {
    const sp = spoolCounts(home);
    if (recv.delivered.size >= want && sp.new === 0 && sp.cur === 0 && sp.deferred === 0) break;
    await lib.sleep(500);
  }
  const drainSecs = (performance.now() - drainStart) / 1000;
  await lib.sleep(1000);
  const drained = await sample();
  let missing = 0;
  for (const s of published) for (const i of [0, 1]) if (!recv.delivered.has(`/hook/${i}#${s}`)) missing++;

  // Stop webhookd and lighttpd: exits are errors too if unclean.
  const wdExit = await wd.stop();
  await stopServer(srv);
  const check = lib.ctl(home, ['check'], { allowFail: true });
  if (wdExit.code !== 0) logError('webhookd', `exit ${JSON.stringify(wdExit)}`);

  // --- figures ---------------------------------------------------------------------------------
  // Start: the first sample under load (the processes have served their
  // first requests and opened the store); end: the last sample under load.
  const first = samples[1];
  const last = endLoad;
  const fcgiText = (s) => s.fcgi.map((f) => `${MiB(f.rss)} MiB (RssAnon ${MiB(f.anon)}, RssFile ${MiB(f.file)}) ${f.fds} fds`).join('; ');
  const medRss = (s) => median(s.fcgi.map((f) => f.rss));
  const medAnon = (s) => median(s.fcgi.map((f) => f.anon));
  const maxFds = (s) => Math.max(...s.fcgi.map((f) => f.fds));
  // Descriptors move with the moment (a request's connection, a log file
  // being switched, transfers in flight): the most seen in the first three
  // samples under load against the most in the last three, 2 apart at most.
  const under = samples.slice(1, samples.length - 1);
  const early = under.slice(0, 3), late = under.slice(-3);
  const most = (ss, f) => Math.max(...ss.map(f));
  const fcgiFds = [most(early, maxFds), most(late, maxFds)];
  const wdFds = [most(early, (s) => s.webhookd.fds), most(late, (s) => s.webhookd.fds)];
  const noise = (a, b) => b <= a * 1.10 || b - a <= 1024;	// kB: 10 % or 1 MiB
  const totalReq = Object.values(ops).reduce((a, o) => a + o.n, 0);
  const pct = (a, p) => { const b = [...a].sort((x, y) => x - y); return b.length ? b[Math.min(b.length - 1, Math.ceil(p / 100 * b.length) - 1)] : NaN; };
  const opsText = Object.entries(ops).map(([k, o]) => `${k} ${o.n} (${fmt(o.n / loadSecs)}/s, mean ${fmt(o.ms / Math.max(1, o.n), 1)} ms, p99 ${fmt(pct(o.lat, 99), 1)} ms, max ${fmt(o.lat.reduce((a, b) => (b > a ? b : a), -Infinity), 0)} ms${o.r503 ? `, ${o.r503} x 503 with Retry-After` : ''}${o.bad ? `, **${o.bad} failed**` : ''})`).join('; ');
  const cmd = `\`cd tests && BENCH_SOAK_SECONDS=${SECS} node bench/bench.mjs soak\` (tests/bench/soak.mjs): lighttpd.conf.example as it is (4 FastCGI processes) and webhookd (delivery_lib's startDaemon), webhooks.conf ${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(', ')}; ${CLIENTS} Node clients without pause; samples every ${SAMPLE_S} s`;
  const pidsSame = JSON.stringify(first.fcgi.map((f) => f.pid)) === JSON.stringify(last.fcgi.map((f) => f.pid));

  // The samples, as a table under the section.
  const rows = ['| t (s) | FastCGI VmRSS MiB / fds | webhookd VmRSS (anon) MiB / fds | lighttpd VmRSS MiB / fds | *.db MB | log files (MB) | spool new/cur/deferred/dead | attempt records | requests | deliveries received | renewals | errors | load |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const s of samples) {
    rows.push(`| ${fmt(s.t)} | ${s.fcgi.map((f) => `${MiB(f.rss)}/${f.fds}`).join(' ')} | ${MiB(s.webhookd?.rss)} (${MiB(s.webhookd?.anon)}) / ${s.webhookd?.fds} | ${MiB(s.lighttpd?.rss)} / ${s.lighttpd?.fds} | ${MB(s.db.dbBytes)} | ${s.db.logs} (${MB(s.db.logBytes)}) | ${s.spool.new}/${s.spool.cur}/${s.spool.deferred}/${s.spool.dead} | ${s.attempts} | ${s.requests} | ${s.received} | ${s.renewals} | ${s.errors} | ${s.load.toFixed(2)} |`);
  }
  for (const r of rows) process.stdout.write(`${r}\n`);
  record({
    section: S, name: 'load: mixed API requests, publishes and deliveries',
    table: ['Samples (the last row: after the load stopped and the spool drained):', '', ...rows],
    cmd,
    valueText: `${totalReq} requests in ${fmt(loadSecs)} s (${fmt(totalReq / loadSecs)}/s): ${opsText}; FastCGI renewals (max_requests ${MAX_REQUESTS}): ${logs.renewals}, about ${fmt(logs.renewals / Math.max(1, first.fcgi.length))} a process, one every ${fmt(loadSecs * Math.max(1, first.fcgi.length) / Math.max(1, logs.renewals), 1)} s; the receiver answered ${recv.ok} x 204 and ${recv.failed} x 500 (${fmt(100 * recv.failed / Math.max(1, recv.ok + recv.failed), 1)} %); attempts logged by state ${JSON.stringify(logs.states)}`,
    ref: 'none (the load the figures below were taken under)', target: 'none (context)',
  });
  record({
    section: S, name: 'FastCGI processes: resident memory and open descriptors, start against end',
    cmd: `VmRSS, RssAnon, RssShmem in /proc/PID/status and the entries of /proc/PID/fd of each webhooks.fcgi under lighttpd, at ${fmt(first.t)} s and at ${fmt(last.t)} s (the PIDs stay: a renewal execs in the same process)`,
    valueText: `end: ${fcgiText(last)}; median VmRSS ${MiB(medRss(last))} MiB, RssAnon ${MiB(medAnon(last))} MiB, most descriptors ${maxFds(last)}; same PIDs as at the start: ${pidsSame ? 'yes' : 'no'}`,
    ref: `start: ${fcgiText(first)}; median VmRSS ${MiB(medRss(first))} MiB, RssAnon ${MiB(medAnon(first))} MiB, most descriptors ${maxFds(first)}`,
    value: medAnon(last), refValue: medAnon(first),
    target: `no growth beyond noise: RssAnon (each process's own memory) within 10 % or 1 MiB, descriptors: the most in the last three samples no more than 2 above the most in the first three (${fcgiFds[1]} against ${fcgiFds[0]}). VmRSS also counts the pages of the shared Berkeley DB regions (db/__db.*, file-backed, so under RssFile) a process has touched, which grow as the shared cache warms, up to the regions' size`,
    met: noise(medAnon(first), medAnon(last)) && fcgiFds[1] <= fcgiFds[0] + 2,
  });
  const w0 = first.webhookd, w1 = last.webhookd;
  record({
    section: S, name: 'webhookd: resident memory and open descriptors, start against end',
    cmd: `the same figures of webhookd's PID, at ${fmt(first.t)} s and at ${fmt(last.t)} s`,
    valueText: `end: VmRSS ${MiB(w1.rss)} MiB (RssAnon ${MiB(w1.anon)}, RssShmem ${MiB(w1.shmem)}, RssFile ${MiB(w1.file)}), ${w1.fds} descriptors, ${w1.threads} threads`,
    ref: `start: VmRSS ${MiB(w0.rss)} MiB (RssAnon ${MiB(w0.anon)}, RssShmem ${MiB(w0.shmem)}, RssFile ${MiB(w0.file)}), ${w0.fds} descriptors, ${w0.threads} threads`,
    value: w1.anon, refValue: w0.anon,
    target: `no growth beyond noise: RssAnon within 10 % or 1 MiB; descriptors as above (${wdFds[1]} against ${wdFds[0]}) (RssFile holds the shared Berkeley DB regions, warming, as above)`,
    met: noise(w0.anon, w1.anon) && wdFds[1] <= wdFds[0] + 2,
  });
  const l0 = first.lighttpd, l1 = last.lighttpd;
  record({
    section: S, name: 'lighttpd: resident memory and open descriptors, start against end',
    cmd: `the same figures of lighttpd's PID, at ${fmt(first.t)} s and at ${fmt(last.t)} s`,
    valueText: `end: VmRSS ${MiB(l1.rss)} MiB (RssAnon ${MiB(l1.anon)}), ${l1.fds} descriptors`,
    ref: `start: VmRSS ${MiB(l0.rss)} MiB (RssAnon ${MiB(l0.anon)}), ${l0.fds} descriptors (its descriptors follow the connections open at the moment)`,
    value: l1.anon, refValue: l0.anon,
    target: 'no growth beyond noise: RssAnon within 10 % or 1 MiB; descriptors within the clients\' connections (the sample\'s own included)',
    met: noise(l0.anon, l1.anon) && l1.fds <= l0.fds + CLIENTS + 2,
  });
  const half = samples.filter((s) => s.t <= last.t / 2 + 1).pop() || first;
  const maxLogs = Math.max(...samples.map((s) => s.db.logs));
  const maxLogBytes = Math.max(...samples.map((s) => s.db.logBytes));
  let removals = 0;
  for (let i = 1; i < samples.length; i++) if (samples[i].db.logs < samples[i - 1].db.logs) removals++;
  const grow1 = half.db.dbBytes - first.db.dbBytes, grow2 = last.db.dbBytes - half.db.dbBytes;
  const filesText = (s) => Object.entries(s.db.files).filter(([, n]) => n > 65536).map(([f, n]) => `${f} ${MB(n)}`).join(', ');
  record({
    section: S, name: 'db/: database files and log files',
    cmd: `sizes of db/*.db and db/log.* at each sample (db/__db.* are the fixed shared regions: ${MB(first.db.regionBytes)} MB)`,
    valueText: `*.db: ${MB(first.db.dbBytes)} MB at ${fmt(first.t)} s, ${MB(half.db.dbBytes)} MB at ${fmt(half.t)} s, ${MB(last.db.dbBytes)} MB at ${fmt(last.t)} s (first half +${MB(grow1)} MB, second half +${MB(grow2)} MB; the largest at the end: ${filesText(last)}); log files: ${first.db.logs} (${MB(first.db.logBytes)} MB) at the start, ${last.db.logs} (${MB(last.db.logBytes)} MB) at the end, at most ${maxLogs} (${MB(maxLogBytes)} MB), fewer than the sample before ${removals} times (log removal after checkpoints)`,
    ref: `the start of the soak`, value: last.db.dbBytes, refValue: first.db.dbBytes,
    target: 'bounded: log files removed during the soak and no more of them at the end than the most seen earlier; the .db files grow less in the second half than in the first (the store\'s content is steady: webhooks created and deleted alike, attempts pruned)',
    met: removals > 0 && last.db.logs <= maxLogs && grow2 < Math.max(grow1, 1),
  });
  // The bound at each sample: the attempts logged in the retention and
  // one maintenance interval before it (plus one sample interval, the
  // resolution of the samples), which is all a store that prunes when due
  // may hold.  Logged up to a sample = its records + what was pruned
  // before it.  (It used to be the run's mean rate times that window,
  // which a run whose rate grows exceeds without any fault: 1.10 once.)
  const retentionS = RETENTION_DAYS * 86400;
  const logged = Object.values(logs.states).reduce((a, n) => a + n, 0);
  const cum = samples.map((s) => s.attempts + logs.pruned.filter((p) => p.at <= s.t).reduce((a, p) => a + p.n, 0));
  const windowS = retentionS + MAINTAIN_S + SAMPLE_S;
  // Samples whose window starts before the first sample are bounded by all
  // that was logged (always met: nothing could have been pruned); the
  // closest is looked for among the others when there are any.
  const full = [];
  const bounds = samples.map((s, i) => {
    let j = -1;
    for (let k = 0; k < i; k++) if (samples[k].t <= s.t - windowS) j = k;
    if (j >= 0) full.push(i);
    return cum[i] - (j >= 0 ? cum[j] : 0);
  });
  const worst = (full.length ? full : samples.map((s, i) => i))
    .reduce((w, i) => (samples[i].attempts / Math.max(1, bounds[i]) > w.r ? { r: samples[i].attempts / Math.max(1, bounds[i]), i } : w), { r: 0, i: 0 });
  const over = samples.filter((s, i) => s.attempts > bounds[i]).length;
  const atLog = (s) => s.db.files['at_log.db'] || 0;
  record({
    section: S, name: 'attempt log: records and size against its retention',
    cmd: `meta.total of \`GET /api/2.0/webhooks/{uuid}/deliveries?per_page=1\` for both webhooks, and the size of db/at_log.db, at each sample; webhookd's "pruned N attempts" lines`,
    valueText: `${logged} attempts logged in all; records ${samples.map((s) => s.attempts).join(' / ')} (every ${SAMPLE_S} s); at_log.db ${MB(atLog(first))} MB at the start, ${MB(atLog(last))} MB at the end (${fmt(atLog(last) / Math.max(1, last.attempts))} bytes a record); pruned: ${logs.pruned.map((p) => `${p.n} at ${fmt(p.at)} s`).join(', ') || 'none'}`,
    ref: `retention_days ${RETENTION_DAYS} = ${fmt(retentionS, 1)} s, pruned every ${MAINTAIN_S} s (the first time 10 s after webhookd's start): at each sample, at most the attempts logged in the ${fmt(windowS, 1)} s before it (retention + maintenance interval + one sample interval); bounds ${bounds.join(' / ')}; the closest: ${samples[worst.i].attempts} records against ${bounds[worst.i]} at ${fmt(samples[worst.i].t)} s`,
    value: last.attempts, refValue: bounds[worst.i], ratio: worst.r,
    target: 'the records never exceed the retention bound at any sample (ratio of the closest <= 1.0), and pruning ran when due',
    met: over === 0 && (loadSecs < MAINTAIN_S + 20 || logs.pruned.length > 0),
  });
  const badReq = Object.values(ops).reduce((a, o) => a + o.bad, 0);
  const r503 = Object.values(ops).reduce((a, o) => a + o.r503, 0);
  record({
    section: S, name: 'errors',
    cmd: 'every answer other than the expected status (503 with Retry-After counted apart), every connection error, every lighttpd, webhooks.fcgi or webhookd log line that is not an info line, webhookd\'s exit status, `webhookctl check` afterwards',
    valueText: `${badReq} failed requests, ${r503} x 503 with Retry-After, ${logs.nErrors} error lines or exits; \`webhookctl check\`: exit ${check.status}${badSamples.length ? `; requests: ${badSamples.slice(0, 5).join(' | ')}` : ''}${logs.errors.length ? `; lines: ${logs.errors.slice(0, 5).join(' | ')}` : ''}`,
    ref: 'none', value: badReq + logs.nErrors, target: 'none', met: badReq === 0 && logs.nErrors === 0 && check.status === 0,
  });
  record({
    section: S, name: 'deliveries: every accepted event delivered to both webhooks',
    cmd: `events accepted (202) against the receiver's 204 answers by webhook and event, after the load stopped and the spool drained (${fmt(drainSecs, 1)} s)`,
    valueText: `${published.size} events accepted, ${recv.delivered.size} of ${want} deliveries answered 204, ${missing} missing, ${recv.dup} delivered again after a 204; spool afterwards ${JSON.stringify(drained.spool)}`,
    ref: 'none', value: missing, target: 'none missing, nothing dead', met: missing === 0 && drained.spool.dead === 0,
  });

  if (badSamples.length) notes.push(`soak: failed requests (first ${badSamples.length}): ${badSamples.join(' | ')}`);
  if (logs.errors.length) notes.push(`soak: error lines (first ${logs.errors.length}): ${logs.errors.join(' | ')}`);
}
