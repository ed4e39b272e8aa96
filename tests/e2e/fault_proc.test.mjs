// Fault injection, processes (issue 16, "What to build" 3): a FastCGI
// process SIGKILLed in the middle of a write transaction, and webhookd
// SIGKILLed while committing attempt records, each 20 times against a live
// load; and FastCGI processes SIGKILLed at random moments (inside Berkeley
// DB too, where one may die holding a mutex of the environment, which takes
// a DB_REGISTER recovery).  The environment must recover (failchk, or DB_REGISTER recovery)
// with no request or process waiting over 10 s, nothing acknowledged may be
// lost, and `webhookctl check` is clean afterwards.
//
// To kill inside a write transaction rather than by luck, the processes run
// with the store's test-only hook WEBHOOKS_TEST_TXN_PAUSE=MS[:FN] (src/store/store_env.c,
// env_test_pause): each write transaction sleeps MS ms in poll(NULL, 0, MS)
// after its changes, its locks held, just before its commit.  The test
// reads /proc/PID/task/TID/syscall and kills a process only while one of
// its threads is in that very call (syscall 7, poll, with no descriptors
// and MS as its timeout).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';

import { api, ctl, makeHome, removeHome, show, sleep, startLighttpd } from './lib.mjs';
import {
  createWebhook, deliveries, spoolFiles, startDaemon, startReceiver, until, writeConf,
} from './delivery_lib.mjs';

const KILLS = 20;
// startDaemon adds an exit listener per webhookd started: 20 restarts here.
process.setMaxListeners(100);
const HANG_MS = 10000;		// no request, no recovery may take longer
// poll(2)'s number: x86_64 (elsewhere poll is ppoll, with other arguments).
const POLL_SYSCALL = { x64: 7 }[process.arch];
const NO_HOOK = POLL_SYSCALL === undefined && `poll(2) is not syscall 7 on ${process.arch}`;

// Whether a thread of pid sleeps in the hook's poll(NULL, 0, ms) now.
// /proc/PID/task/TID/syscall: "NR arg1 arg2 arg3 ... sp pc".
function inPause(pid, ms, thread = null) {
  let tids;
  try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { return false; }
  for (const tid of tids) {
    try {
      if (thread && fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== thread) continue;
      const f = fs.readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').trim().split(' ');
      if (Number(f[0]) === POLL_SYSCALL && f[1] === '0x0' && f[2] === '0x0' && Number(f[3]) === ms) return true;
    } catch { /* gone */ }
  }
  return false;
}

// A request with its latency measured: {status, json, text, ms}; a
// connection error is status 0.
async function timed(base, method, p, opts) {
  const t0 = Date.now();
  let r;
  try {
    r = await api(base, method, p, { timeoutMs: HANG_MS + 5000, ...opts });
  } catch (e) {
    r = { status: 0, text: `${e.name}: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''}`, request: `${method} ${p}` };
  }
  r.ms = Date.now() - t0;
  return r;
}

