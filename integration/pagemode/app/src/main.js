import './style.css';

// The page's requests, one after another (so their order is the page's):
// its own config (same origin: not a CORS request), then the two APIs.
// api.js is loaded on demand: a chunk of its own in the build.
async function load() {
  const { call, show, xhr } = await import('./api.js');
  const cfg = await (await fetch('/config.json')).json();
  show('list', await call(`${cfg.express}/correct/items`));
  show('create', await call(`${cfg.express}/correct/items`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'gamma' }),
    credentials: 'include',
  }));
  show('flask list', await xhr(`${cfg.flask}/correct/items`));
  // Misconfigured: flask-cors allows another origin on this route.
  show('flask other', await call(`${cfg.flask}/origin-not-allowed/items`));
  window.cfg = cfg;
}

// What --after-load runs: a PUT with a header the preflight does not allow.
window.save = async () => {
  const { call, show } = await import('./api.js');
  show('save', await call(`${window.cfg.flask}/header-not-allowed/items/1`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', 'X-Client-Version': '2' },
    body: '{}',
  }));
};

load();
