#!/usr/bin/env bash
# PostgreSQL 15 with pgvector, for the PostgreSQL store's tests and bench (issue 17).
#
#   tools/ci/postgres-setup.sh install            (root) Debian's postgresql-15 and its server headers,
#                                                 then pgvector built from Debian's own source package
#                                                 of a newer release (Debian 12 packages none); idempotent.
#   tools/ci/postgres-setup.sh start DIR [PORT]   a throwaway cluster in DIR on 127.0.0.1:PORT (default:
#                                                 a free port), trust auth on loopback only; prints its URL.
#                                                 As root, the cluster runs as the `postgres` user.
#   tools/ci/postgres-setup.sh stop DIR           stop it (fast shutdown); `start DIR` again restarts it.
#
# Only deb.debian.org is used: Sources.xz of trixie names the source package and its SHA-256 sums,
# and every downloaded file is checked against them before it is built.
set -euo pipefail

PG_MAJOR=15
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=${PGVECTOR_SUITE:-trixie}

say() { echo "postgres-setup: $*" >&2; }

install() {
  if [ "$(id -u)" != 0 ]; then say "install needs root (apt-get, make install)"; exit 1; fi
  if ! dpkg -s "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" >/dev/null 2>&1; then
    say "installing postgresql-$PG_MAJOR and postgresql-server-dev-$PG_MAJOR"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" make gcc xz-utils curl ca-certificates >/dev/null
  fi
  # The package's own cluster is not used: tests start theirs (see `start`).
  local sharedir
  sharedir=$(pg_config_bin --sharedir)
  if [ -f "$sharedir/extension/vector.control" ]; then
    say "pgvector already installed ($(grep default_version "$sharedir/extension/vector.control"))"
    return
  fi
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  say "reading $MIRROR/dists/$SUITE/main/source/Sources.xz"
  curl -fsS --retry 3 -o "$work/Sources.xz" "$MIRROR/dists/$SUITE/main/source/Sources.xz"
  xz -dc "$work/Sources.xz" >"$work/Sources"
  awk '/^Package: pgvector$/{p=1} p&&/^$/{exit} p' "$work/Sources" >"$work/stanza"
  local directory version
  directory=$(awk '/^Directory:/{print $2}' "$work/stanza")
  version=$(awk '/^Version:/{print $2}' "$work/stanza")
  if [ -z "$directory" ] || [ -z "$version" ]; then say "no pgvector source package in $SUITE"; exit 1; fi
  # The SHA-256 lines: " <sum> <size> <file>" after "Checksums-Sha256:", until the next field.
  awk '/^Checksums-Sha256:/{c=1; next} c&&/^ /{print $1"  "$3; next} {c=0}' "$work/stanza" >"$work/SHA256SUMS"
  say "pgvector $version from $directory"
  local sum file
  while read -r sum file; do
    curl -fsS --retry 3 -o "$work/$file" "$MIRROR/$directory/$file"
  done <"$work/SHA256SUMS"
  (cd "$work" && sha256sum --quiet -c SHA256SUMS)
  local orig
  orig=$(awk '{print $2}' "$work/SHA256SUMS" | grep '\.orig\.tar\.')
  mkdir "$work/src"
  tar -xf "$work/$orig" -C "$work/src" --strip-components=1
  # with_llvm=no: no JIT bitcode, so clang is not needed at build time.
  make -s -C "$work/src" -j"$(nproc)" PG_CONFIG="$(pg_config_path)" with_llvm=no OPTFLAGS="" >/dev/null
  make -s -C "$work/src" install PG_CONFIG="$(pg_config_path)" with_llvm=no >/dev/null
  say "pgvector $version installed into $sharedir/extension"
}

# The server's pg_config (postgresql-server-dev), not libpq-dev's client one.
pg_config_path() { echo "$PG_BIN/pg_config"; }
pg_config_bin() { "$(pg_config_path)" "$@"; }

# Run a PostgreSQL binary as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start() {
  local dir=${1:?start DIR [PORT]} port=${2:-}
  if [ ! -f "/usr/share/postgresql/$PG_MAJOR/extension/vector.control" ]; then
    say "pgvector is not installed: run 'sudo tools/ci/postgres-setup.sh install' first"
    exit 1
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Small and quick, like a free-tier database: no durability needed for a throwaway cluster.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
shared_buffers = 128MB
maintenance_work_mem = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
EOF
  fi
  if [ -z "$port" ]; then
    if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); fi
  fi
  echo "$port" >"$dir/port"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/port"; fi
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null
  as_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
  local dir=${1:?stop DIR}
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
