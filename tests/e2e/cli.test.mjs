// The command lines' usage: asked for (help, -h, --help) it goes to the
// standard output with status 0, as the manual pages say; a command line
// that is not one of the forms prints it on the standard error, status 2.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { WEBHOOKCTL } from './lib.mjs';
import { WEBHOOKD } from './delivery_lib.mjs';

// An empty data directory: no command here may need one.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-cli-'));
const run = (bin, args) => spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, WEBHOOKS_HOME: home }, timeout: 10000 });

test('webhookctl help, -h and --help: the usage on standard output, status 0', () => {
  for (const a of ['help', '-h', '--help']) {
    const r = run(WEBHOOKCTL, [a]);
    assert.equal(r.status, 0, `webhookctl ${a}: ${r.stderr}`);
    assert.match(r.stdout, /^usage: webhookctl init/, a);
    assert.equal(r.stderr, '', a);
  }
});

test('webhookctl with no command or an unknown one: the usage on standard error, status 2', () => {
  for (const args of [[], ['frobnicate'], ['team']]) {
    const r = run(WEBHOOKCTL, args);
    assert.equal(r.status, 2, `webhookctl ${args.join(' ')}`);
    assert.match(r.stderr, /^usage: webhookctl init/m);
    assert.equal(r.stdout, '');
  }
});

test('webhookd -h and --help: the usage on standard output, status 0; a bad option: standard error, status 2', () => {
  for (const a of ['-h', '--help']) {
    const r = run(WEBHOOKD, [a]);
    assert.equal(r.status, 0, `webhookd ${a}: ${r.stderr}`);
    assert.match(r.stdout, /^usage: webhookd /);
  }
  const r = run(WEBHOOKD, ['--bogus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: webhookd /);
  assert.equal(r.stdout, '');
  fs.rmSync(home, { recursive: true, force: true });
});
