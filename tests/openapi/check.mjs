// The OpenAPI document's two checks (make test-openapi, make test-e2e):
//   node openapi/check.mjs DOC            DOC is a valid OpenAPI 3.1 document
//                                         (@seriousme/openapi-schema-validator)
//   node openapi/check.mjs DOC LOG        and every answer recorded in LOG
//                                         (tests/e2e/lib.mjs's api(), one JSON
//                                         line {method, path, status, type,
//                                         body} each) is one the document
//                                         describes: its operation (path
//                                         template, method), its status and
//                                         its body against the schema (Ajv,
//                                         JSON Schema 2020-12, formats on).
// DOC must also name exactly the operations of the route tables in
// src/web/api_*.c, each with its route's scope.  A recorded path no
// template matches must be a 404, a method the path lacks a 405, each in
// the error shape of the dialect of its prefix.  The web server's own
// answers are counted, not checked: an HTML error page (404, 500, 502, 503,
// 504) where no FastCGI process answered (the fault tests kill them) or a
// path outside the program's mount.  Exits 1 on any mismatch.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docPath, logPath] = process.argv.slice(2);
if (!docPath) {
  console.error('usage: check.mjs openapi.json [responses.jsonl]');
  process.exit(2);
}
const doc = JSON.parse(fs.readFileSync(docPath, 'utf8'));

const v = await new Validator().validate(doc);
if (!v.valid) {
  console.error(`openapi: ${docPath} is not a valid OpenAPI document:`);
  console.error(JSON.stringify(v.errors, null, 2).slice(0, 4000));
  process.exit(1);
}
if (!String(doc.openapi).startsWith('3.1')) {
  console.error(`openapi: ${docPath} is OpenAPI ${doc.openapi}, not 3.1`);
  process.exit(1);
}
console.log(`openapi: ${docPath} is a valid OpenAPI ${doc.openapi} document, ${Object.keys(doc.paths).length} paths`);

