// The benchmarks of events and their delivery (issue 3), run by bench.mjs:
//   delivery  NEVENTS events x 2 webhooks from the spool to a lighttpd
//             receiver answering 204, against curlref (libcurl multi, the
//             same concurrency, the same bodies, the same receiver)
//   intake    durable events/s through POST /api/2.0/events at 16
//             connections, against the disk's maildir ceiling (diskref)
//   latency   publish-to-receipt on an idle system, against one plain POST
//             to the same receiver
// ctx.parts (bench.mjs events:PART) names the parts to run; all when empty.
// Everything runs on 127.0.0.1, on free ports, and is stopped by its PID.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as lib from '../e2e/lib.mjs';

const BENCH = path.join(lib.REPO, 'tests', 'bench');

function pct(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// utime and stime of a process (/proc/PID/stat), in seconds; null if gone.
function cpuSecs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { user: Number(v[11]) / 100, sys: Number(v[12]) / 100 };
  } catch { return null; }
}

export async function eventsDelivery(ctx) {
  const { say, run, wrk, record, notes, tmpDir, stopServer, cleanups, fmt, mean, median, BIN, NEVENTS, SECS, CONNS, ROUNDS } = ctx;
  const part = (p) => !ctx.parts || ctx.parts.length === 0 || ctx.parts.includes(p);
  const S = 'Events and delivery (issue 3)';
  const D = (x) => fmt(x, 2);

  // --- the receiver: lighttpd + mod_magnet answering 204 ---------------------
  if (!fs.existsSync('/usr/lib/lighttpd/mod_magnet.so')) {
    throw new Error('mod_magnet is not installed (Debian: lighttpd-modules-lua)');
  }
  const rdir = tmpDir('receiver');
  const rport = await lib.freePort();
  const receiver = spawn(lib.which('lighttpd'), ['-D', '-f', path.join(BENCH, 'receiver.conf')], {
    env: { ...process.env, BENCH_RECEIVER_PORT: String(rport), BENCH_RECEIVER_DIR: rdir, BENCH_RECEIVER_LUA: path.join(BENCH, 'receiver.lua') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const killReceiver = () => { try { process.kill(receiver.pid, 'SIGTERM'); } catch { /* gone */ } };
  cleanups.push(killReceiver);
  let polls = 0;
  const served = async () => {
    polls++;
    const r = await fetch(`http://127.0.0.1:${rport}/server-status?auto`, { signal: AbortSignal.timeout(5000) });
    const t = await r.text();
    return Number(/Total Accesses: (\d+)/.exec(t)[1]);
  };
  for (let i = 0; ; i++) {
    try { await served(); break; } catch (e) { if (i > 50) throw e; await lib.sleep(100); }
  }
  // Requests to /hook served so far: the status requests are counted too.
  const hooks = async () => { const n = await served(); return n - (polls - 1); };

  // --- the store: team default, two webhooks on the receiver ------------------
  const { home, token } = lib.makeHome('webhooks-bench-deliver-');
  cleanups.push(() => fs.rmSync(home, { recursive: true, force: true }));
  const api = await lib.startLighttpd({ home, token });
  cleanups.push(() => stopServer(api));
  const hookUrls = [`http://127.0.0.1:${rport}/hook/1`, `http://127.0.0.1:${rport}/hook/2`];
  const uuids = [];
  for (const [i, url] of hookUrls.entries()) {
    const r = await lib.api(api.base, 'POST', '/api/2.0/webhooks', { token, body: { name: `bench ${i}`, url } });
    if (r.status !== 201) throw new Error(`create webhook: ${lib.show(r)}`);
    uuids.push(r.json.data.uuid);
  }

  // NEVENTS events written into spool/new/ by maildir's protocol (the
  // README's spool format) before each webhookd run, and the same delivery
  // bodies for curlref.
  const spoolNew = path.join(home, 'spool', 'new');
  const spoolTmp = path.join(home, 'spool', 'tmp');
  const work = tmpDir('deliver');
  const pad = 'x'.repeat(900);
  const enqueue = () => {
    const bodies = [];
    const now = Date.now();
    for (let i = 0; i < NEVENTS; i++) {
      const id = crypto.randomUUID();
      const ts = new Date(now + i).toISOString();
      const data = { order: i, padding: pad };
      const ev = { v: 1, id, team: 'default', type: 'order.created', timestamp: ts, data };
      const name = `${now + i}.${id}`;
      fs.writeFileSync(path.join(spoolTmp, name), JSON.stringify(ev));
      fs.renameSync(path.join(spoolTmp, name), path.join(spoolNew, name));
      bodies.push(JSON.stringify({ type: 'order.created', timestamp: ts, data }));
    }
    const dfd = fs.openSync(spoolNew, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
    return bodies;
  };
  const bodies = part('delivery') ? enqueue() : [];
  fs.writeFileSync(path.join(work, 'urls'), hookUrls.join('\n') + '\n');
  fs.writeFileSync(path.join(work, 'bodies'), bodies.join('\n') + '\n');
  const total = NEVENTS * hookUrls.length;

  // webhookd's concurrency towards this receiver: both webhooks are one
  // endpoint (scheme, host, port), so per_endpoint (default 4) bounds it.
  const cfgOut = await run(path.join(lib.REPO, 'webhookd'), ['-n'], { env: { WEBHOOKS_HOME: home } });
  const perEndpoint = Number(process.env.WEBHOOKS_PER_ENDPOINT || 4);
  const conc = perEndpoint;

  const curlref = async () => {
    const r = await run(path.join(BIN, 'curlref'), [path.join(work, 'urls'), path.join(work, 'bodies'), String(conc)], { timeoutMs: 300000 });
    if (r.code !== 0) throw new Error(`curlref failed (${r.code}): ${r.out}${r.err}`);
    const [n, secs, rate, fails] = r.out.trim().split(' ').map(Number);
    say(`  curlref: ${n} deliveries in ${secs} s: ${fmt(rate)}/s, ${fails} failed`);
    return { n, secs, rate, fails };
  };

  const logFile = path.join(work, 'webhookd.log');
  const startWebhookd = () => {
    const fd = fs.openSync(logFile, 'a');
    // BENCH_WEBHOOKD_WRAP (a diagnostic, e.g. "perf record -g -o FILE"):
    // a command line webhookd is run under.
    const wrap = (process.env.BENCH_WEBHOOKD_WRAP || '').split(' ').filter(Boolean);
    const argv = [...wrap, path.join(lib.REPO, 'webhookd'), ...lib.daemonArgs(home)];
    // A wrapped webhookd gets a process group of its own, and the signals
    // go to the group: a wrapper such as strace detaches on SIGTERM and
    // would leave webhookd running.
    const wrapped = wrap.length > 0;
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, WEBHOOKS_HOME: home, WEBHOOKS_ALLOW_PRIVATE: '1' },
      stdio: ['ignore', fd, fd],
      detached: wrapped,
    });
    fs.closeSync(fd);
    const signal = (sig) => { try { process.kill(wrapped ? -child.pid : child.pid, sig); } catch { /* gone */ } };
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.on('exit', resolve));
      signal('SIGTERM');
      const t = await Promise.race([exited, lib.sleep(15000).then(() => 'timeout')]);
      if (t === 'timeout') { signal('SIGKILL'); await exited; }
    };
    cleanups.push(stop);
    return { child, stop, wrapped };
  };

  if (part('delivery')) {
    say(`issue 3: delivery, ${NEVENTS} events x ${hookUrls.length} webhooks, concurrency ${conc}, ${ROUNDS} rounds`);
    // Rounds as in issue 2: a curlref run before and after every webhookd
    // run; a round's ratio is its rate over the mean of those two, the
    // figure the median of the rounds' ratios.  Each round delivers fresh
    // events of the same size and shape, on top of the attempt log of the
    // rounds before.
    const count = (d) => fs.readdirSync(path.join(home, 'spool', d)).filter((f) => !f.startsWith('.')).length;
    const refs = [await curlref()];
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) enqueue();
      // The end: nothing left in new/ or cur/ (an event file leaves cur/
      // only once each of its deliveries is resolved: sent and logged,
      // deferred or dead).  The receiver's count (mod_status, which lags
      // up to a second) then checks that every delivery arrived.
      await lib.sleep(1500);
      const base = await hooks();
      const logAt = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
      const t0 = performance.now();
      const wd = startWebhookd();
      let first = null;
      const deadline = t0 + 300000;
      let finished = false;
      while (performance.now() < deadline) {
        const c = count('cur');
        if (first === null && c > 0) first = performance.now() - t0;
        if (c === 0 && first !== null && count('new') === 0) { finished = true; break; }
        if (wd.child.exitCode !== null) throw new Error(`webhookd exited ${wd.child.exitCode}: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
        await lib.sleep(25);
      }
      const secs = (performance.now() - t0) / 1000;
      // (Under BENCH_WEBHOOKD_WRAP the child is the wrapper: no figure.)
      const cpu = wd.wrapped ? null : cpuSecs(wd.child.pid);
      if (!finished) notes.push(`delivery: webhookd did not empty the spool within 300 s (round ${round + 1})`);
      await lib.sleep(1500);
      const got = (await hooks()) - base;
      await wd.stop();
      const left = Object.fromEntries(['new', 'cur', 'deferred', 'dead', 'quarantine'].map((d) => [d, count(d)]));
      const logged = [];
      for (const u of uuids) {
        const r = await lib.api(api.base, 'GET', `/api/2.0/webhooks/${u}/deliveries?per_page=1`, { token, retryStale: true });
        logged.push(r.status === 200 ? r.json?.meta?.total : `status ${r.status}`);
      }
      const fd = fs.openSync(logFile, 'r');
      const tail = Buffer.alloc(fs.fstatSync(fd).size - logAt);
      fs.readSync(fd, tail, 0, tail.length, logAt);
      fs.closeSync(fd);
      const attemptLines = tail.toString('utf8').split('\n').filter((l) => l.includes(uuids[0]) || l.includes(uuids[1])).length;
      const complete = finished && got >= total && left.new === 0 && left.cur === 0 && left.deferred === 0 && left.dead === 0 &&
        logged.every((n) => n === NEVENTS * (round + 1)) && attemptLines === total;
      refs.push(await curlref());
      const refRate = mean([refs[round].rate, refs[round + 1].rate]);
      const rate = total / secs;
      say(`  webhookd round ${round + 1}: ${total} deliveries in ${D(secs)} s: ${fmt(rate)}/s, ratio ${D(rate / refRate)}${complete ? '' : ' (INCOMPLETE)'}`);
      runs.push({ secs, rate, ratio: rate / refRate, first, got, left, logged, attemptLines, cpu, complete });
    }
    const slash = (f) => runs.map(f).join(' / ');
    const cpuText = (c) => c === null ? 'unknown' : `${D(c.user)} s user + ${D(c.sys)} s system (${fmt((c.user + c.sys) / total * 1e6)} µs a delivery)`;
    const ratio = median(runs.map((r) => r.ratio));
    const complete = runs.every((r) => r.complete);
    record({
      section: S, name: `delivery: ${NEVENTS} events x 2 webhooks from the spool to a 204 receiver`,
      cmd: `${NEVENTS} event files written into spool/new/ with webhookd stopped, then \`WEBHOOKS_ALLOW_PRIVATE=1 webhookd\` (defaults: concurrency 64, per_endpoint ${perEndpoint}); the time from its start until spool/new/ and spool/cur/ are empty, every delivery resolved; the receiver: lighttpd + mod_magnet answering 204 (\`tests/bench/receiver.conf\`); ${ROUNDS} rounds, each webhookd run between two curlref runs, the ratio the median of each run over the mean of the two around it`,
      valueText: `${total} deliveries a round in ${slash((r) => D(r.secs))} s: ${slash((r) => fmt(r.rate))} deliveries/s (first claim after ${slash((r) => fmt(r.first ?? NaN))} ms); ratios ${slash((r) => D(r.ratio))}; the receiver counted ${slash((r) => r.got)}; spool afterwards: ${JSON.stringify(runs[runs.length - 1].left)}; attempt log totals after each round ${slash((r) => r.logged.join('+'))}; webhookd log lines naming the webhooks ${slash((r) => r.attemptLines)}; webhookd's CPU time ${slash((r) => cpuText(r.cpu))}`,
      value: median(runs.map((r) => r.rate)),
      ref: `\`build/bench/curlref URLS BODIES ${conc}\` (libcurl multi, ${conc} transfers in flight, keep-alive, the first round's ${total} bodies, same receiver), before, between and after the rounds: ${refs.map((r) => fmt(r.rate)).join(' / ')} deliveries/s, failures ${refs.map((r) => r.fails).join(' / ')}`,
      refValue: mean(refs.map((r) => r.rate)), ratio, target: '>= 0.70 (signatures, attempt log and state persistence included)',
      met: complete && ratio >= 0.70,
    });
  }

  // --- latency: publish to receipt, idle -------------------------------------
  if (part('latency')) {
    say('issue 3: latency, publish to receipt');
    const arrivals = new Map();
    const waiters = new Map();
    const nodeRecv = http.createServer((req, res) => {
      const t = performance.now();
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(204).end();
        let seq;
        try { seq = JSON.parse(Buffer.concat(chunks).toString()).data?.seq; } catch { /* not ours */ }
        if (seq === undefined) return;
        arrivals.set(seq, t);
        const w = waiters.get(seq);
        if (w) w(t);
      });
    });
    const lport = await lib.freePort();
    await new Promise((resolve) => nodeRecv.listen(lport, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => nodeRecv.close(resolve)));
    const latToken = lib.addToken(home, 'latency');
    const lr = await lib.api(api.base, 'POST', '/api/2.0/webhooks', { token: latToken, body: { name: 'latency', url: `http://127.0.0.1:${lport}/hook` } });
    if (lr.status !== 201) throw new Error(`create webhook: ${lib.show(lr)}`);
    const wd2 = startWebhookd();
    await lib.sleep(1000);
    // "On an idle system": wait (at most 60 s) for the machine's 1-minute
    // load average to fall under 1, and say what it was.
    const os = await import('node:os');
    for (let i = 0; i < 60 && os.loadavg()[0] >= 1; i++) await lib.sleep(1000);
    const loadAtStart = os.loadavg()[0];
    const NLAT = Number(process.env.BENCH_LATENCY_EVENTS || 200);
    const lat = [], ack = [], direct = [];
    for (let i = -10; i < NLAT; i++) {
      const got1 = new Promise((resolve) => waiters.set(i, resolve));
      const ts = performance.now();
      const r = await lib.api(api.base, 'POST', '/api/2.0/events', { token: latToken, body: { event: 'latency.probe', data: { seq: i } } });
      const tAck = performance.now();
      if (r.status !== 202) throw new Error(`publish: ${lib.show(r)}`);
      const tr = await Promise.race([got1, lib.sleep(10000).then(() => null)]);
      if (tr === null) throw new Error(`event ${i} not received within 10 s`);
      if (i >= 0) { lat.push(tr - ts); ack.push(tAck - ts); }
      await lib.sleep(20);
    }
    // The floor: one POST of the same size from here to the same receiver.
    for (let i = -10; i < NLAT; i++) {
      const ts = performance.now();
      const r = await fetch(`http://127.0.0.1:${lport}/direct`, { method: 'POST', body: JSON.stringify({ type: 'latency.probe', timestamp: new Date().toISOString(), data: { seq: `d${i}` } }), headers: { 'Content-Type': 'application/json' } });
      await r.arrayBuffer();
      if (i >= 0) direct.push(performance.now() - ts);
      await lib.sleep(5);
    }
    await wd2.stop();
    const sl = [...lat].sort((a, b) => a - b), sa = [...ack].sort((a, b) => a - b), sd = [...direct].sort((a, b) => a - b);
    record({
      section: S, name: 'latency: publish to receipt, idle system',
      cmd: `${NLAT} events one at a time (20 ms apart, after 10 unmeasured): \`POST /api/2.0/events\` through lighttpd.conf.example, webhookd running, a receiver in the publishing process (Node http, 204); from the request's start to the delivery's arrival, one clock`,
      valueText: `p50 ${D(pct(sl, 50))} ms, p99 ${D(pct(sl, 99))} ms, max ${D(sl[sl.length - 1])} ms (of which the 202 of the publish: p50 ${D(pct(sa, 50))} ms, p99 ${D(pct(sa, 99))} ms); 1-minute load average at the start ${D(loadAtStart)}${loadAtStart >= 1 ? ' (the machine was not idle: other work was running)' : ''}`,
      value: pct(sl, 50),
      ref: `one plain POST from the same process to the same receiver: p50 ${D(pct(sd, 50))} ms, p99 ${D(pct(sd, 99))} ms`,
      refValue: pct(sd, 50), ratio: pct(sl, 50) / pct(sd, 50), target: 'p50 <= 5 ms (absolute; the ratio has no target)',
      met: pct(sl, 50) <= 5,
    });
  }
  await stopServer(api);

  // --- intake: durable events/s ------------------------------------------------
  if (part('intake')) {
    say('issue 3: intake, POST /api/2.0/events at 16 connections');
    const ih = lib.makeHome('webhooks-bench-intake-');
    cleanups.push(() => fs.rmSync(ih.home, { recursive: true, force: true }));
    const isrv = await lib.startLighttpd({ home: ih.home, token: ih.token });
    cleanups.push(() => stopServer(isrv));
    const disk = async () => {
      const d = path.join(tmpDir('maildir'), 'md');
      const r = await run(path.join(BIN, 'diskref'), ['maildir', d, String(SECS), '10000000', '1024'], { timeoutMs: (SECS + 60) * 1000 });
      if (r.code !== 0) throw new Error(`diskref failed: ${r.err}`);
      fs.rmSync(path.dirname(d), { recursive: true, force: true });
      const rate = Number(r.out.trim().split(' ')[2]);
      say(`  diskref maildir: ${fmt(rate)} files/s`);
      return rate;
    };
    const d1 = await disk();
    await wrk(`${isrv.base}/api/2.0/events`, { token: ih.token, script: 'events.lua', secs: 2 });
    const newBefore = fs.readdirSync(path.join(ih.home, 'spool', 'new')).length;
    const iw = await wrk(`${isrv.base}/api/2.0/events`, { token: ih.token, script: 'events.lua' });
    const newAfter = fs.readdirSync(path.join(ih.home, 'spool', 'new')).length;
    const d2 = await disk();
    const dref = mean([d1, d2]);
    record({
      section: S, name: 'intake: durable events/s, POST /api/2.0/events, 16 connections',
      cmd: `${iw.cmd.replace(/:\d+\//, ':$PORT/')} against lighttpd.conf.example as it is (4 FastCGI processes)`,
      valueText: `${fmt(iw.rps)} events/s (202), p50 ${iw.p50} ms, p99 ${iw.p99} ms, non-2xx ${iw.non2xx}, ${iw.sockDetail}; files added to spool/new/: ${newAfter - newBefore} (wrk counted ${iw.requests})`,
      value: iw.rps,
      ref: `the disk's ceiling, one writer of 1 KiB files (write, fsync, rename into new/, fsync of new/): \`build/bench/diskref maildir DIR ${SECS} 10000000 1024\` before and after: ${fmt(d1)} / ${fmt(d2)} files/s`,
      refValue: dref, ratio: iw.rps / dref, target: '>= 1.0', met: iw.rps / dref >= 1.0 && iw.non2xx === 0 && iw.sockErr === 0,
    });
    await stopServer(isrv);
  }
  killReceiver();
  if (cfgOut.code !== 0) notes.push(`webhookd -n: ${cfgOut.out}${cfgOut.err}`);
}
