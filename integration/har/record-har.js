// record-har.js drives Chromium with Playwright (playwright-core, which
// bundles no browser) and records a HAR file with Playwright's own
// recordHar: a real third-party HAR writer for corsvcr's import tests.
//
// Usage: node record-har.js CONFIG.json
//
// CONFIG is JSON:
//   chrome       browser binary (e.g. /usr/bin/chromium-headless-shell)
//   har          HAR file to write
//   page         URL of the page to open; it must set window.__corsvcrDone
//                when its requests have settled
//   hostRules    optional --host-resolver-rules value, e.g.
//                "MAP app.example.test 127.0.0.1:41000"
//   cookies      optional cookies to add to the context first
//                (Playwright's BrowserContext.addCookies format)
//   timeoutMs    optional time limit for the page (default 30000)
//
// It prints the page's window.__corsvcrDone value as JSON on stdout.
'use strict';

const fs = require('fs');
const { chromium } = require('playwright-core');

async function main() {
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const args = ['--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  if (cfg.hostRules) {
    args.push('--host-resolver-rules=' + cfg.hostRules);
  }
  const timeout = cfg.timeoutMs || 30000;
  const browser = await chromium.launch({ executablePath: cfg.chrome, args, timeout });
  try {
    const context = await browser.newContext({ recordHar: { path: cfg.har } });
    if (cfg.cookies && cfg.cookies.length) {
      await context.addCookies(cfg.cookies);
    }
    const page = await context.newPage();
    await page.goto(cfg.page, { timeout });
    const handle = await page.waitForFunction(() => window.__corsvcrDone, null, { timeout });
    const result = await handle.jsonValue();
    // The HAR is written when the context closes.
    await context.close();
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  process.stderr.write('record-har.js: ' + (err && err.stack || err) + '\n');
  process.exit(1);
});
