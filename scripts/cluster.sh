#!/usr/bin/env bash
# imgate as a cluster on 127.0.0.1, in one command: a 3-node Garage cluster (replication
# factor 3) as the object store, PostgreSQL as the catalog, three imgate nodes, and nginx
# balancing across them.
#
#   scripts/cluster.sh up DIR [IMGATE]   starts it all under DIR; writes DIR/cluster.env
#   scripts/cluster.sh down DIR          stops it all
#   scripts/cluster.sh node DIR N        (re)starts imgate node N (1-3)
#
# nginx listens on NGINX_PORT (http) and NGINX_TLS_PORT (https, a self-signed certificate
# for 127.0.0.1 in NGINX_CA), passing the Host through, so each client is told the upload
# host it came in by.
#
# IMGATE is the imgate binary (default: target/debug/imgate). Garage is `garage` on the
# PATH, GARAGE=<path>, or installed once with `cargo install garage@2.5.0 --locked` into
# target/test-tools. nginx is Debian's (`apt-get install nginx-light`, done here when
# missing and running as root). DIR/cluster.env names every address, the API key and the
# PIDs; the integration tests read it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
GARAGE_VERSION=2.5.0

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {
    for _ in $(seq 300); do
        curl --silent --output /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "$1 did not answer" >&2
    return 1
}

garage_bin() {
    local tools="$here/target/test-tools"
    for candidate in "${GARAGE:-}" "$(command -v garage || true)" "$HOME/.cargo/bin/garage" "$tools/bin/garage"; do
        [[ -n "$candidate" && -x "$candidate" ]] && { echo "$candidate"; return; }
    done
    mkdir -p "$tools"
    (
        flock 9
        [[ -x "$tools/bin/garage" ]] || cargo install "garage@$GARAGE_VERSION" --locked --root "$tools" >&2
    ) 9>"$tools/garage.lock"
    echo "$tools/bin/garage"
}

nginx_bin() {
    if ! command -v nginx >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
        apt-get install -y -qq nginx-light >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null && apt-get install -y -qq nginx-light >/dev/null; }
    fi
    command -v nginx || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
}

start_garage() {
    local dir="$1" garage="$2" secret="$3" i
    for i in 1 2 3; do
        local node="$dir/garage$i"
        mkdir -p "$node"
        cat >"$node/garage.toml" <<TOML
metadata_dir = "$node/meta"
data_dir = "$node/data"
db_engine = "sqlite"
replication_factor = 3
rpc_bind_addr = "127.0.0.1:$(free_port)"
rpc_secret = "$secret"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:$(free_port)"

[admin]
api_bind_addr = "127.0.0.1:$(free_port)"
TOML
        sed -i "s/^rpc_bind_addr = \"\\(.*\\)\"/rpc_bind_addr = \"\\1\"\nrpc_public_addr = \"\\1\"/" "$node/garage.toml"
        "$garage" -c "$node/garage.toml" server >"$node/server.log" 2>&1 &
        echo $! >"$node/pid"
    done
    local first="$dir/garage1/garage.toml"
    for _ in $(seq 100); do
        "$garage" -c "$first" status >/dev/null 2>&1 && break
        sleep 0.2
    done
    local ids=() id
    for i in 1 2 3; do
        # Each node writes its key when it starts: ask until it has.
        id=""
        for _ in $(seq 100); do
            id="$("$garage" -c "$dir/garage$i/garage.toml" node id -q 2>/dev/null)" && break
            sleep 0.1
        done
        [[ -n "$id" ]] || { echo "garage node $i did not start" >&2; exit 1; }
        ids+=("$id")
    done
    for i in 1 2; do
        "$garage" -c "$first" node connect "${ids[$i]}" >/dev/null
    done
    for i in 0 1 2; do
        "$garage" -c "$first" layout assign -z "dc$((i + 1))" -c 1G "${ids[$i]%%@*}" >/dev/null
    done
    "$garage" -c "$first" layout apply --version 1 >/dev/null
    "$garage" -c "$first" bucket create imgate >/dev/null
    local key
    key="$("$garage" -c "$first" key create imgate-key)"
    S3_KEY_ID="$(awk '/Key ID:/ {print $3}' <<<"$key")"
    S3_SECRET="$(awk '/Secret key:/ {print $3}' <<<"$key")"
    "$garage" -c "$first" bucket allow --read --write --owner imgate --key imgate-key >/dev/null
    S3_ENDPOINT="http://$(awk -F'"' '/^\[s3_api\]/ {s=1} s && /api_bind_addr/ {print $2; exit}' "$first")"
}

