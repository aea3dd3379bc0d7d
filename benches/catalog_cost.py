#!/usr/bin/env python3
"""Catalog statements per request: how many reads and writes an upload (by each method),
a first and a cached GET of an object and of a variant cost, on SQLite or PostgreSQL.
Counts the statements sqlx logs (`IMGATE_LOG=sqlx::query=debug`) while each request runs.

    cargo build --release --locked
    python3 benches/catalog_cost.py target/release/imgate [--catalog postgres://...]

Standard library only.
"""

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTIONS = "/api/common/upload/apply_upload_action"
STATEMENT = re.compile(r'summary="(\w+)')
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read()


class Server:
    def __init__(self, binary, catalog):
        self.dir = tempfile.mkdtemp(prefix="imgate-cost-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, IMGATE_LOG="imgate=warn,sqlx::query=debug",
                        IMGATE__SERVER__LISTEN=f"127.0.0.1:{self.port}")
        if catalog:
            self.env["IMGATE__CATALOG__URL"] = catalog
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary, "serve"], cwd=self.dir, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
            try:
                request("GET", self.base + "/healthz")
                break
            except Exception:
                time.sleep(0.05)
        created = subprocess.run([binary, "keys", "create", "--name", "cost"], cwd=self.dir,
                                 env=self.env, capture_output=True, text=True, check=True)
        self.key = created.stdout.strip().splitlines()[-1]

    def statements(self):
        self.log.flush()
        with open(self.log_path) as f:
            lines = (ANSI.sub("", line) for line in f)
            return [m.group(1).upper() for line in lines for m in [STATEMENT.search(line)] if m]

    def cost(self, action):
        time.sleep(0.2)
        before = len(self.statements())
        action()
        time.sleep(0.3)
        done = self.statements()[before:]
        writes = sum(1 for s in done if s in ("INSERT", "UPDATE", "DELETE"))
        reads = sum(1 for s in done if s == "SELECT")
        return reads, writes, len(done) - reads - writes

    def auth(self):
        return {"Authorization": f"Bearer {self.key}"}

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def png_icon():
    raw = b"".join(b"\x00" + bytes(v for x in range(64) for v in (x * 4, y * 4, 128))
                   for y in range(64))

    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data +
                zlib.crc32(kind + data).to_bytes(4, "big"))
    header = (64).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", type=lambda p: str(Path(p).resolve()))
    parser.add_argument("--catalog")
    args = parser.parse_args()
    server = Server(args.binary, args.catalog)
    png = png_icon()
    rows = []
    try:
        uploaded = {}

        def base64_upload():
            body = json.dumps({"file_head": {"file_type": "png", "biz_type": 1},
                               "data": base64.b64encode(png).decode()}).encode()
            reply = json.loads(request("POST", server.base + "/api/bot/upload_file", body,
                                       dict(server.auth(), **{"Content-Type": "application/json"})))
            uploaded.update(reply["data"])

        rows.append(("Base64 upload (icon, with its variants)", server.cost(base64_upload)))
        url = uploaded["upload_url"]
        rows.append(("GET of the original, first on this node",
                     server.cost(lambda: request("GET", url))))
        rows.append(("GET of the original, cached", server.cost(lambda: request("GET", url))))
        variant = url + "~tplv-imgate-resize:32:32.webp"
        rows.append(("GET of a new variant (made, stored, recorded)",
                     server.cost(lambda: request("GET", variant))))
        rows.append(("GET of that variant, cached", server.cost(lambda: request("GET", variant))))

        def imagex_direct():
            query = "&BizType=2&FileExtension=txt"
            reply = json.loads(request("GET", server.base + ACTIONS +
                                       "?Action=ApplyImageUpload&Version=2018-08-01"
                                       "&ServiceId=imgate" + query, headers=server.auth()))
            address = reply["Result"]["UploadAddress"]
            info = address["StoreInfos"][0]
            text = b"catalog cost\n" * 100
            request("POST", f"{server.base}/api/common/upload/{info['StoreUri']}", text,
                    {"Authorization": info["Auth"],
                     "Content-CRC32": f"{zlib.crc32(text):08x}"})
            body = json.dumps({"SessionKey": address["SessionKey"],
                               "SuccessOids": [info["StoreUri"]]}).encode()
            request("POST", server.base + ACTIONS + "?Action=CommitImageUpload"
                    "&Version=2018-08-01&ServiceId=imgate", body,
                    dict(server.auth(), **{"Content-Type": "application/json"}))

        rows.append(("ImageX apply + direct upload + commit", server.cost(imagex_direct)))
    finally:
        server.stop()
    backend = "PostgreSQL" if args.catalog else "SQLite"
    print(f"catalog: {backend}")
    print(f"{'request':48} {'reads':>6} {'writes':>7} {'other':>6}")
    for name, (reads, writes, other) in rows:
        print(f"{name:48} {reads:>6} {writes:>7} {other:>6}")


if __name__ == "__main__":
    main()
