#!/usr/bin/env python3
"""Times hostile uploads against a running-from-scratch imgate: how long each bomb takes
to be answered on its own, and how long a 64x64 icon upload takes beside two big jobs.

    /tmp/imgvenv/bin/python fixtures/make_hostile.py --bombs /tmp/bombs
    cargo build --release --locked
    python3 benches/hostile.py target/release/imgate /tmp/bombs

Each measurement starts a fresh server (so a job left running by an earlier timeout cannot
slow the next) on 127.0.0.1 with the default settings, uploads by the Base64 method, and
gives up on a request after TIMEOUT seconds (default 60). Standard library only.
"""

import base64
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

TIMEOUT = float(os.environ.get("TIMEOUT", "60"))
ROOT = Path(__file__).resolve().parent.parent


def icon_png(side: int = 64) -> bytes:
    """A 64x64 RGB gradient PNG."""
    rows = b"".join(b"\x00" + bytes(v for x in range(side) for v in (x * 4, y * 4, 128))
                    for y in range(side))
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


class Server:
    def __init__(self, binary: str):
        self.dir = tempfile.TemporaryDirectory()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        data = os.path.join(self.dir.name, "data")
        env = dict(os.environ, IMGATE__SERVER__LISTEN=f"127.0.0.1:{port}", IMGATE_LOG="warn")
        self.proc = subprocess.Popen([binary, "serve", "--data-dir", data], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        out = subprocess.run([binary, "keys", "create", "--data-dir", data, "--name", "bench"],
                             check=True, capture_output=True, text=True).stdout
        self.key = out.strip().splitlines()[-1]

    def upload(self, data: bytes, ext: str, biz: int) -> tuple[float, str]:
        """Seconds to the answer and what it was: the status and the message's start."""
        body = json.dumps({"file_head": {"file_type": ext, "biz_type": biz},
                           "data": base64.b64encode(data).decode()}).encode()
        req = urllib.request.Request(self.base + "/api/bot/upload_file", body, {
            "Authorization": "Bearer " + self.key, "Content-Type": "application/json"})
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as reply:
                reply.read()
                outcome = f"{reply.status}"
        except urllib.error.HTTPError as e:
            outcome = f"{e.code} {json.load(e).get('msg', '')[:90]}"
        except OSError:
            return TIMEOUT, f"no answer within {TIMEOUT:.0f} s"
        return time.monotonic() - start, outcome

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()


def alone(binary: str, name: str, data: bytes, ext: str) -> None:
    server = Server(binary)
    try:
        seconds, outcome = server.upload(data, ext, 2)
        print(f"| {name} | {seconds:.2f} s | {outcome} |", flush=True)
    finally:
        server.stop()


def icon_beside(binary: str, label: str, bombs: list[tuple[bytes, str]], rounds: int = 3) -> None:
    icon = icon_png()
    times, outcomes = [], set()
    for _ in range(rounds):
        server = Server(binary)
        try:
            threads = [threading.Thread(target=server.upload, args=(data, ext, 2), daemon=True)
                       for data, ext in bombs]
            for t in threads:
                t.start()
            time.sleep(0.3)  # the bombs are on the workers
            seconds, outcome = server.upload(icon, "png", 1)
            times.append(seconds)
            outcomes.add(outcome)
        finally:
            server.stop()
    print(f"| icon beside {label} | {statistics.median(times):.2f} s (median of {rounds}) "
          f"| {', '.join(sorted(outcomes))} |", flush=True)


def main() -> None:
    binary, bombs = sys.argv[1], Path(sys.argv[2])
    read = lambda name: (bombs / name).read_bytes()
    print("| upload | time to answer | answer |\n|---|---|---|")
    alone(binary, "7000x7000 JPEG, 15,000 scans (1.2 MB)", read("scans-15000.jpg"), "jpg")
    alone(binary, "7000x7000 JPEG, 6,000 scans (0.55 MB)", read("scans-6000.jpg"), "jpg")
    alone(binary, "7000x7000 JPEG, 100 scans (0.1 MB)", read("scans-100.jpg"), "jpg")
    alone(binary, "GIF, 300 frames of 4000x4000 (3.3 MB)", read("frames-300x4000.gif"), "gif")
    alone(binary, "GIF, 300 frames of 1600x1000 (0.7 MB)", read("frames-300x1600x1000.gif"), "gif")
    alone(binary, "JPEG, SOS then EOI", (ROOT / "fixtures/bad/no-scan-data.jpg").read_bytes(), "jpg")
    icon_beside(binary, "nothing", [], rounds=5)
    icon_beside(binary, "the 15,000-scan JPEG and the GIF",
                [(read("scans-15000.jpg"), "jpg"), (read("frames-300x4000.gif"), "gif")])
    icon_beside(binary, "two 100-scan 7000x7000 JPEGs",
                [(read("scans-100.jpg"), "jpg"), (read("scans-100.jpg"), "jpg")])


if __name__ == "__main__":
    main()
