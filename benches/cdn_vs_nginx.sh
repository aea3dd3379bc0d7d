#!/usr/bin/env bash
# Cached GETs of variants from imgate (its CDN route, bytes in memory) and from nginx (the
# same files on disk, sendfile), loaded with the same wrk command in one run; prints the
# ratios of requests per second and of p99 latency.
#
#   bash benches/cdn_vs_nginx.sh            # needs root for apt-get on a fresh machine
#
# Four body sizes (about 1 KB, 4 KB, 30 KB and 200 KB), each as PATHS variants of as many
# originals that wrk's requests rotate through, and the 4 KB set again with the right
# `If-None-Match` on every request (304s). Each case runs ROUNDS rounds, the two servers in
# turn (who goes first alternates); the medians are compared. Everything listens on
# 127.0.0.1 and stops at the end. DURATION (s per load), CONNECTIONS, ROUNDS and PATHS may
# be set.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
PATHS=${PATHS:-50}
missing=()
for tool in nginx wrk curl python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; fi

cargo build --release --quiet
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
imgate_port=$(free_port)
nginx_port=$(free_port)

IMGATE__SERVER__LISTEN=127.0.0.1:$imgate_port IMGATE__SERVER__WORKERS=2 IMGATE_LOG=warn \
    IMGATE__CDN__MEMORY_CACHE_TTL=1h \
    target/release/imgate serve --data-dir "$work/data" >"$work/imgate.log" 2>&1 &
pids+=($!)
imgate=http://127.0.0.1:$imgate_port
nginx=http://127.0.0.1:$nginx_port
for _ in $(seq 100); do curl -sf "$imgate/healthz" >/dev/null && break; sleep 0.1; done
key=$(target/release/imgate keys create --data-dir "$work/data" --name bench | tail -n 1)

