// Express 5 + the cors package: one cors() middleware per path prefix.
//
// Run: node app.js --fd N    (N: an inherited listening socket)
//  or  node app.js --port P  (127.0.0.1 only)
'use strict';
const express = require('express');
const cors = require('cors');

const PAGE = 'http://localhost:8080';
const CORRECT = {
  origin: [PAGE],
  methods: ['GET', 'POST', 'PUT'],
  allowedHeaders: ['Content-Type', 'X-Client-Version'],
  exposedHeaders: ['X-Total-Count'],
  credentials: true,
};
const BODY = '{"items":[{"id":1,"name":"alpha"},{"id":2,"name":"beta"}]}';

function items(req, res) {
  res.set('X-Total-Count', '2');
  res.type('application/json').send(BODY);
}

function api() {
  const r = express.Router();
  r.get('/items', items);
  r.post('/items', items);
  r.put('/items/:id', items);
  return r;
}

const app = express();
// No X-Powered-By, ETag or Date: version and wall-clock noise in a cassette.
app.disable('x-powered-by');
app.set('etag', false);
app.use((req, res, next) => {
  res.sendDate = false;
  next();
});

const variants = {
  correct: CORRECT,
  'wildcard-credentials': { ...CORRECT, origin: '*' },
  'origin-not-allowed': { ...CORRECT, origin: ['http://localhost:3000'] },
  'method-not-allowed': { ...CORRECT, methods: ['GET', 'POST'] },
  'header-not-allowed': { ...CORRECT, allowedHeaders: ['Content-Type'] },
  'no-expose': { ...CORRECT, exposedHeaders: undefined },
  'no-credentials': { ...CORRECT, credentials: false },
};
for (const [prefix, options] of Object.entries(variants)) {
  app.use('/' + prefix, cors(options), api());
}

// The mistake the cors README warns about: cors() on the GET and PUT routes
// only, no app.options(): Express answers the preflight itself.
app.get('/no-preflight/items', cors(CORRECT), items);
app.put('/no-preflight/items/:id', cors(CORRECT), items);

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const fd = flag('--fd');
const server = fd !== undefined
  ? app.listen({ fd }, () => console.log('listening on fd', fd))
  : app.listen(flag('--port') || 0, '127.0.0.1', () => console.log('listening on', server.address()));
