import fs from 'node:fs';
import { startLighttpd, addToken } from '../e2e/lib.mjs';
process.env.WEBHOOKS_ALLOW_PRIVATE = '1';
const srv = await startLighttpd();
const t2 = addToken(srv.home, 'other');
fs.writeFileSync('/tmp/adm/info.json', JSON.stringify({ base: srv.base, token: srv.token, other: t2, home: srv.home }));
process.on('SIGTERM', async () => { await srv.stop(); process.exit(0); });
setInterval(() => { fs.writeFileSync('/tmp/adm/log.txt', srv.logText(100000)); }, 1000);