# PATHS originals (the same photo, each its own object), uploaded by Base64.
python3 - fixtures/images/photo-progressive.jpg "$PATHS" "$imgate" "$key" >"$work/uris" <<'PY'
import base64, json, sys, urllib.request
path, count, base, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
data = base64.b64encode(open(path, "rb").read()).decode()
for _ in range(count):
    body = json.dumps({"file_head": {"file_type": "jpg", "biz_type": 2}, "data": data}).encode()
    req = urllib.request.Request(base + "/api/bot/upload_file", body,
                                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    print(json.load(urllib.request.urlopen(req))["data"]["upload_uri"])
PY

# Serves every variant of `template` once (so imgate has made and cached it), copies the
# stored file into nginx's root, and writes the set's paths with each server's ETag.
chmod 755 "$work"
make_set() {  # make_set NAME TEMPLATE
    local name=$1 template=$2
    : >"$work/$name.imgate"
    : >"$work/$name.nginx"
    while read -r uri; do
        local variant="$uri~tplv-imgate-$template"
        curl -sf -o /dev/null "$imgate/imgate/$variant"
        # Answered first, stored just after.
        for _ in $(seq 100); do [[ -f $work/data/objects/$variant ]] && break; sleep 0.05; done
        mkdir -p "$work/www/imgate/$(dirname "$variant")"
        cp "$work/data/objects/$variant" "$work/www/imgate/$variant"
    done <"$work/uris"
}
etags() {  # etags NAME: "path etag" lines for each server, once nginx is up
    local name=$1 server
    while read -r uri; do
        local path="/imgate/$uri~tplv-imgate-${templates[$name]}"
        for server in imgate nginx; do
            local base=$imgate
            [[ $server == nginx ]] && base=$nginx
            local tag
            tag=$(curl -sfI "$base$path" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')
            echo "$path $tag" >>"$work/$name.$server"
        done
    done <"$work/uris"
}
declare -A templates=(
    [1k]=resize:80:80.webp
    [4k]=resize:256:256.webp
    [30k]=resize:640:640.jpg
    [200k]=resize:480:480.png
)
sets=(1k 4k 30k 200k)
for name in "${sets[@]}"; do make_set "$name" "${templates[$name]}"; done
chmod -R a+rX "$work/www"

cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    types { image/webp webp; image/png png; image/jpeg jpg; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        location /imgate/ { add_header Cache-Control "public, max-age=31536000, immutable"; etag on; }
    }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
first=$(head -n 1 "$work/uris")
for _ in $(seq 100); do curl -sf -o /dev/null "$nginx/imgate/$first~tplv-imgate-resize:256:256.webp" && break; sleep 0.1; done
for name in "${sets[@]}"; do
    etags "$name"
    path="/imgate/$first~tplv-imgate-${templates[$name]}"
    cmp <(curl -s "$imgate$path") <(curl -s "$nginx$path")
done

# Each wrk thread walks the set's paths in turn; with REVALIDATE=1 it sends each path's
# ETag in If-None-Match.
cat >"$work/rotate.lua" <<'LUA'
local paths, tags = {}, {}
for line in io.lines(os.getenv("PATHS_FILE")) do
    local path, tag = line:match("^(%S+) (.*)$")
    paths[#paths + 1] = path
    tags[#tags + 1] = tag
end
local revalidate = os.getenv("REVALIDATE") == "1"
local i = 0
request = function()
    i = i % #paths + 1
    local headers = {}
    if revalidate then headers["If-None-Match"] = tags[i] end
    return wrk.format("GET", paths[i], headers)
end
LUA

load() {  # load BASE SET REVALIDATE -> "rps p99_ms status_ok"
    PATHS_FILE=$work/$2.$3 REVALIDATE=$4 wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -s "$work/rotate.lua" "$1" | awk '
        /Requests\/sec/ { rps = $2 }
        /Non-2xx or 3xx/ { bad = $5 }
        / 99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } p99 = v }
        END { printf "%s %s %d\n", rps, p99, bad }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

size_of() { stat -c %s "$work/www/imgate/$first~tplv-imgate-${templates[$1]}"; }

echo "cached variant GETs, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $PATHS paths rotating," \
    "median of $ROUNDS rounds, both servers 2 workers"
printf '%-22s %12s %10s %12s %10s %8s %8s\n' case "imgate r/s" "p99 ms" "nginx r/s" "p99 ms" "r/s x" "p99 x"
run_case() {  # run_case LABEL SET REVALIDATE
    local label=$1 set=$2 revalidate=$3 round
    : >"$work/imgate.results"
    : >"$work/nginx.results"
    for round in $(seq "$ROUNDS"); do
        local order=(imgate nginx)
        ((round % 2 == 0)) && order=(nginx imgate)
        for server in "${order[@]}"; do
            local base=$imgate
            [[ $server == nginx ]] && base=$nginx
            read -r rps p99 bad < <(load "$base" "$set" "$server" "$revalidate")
            if ((bad > 0)); then echo "$server answered $bad requests with an error status" >&2; exit 1; fi
            echo "$rps $p99" >>"$work/$server.results"
        done
    done
    local irps ip99 nrps np99
    irps=$(cut -d' ' -f1 "$work/imgate.results" | median)
    ip99=$(cut -d' ' -f2 "$work/imgate.results" | median)
    nrps=$(cut -d' ' -f1 "$work/nginx.results" | median)
    np99=$(cut -d' ' -f2 "$work/nginx.results" | median)
    python3 -c "import sys; l, a, b, c, d = sys.argv[1:]; a, b, c, d = map(float, (a, b, c, d)); print(f'{l:<22} {a:12.0f} {b:10.2f} {c:12.0f} {d:10.2f} {a / c:7.2f}x {b / d:7.2f}x')" \
        "$label" "$irps" "$ip99" "$nrps" "$np99"
}
for name in "${sets[@]}"; do run_case "$(size_of "$name") bytes, 200" "$name" 0; done
run_case "$(size_of 4k) bytes, 304" 4k 1
echo "(r/s x: imgate / nginx, target >= 1.0; p99 x: imgate / nginx, target <= 1.0)"
