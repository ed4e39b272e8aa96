// The SSRF guard, with private addresses not allowed (the default): a canary
// listener on loopback must see no connection, whatever spelling of a
// loopback address a webhook's URL uses, from webhookd and from the test
// endpoint alike; the refused attempt says why.  Only loopback addresses
// are used here.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { api, makeHome, show, sleep, startLighttpd } from './lib.mjs';
import { deliveries, getWebhook, publish, startDaemon, until, writeConf } from './delivery_lib.mjs';

// This process and the servers it starts: no private addresses, whatever
// the environment of the test run says.
process.env.WEBHOOKS_ALLOW_PRIVATE = '0';

describe('SSRF guard', () => {
  let srv, daemon, canary, port;
  let connections = 0;

  before(async () => {
    canary = net.createServer((c) => { connections++; c.destroy(); });
    await new Promise((resolve) => canary.listen(0, '127.0.0.1', resolve));
    port = canary.address().port;
    const { home, token } = makeHome('webhooks-guard-');
    writeConf(home, { allow_private: 0 });
    srv = await startLighttpd({ home, token });
    daemon = startDaemon(home);
  });

  after(async () => {
    if (daemon) await daemon.stop();
    if (srv) await srv.stopAndClean();
    if (canary) await new Promise((resolve) => canary.close(resolve));
  });

  const hosts = [
    '127.0.0.1', '127.1', '127.0.1', '2130706433', '0x7f000001', '0x7f.1',
    '0177.0.0.1', '0177.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]',
    '[::1]', 'localhost', '0.0.0.0', '0', '127.0.0.2',
  ];

  test('every spelling of a loopback address is refused on connect, and says why', async () => {
    const created = [];
    for (const h of hosts) {
      const r = await api(srv.base, 'POST', '/api/2.0/webhooks', {
        token: srv.token, body: { name: h, url: `http://${h}:${port}/canary`, events: ['guard.event'], max_attempts: 3 },
      });
      // The model may refuse some URLs outright; that is a refusal too.
      if (r.status === 201) created.push({ host: h, id: r.json.data.id });
      else assert.ok(r.status === 422 || r.status === 400, `${h}: ${show(r)}`);
    }
    assert.ok(created.length >= hosts.length - 3, `most URLs are accepted by the model (${created.length})`);
    const r = await publish(srv, 'guard.event', { secret: 'data' });
    assert.equal(r.status, 202, show(r));
    for (const { host, id } of created) {
      const log = await until(async () => {
        const d = await deliveries(srv, id);
        return d.length > 0 ? d : null;
      }, 10000, `${host}: an attempt`);
      assert.equal(log.length, 1, `${host}: a refusal is permanent, never retried`);
      assert.equal(log[0].state, 'dead');
      assert.equal(log[0].status_code, null);
      assert.match(log[0].error, /^refused to connect to \S+: an? (loopback|unspecified) address/, `${host}: ${log[0].error}`);
      const w = await getWebhook(srv, id);
      assert.match(w.error.message, /refused to connect/);
    }
    await sleep(300);
    assert.equal(connections, 0, 'the canary saw no connection');
  });

  test('the test endpoint is guarded the same way', async () => {
    for (const h of ['127.0.0.1', '2130706433', '[::ffff:127.0.0.1]', 'localhost']) {
      const c = await api(srv.base, 'POST', '/api/2.0/webhooks', {
        token: srv.token, body: { name: `t-${h}`, url: `http://${h}:${port}/canary`, events: ['none'] },
      });
      if (c.status !== 201) continue;
      const r = await api(srv.base, 'POST', `/api/2.0/webhooks/${c.json.data.id}/test`, { token: srv.token });
      assert.equal(r.status, 200, show(r));
      assert.equal(r.json.data.success, false);
      assert.match(r.json.data.error, /refused to connect to .*loopback/);
    }
    assert.equal(connections, 0, 'the canary saw no connection');
  });
});
