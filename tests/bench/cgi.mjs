// Plain CGI (issue 20), run by bench.mjs as the part `cgi`: the program
// started once a request, as a host without mod_fcgid runs it, against the
// trivial libfcgi responder started the very same way.  Both run under
// build/bench/cgispawn, one loop that forks, sets the CGI variables as the
// whole environment, writes the body to stdin and reads the answer, one
// request after another; no web server in between, so the figures are the
// programs' own cost (a web server's mod_cgi adds the same to both).
//
// Requests: GET one webhook (from the middle of BENCH_WEBHOOKS), list page 1,
// and a create (POST, a durable commit).  Each program run of
// BENCH_CGI_RUNS requests sits between two runs of the trivial responder;
// a figure is the median, over BENCH_ROUNDS rounds, of each run's requests/s
// over the mean of its two neighbours'.  Measured for the program as `make`
// builds it (cgi-bin/webhooks.fcgi: libdb, json-c, nettle and libfcgi
// shared) and, when built, as the upload bundle has it
// (build/bundle/webhooks.fcgi: those linked in statically), which is what a
// shared-hosting customer runs.  Then the instructions of one request of
// each (callgrind, free of the machine's load).
//
// Bounded: each loop has a timeout; nothing listens on any socket.

import fs from 'node:fs';
import path from 'node:path';
import * as lib from '../e2e/lib.mjs';

const RUNS = Number(process.env.BENCH_CGI_RUNS || 200);
const S = 'Plain CGI (issue 20)';

