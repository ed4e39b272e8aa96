// What the tests of the Svix API (svix.test.mjs, svix_event_types.test.mjs)
// share: the real `svix` client pointed at a server, the client's error
// for a call that must fail, and raw requests for what the client does not
// let a test choose (lib.mjs's api(): make test-e2e checks each answer
// against templates/openapi.json).

import assert from 'node:assert/strict';

import { Svix, ApiException } from 'svix';

import { api } from './lib.mjs';

export const ISO_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

// No retries: a test sees the first answer.
export const client = (srv, token = srv.token) =>
  new Svix(token, { serverUrl: srv.base, numRetries: 0 });

// The client's error for a call that must fail: its status and body.
export async function fails(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ApiException, `not an ApiException: ${e}`);
    return e;
  }
  assert.fail('the call succeeded');
}

export const raw = (srv, method, p, { token = srv.token, body, headers = {} } = {}) =>
  api(srv.base, method, p, { token, body, headers });
