// Several FastCGI processes (lighttpd.conf.example's max-procs) sharing one
// Berkeley DB environment: concurrent creates, updates and deletes must leave
// a consistent store, and SIGKILLing a process in the middle of the load must
// lose nothing that was acknowledged.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import fs from 'node:fs';
import path from 'node:path';

import { addToken, api, dbVerify, makeHome, show, sleep, startLighttpd } from './lib.mjs';

const CLIENTS = 8;

// One client: creates, updates its own webhooks and deletes some, until
// `until` (ms since epoch).  Records what the server acknowledged.
async function client(base, token, id, until, st) {
  const mine = [];
  let n = 0;
  while (Date.now() < until) {
    n++;
    const roll = Math.random();
    try {
      if (mine.length === 0 || roll < 0.5) {
        const r = await api(base, 'POST', '/api/2.0/webhooks', {
          token, timeoutMs: 15000,
          body: { name: `c${id}-${n}`, url: `https://example.com/c${id}/${n}`, headers: { 'X-Client': String(id) } },
        });
        if (r.status === 201 && r.json?.data?.uuid) {
          st.creates++;
          st.created.add(r.json.data.uuid);
          mine.push(r.json.data.uuid);
        } else st.fail(r);
      } else if (roll < 0.75) {
        const uuid = mine[Math.floor(Math.random() * mine.length)];
        const r = await api(base, 'PUT', `/api/2.0/webhooks/${uuid}`, {
          token, timeoutMs: 15000, body: { name: `c${id}-${n}-updated` },
        });
        if (r.status === 200) st.updates++;
        else st.fail(r);
      } else {
        const i = Math.floor(Math.random() * mine.length);
        const uuid = mine[i];
        mine.splice(i, 1);
        const r = await api(base, 'DELETE', `/api/2.0/webhooks/${uuid}`, { token, timeoutMs: 15000 });
        if (r.status === 204) {
          st.deletes++;
          st.deleted.add(uuid);
        } else {
          st.uncertain.add(uuid); // may or may not be gone
          st.fail(r);
        }
      }
    } catch (e) {
      st.errors.push(`${e.name}: ${e.message}${e.cause ? ` (${e.cause.code || e.cause.message})` : ''}`);
    }
  }
}

function newStats() {
  const st = {
    creates: 0, updates: 0, deletes: 0,
    created: new Set(), deleted: new Set(), uncertain: new Set(),
    failures: [], errors: [],
    fail(r) { this.failures.push(`${r.request} -> ${r.status} ${r.text.slice(0, 200)}`); },
  };
  return st;
}

async function load(base, token, ms, st) {
  const until = Date.now() + ms;
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(base, token, i, until, st)));
}

// Every webhook of the team, following the pages.
async function listAll(base, token) {
  const all = [];
  let total;
  for (let page = 1; page < 1000; page++) {
    const r = await api(base, 'GET', `/api/2.0/webhooks?per_page=100&page=${page}`, { token });
    assert.equal(r.status, 200, show(r));
    total = r.json.meta.total;
    all.push(...r.json.data);
    if (r.json.links.next === null) break;
  }
  return { all, total };
}

function summary(st) {
  return `creates ${st.creates}, updates ${st.updates}, deletes ${st.deletes}, `
    + `failed answers ${st.failures.length}, connection errors ${st.errors.length}`;
}

function assertDbClean(home) {
  const v = dbVerify(home);
  assert.ok(v.length > 0, 'there are .db files to verify');
  for (const f of v) assert.equal(f.status, 0, `db_verify ${f.file}: ${f.output}`);
}