export async function cgi({ say, run, record, notes, tmpDir, fmt, mean, median, BIN, NHOOKS, ROUNDS }) {
  const spawn = path.join(BIN, 'cgispawn');
  say(`cgi: preloading ${NHOOKS} webhooks`);
  const { home, token } = lib.makeHome('webhooks-bench-cgi-');
  const cleanHome = () => fs.rmSync(home, { recursive: true, force: true });
  const dbconf = path.join(home, 'db', 'DB_CONFIG');
  fs.writeFileSync(dbconf, 'set_flags DB_TXN_NOSYNC\n');
  let r = await run(path.join(BIN, 'preload'), ['default', String(NHOOKS)], { env: { WEBHOOKS_HOME: home }, timeoutMs: 600000 });
  fs.rmSync(dbconf);
  if (r.code !== 0) { cleanHome(); throw new Error(`preload failed: ${r.out}${r.err}`); }
  const cp = lib.which('db5.3_checkpoint') || lib.which('db_checkpoint');
  if (cp) await run(cp, ['-1', '-h', path.join(home, 'db')]);

  try {
    // Copies, so that a rebuild during the run changes nothing measured.
    const dir = tmpDir('cgibin');
    const progs = { trivial: path.join(BIN, 'trivial'), prog: lib.FCGI };
    const bundled = path.join(lib.REPO, 'build', 'bundle', 'webhooks.fcgi');
    if (fs.existsSync(bundled)) progs.bundle = bundled;
    else notes.push('cgi: build/bundle/webhooks.fcgi not built (make build/bundle/webhooks.fcgi): the bundle\'s program was not measured.');
    for (const [k, src] of Object.entries(progs)) {
      const dst = path.join(dir, `${k}.cgi`);
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, 0o755);
      progs[k] = dst;
    }

    const cgiEnv = (method, uri, extra = {}) => {
      const [p, q = ''] = uri.split('?');
      return {
        WEBHOOKS_HOME: home, GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1',
        SERVER_NAME: '127.0.0.1', SERVER_PORT: '80', REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: method, REQUEST_URI: uri, SCRIPT_NAME: '', PATH_INFO: p, QUERY_STRING: q,
        HTTP_AUTHORIZATION: `Bearer ${token}`, ...extra,
      };
    };
    const bodyFile = path.join(dir, 'create.json');
    fs.writeFileSync(bodyFile, '{"name":"bench @N@","url":"https://example.com/cgi/@N@","headers":{"Accept":"application/json"}}');
    // One loop of n requests; {rps, wall, cpu} (microseconds a request).
    const loop = async (prog, req, n = RUNS) => {
      const args = [String(n), prog];
      if (req.body) args.push('-b', req.body);
      for (const [k, v] of Object.entries(req.env)) args.push(`${k}=${v}`);
      const res = await run(spawn, args, { env: {}, timeoutMs: 120000 + n * 200 });
      const m = /wall_us ([\d.]+) user_us ([\d.]+) sys_us ([\d.]+)/.exec(res.out);
      if (res.code !== 0 || !m) throw new Error(`cgispawn ${path.basename(prog)} ${req.env.REQUEST_METHOD} ${req.env.REQUEST_URI}: ${res.code} ${res.err}${res.out}`);
      return { rps: 1e6 / Number(m[1]), wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
    };

    // The webhook to GET: the first of the middle page.
    const mid = Math.floor(NHOOKS / 2 / 15) + 1;
    const probe = await run(progs.prog, [], { env: cgiEnv('GET', `/api/2.0/webhooks?page=${mid}`) });
    const json = JSON.parse(probe.out.slice(probe.out.indexOf('\r\n\r\n') + 4));
    const uuid = json?.data?.[0]?.uuid;
    if (!uuid) throw new Error(`list page ${mid}: ${probe.out.slice(0, 300)}`);
    const reqs = {
      get: { label: 'GET one webhook', env: cgiEnv('GET', `/api/2.0/webhooks/${uuid}`), target: 0.80 },
      list: { label: 'list page 1 (15 a page)', env: cgiEnv('GET', '/api/2.0/webhooks?page=1'), target: 0.80 },
      create: { label: 'create (POST, a durable commit)', env: cgiEnv('POST', '/api/2.0/webhooks', { CONTENT_TYPE: 'application/json' }), body: bodyFile },
    };

    const kinds = Object.keys(progs).filter((k) => k !== 'trivial');
    for (const k of [...kinds, 'trivial']) for (const q of Object.values(reqs)) await loop(progs[k], q, 20);
    // Rounds: T P T B T for each request kind (the programs' order swapped
    // every other round), each program run between two reference runs.
    const done = {};
    for (const q of Object.keys(reqs)) done[q] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const q of Object.keys(reqs)) {
        const order = round % 2 === 0 ? kinds : [...kinds].reverse();
        const seq = ['trivial'];
        for (const k of order) seq.push(k, 'trivial');
        for (const k of seq) {
          const w = await loop(progs[k], reqs[q]);
          done[q].push({ k, w, round });
          say(`  ${q} ${k}: ${fmt(w.rps)} req/s (${fmt(w.wall)} us a request, CPU ${fmt(w.cpu)} us)`);
        }
      }
    }
    // A program run's neighbours are the reference runs just before and
    // after it, in its round.
    const desc = {
      prog: 'cgi-bin/webhooks.fcgi as `make` builds it (libdb, json-c, nettle, libfcgi shared)',
      bundle: 'build/bundle/webhooks.fcgi, the upload bundle\'s (those linked in statically)',
    };
    for (const [q, req] of Object.entries(reqs)) {
      const seq = done[q];
      for (const k of kinds) {
        const ratios = [];
        seq.forEach((d, i) => {
          if (d.k !== k) return;
          const near = [];
          for (let j = i - 1; j >= 0 && seq[j].round === d.round; j--) if (seq[j].k === 'trivial') { near.push(seq[j].w.rps); break; }
          for (let j = i + 1; j < seq.length && seq[j].round === d.round; j++) if (seq[j].k === 'trivial') { near.push(seq[j].w.rps); break; }
          ratios.push(d.w.rps / mean(near));
        });
        const ws = seq.filter((d) => d.k === k).map((d) => d.w);
        const ts = seq.filter((d) => d.k === 'trivial').map((d) => d.w);
        const ratio = median(ratios);
        record({
          section: S, name: `${req.label}: ${desc[k]}`,
          cmd: `build/bench/cgispawn ${RUNS} webhooks.fcgi${req.body ? ' -b create.json' : ''} REQUEST_METHOD=${req.env.REQUEST_METHOD} REQUEST_URI=${req.env.REQUEST_URI.replace(uuid, '$UUID')} ... (the CGI variables; ${fmt(NHOOKS)} webhooks in the store)`,
          valueText: `${ws.map((w) => fmt(w.rps)).join(' / ')} req/s (${ws.map((w) => fmt(w.wall)).join(' / ')} µs a request; CPU, user + system, ${ws.map((w) => fmt(w.cpu)).join(' / ')} µs); ratio of each run to its neighbouring reference runs ${ratios.map((x) => fmt(x, 2)).join(' / ')}`,
          value: mean(ws.map((w) => w.rps)),
          ref: `trivial libfcgi responder (build/bench/trivial) under the same loop and variables: ${ts.map((w) => fmt(w.rps)).join(' / ')} req/s (${ts.map((w) => fmt(w.wall)).join(' / ')} µs; CPU ${ts.map((w) => fmt(w.cpu)).join(' / ')} µs)`,
          refValue: mean(ts.map((w) => w.rps)), ratio,
          target: req.target ? `>= ${req.target.toFixed(2)}` : 'none (figure asked for)',
          met: req.target ? ratio >= req.target : undefined,
        });
      }
    }

    // Instructions of one request, by callgrind (user space, the dynamic
    // loader included): the part of the budget the machine's load does
    // not move.
    const vg = lib.which('valgrind');
    if (!vg) {
      notes.push('cgi: valgrind is not installed: no instruction counts.');
      return;
    }
    const outDir = tmpDir('cgi-callgrind');
    const counted = {};
    for (const k of Object.keys(progs)) {
      const wrap = path.join(dir, `vg-${k}.sh`);
      fs.writeFileSync(wrap, `#!/bin/sh\nexec ${vg} --tool=callgrind --callgrind-out-file=${outDir}/${k}.%p.out ${progs[k]}\n`, { mode: 0o755 });
      counted[k] = {};
      for (const q of ['get', 'list']) {
        for (const f of fs.readdirSync(outDir)) fs.rmSync(path.join(outDir, f));
        await loop(wrap, reqs[q], 1);
        const f = fs.readdirSync(outDir).find((x) => x.startsWith(`${k}.`));
        const m = f && /^summary:\s+(\d+)/m.exec(fs.readFileSync(path.join(outDir, f), 'utf8'));
        counted[k][q] = m ? Number(m[1]) : NaN;
      }
    }
    for (const k of kinds) {
      for (const q of ['get', 'list']) {
        record({
          section: S, name: `instructions of one request (callgrind), ${reqs[q].label}: ${desc[k]}`,
          cmd: `valgrind --tool=callgrind, one request through the same loop (${fmt(NHOOKS)} webhooks in the store)`,
          valueText: `${fmt(counted[k][q])} instructions`, value: counted[k][q],
          ref: `trivial responder, same way: ${fmt(counted.trivial[q])} instructions`, refValue: counted.trivial[q],
          ratio: counted[k][q] / counted.trivial[q],
          target: 'none (diagnostic: the user-space part of the budget, free of the machine\'s load)',
        });
      }
    }
  } finally {
    cleanHome();
  }
}
