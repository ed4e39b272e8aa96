// Helpers for the delivery tests (delivery*.test.mjs): a receiver on
// loopback that records every request and answers as a test tells it, the
// real webhookd started on a test's data directory, and small API wrappers.
// Servers listen on 127.0.0.1 on free ports and are stopped by their PID.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { REPO, api, daemonArgs, show, sleep } from './lib.mjs';

export const WEBHOOKD = path.join(REPO, 'webhookd');

// Writes $home/webhooks.conf (key = value lines).
export function writeConf(home, settings) {
  const text = Object.entries(settings).map(([k, v]) => `${k} = ${v}\n`).join('');
  fs.writeFileSync(path.join(home, 'webhooks.conf'), text);
}

// A receiver: records {method, url, headers, body, at} and answers with
// answer(req, n) -> {status, headers, body, delayMs} (default 204), n being
// the 0-based count of requests so far.  Connections are counted too.
export async function startReceiver(answer = () => ({ status: 204 })) {
  const requests = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const rec = { method: req.method, url: req.url, headers: req.headers, body, at: Date.now() };
      const n = requests.length;
      requests.push(rec);
      const a = answer(rec, n) || {};
      const send = () => {
        res.writeHead(a.status || 204, a.headers || {});
        res.end(a.body || '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs); else send();
    });
  });
  server.keepAliveTimeout = 30000;
  server.on('connection', () => { connections++; });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    get connections() { return connections; },
    // Waits until pred(requests) holds (or n requests arrived).
    async waitFor(pred, timeoutMs = 10000) {
      const test = typeof pred === 'number' ? (r) => r.length >= pred : pred;
      const deadline = Date.now() + timeoutMs;
      while (!test(requests)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests)`);
        await sleep(10);
      }
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// The real webhookd on home; env adds WEBHOOKS_* settings.
export function startDaemon(home, { env = {}, args = [] } = {}) {
  const child = spawn(WEBHOOKD, daemonArgs(home, args), {
    env: { ...process.env, WEBHOOKS_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const d = { child, pid: child.pid, log: [], exited: null };
  const keep = (c) => { d.log.push(c.toString()); if (d.log.length > 5000) d.log.splice(0, 2500); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  d.exit = new Promise((resolve) => child.on('exit', (code, signal) => { d.exited = { code, signal }; resolve(d.exited); }));
  d.logText = () => d.log.join('');
  d.stop = async (signal = 'SIGTERM', timeoutMs = 20000) => {
    if (d.exited) return d.exited;
    try { process.kill(d.pid, signal); } catch { /* gone */ }
    let timer;
    const t = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const won = await Promise.race([d.exit, t]);
    clearTimeout(timer);
    if (won === 'timeout') {
      try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ }
      await d.exit;
    }
    return d.exited;
  };
  process.on('exit', () => { if (!d.exited) try { process.kill(d.pid, 'SIGKILL'); } catch { /* gone */ } });
  return d;
}

// Runs webhookd to its end (-n, --once) without blocking this process's
// event loop (the receiver lives in it); answers {status, stdout, stderr}.
export function runDaemon(home, args, env = {}, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const child = spawn(WEBHOOKD, daemonArgs(home, args), { env: { ...process.env, WEBHOOKS_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stderr.on('data', (c) => { stderr += c; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}

// Creates a webhook through the native API; returns its resource.
export async function createWebhook(srv, body) {
  const r = await api(srv.base, 'POST', '/api/2.0/webhooks', { token: srv.token, body });
  if (r.status !== 201) throw new Error(`create webhook: ${show(r)}`);
  return r.json.data;
}

export async function getWebhook(srv, id) {
  const r = await api(srv.base, 'GET', `/api/2.0/webhooks/${id}`, { token: srv.token });
  if (r.status !== 200) throw new Error(`get webhook: ${show(r)}`);
  return r.json.data;
}

export async function publish(srv, event, data = {}, extra = {}) {
  return api(srv.base, 'POST', '/api/2.0/events', { token: srv.token, body: { event, data, ...extra } });
}

// The webhook's attempt log, newest first (every page).
export async function deliveries(srv, id) {
  const out = [];
  for (let page = 1; page < 100; page++) {
    const r = await api(srv.base, 'GET', `/api/2.0/webhooks/${id}/deliveries?per_page=100&page=${page}`, { token: srv.token });
    if (r.status !== 200) throw new Error(`deliveries: ${show(r)}`);
    out.push(...r.json.data);
    if (r.json.data.length < 100) break;
  }
  return out;
}

// Waits until fn() returns a truthy value; returns it.
export async function until(fn, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// Files in one of the spool's directories.
export function spoolFiles(home, dir) {
  try {
    return fs.readdirSync(path.join(home, 'spool', dir)).filter((f) => !f.startsWith('.'));
  } catch {
    return [];
  }
}
