// The program under a path prefix, as each server mounts it, and at the
// root as before: lighttpd with lighttpd.conf.example's mount changed to
// "/hooks/", Apache with apache.conf.example's ScriptAlias changed to
// /hooks/, and the shipped .htaccess in public_html/hooks/ of a shared
// host's Apache (plain CGI); each also at the root, its configuration
// unchanged.  The program finds the prefix from SCRIPT_NAME and PATH_INFO
// (src/web/http.c, http_mount) and writes it into every link: Location,
// links, pagination, the admin page's links, form actions, redirects and
// cookies' Path.  With base_url set (a proxy's public address), links carry
// its path instead, while the routes still follow the server's variables.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { client, fails } from './svix_lib.mjs';
import { api, APACHE_CONF, LIGHTTPD_CONF, makeHome, removeHome, show, startApache, startLighttpd, startSharedHost, UUID_RE } from './lib.mjs';

// A configuration derived from a shipped one: one line changed, and the
// change must have happened.
function derive(file, from, to) {
  const text = fs.readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhooks-conf-'));
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, text.replace(from, to));
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(out, 0o644);
  return { dir, file: out };
}

const setups = [
  { name: 'lighttpd at the root', prefix: '', start: () => startLighttpd() },
  {
    name: 'lighttpd mounted at /hooks/',
    prefix: '/hooks',
    start: (conf) => startLighttpd({ conf, prefix: '/hooks' }),
    conf: () => derive(LIGHTTPD_CONF, '  "/" => ( "webhooks" => (', '  "/hooks/" => ( "webhooks" => ('),
  },
  { name: 'Apache at the root', prefix: '', start: () => startApache() },
  {
    name: 'Apache with ScriptAlias /hooks/',
    prefix: '/hooks',
    start: (conf) => startApache({ conf, prefix: '/hooks' }),
    conf: () => derive(APACHE_CONF, 'ScriptAlias / ${WEBHOOKS_ROOT}', 'ScriptAlias /hooks/ ${WEBHOOKS_ROOT}'),
  },
  { name: 'shared hosting, .htaccess at the document root', prefix: '', start: () => startSharedHost() },
  { name: 'shared hosting, .htaccess in public_html/hooks/', prefix: '/hooks', start: () => startSharedHost({ subdir: 'hooks' }) },
  {
    name: 'lighttpd mounted at /hooks/ behind a proxy at https://public.example/pub (base_url)',
    prefix: '/hooks',
    baseUrl: 'https://public.example/pub',
    start: (conf) => {
      const { home, token } = makeHome('webhooks-basepath-');
      fs.writeFileSync(path.join(home, 'webhooks.conf'), 'base_url = https://public.example/pub/\n');
      return startLighttpd({ conf, prefix: '/hooks', home, token });
    },
    conf: () => derive(LIGHTTPD_CONF, '  "/" => ( "webhooks" => (', '  "/hooks/" => ( "webhooks" => ('),
  },
];

// One request, redirects not followed; cookies as a list.
async function req(url, { method = 'GET', headers = {}, body } = {}) {
  const r = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30000) });
  const text = await r.text();
  return { status: r.status, headers: r.headers, cookies: r.headers.getSetCookie(), text, request: `${method} ${url}` };
}

// Every href and action of a page.
function targets(html) {
  return [...html.matchAll(/\b(?:href|action)="([^"]*)"/g)].map((m) => m[1]);
}

function cookiePath(cookie) {
  const m = cookie.match(/;\s*Path=([^;]*)/i);
  return m ? m[1] : null;
}

