// The e2e shop page: its API is at another origin, chosen by the page's
// own scheme (http://localhost:8080 → http://localhost:8000,
// https://app.shop.example → https://api.shop.example). It makes:
//   login   a credentialed POST that sets a session cookie (simple request)
//   me      a credentialed GET that sends the cookie back
//   create  a JSON POST: preflighted, allowed, reads an exposed header
//   rename  a PUT the preflight does not allow: blocked by CORS
//   admin   a GET answered with another origin's ACAO: blocked by CORS
// and publishes what it saw in window.__e2eDone.
'use strict';

const api = location.protocol === 'https:' ? 'https://api.shop.example' : 'http://localhost:8000';

async function call(name, path, init) {
  const out = { name };
  try {
    const r = await fetch(api + path, init);
    out.status = r.status;
    out.body = await r.text();
    out.headers = [...r.headers.keys()].sort();
  } catch (e) {
    out.error = String(e);
  }
  const li = document.createElement('li');
  li.textContent = name + ': ' + (out.error || out.status);
  if (out.error) li.className = 'failed';
  document.getElementById('log').appendChild(li);
  return out;
}

async function main() {
  const results = [];
  results.push(await call('login', '/api/login', { method: 'POST', credentials: 'include' }));
  results.push(await call('me', '/api/me', { credentials: 'include' }));
  results.push(await call('create', '/api/items', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'gamma' }),
  }));
  results.push(await call('rename', '/api/items/1', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'delta' }),
  }));
  results.push(await call('admin', '/admin/stats'));
  window.__e2eDone = results;
}

main();
