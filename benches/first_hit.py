"""First hit of a 256 px WebP variant of a 12 MP JPEG, against the decode floor and Pillow,
and of the same variant as AVIF against the WebP.

In one run, on the same file (default fixtures/images/photo-12mp.jpg):

  imgate  the first GET of `{uri}~tplv-imgate-resize:256:256.webp` over HTTP, end to end
          (request sent on an open connection to the last byte read), each on a freshly
          uploaded original so that every request makes its variant;
  avif    the first GET of the same template as `.avif`, on the same original (made from
          it as the WebP was; which of the two goes first alternates);
  floor   `djpeg -scale 1/8 -outfile /dev/null FILE`, the whole process: libjpeg-turbo's
          decode at 1/8 scale, which any 256 px variant of a 4000x3000 JPEG must do;
  Pillow  in process, from the bytes in memory: `draft` (the same 1/8 decode), fit within
          256 px, WebP at quality 80.

Medians of --reps runs each, interleaved so that a noisy moment hits all four. Prints
imgate's ratio to each (the targets: <= 1.1x the floor, <= 1.0x Pillow, AVIF <= 3x WebP).

    cargo build --release --locked
    pip install -r benches/requirements.txt      # Pillow
    apt-get install -y libjpeg-turbo-progs       # djpeg
    python3 benches/first_hit.py target/release/imgate
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload(base: str, key: str, data: bytes) -> str:
    body = json.dumps(
        {
            "file_head": {"file_type": "jpg", "biz_type": 2},
            "data": base64.b64encode(data).decode(),
        }
    ).encode()
    request = urllib.request.Request(
        base + "/api/bot/upload_file",
        body,
        {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["data"]["upload_uri"]


def imgate_first_hit(connection: http.client.HTTPConnection, uri: str, fmt: str) -> float:
    start = time.perf_counter()
    connection.request("GET", f"/imgate/{uri}~tplv-imgate-resize:256:256.{fmt}")
    response = connection.getresponse()
    body = response.read()
    seconds = time.perf_counter() - start
    assert response.status == 200, (response.status, body[:200])
    assert response.getheader("x-imgate-cache") == "miss", response.getheaders()
    return seconds


def floor(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["djpeg", "-scale", "1/8", "-outfile", os.devnull, str(path)], check=True)
    return time.perf_counter() - start


def pillow(data: bytes) -> float:
    start = time.perf_counter()
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (256, 256))
    image.thumbnail((256, 256), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary", type=Path)
    parser.add_argument("--source", type=Path, default=Path("fixtures/images/photo-12mp.jpg"))
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    data = args.source.read_bytes()

    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        env = dict(
            os.environ,
            IMGATE__SERVER__LISTEN=f"127.0.0.1:{port}",
            IMGATE__SERVER__WORKERS="2",
            IMGATE_LOG="warn",
        )
        server = subprocess.Popen(
            [str(args.binary), "serve", "--data-dir", f"{work}/data"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz").read()
                    break
                except OSError:
                    time.sleep(0.1)
            key = subprocess.run(
                [str(args.binary), "keys", "create", "--data-dir", f"{work}/data", "--name", "bench"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip().splitlines()[-1]
            uris = [upload(base, key, data) for _ in range(args.reps + 1)]
            connection = http.client.HTTPConnection("127.0.0.1", port)
            warm = uris.pop()
            for fmt in ("webp", "avif"):
                imgate_first_hit(connection, warm, fmt)
            floor(args.source)
            pillow(data)
            times: dict[str, list[float]] = {"imgate": [], "avif": [], "floor": [], "pillow": []}
            for i, uri in enumerate(uris):
                for name, fmt in [("imgate", "webp"), ("avif", "avif")][:: 1 if i % 2 else -1]:
                    times[name].append(imgate_first_hit(connection, uri, fmt))
                times["floor"].append(floor(args.source))
                times["pillow"].append(pillow(data))
        finally:
            server.terminate()
            server.wait()

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"first hit, 256 px WebP of {args.source} ({len(data)} bytes), median of {args.reps}")
    for name, label in [
        ("imgate", "imgate, over HTTP"),
        ("avif", "imgate, the same as AVIF"),
        ("floor", "djpeg -scale 1/8, whole process"),
        ("pillow", "Pillow in process"),
    ]:
        print(f"  {label:<34} {medians[name] * 1000:7.2f} ms")
    print(
        f"  imgate / floor  {medians['imgate'] / medians['floor']:.2f}x (target <= 1.1)\n"
        f"  imgate / Pillow {medians['imgate'] / medians['pillow']:.2f}x (target <= 1.0)\n"
        f"  AVIF / WebP     {medians['avif'] / medians['imgate']:.2f}x (target <= 3.0)"
    )


if __name__ == "__main__":
    main()
