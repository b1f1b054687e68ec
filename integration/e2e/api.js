// The e2e shop's API: Express 5 + the cors package (from the Express
// stack's node_modules, integration/stacks/express, installed by
// `make stacks`).
//
// Run: node api.js --fd N --origin ORIGIN [--cert FILE --key FILE]
//   --fd      an inherited listening socket
//   --origin  the page origin the API allows, with credentials
//   --cert, --key  serve HTTPS with this PEM certificate and key
'use strict';
const fs = require('fs');
const https = require('https');
const http = require('http');
const path = require('path');
const { createRequire } = require('module');

const stackRequire = createRequire(path.join(__dirname, '..', 'stacks', 'express', 'package.json'));
const express = stackRequire('express');
const cors = stackRequire('cors');

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const origin = flag('--origin');
if (!origin || flag('--fd') === undefined) {
  console.error('usage: node api.js --fd N --origin ORIGIN [--cert FILE --key FILE]');
  process.exit(2);
}

const app = express();
// No X-Powered-By, ETag or Date: noise in a cassette.
app.disable('x-powered-by');
app.set('etag', false);
app.use((req, res, next) => {
  res.sendDate = false;
  next();
});

// Misconfigured: allows another origin only.
app.use('/admin', cors({ origin: 'https://admin.shop.example' }));
app.get('/admin/stats', (req, res) => res.json({ orders: 42 }));

app.use('/api', cors({
  origin: [origin],
  credentials: true,
  methods: ['GET', 'POST'],
  allowedHeaders: ['Content-Type'],
  exposedHeaders: ['X-Total-Count'],
}));
app.post('/api/login', (req, res) => {
  res.set('Set-Cookie', 'cart=c-1001; Path=/; HttpOnly; SameSite=Lax');
  res.json({ user: 'alice' });
});
app.get('/api/me', (req, res) => {
  const loggedIn = /(^|;\s*)cart=/.test(req.get('Cookie') || '');
  res.status(loggedIn ? 200 : 401).json({ user: loggedIn ? 'alice' : null });
});
app.post('/api/items', express.json(), (req, res) => {
  res.set('X-Total-Count', '3');
  res.status(201).json({ id: 3, name: req.body.name });
});
app.put('/api/items/:id', express.json(), (req, res) => res.json({ id: Number(req.params.id), name: req.body.name }));

const cert = flag('--cert');
const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(flag('--key')) }, app)
  : http.createServer(app);
server.listen({ fd: Number(flag('--fd')) }, () => console.log('listening on fd', flag('--fd')));
