// The disk-fault shim (tests/fault/faultfs.c, build/fault/faultfs.so) as the
// tests that inject faults into the real programs use it (fault_inject,
// metrics): preloaded into lighttpd (so into its FastCGI processes) and
// webhookd, steered by a control file beside the data directory.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

import { REPO } from './lib.mjs';

const SHIM = path.join(REPO, 'build', 'fault', 'faultfs.so');

// The shim for the data directory home: env, the variables that load it
// (ASan builds want it after their runtime: verify_asan_link_order=0);
// set(words) sets the fault ('' for none) with a new control file renamed
// into place, so that every process sees the change at its next call;
// remove() takes the control files away.  Starts with no fault.
export function faultShim(home) {
  if (!fs.existsSync(SHIM)) {
    const r = spawnSync('make', ['-s', 'build/fault/faultfs.so'], { cwd: REPO, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make build/fault/faultfs.so:\n${r.stdout}${r.stderr}`);
  }
  const ctlFile = path.join(path.dirname(home), `${path.basename(home)}.faultctl`);
  let step = 0;
  const set = (words) => {
    const tmp = `${ctlFile}.${++step}`;
    fs.writeFileSync(tmp, words ? `${words}\n` : '');
    fs.renameSync(tmp, ctlFile);
  };
  const remove = () => {
    for (let i = 0; i <= step; i++) fs.rmSync(i ? `${ctlFile}.${i}` : ctlFile, { force: true });
  };
  set('');
  const asan = [process.env.ASAN_OPTIONS, 'verify_asan_link_order=0'].filter(Boolean).join(':');
  return { ctlFile, set, remove, env: { LD_PRELOAD: SHIM, FAULTFS_CTL: ctlFile, ASAN_OPTIONS: asan } };
}
