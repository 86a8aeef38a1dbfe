#!/usr/bin/env bash
# scripts/test-environment.sh COMMAND...: give the tests the services they
# need, run COMMAND (`make test` runs pytest through it), stop what it started.
#
# `make test` is meant to work on a fresh machine, not only in CI:
#   database  DATABASE_URL if set; else the local PostgreSQL when one answers
#             on 127.0.0.1:5432 (as .ci/run does); else SQLite, where the few
#             tests of PostgreSQL-only behaviour (row locks, a worker process
#             sharing the test database) skip.
#   Redis     the one at REDIS_URL (default 127.0.0.1:6379) when it answers;
#             else a private redis-server on a free port, data dir under var/,
#             stopped when COMMAND ends. The Celery and cache tests need a real
#             one: an embedded stand-in would hide what they test.
#   Chromium  Debian's /usr/bin/chromium for the browser tests (tests/e2e),
#             installed with apt when this user may; never `playwright
#             install`, which downloads a browser of its own. Without it the
#             browser tests fail rather than skip, so stop here, before the
#             first test, with the command that fixes it.
#   docker-compose, caddy, openssl
#             Debian's, for the compose stack's tests: `docker-compose
#             config` checks docker-compose.yml without a Docker engine,
#             and caddy (the release the compose file's image is pinned to)
#             adapts, validates and runs deploy/Caddyfile with certificates
#             openssl makes. Installed, or named, as Chromium is.
# COMMAND's exit status is this script's (pytest's 5, "no tests ran", too).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}

say() { echo "make test: $*"; }
die() { echo "make test: $*" >&2; exit 1; }

# May this user install Debian packages? root, or passwordless sudo.
SUDO=none
if command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then SUDO=""
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"
    fi
fi
apt_install() {  # apt_install PACKAGE: true when it is installed now
    [ "$SUDO" != none ] || return 1
    say "installing Debian's $1 (apt-get install $1)"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

# Chromium first: it is the slowest to fix, so say so before anything runs.
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || die "/usr/bin/chromium is missing and this user cannot install it; the browser tests need it: run \`sudo apt-get install chromium\`, then \`make test\` again."
fi

# The compose stack's tools, each from its Debian package of the same name.
for tool in docker-compose caddy openssl; do
    command -v "$tool" >/dev/null || apt_install "$tool" \
        || die "$tool is missing and this user cannot install it; the compose stack's tests need it: run \`sudo apt-get install docker-compose caddy openssl\`, then \`make test\` again."
done

# Database. The local server only when it also lets postgres in (a laptop's
# may want a password): else every database test would fail, not just skip.
local_pg=postgres://postgres@127.0.0.1:5432/test
if [ -n "${DATABASE_URL:-}" ]; then
    say "database from DATABASE_URL (${DATABASE_URL%%://*})"
elif pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && psql "$local_pg" -Atqc "select 1" >/dev/null 2>&1; then
    export DATABASE_URL=$local_pg
    say "database: the local PostgreSQL, $DATABASE_URL"
else
    say "database: SQLite (DATABASE_URL unset, no PostgreSQL at $local_pg); the tests that need PostgreSQL will skip"
fi

# Redis: does something answer PING at host:port? (bash's /dev/tcp: no
# redis-cli needed; NOAUTH is a Redis that answers too.)
redis_answers() {  # redis_answers HOST PORT
    local reply=""
    { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3<&-
    [[ $reply == +PONG* || $reply == -NOAUTH* ]]
}
address=${REDIS_URL:-redis://127.0.0.1:6379/10}
address=${address#*://}; address=${address#*@}; address=${address%%/*}
host=${address%:*}; port=6379
[[ $address == *:* ]] && port=${address##*:}
[ -n "$host" ] || host=127.0.0.1

if redis_answers "$host" "$port"; then
    say "Redis at $host:$port"
else
    command -v redis-server >/dev/null || apt_install redis-server \
        || die "no Redis answers at $host:$port and redis-server is not installed: run \`sudo apt-get install redis-server\` (or point REDIS_URL at a Redis), then \`make test\` again."
    private=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p var
    redis_dir=$(mktemp -d "$PWD/var/test-redis.XXXXXX")
    redis-server --bind 127.0.0.1 --port "$private" --dir "$redis_dir" --logfile "$redis_dir/redis.log" \
        --save "" --appendonly no --daemonize no &
    redis_pid=$!
    # Stop it and remove its folder however COMMAND ends, Ctrl-C included
    # (set +e: it may be gone already, and errexit holds in traps too).
    trap 'set +e; kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$redis_dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    for _ in $(seq 50); do redis_answers 127.0.0.1 "$private" && break; sleep 0.1; done
    redis_answers 127.0.0.1 "$private" || die "the private redis-server did not start: $(tail -n 3 "$redis_dir/redis.log")"
    export REDIS_URL="redis://127.0.0.1:$private/10" CACHE_REDIS_URL="redis://127.0.0.1:$private/11"
    say "no Redis answers at $host:$port: started a private one, $REDIS_URL (stopped at the end)"
fi

# Not exec: the trap above must outlive COMMAND.
status=0
"$@" || status=$?
exit "$status"
