#!/usr/bin/env bash
# install.sh installs what integration/har_test.go drives: Node.js and npm
# (Debian packages, when missing) and playwright-core from package-lock.json
# (`npm ci`, when node_modules is missing). playwright-core downloads no
# browser: the test points it at the Chromium corsvcr uses.
#
# Idempotent. Exits non-zero, naming what failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

die() { echo "install.sh: $*" >&2; exit 1; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	command -v apt-get >/dev/null || die "node and npm not found, and no apt-get to install them"
	$SUDO apt-get update -qq || die "apt-get update failed"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ||
		die "apt-get install nodejs npm failed"
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		die "npm ci in \"$here\" failed"
fi
[ -f "$here/node_modules/playwright-core/package.json" ] || die "playwright-core still not installed in \"$here/node_modules\""
