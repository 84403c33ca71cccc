#!/usr/bin/env bash
# Local services for development and tests.
#
#   sandbox/services.sh packages run|test   install missing Debian packages (root or sudo)
#   sandbox/services.sh redis URL           use the Redis at URL, or start a throwaway one there
#   sandbox/services.sh postgres URL        use the PostgreSQL at URL, or initdb a throwaway one
#
# A throwaway server lives under $KJ_SERVICES_DIR (default /tmp/kuajing-services) and keeps
# nothing worth keeping; it is reused by the next call while it answers.
set -euo pipefail

DIR=${KJ_SERVICES_DIR:-/tmp/kuajing-services}
mkdir -p "$DIR"

need_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "Missing Debian packages: ${missing[*]}" >&2
      echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# host and port out of redis://host:port/db or postgresql+psycopg://user@host:port/db
url_host() { sed -E 's#^[a-z+]+://([^@/]*@)?([^:/]+).*#\2#' <<<"$1"; }
url_port() { local p; p=$(sed -nE 's#^[a-z+]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"$1"); echo "${p:-$2}"; }

redis_answers() {
  local reply
  exec 3<>"/dev/tcp/$1/$2" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 3 reply <&3 || true
  exec 3<&- 3>&-
  [[ "$reply" == +PONG* || "$reply" == -NOAUTH* ]]
}

redis() {
  local url=$1 host port
  host=$(url_host "$url"); port=$(url_port "$url" 6379)
  redis_answers "$host" "$port" && return 0
  need_packages redis-server
  if redis_answers "$host" "$port"; then return 0; fi
  echo "Redis does not answer at $host:$port; starting a throwaway one"
  mkdir -p "$DIR/redis-$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir "$DIR/redis-$port" --logfile "$DIR/redis-$port/redis.log"
  for _ in $(seq 50); do
    redis_answers 127.0.0.1 "$port" && return 0
    sleep 0.1
  done
  echo "Redis did not start; see $DIR/redis-$port/redis.log" >&2
  exit 1
}

pg_answers() {
  # A real sign-in, not just "something listens": a Debian cluster that wants a
  # password answers pg_isready but is of no use to the tests.
  local url=${1/+psycopg/}
  if [ -x "${PYTHON_BIN:-.venv/bin/python}" ]; then
    "${PYTHON_BIN:-.venv/bin/python}" - "$url" 2>/dev/null <<'PY'
import sys, psycopg
psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
PY
  elif command -v psql >/dev/null; then
    psql "${url%/*}/postgres" -Atqc 'select 1' >/dev/null 2>&1
  else
    return 1
  fi
}

port_taken() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Prints the URL to use: the given one when it works, else a throwaway server's.
postgres() {
  local url=$1 host port bin data
  if pg_answers "$url"; then echo "$url"; return 0; fi
  host=$(url_host "$url"); port=$(url_port "$url" 5432)
  need_packages postgresql >&2
  if pg_answers "$url"; then echo "$url"; return 0; fi
  if port_taken "$host" "$port"; then
    # Someone else's server holds the port (say, the package's own cluster wanting a password).
    port=54329
    url=$(sed -E "s#@([^:/]+)(:[0-9]+)?/#@127.0.0.1:$port/#" <<<"$url")
    if pg_answers "$url"; then echo "$url"; return 0; fi
  fi
  echo "PostgreSQL does not answer at $host:$port; starting a throwaway one" >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  data="$DIR/pg-$port"
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" postgres
    chown postgres "$DIR"
    as=(runuser -u postgres --)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"; [ ${#as[@]} -gt 0 ] && chown postgres "$data"
    "${as[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 >/dev/null
  fi
  "${as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off" start >/dev/null
  echo "$url"
}

need_npm() {
  # NodeSource's nodejs bundles npm; Debian's splits it out.
  command -v npm >/dev/null || need_packages nodejs npm
}

case "${1:-}" in
  packages)
    [ -f static/vendor/htmx.min.js ] || need_npm
    case "${2:-run}" in
      run)  need_packages fonts-wqy-microhei libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 ;;
      test) need_packages fonts-wqy-microhei libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 chromium poppler-utils ;;
      bench) need_packages wrk ;;
    esac ;;
  need) shift; need_packages "$@" ;;
  redis) redis "$2" ;;
  postgres) postgres "$2" ;;
  *) echo "usage: $0 packages run|test|bench | redis URL | postgres URL" >&2; exit 2 ;;
esac
