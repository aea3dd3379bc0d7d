#!/usr/bin/env python3
"""Peak memory of `imgate serve` under bursts: many large chunked uploads with their
commits, many photos re-encoded into icons, many Base64 icons, and the same large uploads
on the S3 backend. Each scenario runs against a fresh server process, and its peak
resident set (VmHWM of /proc/<pid>/status) is reported beside the peak of the same
scenario with one upload.

    cargo build --release --locked
    python3 benches/memory.py target/release/imgate [--s3s-fs PATH] [--scenario NAME]

Standard library only. The S3 scenario starts its own s3s-fs on 127.0.0.1 (the binary the
tests use: IMGATE_S3S_FS, or `s3s-fs` on the PATH or in ~/.cargo/bin).
"""

import argparse
import base64
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
ACTIONS = "/api/common/upload/apply_upload_action"


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def wait_for(url, what):
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers, if only to refuse an unsigned request
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not come up")


class Server:
    """`imgate serve` in a data directory of its own, with an API key made by the CLI."""

    def __init__(self, binary, env):
        self.dir = tempfile.mkdtemp(prefix="imgate-mem-")
        data = os.path.join(self.dir, "data")
        port = free_port()
        env = dict(os.environ, IMGATE_LOG="warn", IMGATE__SERVER__LISTEN=f"127.0.0.1:{port}",
                   **env)
        made = subprocess.run([binary, "--data-dir", data, "keys", "create", "--name", "m"],
                              env=env, capture_output=True, text=True, check=True)
        self.key = made.stdout.strip().splitlines()[-1]
        self.proc = subprocess.Popen([binary, "--data-dir", data, "serve"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        wait_for(self.base + "/healthz", "imgate")

    def peak_rss(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            line = next(l for l in status if l.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None, auth=None):
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", auth or f"Bearer {self.key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        with urllib.request.urlopen(request, timeout=600) as reply:
            return json.loads(reply.read())


def chunked_upload(server, data, part=5 * MIB):
    """Apply, chunked upload in 5 MiB parts numbered from 1, complete, commit."""
    applied = server.request(
        "GET", f"{ACTIONS}?Action=ApplyImageUpload&Version=2018-08-01&BizType=0"
               f"&FileExtension=.pdf&FileSize={len(data)}")
    info = applied["Result"]["UploadAddress"]["StoreInfos"][0]
    uri, auth = info["StoreUri"], info["Auth"]
    host = f"/api/common/upload/{uri}"
    upload_id = server.request("POST", host + "?uploads", b"", auth=auth)["payload"]["uploadID"]
    listed = []
    view = memoryview(data)
    for number, start in enumerate(range(0, len(data), part), start=1):
        piece = view[start:start + part]
        crc = f"{zlib.crc32(piece):08x}"
        server.request("POST", f"{host}?partNumber={number}&uploadID={upload_id}",
                       piece.tobytes(), {"Content-CRC32": crc}, auth=auth)
        listed.append(f"{number}:{crc}")
    server.request("POST", f"{host}?uploadID={upload_id}", ",".join(listed).encode(),
                   {"Content-Type": "text/plain"}, auth=auth)
    session = applied["Result"]["UploadAddress"]["SessionKey"]
    body = json.dumps({"SessionKey": session, "SuccessOids": [uri]}).encode()
    committed = server.request(
        "POST", f"{ACTIONS}?Action=CommitImageUpload&Version=2018-08-01", body,
        {"Content-Type": "application/json"})
    assert committed["Result"]["Results"][0]["UriStatus"] == 2000, committed


def base64_upload(server, data, file_type, biz):
    body = json.dumps({"file_head": {"file_type": file_type, "biz_type": biz},
                       "data": base64.b64encode(data).decode()}).encode()
    for attempt in range(100):
        try:
            reply = server.request("POST", "/api/bot/upload_file", body,
                                   {"Content-Type": "application/json"})
            assert reply["code"] == 0, reply
            return attempt
        except urllib.error.HTTPError as error:
            if error.code != 503:
                raise
            time.sleep(float(error.headers.get("Retry-After", "1")) / 10)
    raise SystemExit("still busy after 100 attempts")


def document(size):
    """A PDF-looking file of `size` bytes (documents are stored as they are)."""
    head = b"%PDF-1.7\n"
    block = os.urandom(MIB)
    body = (block * (size // MIB + 1))[: size - len(head)]
    return head + body


def run(binary, env, count, job):
    server = Server(binary, env)
    try:
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda _: job(server), range(count)))
        return server.peak_rss(), time.monotonic() - start
    finally:
        server.stop()


def s3s_fs_binary(given):
    for candidate in (given, os.environ.get("IMGATE_S3S_FS"), shutil.which("s3s-fs"),
                      os.path.expanduser("~/.cargo/bin/s3s-fs")):
        if candidate and os.path.exists(candidate):
            return candidate
    raise SystemExit("s3s-fs not found (cargo install s3s-fs@0.14.1 --features binary --locked)")


class S3Store:
    def __init__(self, binary):
        self.root = tempfile.mkdtemp(prefix="imgate-mem-s3-")
        os.makedirs(os.path.join(self.root, "bench"))
        port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(port), "--access-key", "bench",
             "--secret-key", "bench-secret-key-0123456789", self.root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = f"http://127.0.0.1:{port}"
        wait_for(self.endpoint, "s3s-fs")

    def env(self):
        return {"IMGATE__STORAGE__BACKEND": "s3", "IMGATE__STORAGE__S3__BUCKET": "bench",
                "IMGATE__STORAGE__S3__ENDPOINT": self.endpoint,
                "IMGATE__STORAGE__S3__PATH_STYLE": "true",
                "IMGATE__STORAGE__S3__ACCESS_KEY_ID": "bench",
                "IMGATE__STORAGE__S3__SECRET_ACCESS_KEY": "bench-secret-key-0123456789"}

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--s3s-fs")
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--size-mib", type=int, default=100)
    args = parser.parse_args()
    big = document(args.size_mib * MIB)
    photo = (ROOT / "fixtures/images/photo-12mp.jpg").read_bytes()
    icon = (ROOT / "fixtures/images/orient-1.jpg").read_bytes()
    s3 = None
    scenarios = {
        "chunked-documents": (16, {}, lambda s: chunked_upload(s, big)),
        "photos-to-icons": (16, {}, lambda s: base64_upload(s, photo, "jpg", 1)),
        "base64-icons": (64, {}, lambda s: base64_upload(s, icon, "jpg", 1)),
        "s3-chunked-documents": (16, None, lambda s: chunked_upload(s, big)),
    }
    print(f"{'scenario':24} {'1 upload':>12} {'N uploads':>12} {'N':>3} {'seconds':>8}")
    for name, (count, env, job) in scenarios.items():
        if args.scenario and name not in args.scenario:
            continue
        if env is None:
            s3 = s3 or S3Store(s3s_fs_binary(args.s3s_fs))
            env = s3.env()
        one, _ = run(args.binary, env, 1, job)
        many, seconds = run(args.binary, env, count, job)
        print(f"{name:24} {one / MIB:9.0f} MiB {many / MIB:9.0f} MiB {count:3} {seconds:8.1f}",
              flush=True)
    if s3:
        s3.stop()


if __name__ == "__main__":
    main()
