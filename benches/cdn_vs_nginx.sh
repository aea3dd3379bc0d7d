#!/usr/bin/env bash
# Serves the same small variant file from imgate (cached, through its CDN route) and from
# nginx, loads both with wrk in one run, and prints the ratio of requests per second and
# of p99 latency. Also times the first request of a 256 px variant of a 12 MP original.
#
#   bash benches/cdn_vs_nginx.sh            # needs root for apt-get on a fresh machine
#
# Everything listens on 127.0.0.1 and stops at the end. DURATION and CONNECTIONS may be set.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
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
    target/release/imgate serve --data-dir "$work/data" >"$work/imgate.log" 2>&1 &
pids+=($!)
base=http://127.0.0.1:$imgate_port
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
key=$(target/release/imgate keys create --data-dir "$work/data" --name bench | tail -n 1)

upload() {  # upload FILE EXT BIZ -> upload_uri
    python3 - "$1" "$2" "$3" "$base" "$key" <<'PY'
import base64, json, sys, urllib.request
path, ext, biz, base, key = sys.argv[1:]
body = json.dumps({"file_head": {"file_type": ext, "biz_type": int(biz)},
                   "data": base64.b64encode(open(path, "rb").read()).decode()}).encode()
req = urllib.request.Request(base + "/api/bot/upload_file", body,
                             {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["data"]["upload_uri"])
PY
}

# First hit: a 256 px WebP of a 12 MP JPEG, made on demand (median of 5 originals).
photo_uris=()
for _ in 1 2 3 4 5; do photo_uris+=("$(upload fixtures/images/photo-12mp.jpg jpg 2)"); done
first_hits=()
for uri in "${photo_uris[@]}"; do
    first_hits+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/imgate/$uri~tplv-imgate-resize:256:256.webp")")
done
first_hit=$(printf '%s\n' "${first_hits[@]}" | sort -n | sed -n 3p)

# The file both servers serve: a cached 256 px variant (about 10 KB).
uri=$(upload fixtures/images/photo-progressive.jpg jpg 2)
variant="$uri~tplv-imgate-resize:256:256.webp"
curl -sf -o /dev/null "$base/imgate/$variant"
mkdir -p "$work/www/imgate/$(dirname "$variant")"
cp "$work/data/objects/$variant" "$work/www/imgate/$variant"
chmod 755 "$work"
chmod -R a+rX "$work/www"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    types { image/webp webp; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
        location /imgate/ { add_header Cache-Control "public, max-age=31536000, immutable"; etag on; }
    }
}
NGINX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/imgate/$variant" && break; sleep 0.1; done
cmp <(curl -s "$base/imgate/$variant") <(curl -s "http://127.0.0.1:$nginx_port/imgate/$variant")

load() {  # load URL -> "rps p99_ms"
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" | awk '
        /Requests\/sec/ { rps = $2 }
        / 99%/ { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } p99 = v }
        END { printf "%s %s\n", rps, p99 }'
}
read -r imgate_rps imgate_p99 < <(load "$base/imgate/$variant")
read -r nginx_rps nginx_p99 < <(load "http://127.0.0.1:$nginx_port/imgate/$variant")

size=$(stat -c %s "$work/www/imgate/$variant")
echo "cached variant GET, $size bytes, wrk -t2 -c$CONNECTIONS -d${DURATION}s, both servers 2 workers"
printf '  imgate  %10.0f req/s  p99 %7.2f ms\n' "$imgate_rps" "$imgate_p99"
printf '  nginx   %10.0f req/s  p99 %7.2f ms\n' "$nginx_rps" "$nginx_p99"
python3 -c "import sys; r, p = float(sys.argv[1]) / float(sys.argv[2]), float(sys.argv[3]) / float(sys.argv[4]); print(f'  imgate/nginx: {r:.2f}x requests per second (target >= 0.8), {p:.2f}x p99 latency')" \
    "$imgate_rps" "$nginx_rps" "$imgate_p99" "$nginx_p99"
echo "first hit, 256 px WebP from a 12 MP JPEG: median of 5 ${first_hit}s"