for (const s of setups) {
  describe(`base path: ${s.name}`, () => {
    let srv, conf;
    const wrap = (fn) => async (t) => (srv ? srv.wrap(fn)(t) : fn(t));
    // What links begin with (absolute, and as a path), and where a link
    // written so is reached from here.
    const linkBase = () => s.baseUrl ?? srv.origin + s.prefix;
    const pathPrefix = s.baseUrl ? new URL(s.baseUrl).pathname : s.prefix;
    const local = (link) => {
      const from = link.startsWith('/') ? pathPrefix : linkBase();
      assert.ok(link.startsWith(from), `${link} does not begin with ${from}`);
      return srv.base + link.slice(from.length);
    };

    before(async () => {
      if (s.conf) conf = s.conf();
      srv = await s.start(conf?.file);
      assert.equal(srv.prefix, s.prefix);
    });

    after(async () => {
      if (srv) {
        await srv.stop();
        if (srv.base_dir) {
          if (!process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(srv.base_dir, { recursive: true, force: true });
        } else removeHome(srv.home);
      }
      if (conf && !process.env.WEBHOOKS_E2E_KEEP) fs.rmSync(conf.dir, { recursive: true, force: true });
    });

    test('create answers a Location under the prefix, which GET serves', wrap(async () => {
      const c = await api(srv.base, 'POST', '/api/2.0/webhooks', {
        token: srv.token, body: { name: 'under a prefix', url: 'https://example.com/hook', events: ['*'] },
      });
      assert.equal(c.status, 201, show(c));
      const id = c.json.data.id;
      assert.match(id, UUID_RE);
      const want = `${linkBase()}/api/2.0/webhooks/${id}`;
      assert.equal(c.headers.get('location'), want);
      assert.deepEqual(c.json.data.links, [{ rel: 'self', uri: want }]);
      const g = await req(local(c.headers.get('location')), { headers: { Authorization: `Bearer ${srv.token}` } });
      assert.equal(g.status, 200, show(g));
      const got = JSON.parse(g.text).data;
      assert.equal(got.id, id);
      assert.deepEqual(got.links, [{ rel: 'self', uri: want }]);
      // The attempt log's pagination too.
      const d = await api(srv.base, 'GET', `/api/2.0/webhooks/${id}/deliveries`, { token: srv.token });
      assert.equal(d.status, 200, show(d));
      assert.equal(d.json.links.first, `${linkBase()}/api/2.0/webhooks/${id}/deliveries?page=1`);
    }));

    test('the list\'s pagination links carry the prefix and lead to the next page', wrap(async () => {
      for (const n of [1, 2]) {
        const c = await api(srv.base, 'POST', '/api/2.0/webhooks', {
          token: srv.token, body: { name: `page ${n}`, url: `https://example.com/p${n}`, events: ['*'] },
        });
        assert.equal(c.status, 201, show(c));
      }
      const list = await api(srv.base, 'GET', '/api/2.0/webhooks?per_page=2', { token: srv.token });
      assert.equal(list.status, 200, show(list));
      const at = `${linkBase()}/api/2.0/webhooks`;
      assert.equal(list.json.meta.path, at);
      assert.equal(list.json.links.first, `${at}?per_page=2&page=1`);
      assert.equal(list.json.links.next, `${at}?per_page=2&page=2`);
      assert.equal(list.json.links.prev, null);
      for (const w of list.json.data) assert.ok(w.links[0].uri.startsWith(`${at}/`), JSON.stringify(w.links));
      const next = await req(local(list.json.links.next), { headers: { Authorization: `Bearer ${srv.token}` } });
      assert.equal(next.status, 200, show(next));
      const page2 = JSON.parse(next.text);
      assert.equal(page2.meta.current_page, 2);
      assert.equal(page2.links.prev, `${at}?per_page=2&page=1`);
      assert.ok(page2.data.length >= 1, next.text);
    }));

    test('an unknown route under the prefix answers the JSON 404', wrap(async () => {
      for (const p of ['/api/2.0/nothing-here', '/api/2.0/webhooks/x/y/z']) {
        const r = await api(srv.base, 'GET', p, { token: srv.token });
        assert.equal(r.status, 404, show(r));
        assert.match(r.headers.get('content-type'), /application\/json/, show(r));
        assert.equal(typeof r.json.message, 'string', show(r));
      }
      // Seed 001's error names the request's path, the mount included.
      const v1 = await api(srv.base, 'GET', '/api/web/v1/nothing', { token: srv.token });
      assert.equal(v1.status, 404, show(v1));
      assert.equal(v1.json.path, `${s.prefix}/api/web/v1/nothing`, show(v1));
    }));

    test('the Svix client with serverUrl at the mount: applications made, listed and read back', wrap(async () => {
      // The client appends /api/v1/... to its serverUrl: the mount's
      // address is all a Svix application changes.
      const svix = client(srv);
      const uid = `mount-${Date.now()}`;
      const a = await svix.application.create({ name: 'under a mount', uid });
      assert.match(a.id, /^app_/);
      assert.equal((await svix.application.get(uid)).id, a.id);
      const list = await svix.application.list({ limit: 250 });
      assert.ok(list.data.some((x) => x.id === a.id), JSON.stringify(list));
      const e = await fails(svix.application.get('app_missing'));
      assert.equal(e.code, 404);
    }));

    test('the admin page: login, the cookies\' Path, links and actions under the prefix', wrap(async () => {
      const adm = `${pathPrefix}/admin/`;
      const form = await req(`${srv.base}/admin/login`);
      assert.equal(form.status, 200, show(form));
      const pre = form.cookies.find((c) => c.startsWith('wh_login='));
      assert.ok(pre, form.cookies.join('\n'));
      assert.equal(cookiePath(pre), adm);
      assert.ok(targets(form.text).includes(`${pathPrefix}/admin/login`), targets(form.text).join(' '));
      assert.ok(targets(form.text).includes(`${pathPrefix}/admin/style.css`), targets(form.text).join(' '));
      const csrf = form.text.match(/name="csrf" value="([0-9a-f]+)"/)[1];
      const login = await req(`${srv.base}/admin/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: pre.split(';')[0] },
        body: `csrf=${csrf}&token=${encodeURIComponent(srv.token)}`,
      });
      assert.equal(login.status, 303, show(login));
      assert.equal(login.headers.get('location'), adm);
      const sess = login.cookies.find((c) => c.startsWith('wh_session='));
      assert.ok(sess, login.cookies.join('\n'));
      assert.equal(cookiePath(sess), adm);
      const cookie = sess.split(';')[0];
      // The redirect's target, as a browser resolves it.
      const list = await req(local(login.headers.get('location')), { headers: { Cookie: cookie } });
      assert.equal(list.status, 200, show(list));
      const links = targets(list.text);
      assert.ok(links.length >= 4, links.join(' '));
      for (const l of links) assert.ok(l.startsWith(`${pathPrefix}/admin/`), `${l} in ${links.join(' ')}`);
      // A webhook's page by the list's link, and its forms.
      const one = links.find((l) => /\/admin\/webhooks\/[0-9a-f-]{36}$/.test(l));
      assert.ok(one, links.join(' '));
      const page = await req(local(one), { headers: { Cookie: cookie } });
      assert.equal(page.status, 200, show(page));
      for (const l of targets(page.text)) assert.ok(l.startsWith(`${pathPrefix}/admin/`), `${l} on ${one}`);
      // Without the slash: to the cookie's path.
      const bare = await req(`${srv.base}/admin`, { headers: { Cookie: cookie } });
      assert.equal(bare.status, 303, show(bare));
      assert.equal(bare.headers.get('location'), adm);
      // Logout: back to the login page under the prefix, the cookie cleared there.
      const csrf2 = list.text.match(/name="csrf" value="([0-9a-f]+)"/)[1];
      const out = await req(`${srv.base}/admin/logout`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
        body: `csrf=${csrf2}`,
      });
      assert.equal(out.status, 303, show(out));
      assert.equal(out.headers.get('location'), `${pathPrefix}/admin/login?done=loggedout`);
      const cleared = out.cookies.find((c) => c.startsWith('wh_session='));
      assert.equal(cookiePath(cleared), adm);
    }));
  });
}
