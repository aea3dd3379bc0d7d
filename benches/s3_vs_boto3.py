#!/usr/bin/env python3
"""imgate's S3 backend beside boto3 (the reference S3 client), in one run.

Both store and read the same bodies against one s3s-fs server on 127.0.0.1, its data on
tmpfs, taking turns so that noise falls on both alike. imgate's side runs in
target/release/examples/s3_transfer (64 KiB chunks streamed in, multipart above 8 MiB with
two parts in flight); boto3 uses its defaults (multipart above 8 MiB, ten threads), and
for reads also a single streamed GET, which is how imgate reads an object it proxies. The
figure that matters is the ratio imgate/boto3 of the median times: below 1 is faster.

    pip install -r benches/requirements.txt
    python3 benches/s3_vs_boto3.py [--runs 7] [--sizes 4,64]
"""

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "target" / "release" / "examples" / "s3_transfer"
ACCESS, SECRET = "bench", "bench-secret-key"


def s3s_fs():
    found = shutil.which("s3s-fs") or str(Path.home() / ".cargo" / "bin" / "s3s-fs")
    if not os.access(found, os.X_OK):
        sys.exit("s3_vs_boto3.py: install s3s-fs: cargo install s3s-fs@0.14.1 --features binary --locked")
    return found


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root):
    port = free_port()
    server = subprocess.Popen(
        [s3s_fs(), "--host", "127.0.0.1", "--port", str(port),
         "--access-key", ACCESS, "--secret-key", SECRET, root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit("s3_vs_boto3.py: s3s-fs did not start")


def boto3_run(client, bucket, size):
    body = bytes(i % 251 for i in range(251)) * (size // 251 + 1)
    body = body[:size]
    key = f"bench/boto3-{size}"
    start = time.perf_counter()
    client.upload_fileobj(io.BytesIO(body), bucket, key)
    put = time.perf_counter() - start
    sink = io.BytesIO()
    start = time.perf_counter()
    client.download_fileobj(bucket, key, sink)
    get = time.perf_counter() - start
    assert sink.getbuffer().nbytes == size
    # One GET read as a stream, as imgate reads an object it proxies.
    start = time.perf_counter()
    got = sum(len(c) for c in client.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(65536))
    get_stream = time.perf_counter() - start
    assert got == size
    client.delete_object(Bucket=bucket, Key=key)
    return {"put": put, "get": get, "get_stream": get_stream}


def imgate_run(endpoint, bucket, mib):
    out = subprocess.run([str(HELPER), endpoint, bucket, ACCESS, SECRET, str(mib)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="4,64", help="body sizes in MiB")
    args = parser.parse_args()
    print("building: cargo build --release --example s3_transfer", flush=True)
    subprocess.run(["cargo", "build", "--release", "--example", "s3_transfer"], cwd=ROOT, check=True)
    tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=tmp) as root:
        server, endpoint = start_server(root)
        try:
            client = boto3.client(
                "s3", endpoint_url=endpoint, region_name="us-east-1",
                aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                config=botocore.config.Config(s3={"addressing_style": "path"}))
            bucket = "bench"
            client.create_bucket(Bucket=bucket)
            print(f"boto3 {boto3.__version__}, s3s-fs 0.14.1, {args.runs} runs per size, medians")
            print("| op | MiB | imgate s | boto3 s | imgate/boto3 |")
            print("|---|---|---|---|---|")
            for mib in (int(m) for m in args.sizes.split(",")):
                ours, theirs = [], []
                imgate_run(endpoint, bucket, mib)  # warm-up, both sides
                boto3_run(client, bucket, mib * 1024 * 1024)
                for _ in range(args.runs):
                    ours.append(imgate_run(endpoint, bucket, mib))
                    theirs.append(boto3_run(client, bucket, mib * 1024 * 1024))
                # imgate's get is one stream; boto3's download is parallel ranged GETs
                # above 8 MiB, so it is also set beside boto3 reading one GET.
                for op, ref in (("put", "put"), ("get", "get"), ("get", "get_stream")):
                    a = statistics.median(r[op] for r in ours)
                    b = statistics.median(r[ref] for r in theirs)
                    label = "get (boto3: one stream)" if ref == "get_stream" else op
                    print(f"| {label} | {mib} | {a:.3f} | {b:.3f} | {a / b:.2f} |", flush=True)
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