// webhookctl check on a stopped stack: exit 0 and no complaint.
function assertCheckClean(home) {
  const r = ctl(home, ['check'], { allowFail: true });
  assert.equal(r.status, 0, `webhookctl check: ${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /store_check|verify|corrupt/i, `webhookctl check is quiet: ${r.stderr}`);
}

// Received events' data.tag, with how many times each came.
function tally(rx, seen) {
  for (const q of rx.requests.splice(0)) {
    const tag = JSON.parse(q.body).data.tag;
    seen.set(tag, (seen.get(tag) || 0) + 1);
  }
  return seen;
}

// The FastCGI processes under a live load, KILLS of them SIGKILLed: in the
// hook's pause inside a write transaction (inTxn), or at random moments,
// inside Berkeley DB too, where one may die holding a mutex of the
// environment (then DB_REGISTER recovery, and the processes blocked on it
// are ended by the recovering one: store_env.c, env_stop_stale).
async function fcgiKills(t, cleanup, inTxn) {
  const PAUSE = 61;
  const rx = await startReceiver(() => ({ status: 204 }));
  cleanup.push(() => rx.close());
  const { home, token } = makeHome('webhooks-faultproc-');
  // time_scale: an event whose fan-out met a store error is deferred
  // for RECORD_RETRY_MS (60 s) x time_scale, not lost: 0.6 s here.
  writeConf(home, { allow_private: 1, time_scale: 0.01 });
  // Only the FastCGI processes (lighttpd's environment) get the hook.
  if (inTxn) process.env.WEBHOOKS_TEST_TXN_PAUSE = String(PAUSE);
  let s;
  try {
    s = await startLighttpd({ home, token });
  } finally {
    delete process.env.WEBHOOKS_TEST_TXN_PAUSE;
  }
  cleanup.push(() => s.stop().then(() => removeHome(home)));
  let daemon = startDaemon(home);
  const daemonLogs = [];
  let daemonRestarts = 0;
  let stopping = false;
  // A supervisor, as systemd's Restart=always would be.
  const supervise = (async () => {
    while (!stopping) {
      if (daemon.exited) {
        daemonLogs.push(daemon.logText());
        daemonRestarts++;
        daemon = startDaemon(home);
      }
      await sleep(50);
    }
  })();
  cleanup.push(async () => { stopping = true; await supervise; await daemon.stop(); });

  await s.wrap(async () => {
    const hook = await createWebhook(s, { name: 'fault', url: `${rx.url}/fault`, events: ['fault.event'] });
    const procs = s.fcgiPids().length;
    assert.ok(procs >= 2, `several FastCGI processes (${procs})`);

    // The live load: creates, updates of the client's own webhooks,
    // publishes (half with an idempotency key, a write to the store).
    const st = {
      created: new Map(),	// uuid -> { acked: name, later: [names sent after it, unanswered] }
      events: new Map(),	// tag -> event id, 202 only
      acks: 0, lastAckStart: 0, slow: [], odd: [], refused: 0, died: 0, requests: 0,
    };
    let loadOn = true;
    const note = (r, t0, ok) => {
      st.requests++;
      if (r.ms > HANG_MS) st.slow.push(`${r.request} took ${r.ms} ms`);
      if (ok) {
        st.acks++;
        st.lastAckStart = Math.max(st.lastAckStart, t0);
      } else if (r.status === 503 || r.status === 502) st.refused++;
      else if (r.status === 500 && /^<\?xml/.test(r.text)) st.died++;
      else st.odd.push(`${r.request} -> ${r.status} ${r.text.slice(0, 200)}`);
    };
    const client = async (c) => {
      const mine = [];
      for (let n = 0; loadOn; n++) {
        const roll = Math.random();
        const t0 = Date.now();
        if (mine.length === 0 || roll < 0.35) {
          const r = await timed(s.base, 'POST', '/api/2.0/webhooks', {
            token, body: { name: `c${c}-${n}`, url: `https://example.com/c${c}/${n}`, events: ['other.event'] },
          });
          const ok = r.status === 201 && r.json?.data?.uuid;
          note(r, t0, ok);
          if (ok) {
            st.created.set(r.json.data.uuid, { acked: `c${c}-${n}`, later: [] });
            mine.push(r.json.data.uuid);
          }
        } else if (roll < 0.6) {
          const uuid = mine[Math.floor(Math.random() * mine.length)];
          const name = `c${c}-${n}-updated`;
          const r = await timed(s.base, 'PUT', `/api/2.0/webhooks/${uuid}`, { token, body: { name } });
          const ok = r.status === 200;
          note(r, t0, ok);
          const w = st.created.get(uuid);
          if (ok) { w.acked = name; w.later = []; } else w.later.push(name);
        } else {
          const tag = `c${c}-${n}`;
          const body = { event: 'fault.event', data: { tag } };
          if (roll < 0.8) body.idempotency_key = `key-${tag}`;
          const r = await timed(s.base, 'POST', '/api/2.0/events', { token, body });
          const ok = r.status === 202 && r.json?.id;
          note(r, t0, ok);
          if (ok) st.events.set(tag, r.json.id);
        }
      }
    };
    const load = Promise.all([0, 1, 2].map(client));

    const kills = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        // A process inside a write transaction (in the hook's pause),
        // or any process at a random moment.
        if (!inTxn) await sleep(100 + Math.random() * 300);
        const t0 = Date.now();
        let victim = null;
        while (victim === null) {
          const pids = s.fcgiPids();
          victim = (inTxn ? pids.find((pid) => inPause(pid, PAUSE)) : pids[Math.floor(Math.random() * pids.length)]) ?? null;
          if (victim === null) {
            assert.ok(Date.now() - t0 < HANG_MS, `kill ${k + 1}: no FastCGI process in a write transaction for ${HANG_MS} ms`);
            await sleep(1);
          }
        }
        process.kill(victim, 'SIGKILL');
        const at = Date.now();
        // Recovered: a write begun after the kill is acknowledged, and
        // lighttpd has started a process in place of the dead one.
        await until(() => st.lastAckStart > at && s.fcgiPids().length === procs && !s.fcgiPids().includes(victim),
          HANG_MS, `kill ${k + 1} (pid ${victim}): the service writes again`);
        kills.push({ pid: victim, recoveredMs: Date.now() - at });
      }
    } finally {
      loadOn = false;
      await load;
    }
    const worst = Math.max(...kills.map((x) => x.recoveredMs));
    t.diagnostic(`${kills.length} kills ${inTxn ? 'in a write transaction' : 'at random moments'}; recovered after at most ${worst} ms; `
      + `${st.requests} requests, ${st.acks} acknowledged, ${st.refused} refused (502/503), ${st.died} lost with their process (lighttpd's 500), `
      + `${st.created.size} webhooks, ${st.events.size} events; webhookd restarted ${daemonRestarts} times`);
    assert.equal(kills.length, KILLS);
    assert.deepEqual(st.slow, [], `no request took over ${HANG_MS} ms`);
    assert.deepEqual(st.odd, [], 'every request answered its success, 502 or 503');
    // lighttpd answers 500 to what a killed process had taken: the
    // request it served, at most one more waiting on its socket.
    assert.ok(st.died <= 2 * KILLS, `${st.died} requests lost with ${KILLS} processes`);
    assert.ok(st.acks > 4 * KILLS, `the load went on (${st.acks} acknowledged)`);

    // Every acknowledged write is there.
    for (const [uuid, w] of st.created) {
      const r = await api(s.base, 'GET', `/api/2.0/webhooks/${uuid}`, { token });
      assert.equal(r.status, 200, `acknowledged create ${uuid}: ${show(r)}`);
      const name = r.json.data.name;
      assert.ok(name === w.acked || w.later.includes(name),
        `${uuid}: name ${name}, acknowledged ${w.acked}${w.later.length ? ` (or unanswered ${w.later.join(', ')})` : ''}`);
    }
    // Every 202 event reaches the receiver.
    const seen = new Map();
    await until(() => {
      tally(rx, seen);
      return [...st.events.keys()].every((tag) => seen.has(tag));
    }, 30000, `all ${st.events.size} accepted events delivered`).catch((e) => {
      const missing = [...st.events.keys()].filter((tag) => !seen.has(tag));
      e.message += `: missing ${missing.length}: ${missing.slice(0, 10).join(', ')}`;
      throw e;
    });
    // And their attempts are logged.
    const logged = new Set((await deliveries(s, hook.uuid)).filter((a) => a.success).map((a) => a.event_id));
    for (const [tag, id] of st.events) assert.ok(logged.has(id), `event ${tag} (${id}): its attempt is logged`);

    stopping = true;
    await supervise;
    assert.equal((await daemon.stop()).code, 0, `webhookd stops cleanly: ${daemon.logText().slice(-3000)}`);
    await s.stop();
    assertCheckClean(home);
  })(t).catch((e) => {
    e.message += `\n--- webhookd logs:\n${[...daemonLogs, daemon.logText()].join('\n---\n').slice(-8000)}`;
    throw e;
  });
}