describe('several FastCGI processes behind lighttpd', { timeout: 180000 }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.stopAndClean(); });

  test('8 clients create, update, delete for 10 s: the store stays consistent', async (t) => {
    const s = await startLighttpd();
    servers.push(s);
    await s.wrap(async () => {
      const procs = s.fcgiPids();
      assert.ok(procs.length >= 2, `several FastCGI processes run (found ${procs.length})`);
      const token = addToken(s.home, 'load');
      const st = newStats();
      await load(s.base, token, 10000, st);
      t.diagnostic(summary(st));
      assert.ok(st.creates > 50, `some work was done: ${summary(st)}`);
      assert.deepEqual(st.failures, [], 'no request failed');
      assert.deepEqual(st.errors, [], 'no connection failed');

      const { all, total } = await listAll(s.base, token);
      assert.equal(total, st.creates - st.deletes, `meta.total == creates - deletes (${summary(st)})`);
      assert.equal(all.length, total, 'the pages hold meta.total webhooks');
      const listed = new Set(all.map((h) => h.uuid));
      assert.equal(listed.size, all.length, 'no webhook listed twice');
      for (const u of st.created) {
        if (st.deleted.has(u)) assert.ok(!listed.has(u), `deleted ${u} is not listed`);
        else assert.ok(listed.has(u), `created ${u} is listed`);
      }
      for (const h of all) {
        const r = await api(s.base, 'GET', `/api/2.0/webhooks/${h.uuid}`, { token });
        assert.equal(r.status, 200, show(r));
        assert.equal(r.json.data.name, h.name);
      }
      await s.stop();
      assertDbClean(s.home);
    })(t);
  });

  test('SIGKILL of a FastCGI process under load loses nothing acknowledged', async (t) => {
    const s = await startLighttpd();
    servers.push(s);
    await s.wrap(async () => {
      const token = addToken(s.home, 'fault');
      const procsBefore = s.fcgiPids().length;
      assert.ok(procsBefore >= 2, `several FastCGI processes run (found ${procsBefore})`);
      const st = newStats();
      const killed = [];
      let okAfterKill = 0;
      const killer = (async () => {
        for (const at of [1500, 3500]) {
          await sleep(at - (killed.length ? 1500 : 0));
          const pids = s.fcgiPids();
          assert.ok(pids.length > 0, 'a FastCGI process to kill');
          const victim = pids[Math.floor(Math.random() * pids.length)];
          process.kill(victim, 'SIGKILL');
          killed.push(victim);
        }
      })();
      const createsBefore = () => st.creates + st.updates + st.deletes;
      let mark = 0;
      const watcher = (async () => {
        await sleep(3600);
        mark = createsBefore();
      })();
      await load(s.base, token, 6000, st);
      await killer;
      await watcher;
      okAfterKill = createsBefore() - mark;
      t.diagnostic(`killed ${killed.join(', ')}; ${summary(st)}; acknowledged after the last kill: ${okAfterKill}`);
      if (st.failures.length) t.diagnostic(`failed answers (allowed during a kill): ${st.failures.slice(0, 10).join(' | ')}`);
      if (st.errors.length) t.diagnostic(`connection errors (allowed during a kill): ${st.errors.slice(0, 10).join(' | ')}`);
      assert.equal(killed.length, 2);
      assert.ok(okAfterKill > 0, 'the others kept answering after the kills');
      for (const f of st.failures) assert.match(f, /-> 5\d\d /, `only 5xx failures during the kill: ${f}`);

      // The service answers again, with fresh processes.
      let r;
      for (let i = 0; i < 50; i++) {
        r = await api(s.base, 'GET', '/api/2.0/webhooks', { token }).catch((e) => ({ status: 0, text: String(e), request: 'GET list' }));
        if (r.status === 200) break;
        await sleep(200);
      }
      assert.equal(r.status, 200, `answers after the kills: ${show(r)}`);
      let pidsNow = s.fcgiPids();
      for (const k of killed) assert.ok(!pidsNow.includes(k), `killed ${k} is gone`);
      // lighttpd starts new processes in place of the killed ones.
      for (let i = 0; i < 50 && pidsNow.length < procsBefore; i++) {
        await sleep(100);
        pidsNow = s.fcgiPids();
      }
      assert.equal(pidsNow.length, procsBefore, `lighttpd restarted the killed processes (now ${pidsNow.join(', ')})`);

      // Nothing acknowledged is lost; nothing acknowledged as deleted is back.
      const { all, total } = await listAll(s.base, token);
      assert.equal(all.length, total, 'the pages hold meta.total webhooks');
      const listed = new Set(all.map((h) => h.uuid));
      for (const u of st.created) {
        if (st.uncertain.has(u)) continue;
        if (st.deleted.has(u)) {
          assert.ok(!listed.has(u), `acknowledged delete of ${u} holds`);
        } else {
          assert.ok(listed.has(u), `acknowledged create ${u} is listed`);
          r = await api(s.base, 'GET', `/api/2.0/webhooks/${u}`, { token });
          assert.equal(r.status, 200, `acknowledged create survives: ${show(r)}`);
        }
      }
      assert.ok(total >= st.creates - st.deletes - st.uncertain.size, 'no acknowledged webhook is missing');

      await s.stop();
      assertDbClean(s.home);
    })(t);
  });

  // max_requests: each process execs itself afresh every 10 requests,
  // keeping its listening socket, so that the requests lighttpd queued on
  // it wait instead of being refused (a process that exits loses them).
  test('max_requests 10: processes start afresh under load, no request refused, nothing leaks', async (t) => {
    const { home, token: admin } = makeHome('webhooks-e2e-renew-');
    fs.writeFileSync(path.join(home, 'webhooks.conf'), 'max_requests = 10\n');
    const s = await startLighttpd({ home, token: admin });
    servers.push(s);
    await s.wrap(async () => {
      const pids = s.fcgiPids();
      assert.ok(pids.length >= 2, `several FastCGI processes run (found ${pids.length})`);
      const token = addToken(s.home, 'renew');
      const st = newStats();
      await load(s.base, token, 4000, st);
      t.diagnostic(summary(st));
      assert.ok(st.creates > 50, `some work was done: ${summary(st)}`);
      assert.deepEqual(st.failures, [], 'no request failed');
      assert.deepEqual(st.errors, [], 'no connection failed');
      const renewals = (s.logText(1e9).match(/served 10 requests \(max_requests\): starting afresh/g) || []).length;
      t.diagnostic(`renewals logged: ${renewals}`);
      assert.ok(renewals >= (st.creates + st.updates + st.deletes) / 10 / 2, `processes started afresh (${renewals} logged)`);
      assert.deepEqual(s.fcgiPids(), pids, 'the same processes: none exited, lighttpd restarted none');
      // A descriptor left open at each renewal would number in the hundreds.
      for (const pid of pids) {
        const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
        assert.ok(fds < 30, `process ${pid} holds ${fds} descriptors after ${renewals} renewals among ${pids.length}`);
      }
      const { all, total } = await listAll(s.base, token);
      assert.equal(total, st.creates - st.deletes, `meta.total == creates - deletes (${summary(st)})`);
      assert.equal(all.length, total, 'the pages hold meta.total webhooks');
      await s.stop();
      assertDbClean(s.home);
    })(t);
  });
});
