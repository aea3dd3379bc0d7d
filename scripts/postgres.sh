#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the tests and the loopback cluster.
#
#   scripts/postgres.sh start DIR   initialises DIR, starts the server, prints its URL
#   scripts/postgres.sh stop DIR    stops it (at once, as a crash would)
#   scripts/postgres.sh resume DIR  starts a stopped server again, on its port
#
# With IMGATE_PG_OWNER=PID, `start` also stops the server (and removes DIR) when that
# process exits.
#
# PostgreSQL refuses to run as root: run as root, the server runs as the `postgres` user
# (Debian's package creates it). Authentication is `trust` on loopback only. Installs
# Debian's postgresql when no server binaries are found and it runs as root.
set -euo pipefail

bindir() {
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -z "$found" ]] && command -v pg_config >/dev/null 2>&1; then
        found="$(pg_config --bindir)"
    fi
    echo "$found"
}

as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local dir="$1" bin port
    bin="$(bindir)"
    if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
        if [[ "$(id -u)" == 0 ]]; then
            apt-get install -y -qq postgresql >/dev/null 2>&1 \
                || { apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null; }
            bin="$(bindir)"
        fi
        [[ -x "$bin/initdb" ]] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
    fi
    mkdir -p "$dir"
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres "$dir"
        # The server's user must reach its directory through the (private) temp dirs.
        local up="$dir"
        while up="$(dirname "$up")" && [[ "$up" != / ]]; do
            chmod a+x "$up"
        done
    fi
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null
    echo "$port" >"$dir/port"
    if [[ -n "${IMGATE_PG_OWNER:-}" ]]; then
        watch_owner "$dir" "$bin" "$IMGATE_PG_OWNER"
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
}

# Stops the server and removes DIR once the process OWNER has exited (a test process
# whose server outlives it otherwise: its temp directory goes, the server does not).
watch_owner() {
    local dir="$1" bin="$2" owner="$3" stop
    stop="$bin/pg_ctl -D $dir/data -m immediate -w stop"
    [[ "$(id -u)" == 0 ]] && stop="runuser -u postgres -- $stop"
    setsid bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; $stop; rm -rf $dir" \
        </dev/null >/dev/null 2>&1 &
}

stop() {
    local dir="$1" bin
    bin="$(bindir)"
    [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
}

resume() {
    local dir="$1" bin port
    bin="$(bindir)"
    port="$(cat "$dir/port")"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null
}

case "${1:-}" in
    start) start "$2" ;;
    stop) stop "$2" ;;
    resume) resume "$2" ;;
    *) echo "usage: $0 start|stop|resume DIR" >&2; exit 2 ;;
esac
