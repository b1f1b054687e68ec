// run.js opens the e2e shop page in Chromium driven by Playwright
// (playwright-core, installed by integration/har/install.sh, which
// bundles no browser) through a corsvcr proxy, the way a user's
// Playwright suite would, and prints what the page observed.
//
// Usage: node run.js CONFIG.json
//
// CONFIG is JSON:
//   chrome     browser binary (e.g. /usr/bin/chromium-headless-shell)
//   page       URL of the page; it sets window.__e2eDone when done
//   proxy      the corsvcr proxy, e.g. http://127.0.0.1:41234
//   pin        optional SPKI pin of the corsvcr CA, for https pages
//   timeoutMs  optional time limit (default 30000)
//
// It prints JSON on stdout: {"results": the page's window.__e2eDone,
// "console": the console errors Playwright reported, sorted}.
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const harRequire = createRequire(path.join(__dirname, '..', 'har', 'package.json'));
const { chromium } = harRequire('playwright-core');

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const timeout = cfg.timeoutMs || 30000;
  const args = ['--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (cfg.pin) {
    // Trust exactly the corsvcr CA (Playwright gives Chromium a profile of
    // its own, which the pin needs).
    args.push('--ignore-certificate-errors-spki-list=' + cfg.pin);
  }
  // Playwright sends loopback through the proxy too (it adds <-loopback>).
  const browser = await chromium.launch({ executablePath: cfg.chrome, args, proxy: { server: cfg.proxy }, timeout });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors = [];
    let corsErrors = 0;
    let wake = () => {};
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      consoleErrors.push(msg.text());
      if (msg.text().includes('blocked by CORS policy')) corsErrors++;
      wake();
    });
    await page.goto(cfg.page, { timeout });
    const handle = await page.waitForFunction(() => window.__e2eDone, null, { timeout });
    const results = await handle.jsonValue();
    // Console events travel apart from the page's own results: wait until
    // each fetch that failed has its CORS console error, or the time limit.
    const failed = results.filter((r) => r.error).length;
    const deadline = Date.now() + timeout;
    while (corsErrors < failed && Date.now() < deadline) {
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, deadline - Date.now());
      });
    }
    await context.close();
    consoleErrors.sort();
    process.stdout.write(JSON.stringify({ results, console: consoleErrors }) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  process.stderr.write('run.js: ' + (err && err.stack || err) + '\n');
  process.exit(1);
});