// The route tables of src/web/api_*.c (every dialect but the HTML admin
// page) and the document name the same operations with the same scope.
const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const scopeNames = {};
for (const m of fs.readFileSync(path.join(SRC, 'model', 'auth.c'), 'utf8').matchAll(/\{\s*(SCOPE_[A-Z]+),\s*"([a-z:]+)"\s*\}/g)) scopeNames[m[1]] = m[2];
const routeOps = new Map();
// A table's base is a macro of its file or of a header of src/web/
// (api_svix_int.h's SVIX_BASE).
const bases = {};
for (const h of fs.readdirSync(path.join(SRC, 'web')).filter((n) => /\.h$/.test(n))) {
  for (const m of fs.readFileSync(path.join(SRC, 'web', h), 'utf8').matchAll(/#define\s+(\w*BASE)\s+"([^"]*)"/g)) bases[m[1]] = m[2];
}
for (const f of fs.readdirSync(path.join(SRC, 'web')).filter((n) => /^api_.*\.c$/.test(n))) {
  const text = fs.readFileSync(path.join(SRC, 'web', f), 'utf8');
  const own = { ...bases };
  for (const m of text.matchAll(/#define\s+(\w*BASE)\s+"([^"]*)"/g)) own[m[1]] = m[2];
  for (const table of text.matchAll(/static const struct route \w+\[\] = \{([\s\S]*?)\n\};/g)) {
    for (const e of table[1].matchAll(/\{\s*((?:HTTP_M\(HTTP_[A-Z]+\)\s*\|?\s*)+),\s*((?:\w*BASE|"[^"]*"|\s)+),\s*\w+,\s*(\w+),\s*(\w+(?:\s*\|\s*\w+)*)\s*\}/g)) {
      const pattern = e[2].replace(/\w*BASE/g, (b) => `"${own[b]}"`).match(/"[^"]*"/g).map((q) => q.slice(1, -1)).join('');
      const tpl = pattern.replace(/:[a-z_]+/g, '{}');
      for (const m of e[1].matchAll(/HTTP_M\(HTTP_([A-Z]+)\)/g)) {
        routeOps.set(`${m[1]} ${tpl}`, { scope: e[3] === '0' ? null : scopeNames[e[3]], noauth: e[4].includes('ROUTE_NOAUTH'), file: f });
      }
    }
  }
}
const docOps = new Map();
for (const [t, item] of Object.entries(doc.paths)) {
  if (t.startsWith('/admin')) continue;
  for (const [m, op] of Object.entries(item)) {
    if (m === 'parameters' || m === 'summary' || m === 'description') continue;
    const sec = op.security ?? doc.security;
    docOps.set(`${m.toUpperCase()} ${t.replace(/\{[^}]*\}/g, '{}')}`, sec.length === 0 ? null : sec[0].bearer?.[0] ?? null);
  }
}
const drift = [];
if (routeOps.size < 10) drift.push(`only ${routeOps.size} routes read from src/web/api_*.c: has the table syntax changed?`);
for (const [k, r] of routeOps) {
  if (!docOps.has(k)) drift.push(`${k} (${r.file}) is not in the document`);
  else if (docOps.get(k) !== (r.noauth ? null : r.scope)) drift.push(`${k}: the document's scope ${docOps.get(k)} is not the route's ${r.noauth ? 'none' : r.scope}`);
}
for (const k of docOps.keys()) if (!routeOps.has(k)) drift.push(`${k} is in the document but in no route table`);
if (drift.length) {
  console.error(`openapi: ${docPath} and the route tables differ:\n  ${drift.join('\n  ')}`);
  process.exit(1);
}
console.log(`openapi: the document's ${docOps.size} operations are the ${routeOps.size} of the route tables, with their scopes`);
if (!logPath) process.exit(0);

// The document's schemas under one id, so that a response's "#/components/..."
// resolves as "doc#/components/...".
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: doc.components });
const compiled = new Map();
function validatorOf(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(JSON.parse(key.replaceAll('"#/components/', '"doc#/components/'))));
  return compiled.get(key);
}
function deref(o) {
  while (o && o.$ref) o = o.$ref.slice(2).split('/').reduce((a, k) => a[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
  return o;
}

// The templates, the literal ones first (/api/2.0/openapi.json before
// /api/2.0/webhooks/{id}); the router ignores a trailing slash.
const templates = Object.keys(doc.paths).map((t) => ({ t, segs: t.split('/').filter(Boolean) }))
  .sort((a, b) => a.t.split('{').length - b.t.split('{').length);
function match(p) {
  const segs = p.split('?')[0].split('/').filter(Boolean);
  for (const { t, segs: ts } of templates) {
    if (ts.length !== segs.length) continue;
    if (ts.every((s, i) => (s.startsWith('{') ? segs[i].length > 0 : s === segs[i]))) return t;
  }
  return null;
}

const lines = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean) : [];
const fails = [];
const seen = new Map();
let checked = 0, serverOwn = 0;
for (const line of lines) {
  const r = JSON.parse(line);
  if (/^text\/html\b/.test(r.type || '') && /^\s*</.test(r.body) &&
      [404, 500, 502, 503, 504].includes(r.status)) {
    serverOwn++;
    continue;
  }
  const what = `${r.method} ${r.path} -> ${r.status}`;
  const fail = (why) => fails.push(`${what}: ${why}\n    body: ${r.body.slice(0, 300)}`);
  const t = match(r.path);
  const m = r.method.toLowerCase();
  let resp;
  let opName;
  // The error shape of the dialect whose prefix covers the path.
  const shape = /^\/api\/web\/v1([/?]|$)/.test(r.path) ? 'V1Error'
    : /^\/api\/v1([/?]|$)/.test(r.path) ? 'SvixError'
    : /^\/webhooks([/?]|$)/.test(r.path) ? 'ChatbotError' : 'NativeError';
  if (t === null) {
    opName = '(no such path)';
    if (r.status !== 404) { fail('no path of the document matches, and the answer is not 404'); continue; }
    resp = deref(doc.components.responses[`${shape}404`]);
  } else if (!doc.paths[t][m]) {
    opName = `(${t}: no ${r.method})`;
    if (r.status !== 405) { fail(`${t} has no ${r.method} operation, and the answer is not 405`); continue; }
    resp = deref(doc.components.responses[`${shape}405`]);
  } else {
    const op = doc.paths[t][m];
    opName = `${r.method} ${t}`;
    resp = deref(op.responses[String(r.status)] || op.responses.default);
    if (!resp) { fail(`status ${r.status} is not documented for ${opName} (documented: ${Object.keys(op.responses).join(', ')})`); continue; }
  }
  checked++;
  const k = `${opName} -> ${r.status}`;
  seen.set(k, (seen.get(k) || 0) + 1);
  if (!resp.content) {
    if (r.body.length !== 0) fail('the document says no body');
    continue;
  }
  const type = (r.type || '').split(';')[0].trim();
  const media = Object.keys(resp.content).find((k) => k.split(';')[0].trim() === type);
  if (!media) { fail(`Content-Type ${r.type} is not one of ${Object.keys(resp.content).join(', ')}`); continue; }
  if (type !== 'application/json') continue;
  let body;
  try { body = JSON.parse(r.body); } catch { fail('the body is not JSON'); continue; }
  const validate = validatorOf(resp.content[media].schema);
  if (!validate(body)) fail(ajv.errorsText(validate.errors, { separator: '; ' }));
}

console.log(`openapi: ${checked} of ${lines.length} recorded answers checked against ${docPath}, ${fails.length} mismatches; ${serverOwn} were the web server's own error pages, not the program's`);
for (const [op, n] of [...seen].sort()) console.log(`  ${String(n).padStart(5)}  ${op}`);
if (lines.length === 0) {
  console.error(`openapi: ${logPath} recorded no answer (WEBHOOKS_OPENAPI_LOG not passed down?)`);
  process.exit(1);
}
if (fails.length) {
  console.error(fails.slice(0, 30).join('\n'));
  if (fails.length > 30) console.error(`... and ${fails.length - 30} more`);
  process.exit(1);
}
