// Network fault injection: receivers on loopback that break HTTP in every
// way a stranger's server can (reset the connection, accept and never
// answer, stream an endless body, answer 300 MB, trickle, endless headers
// or 100 Continue, malformed status lines, plain HTTP behind an https URL),
// all at once against one webhookd with a 2 s delivery timeout.  Each attempt ends within the timeout (or at the 64 KiB
// read cap, well before it), is recorded with an error a receiver's owner
// can act on, and meanwhile healthy receivers of two teams get their events
// promptly.  webhookd neither crashes nor grows, and no byte the receivers
// sent reaches its log raw.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';

import { addToken, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import {
  createWebhook, deliveries, getWebhook, publish, startDaemon, startReceiver, until, writeConf,
} from './delivery_lib.mjs';

const TIMEOUT_MS = 2000;
const CAP = 64 * 1024;		// the README's read cap
const HOSTILE_EVENTS = 4;	// = per_endpoint: all on the wire at once
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/; // eslint-disable-line no-control-regex
const BODY_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/; // eslint-disable-line no-control-regex

// A raw TCP receiver on 127.0.0.1: behave(socket, state) runs on the first
// bytes of each request.  Counts connections, open sockets and bytes sent.
async function startRaw(behave) {
  const st = { connections: 0, open: 0, sent: 0, sockets: new Set(), stopped: false };
  const server = net.createServer((s) => {
    st.connections++;
    st.open++;
    st.sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => { st.open--; st.sockets.delete(s); });
    s.once('data', () => behave(s, st));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  st.port = server.address().port;
  st.url = `http://127.0.0.1:${st.port}/`;
  st.close = () => {
    st.stopped = true;
    for (const s of st.sockets) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  };
  return st;
}

// Writes chunk after chunk as fast as the socket takes them, until the
// peer goes (or the receiver is closed; never past the test's end).
function pump(s, st, chunk) {
  const more = () => {
    while (!s.destroyed && !st.stopped) {
      st.sent += chunk.length;
      if (!s.write(chunk)) { s.once('drain', more); return; }
    }
  };
  more();
}

const MiB = 1024 * 1024;
const junk = Buffer.alloc(64 * 1024, 'x');
const chunked = Buffer.concat([Buffer.from(`${junk.length.toString(16)}\r\n`), junk, Buffer.from('\r\n')]);

// name: [behaviour, what the attempt must show]
const HOSTILE = {
  reset: [(s) => s.resetAndDestroy(), {
    error: /^the connection failed while (reading the answer|sending the request): .*Connection reset by peer/,
  }],
  silent: [() => {}, { error: new RegExp(`^timeout of ${TIMEOUT_MS}ms exceeded$`), slow: true }],
  endless_200: [(s, st) => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    pump(s, st, chunked);
  }, { success: true, status: 200, capped: true }],
  endless_500: [(s, st) => {
    s.write('HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n');
    const dirt = Buffer.concat([Buffer.from('\x1b[2J\x07wiped', 'latin1'), Buffer.from([0xff, 0x0d, 0x0a, 0x00])]);
    s.write(Buffer.concat([Buffer.from(`${dirt.length.toString(16)}\r\n`), dirt, Buffer.from('\r\n')]));
    pump(s, st, chunked);
  }, { error: /^Request failed with status code 500$/, status: 500, capped: true }],
  body_300mb: [(s, st) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${300 * MiB}\r\n\r\n`);
    pump(s, st, junk);
  }, { success: true, status: 200, capped: true }],
  trickle: [(s, st) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n');
    const t = setInterval(() => {
      if (s.destroyed || st.stopped) clearInterval(t); else { st.sent++; s.write('.'); }
    }, 50);
  }, { error: new RegExp(`^timeout of ${TIMEOUT_MS}ms exceeded$`), status: 200, slow: true }],
  endless_headers: [(s, st) => {
    s.write('HTTP/1.1 200 OK\r\n');
    pump(s, st, Buffer.from('X-More: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1000)));
  }, { error: /^the response's headers are too large \(over 300 KB in all\): Too large response headers/ }],
  endless_1xx: [(s, st) => pump(s, st, Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'.repeat(1000))),
    { error: /^the response's headers are too large \(over 300 KB in all\): Too large response headers/ }],
  status_2oo: [(s) => s.end('HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n'),
    { error: /^the receiver's answer is not valid HTTP: .*response code/ }],
  status_garbage: [(s) => s.end('garbage\r\n\r\n'),
    { error: /^the receiver's answer is not valid HTTP: .*HTTP\/0\.9/ }],
  status_http09: [(s) => s.end('<html>\x1b]0;owned\x07hello</html>'),
    { error: /^the receiver's answer is not valid HTTP: .*HTTP\/0\.9/ }],
  status_control: [(s) => s.end('HTTP/1.\x1b[31m1 200 \x07OK\r\n\r\n'),
    { error: /^the receiver's answer is not valid HTTP: .*version/ }],
  status_no_crlf: [(s) => s.end('HTTP/1.1 200 OK'),
    { error: /^the receiver closed the connection without answering: Empty reply/ }],
  // An https URL, a plain HTTP server behind it.
  plain_for_https: [(s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    { error: /^the TLS handshake with the receiver failed: .*wrong version number/, https: true }],
  close_at_once: [(s) => s.end(),
    { error: /^the receiver closed the connection without answering: Empty reply/ }],
};

function rssKiB(pid, field) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

describe('network faults: hostile receivers on loopback', () => {
  const s = { raw: {}, hooks: {} };

  before(async () => {
    const { home, token } = makeHome('webhooks-faultnet-');
    s.home = home;
    s.otherToken = addToken(home, 'other');
    const settings = { allow_private: 1, timeout_ms: TIMEOUT_MS, per_endpoint: 4, concurrency: 64 };
    writeConf(home, settings);
    s.srv = await startLighttpd({ home, token });
    s.other = { base: s.srv.base, token: s.otherToken };
    s.daemon = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1', WEBHOOKS_TIMEOUT_MS: String(TIMEOUT_MS) } });
    s.healthy = await startReceiver(() => ({ status: 204 }));
    for (const [name, [behave, want]] of Object.entries(HOSTILE)) {
      s.raw[name] = await startRaw(behave);
      const url = want.https ? s.raw[name].url.replace(/^http:/, 'https:') : s.raw[name].url;
      s.hooks[name] = await createWebhook(s.srv, {
        name, url, events: ['net.hostile'], max_attempts: 2,
      });
    }
    s.hooks.healthy = await createWebhook(s.srv, { name: 'healthy', url: `${s.healthy.url}/default`, events: ['net.healthy'] });
    s.hooks.other = await createWebhook(s.other, { name: 'other team', url: `${s.healthy.url}/other`, events: ['net.healthy'] });
  });

  after(async () => {
    if (s.daemon) await s.daemon.stop();
    // (FAULT_NET_LOG=FILE keeps webhookd's whole log.)
    if (s.daemon && process.env.FAULT_NET_LOG) fs.writeFileSync(process.env.FAULT_NET_LOG, s.daemon.logText());
    if (s.srv) await s.srv.stopAndClean();
    if (s.healthy) await s.healthy.close();
    for (const r of Object.values(s.raw)) await r.close();
  });

  const wrap = (fn) => async (t) => {
    try {
      await fn(t);
    } catch (e) {
      e.message += `\n--- webhookd log:\n${s.daemon.logText().slice(-8000)}`;
      throw e;
    }
  };

  test('every hostile attempt ends in time with a clear error; healthy receivers of both teams go on meanwhile', wrap(async (t) => {
    const hwm0 = rssKiB(s.daemon.pid, 'VmHWM');
    const t0 = Date.now();
    for (let i = 0; i < HOSTILE_EVENTS; i++) {
      const r = await publish(s.srv, 'net.hostile', { n: i });
      assert.equal(r.status, 202, show(r));
    }

    // Healthy events of both teams while the hostile transfers are on the
    // wire: each arrives within 2 s of its 202.
    const sent = [];
    let overlapped = 0;
    while (Date.now() - t0 < TIMEOUT_MS + 1500) {
      for (const who of [s.srv, s.other]) {
        const r = await publish(who, 'net.healthy', { k: sent.length });
        assert.equal(r.status, 202, show(r));
        sent.push({ k: sent.length, at: Date.now(), team: who === s.srv ? 'default' : 'other' });
      }
      if (s.raw.silent.open > 0 && s.raw.trickle.open > 0) overlapped++;
      await sleep(200);
    }
    await s.healthy.waitFor(sent.length, 10000);
    for (const e of sent) {
      const got = s.healthy.requests.find((q) => JSON.parse(q.body).data.k === e.k);
      assert.ok(got, `healthy event ${e.k} arrived`);
      assert.equal(got.url, `/${e.team}`);
      assert.ok(got.at - e.at < 2000, `healthy event ${e.k} (${e.team}) took ${got.at - e.at} ms`);
    }
    assert.ok(overlapped >= 3, `healthy events were published while hostile transfers hung (${overlapped})`);

    // Every hostile webhook: HOSTILE_EVENTS first attempts, recorded within
    // the timeout plus a margin (the machine is shared), each as expected.
    for (const [name, [, want]] of Object.entries(HOSTILE)) {
      const log = await until(async () => {
        const d = (await deliveries(s.srv, s.hooks[name].id)).filter((a) => a.attempt === 1);
        return d.length >= HOSTILE_EVENTS ? d : null;
      }, Math.max(0, t0 + TIMEOUT_MS + 6000 - Date.now()), `${name}: ${HOSTILE_EVENTS} attempts recorded`);
      for (const a of log) {
        const what = `${name}: ${JSON.stringify(a)}`;
        assert.ok(a.latency_ms <= TIMEOUT_MS + 750, `${what}: ends by the timeout`);
        if (want.slow) assert.ok(a.latency_ms >= TIMEOUT_MS - 100, `${what}: ran to the timeout`);
        if (want.capped) assert.ok(a.latency_ms < TIMEOUT_MS - 300, `${what}: ends at the read cap, not the timeout`);
        if (want.status) assert.equal(a.status_code, want.status, what);
        if (want.success) {
          assert.equal(a.success, true, what);
          assert.equal(a.state, 'done', what);
        } else {
          assert.equal(a.success, false, what);
          assert.match(a.error, want.error, what);
          assert.equal(a.state, 'retrying', `${what}: a temporary failure`);
        }
        assert.ok(!CONTROL.test(a.error || '') && !BODY_CONTROL.test(a.response_body), `${what}: no control characters`);
        assert.ok(a.response_body.length <= 1024, `${what}: at most 1 KiB of the body kept`);
      }
      t.diagnostic(`${name}: ${log[0].success ? `done, status ${log[0].status_code}` : log[0].error} (${log.map((a) => a.latency_ms).join(', ')} ms)`);
      if (!want.success) {
        const w = await getWebhook(s.srv, s.hooks[name].id);
        assert.match(w.error.message, want.error, `${name}: the webhook's error`);
        assert.equal(w.active, true, `${name}: still active`);
      }
    }
    // The endless 500 body's control bytes are cleaned in the log kept.
    const e500 = (await deliveries(s.srv, s.hooks.endless_500.id))[0];
    assert.equal(e500.response_body.slice(0, 16), '?[2J?wiped?\r\n?xx');

    // The capped transfers read 64 KiB, not 300 MB: the receivers could
    // send little more than the sockets' buffers, and webhookd's peak
    // resident memory hardly moved.
    for (const name of ['endless_200', 'endless_500', 'body_300mb']) {
      assert.ok(s.raw[name].sent >= CAP, `${name}: sent ${s.raw[name].sent}`);
      assert.ok(s.raw[name].sent < 48 * MiB, `${name}: sent ${s.raw[name].sent} bytes, not read by webhookd`);
      assert.equal(s.raw[name].open, 0, `${name}: webhookd closed every connection`);
    }
    const hwm = rssKiB(s.daemon.pid, 'VmHWM');
    t.diagnostic(`bytes the capped receivers could send: ${['endless_200', 'endless_500', 'body_300mb'].map((n) => `${n} ${s.raw[n].sent}`).join(', ')}; webhookd's peak RSS ${hwm0} -> ${hwm} KiB`);
    // (Under AddressSanitizer freed memory stays resident in its
    // quarantine: the bytes sent above bound what was read.)
    if (!fs.readFileSync(`/proc/${s.daemon.pid}/maps`, 'utf8').includes('libasan')) {
      assert.ok(hwm - hwm0 < 32 * 1024, `webhookd's peak RSS went from ${hwm0} to ${hwm} KiB`);
      assert.ok(hwm < 96 * 1024, `webhookd's peak RSS ${hwm} KiB`);
    }
  }));

  test('webhookd is still running, and its log names each error without a raw byte of the receivers', wrap(async () => {
    assert.equal(s.daemon.exited, null, 'webhookd runs');
    process.kill(s.daemon.pid, 0);
    const log = s.daemon.logText();
    assert.doesNotMatch(log, /signal|panic|abort/i);
    const bad = log.split('\n').filter((l) => CONTROL.test(l) || /[^\x00-\x7f]/.test(l)); // eslint-disable-line no-control-regex
    assert.deepEqual(bad, [], 'no control or non-ASCII bytes in the log');
    for (const name of Object.keys(HOSTILE)) {
      const want = HOSTILE[name][1];
      const lines = log.split('\n').filter((l) => l.includes(`webhook ${s.hooks[name].id} `) && l.includes('attempt 1/'));
      assert.ok(lines.length >= HOSTILE_EVENTS, `${name}: ${lines.length} log lines`);
      if (!want.success) for (const l of lines) assert.match(l.replace(/^.*?status -?\d+, \d+ ms: /, ''), want.error, l);
    }
  }));

  test('after the storm: the hostile receivers get their retry, the healthy ones still theirs at once', wrap(async () => {
    // Temporary failures are tried again 5 s (+-20 %) later.
    await until(async () => (await deliveries(s.srv, s.hooks.silent.id)).some((a) => a.attempt === 2), 12000, 'silent: a second attempt');
    const before = s.healthy.requests.length;
    const at = Date.now();
    assert.equal((await publish(s.other, 'net.healthy', { k: 'late' })).status, 202);
    await s.healthy.waitFor(before + 1, 2000);
    assert.ok(Date.now() - at < 2000);
    assert.equal(s.daemon.exited, null, 'webhookd runs');
  }));
});