node_env() {
    local dir="$1" n="$2"
    # shellcheck disable=SC1091
    source "$dir/cluster.env"
    local port_var="NODE${n}_PORT"
    cat <<ENV
IMGATE__SERVER__LISTEN=127.0.0.1:${!port_var}
IMGATE__CATALOG__URL=$PG_URL
IMGATE__AUTH__SECRET=$SECRET
IMGATE__STORAGE__BACKEND=s3
IMGATE__STORAGE__S3__BUCKET=imgate
IMGATE__STORAGE__S3__ENDPOINT=$S3_ENDPOINT
IMGATE__STORAGE__S3__REGION=garage
IMGATE__STORAGE__S3__PATH_STYLE=true
IMGATE__STORAGE__S3__ACCESS_KEY_ID=$S3_KEY_ID
IMGATE__STORAGE__S3__SECRET_ACCESS_KEY=$S3_SECRET
IMGATE__CDN__PUBLIC_BASE=$NGINX_URL/imgate
IMGATE__IMAGEX__COMMIT_LEASE=2s
ENV
}

start_node() {
    local dir="$1" n="$2"
    source "$dir/cluster.env"
    local node="$dir/node$n" pid_var="NODE${n}_PID"
    mkdir -p "$node"
    if [[ -f "$node/pid" ]]; then
        kill -9 "$(cat "$node/pid")" 2>/dev/null || true
    fi
    (
        set -a
        # shellcheck disable=SC1090
        source <(node_env "$dir" "$n")
        set +a
        cd "$node"
        exec "$IMGATE" serve >>"$node/server.log" 2>&1
    ) &
    echo $! >"$node/pid"
    local port_var="NODE${n}_PORT"
    wait_http "http://127.0.0.1:${!port_var}/healthz"
}

up() {
    local dir="$1" imgate="${2:-$here/target/debug/imgate}"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    imgate="$(realpath "$imgate")"
    # A start that fails part way stops what it had started.
    trap 'down "$dir" >/dev/null 2>&1' ERR
    local garage nginx secret
    garage="$(garage_bin)"
    nginx="$(nginx_bin)"
    secret="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    start_garage "$dir" "$garage" "$secret"
    local pg_url
    pg_url="$("$here/scripts/postgres.sh" start "$dir/postgres")"
    local nginx_port
    nginx_port="$(free_port)"
    mkdir -p "$dir/nginx"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$dir/nginx/key.pem" -out "$dir/nginx/cert.pem" >/dev/null 2>&1
    cat >"$dir/cluster.env" <<ENV
IMGATE=$imgate
GARAGE=$garage
SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
PG_URL=$pg_url
S3_ENDPOINT=$S3_ENDPOINT
S3_KEY_ID=$S3_KEY_ID
S3_SECRET=$S3_SECRET
NGINX_PORT=$nginx_port
NGINX_URL=http://127.0.0.1:$nginx_port
NGINX_TLS_PORT=$(free_port)
NGINX_CA=$dir/nginx/cert.pem
NODE1_PORT=$(free_port)
NODE2_PORT=$(free_port)
NODE3_PORT=$(free_port)
ENV
    source "$dir/cluster.env"
    # The nodes start at the same moment: one migrates the schema, the others wait for it.
    local starting=() n
    for n in 1 2 3; do
        start_node "$dir" "$n" &
        starting+=($!)
    done
    for n in "${starting[@]}"; do
        wait "$n"
    done
    cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    upstream imgate {
        server 127.0.0.1:$NODE1_PORT max_fails=1 fail_timeout=5s;
        server 127.0.0.1:$NODE2_PORT max_fails=1 fail_timeout=5s;
        server 127.0.0.1:$NODE3_PORT max_fails=1 fail_timeout=5s;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        listen 127.0.0.1:$NGINX_TLS_PORT ssl;
        ssl_certificate $dir/nginx/cert.pem;
        ssl_certificate_key $dir/nginx/key.pem;
        location / {
            proxy_pass http://imgate;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
        }
    }
}
CONF
    "$nginx" -c "$dir/nginx/nginx.conf" -p "$dir/nginx"
    wait_http "$NGINX_URL/healthz"
    trap - ERR
    echo "$dir/cluster.env"
}

down() {
    local dir="$1" f
    [[ -d "$dir" ]] || return 0
    [[ -f "$dir/nginx/nginx.pid" ]] && kill "$(cat "$dir/nginx/nginx.pid")" 2>/dev/null || true
    for f in "$dir"/node*/pid "$dir"/garage*/pid; do
        [[ -f "$f" ]] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    "$here/scripts/postgres.sh" stop "$dir/postgres"
}

case "${1:-}" in
    up) up "$2" "${3:-}" ;;
    down) down "$2" ;;
    node) start_node "$2" "$3" ;;
    *) echo "usage: $0 up DIR [IMGATE] | down DIR | node DIR N" >&2; exit 2 ;;
esac
