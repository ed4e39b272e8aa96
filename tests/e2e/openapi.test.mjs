// GET /api/2.0/openapi.json: the repository's templates/openapi.json, served
// without a token behind lighttpd and Apache.  (That every native answer of
// this suite matches the document is tests/openapi/check.mjs's, run by make
// test-e2e over what lib.mjs's api() records.)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { REPO, SERVERS, addToken, api, show } from './lib.mjs';

const DOC = JSON.parse(fs.readFileSync(path.join(REPO, 'templates', 'openapi.json'), 'utf8'));

for (const kind of Object.keys(SERVERS)) {
  describe(`openapi.json behind ${kind}`, () => {
    let s;
    const w = (fn) => async (t) => s.wrap(fn)(t);

    before(async () => { s = await SERVERS[kind](); });
    after(async () => { if (s) await s.stopAndClean(); });

    test('served without a token, as the repository holds it', w(async () => {
      const r = await api(s.base, 'GET', '/api/2.0/openapi.json');
      assert.equal(r.status, 200, show(r));
      assert.match(r.headers.get('content-type') || '', /^application\/json/);
      assert.deepEqual(r.json, DOC);
      // A token is not needed, but one does no harm.
      const token = addToken(s.home, 'oa', 'webhooks:view');
      const r2 = await api(s.base, 'GET', '/api/2.0/openapi.json', { token });
      assert.equal(r2.status, 200, show(r2));
      assert.equal(r2.text, r.text);
    }));

    test('every route of the route tables is in the document', w(async () => {
      const want = ['/api/2.0/webhooks', '/api/2.0/webhooks/{id}', '/api/2.0/events',
        '/api/2.0/webhooks/{id}/test', '/api/2.0/webhooks/{id}/deliveries',
        '/api/2.0/deliveries/{id}/retry', '/api/web/v1/webhooks', '/api/web/v1/webhooks/{id}',
        '/api/web/v1/webhooks/test/{id}', '/webhooks', '/webhooks/{id}', '/health', '/metrics'];
      for (const p of want) assert.ok(DOC.paths[p], `${p} is documented`);
      // A method the document lacks: 405 (recorded and checked as such).
      const r = await api(s.base, 'POST', '/api/2.0/openapi.json', { body: {} });
      assert.equal(r.status, 405, show(r));
    }));
  });
}