describe('fault injection: processes', { timeout: 240000 }, () => {
  const cleanup = [];
  after(async () => { for (const f of cleanup.reverse()) await f(); });

  test(`a FastCGI process SIGKILLed in a write transaction, ${KILLS} times under load: nothing acknowledged is lost`,
    { skip: NO_HOOK }, (t) => fcgiKills(t, cleanup, true));

  test(`a FastCGI process SIGKILLed at random moments, ${KILLS} times under load: no hang, nothing acknowledged is lost`,
    (t) => fcgiKills(t, cleanup, false));

  test(`webhookd SIGKILLed while committing attempt records, ${KILLS} times: every event delivered, every delivery logged`, { skip: NO_HOOK }, async (t) => {
    const PAUSE = 53;
    const PER_ENDPOINT = 4;
    // In flight at a kill (README, "What a receiver gets"): per endpoint,
    // per_endpoint on the wire and 16 x per_endpoint answered, not yet logged.
    const IN_FLIGHT = 17 * PER_ENDPOINT;
    const rx = await startReceiver(() => ({ status: 204 }));
    cleanup.push(() => rx.close());
    const { home, token } = makeHome('webhooks-faultproc-');
    writeConf(home, { allow_private: 1, per_endpoint: PER_ENDPOINT });
    const s = await startLighttpd({ home, token });
    cleanup.push(() => s.stop().then(() => removeHome(home)));
    // Only webhookd's attempt-log commits pause.
    const hookEnv = { WEBHOOKS_TEST_TXN_PAUSE: `${PAUSE}:store_attempt_add` };
    let daemon = startDaemon(home, { env: hookEnv });
    const daemonLogs = [];
    cleanup.push(() => daemon.stop());

    await s.wrap(async () => {
      const hook = await createWebhook(s, { name: 'fault', url: `${rx.url}/fault`, events: ['fault.event'] });
      const events = new Map();	// tag -> event id (202)
      const slow = [];
      let retries = 0;
      let on = true;
      const publisher = async (c) => {
        for (let n = 0; on; n++) {
          const tag = `p${c}-${n}`;
          for (let tries = 0; ; tries++) {
            const r = await timed(s.base, 'POST', '/api/2.0/events', { token, body: { event: 'fault.event', data: { tag } } });
            if (r.ms > HANG_MS) slow.push(`${r.request} took ${r.ms} ms`);
            if (r.status === 202) { events.set(tag, r.json.id); break; }
            assert.equal(r.status, 503, `event ${tag}: ${show(r)}`);
            assert.ok(tries < 50, `event ${tag}: still 503 after 50 tries`);
            retries++;
            await sleep(20);
          }
          await sleep(5);
        }
      };
      const load = Promise.all([0, 1].map(publisher));

      const kills = [];
      try {
        for (let k = 0; k < KILLS; k++) {
          // The spool thread inside the attempt log's write transaction.
          const t0 = Date.now();
          while (!inPause(daemon.pid, PAUSE, 'webhookd-spool')) {
            assert.ok(!daemon.exited, `webhookd exited: ${JSON.stringify(daemon.exited)}`);
            assert.ok(Date.now() - t0 < HANG_MS, `kill ${k + 1}: webhookd did not log an attempt within ${HANG_MS} ms`);
            await sleep(1);
          }
          daemon.child.kill('SIGKILL');
          await daemon.exit;
          daemonLogs.push(daemon.logText());
          kills.push(Date.now() - t0);
          daemon = startDaemon(home, { env: hookEnv });
        }
      } finally {
        on = false;
        await load;
      }
      // The last one without the pause, to drain quickly.
      await daemon.stop();
      daemonLogs.push(daemon.logText());
      daemon = startDaemon(home);
      assert.deepEqual(slow, [], `no request took over ${HANG_MS} ms`);

      const seen = new Map();
      await until(() => {
        tally(rx, seen);
        return [...events.keys()].every((tag) => seen.has(tag));
      }, 30000, `all ${events.size} accepted events delivered`).catch((e) => {
        const missing = [...events.keys()].filter((tag) => !seen.has(tag));
        e.message += `: missing ${missing.length}: ${missing.slice(0, 10).join(', ')}`;
        throw e;
      });
      await until(() => ['new', 'cur', 'deferred'].every((d) => spoolFiles(home, d).length === 0),
        HANG_MS, 'the spool drained');
      await sleep(300);
      tally(rx, seen);
      let received = 0;
      for (const c of seen.values()) received += c;
      const dups = received - seen.size;
      await until(async () => (await deliveries(s, hook.uuid)).length >= events.size, HANG_MS, 'attempts logged');
      const log = await deliveries(s, hook.uuid);
      t.diagnostic(`${kills.length} kills in the attempt log's commit (each found within ${Math.max(...kills)} ms); `
        + `${events.size} events, ${received} deliveries, ${log.length} attempts logged, ${dups} duplicates (bound ${KILLS} x ${IN_FLIGHT}), ${retries} publish retries`);
      assert.equal(kills.length, KILLS);
      assert.equal(seen.size, events.size, 'only accepted events arrived');
      assert.ok(dups <= KILLS * IN_FLIGHT, `${dups} duplicates, at most ${IN_FLIGHT} in flight at each of ${KILLS} kills`);

      // Every delivery that arrived has its attempt logged, none twice, and
      // no attempt is logged that did not happen.
      const ok = log.filter((a) => a.success);
      assert.equal(ok.length, log.length, 'every logged attempt succeeded');
      const ids = new Set(log.map((a) => a.id));
      assert.equal(ids.size, log.length, 'no attempt id logged twice');
      const byEvent = new Set(ok.map((a) => a.event_id));
      for (const [tag, id] of events) assert.ok(byEvent.has(id), `event ${tag} (${id}): its delivery is logged`);
      assert.ok(log.length <= received, `${log.length} attempts logged, ${received} made`);

      assert.equal((await daemon.stop()).code, 0, `webhookd stops cleanly: ${daemon.logText().slice(-3000)}`);
      await s.stop();
      assertCheckClean(home);
    })(t).catch((e) => {
      e.message += `\n--- webhookd logs:\n${[...daemonLogs, daemon.logText()].join('\n---\n').slice(-8000)}`;
      throw e;
    });
  });
});
