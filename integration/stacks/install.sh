#!/usr/bin/env bash
# install.sh installs every real CORS server the stack tests (integration/stacks_test.go)
# start: Debian packages (nginx, Apache + mod_php, Flask, Django, FastAPI/uvicorn),
# npm packages (Express 5 + cors, Vite) and Go modules (rs/cors, jub0bs/cors, for
# the nested module integration/stacks/gocors).
#
# Idempotent: an apt package is installed only when `dpkg -s` says it is missing,
# `npm ci` runs only where node_modules is missing. Exits non-zero, naming what
# failed, when anything cannot be installed. Prints the time each stack took.
#
# Usage: integration/stacks/install.sh [stack...]   (default: every stack)
# Stacks: nginx apache php flask django fastapi express vite gocors
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_updated=""
policy_added=""
cleanup() {
	# Remove the policy-rc.d this script added (see apt_install).
	if [ -n "$policy_added" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

die() { echo "install.sh: $*" >&2; exit 1; }

# apt_install installs the Debian packages that are missing. Package
# maintainer scripts must not start nginx or Apache as system services
# (they would listen on port 80 on every interface): unless the machine
# already has one, a policy-rc.d that forbids service starts is in place
# while apt runs.
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		policy_added=1
	fi
	if [ -z "$apt_updated" ]; then
		$SUDO apt-get update -qq || die "apt-get update failed"
		apt_updated=1
	fi
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
	for p in "${missing[@]}"; do
		dpkg -s "$p" >/dev/null 2>&1 || die "package \"$p\" still not installed"
	done
}

npm_ci() {
	local dir=$1
	command -v npm >/dev/null || apt_install nodejs npm
	[ -d "$dir/node_modules" ] && return 0
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in \"$dir\" failed"
}

stack() {
	case $1 in
	nginx) apt_install nginx ;;
	apache) apt_install apache2 libapache2-mod-php ;;
	php) apt_install apache2 libapache2-mod-php ;;
	flask) apt_install python3 python3-flask python3-flask-cors ;;
	django) apt_install python3 python3-django python3-django-cors-headers ;;
	fastapi) apt_install python3 python3-fastapi python3-uvicorn ;;
	express) npm_ci "$here/express" ;;
	vite) npm_ci "$here/vite" ;;
	gocors)
		command -v go >/dev/null || die "go not found (need Go 1.26)"
		# A nested module (its own go.mod): rs/cors and jub0bs/cors stay out
		# of corsvcr's go.mod. The stack tests build its programs.
		(cd "$here/gocors" && GOWORK=off go mod download) ||
			die "go mod download in \"$here/gocors\" (rs/cors, jub0bs/cors) failed"
		;;
	*) die "unknown stack \"$1\"" ;;
	esac
}

stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(nginx apache php flask django fastapi express vite gocors)
for s in "${stacks[@]}"; do
	start=$(date +%s.%N)
	stack "$s"
	end=$(date +%s.%N)
	awk -v s="$s" -v a="$start" -v b="$end" 'BEGIN { printf "install.sh: %-8s ready (%.1f s)\n", s, b - a }'
done
