// Least privilege: started as root, webhookd becomes the user that owns
// WEBHOOKS_HOME (user, group and supplementary groups, all four ids of each,
// read back from /proc), refuses a root-owned WEBHOOKS_HOME unless told
// `--user root`; webhookctl run as root leaves no root-owned file behind;
// and `make run`'s script started as root runs lighttpd's FastCGI processes
// and webhookd as www-data.  Needs root (CI and `make test` run as root).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { REPO, WEBHOOKCTL, api, freePort, makeHome, removeHome, sleep } from './lib.mjs';
import { WEBHOOKD, runDaemon, startDaemon, until } from './delivery_lib.mjs';

const isRoot = process.getuid && process.getuid() === 0;
const USER = 'www-data';

function ids(name) {
  const id = (flag) => spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim();
  return { uid: Number(id('-u')), gid: Number(id('-g')), groups: id('-G').split(/\s+/).map(Number).sort() };
}

// Uid, Gid (real, effective, saved, file system) and Groups of a process.
function procIds(pid) {
  const st = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => st.match(new RegExp(`^${k}:\\s*(.*)$`, 'm'))[1].trim().split(/\s+/).filter(Boolean).map(Number);
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups').sort() };
}

// Every path under dir whose owner is not uid.
function notOwnedBy(dir, uid) {
  const out = [];
  const walk = (p) => {
    const st = fs.lstatSync(p);
    if (st.uid !== uid) out.push(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  walk(dir);
  return out;
}

describe('least privilege', { skip: !isRoot && 'needs root' }, () => {
  const homes = [];
  after(() => { for (const h of homes) removeHome(h); });

  const giveTo = (home, user) => {
    const r = spawnSync('chown', ['-R', `${user}:${user}`, home], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };

  test('webhookd started as root on a home owned by www-data runs as www-data, for good', async () => {
    const { home } = makeHome('webhooks-priv-');
    homes.push(home);
    giveTo(home, USER);
    const want = ids(USER);
    const d = startDaemon(home, { env: { WEBHOOKS_ALLOW_PRIVATE: '1' } });
    try {
      await until(() => /started on/.test(d.logText()), 10000, 'webhookd started');
      const got = procIds(d.pid);
      assert.deepEqual(got.uid, [want.uid, want.uid, want.uid, want.uid]);
      assert.deepEqual(got.gid, [want.gid, want.gid, want.gid, want.gid]);
      assert.deepEqual(got.groups, want.groups);
      assert.match(d.logText(), new RegExp(`running as ${USER} \\(uid ${want.uid}, gid ${want.gid}\\), the owner of `));
      // webhookctl as root (not as the owner, as the other tests run it):
      // it becomes the owner too, so the service can use what it writes.
      for (const args of [['team', 'add', 'rootless'], ['publish', '--team', 'rootless', '--event', 'x.y']]) {
        const r = spawnSync(WEBHOOKCTL, args, { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
      }
      await until(() => fs.readdirSync(path.join(home, 'spool', 'new')).length === 0, 10000, 'event taken');
    } finally {
      assert.deepEqual(await d.stop(), { code: 0, signal: null });
    }
    assert.deepEqual(notOwnedBy(home, want.uid), []);
  });

  test('a root-owned home is refused without --user root, before anything is written', async () => {
    const { home } = makeHome('webhooks-priv-root-');
    homes.push(home);
    const before = fs.readdirSync(path.join(home, 'db')).sort();
    // Not through runDaemon's defaults: it says --user root for root-owned
    // directories.
    const r = spawnSync(WEBHOOKD, ['--once'], { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to run as root: .* is owned by root; .*--user root/);
    assert.deepEqual(fs.readdirSync(path.join(home, 'db')).sort(), before);
    assert.ok(!fs.existsSync(path.join(home, 'spool', '.lock')));
    const ok = await runDaemon(home, ['--user', 'root', '--once']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /running as root \(--user root\)/);
  });

  test('--user NAME runs as NAME; a user that is not root cannot use it', async () => {
    const { home } = makeHome('webhooks-priv-user-');
    homes.push(home);
    giveTo(home, USER);
    const want = ids(USER);
    // Root, told --user www-data on a directory www-data owns.
    const d = startDaemon(home, { args: ['--user', USER] });
    try {
      await until(() => /started on/.test(d.logText()), 10000, 'webhookd started');
      assert.deepEqual(procIds(d.pid).uid, [want.uid, want.uid, want.uid, want.uid]);
    } finally {
      await d.stop();
    }
    let r = spawnSync(WEBHOOKD, ['--user', 'no-such-user-x', '--once'], { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--user no-such-user-x: no such user/);
    r = spawnSync(WEBHOOKD, ['--user', 'root', '--once'], { env: { ...process.env, WEBHOOKS_HOME: home }, encoding: 'utf8', uid: want.uid, gid: want.gid });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--user root: only root can change its user/);
  });

  test("make run's script as root runs the FastCGI processes and webhookd as www-data", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-priv-run-'));
    homes.push(base);
    fs.chmodSync(base, 0o755);
    const home = path.join(base, 'var');
    const port = await freePort();
    // Can www-data reach the program from where this checkout is?  Then
    // the script must run the service as www-data, else say why not.
    const reach = spawnSync('runuser', ['-u', USER, '--', 'test', '-x', path.join(REPO, 'cgi-bin', 'webhooks.fcgi')]).status === 0;
    const child = spawn('sh', [path.join(REPO, 'tests', 'run.sh'), String(port)], {
      env: { ...process.env, WEBHOOKS_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO,
    });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    // 'close', not 'exit': the script's last line (run: stopped) may still
    // be in the pipe when the process has exited.
    const exited = new Promise((resolve) => child.on('close', resolve));
    try {
      await until(() => /The webhook service is running/.test(out), 30000, `make run started\n${out}`);
      const token = fs.readFileSync(path.join(home, 'admin.token'), 'utf8').trim();
      const r = await api(`http://127.0.0.1:${port}`, 'GET', '/api/2.0/webhooks', { token });
      assert.equal(r.status, 200, out);
      const want = reach ? ids(USER).uid : 0;
      const dpid = Number(out.match(/webhookd +running \(pid (\d+)\)/)[1]);
      assert.equal(procIds(dpid).uid[1], want, out);
      // The FastCGI processes: children of lighttpd, itself the script's.
      const kids = (ppid) => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try { return fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(ppid); } catch { return false; }
      }).map(Number);
      const fcgi = kids(child.pid).flatMap(kids).filter((p) => {
        try { return fs.readlinkSync(`/proc/${p}/exe`).endsWith('webhooks.fcgi'); } catch { return false; }
      });
      assert.ok(fcgi.length > 0, 'no FastCGI process found');
      for (const p of fcgi) assert.equal(procIds(p).uid[1], want, `fcgi ${p}`);
      if (reach) {
        assert.match(out, new RegExp(`running as +${USER}`));
        assert.deepEqual(notOwnedBy(home, want), []);
      } else {
        assert.match(out, /cannot reach .*: the service runs as root/);
      }
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(15000)]);
    }
    assert.match(out, /run: stopped/);
  });
});
