"""How imgate's cost per image grows with pixels, and its throughput with threads.

  pixels   the same photo at 1, 12 and 48 MP (made from fixtures/images/photo-12mp.jpg by
           Pillow, LANCZOS, JPEG q90), each made into a 256 px WebP (shrink-on-load
           decode, fit, encode) on one thread: milliseconds per image and per megapixel.
           Linear growth keeps the time per megapixel flat.
  threads  icon-profile jobs on the processing pool with 1 and with 2 threads: images per
           second, and their ratio (2 cores: about 2 is the ceiling).

    cargo build --release --locked --example pipeline_tasks
    pip install -r benches/requirements.txt    # Pillow
    python3 benches/scaling.py [--helper target/release/examples/pipeline_tasks]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

SOURCE = Path("fixtures/images/photo-12mp.jpg")
MEGAPIXELS = [1, 12, 48]


def run(helper: Path, *args: object) -> dict:
    out = subprocess.run(
        [str(helper), *map(str, args)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--helper", type=Path,
                        default=Path("target/release/examples/pipeline_tasks"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=16)
    args = parser.parse_args()
    source = Image.open(SOURCE).convert("RGB")
    aspect = source.width / source.height
    print(f"256 px WebP from the same photo at each size, one thread, mean of {args.reps}")
    per_mp = []
    with tempfile.TemporaryDirectory(prefix="imgate-scaling-") as tmp:
        for mp in MEGAPIXELS:
            height = round((mp * 1_000_000 / aspect) ** 0.5)
            width = round(height * aspect)
            path = Path(tmp) / f"{mp}mp.jpg"
            source.resize((width, height), Image.Resampling.LANCZOS).save(path, quality=90)
            seconds = run(args.helper, "thumb", path, 256, args.reps)["seconds_per_op"]
            real_mp = width * height / 1e6
            per_mp.append(seconds * 1000 / real_mp)
            print(f"  {width}x{height} ({real_mp:5.1f} MP, {path.stat().st_size // 1024} KiB)"
                  f"  {seconds * 1000:8.1f} ms  {per_mp[-1]:6.2f} ms/MP")
        print(f"  ms/MP at 48 MP / at 1 MP: {per_mp[-1] / per_mp[0]:.2f}x (linear: about 1)")
    rates = {}
    for threads in (1, 2):
        result = run(args.helper, "throughput", SOURCE, threads, args.jobs)
        rates[threads] = result["images_per_second"]
    print(f"icon jobs per second: 1 thread {rates[1]:.1f}, 2 threads {rates[2]:.1f},"
          f" ratio {rates[2] / rates[1]:.2f}x (target >= 1.9)")


if __name__ == "__main__":
    main()
