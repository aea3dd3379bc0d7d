"""JPEG bytes at equal perceptual quality (SSIMULACRA2): imgate's efforts against
libjpeg-turbo, in one run.

For each photograph (fixtures/photos/*.jpg from fixtures/fetch_photos.sh, and the 12 MP
fixture) and each profile's size (icon: fit within 1024 px; image: fit within 1600x1200),
the source fitted by Pillow (LANCZOS) is the lossless reference. libjpeg-turbo (Pillow) at
quality 80 sets the SSIMULACRA2 score to reach; each imgate JPEG effort (`fast`,
`smallest`, `perceptual`, `perceptual-progressive`) gets the lowest quality reaching that
score (binary search), and its bytes are compared with libjpeg-turbo's. Encode times are the best of 3 in process
(imgate's from target/<profile>/examples/pipeline_tasks, the C encoder either way).

    pip install -r benches/requirements.txt     # Pillow, numpy, scipy, ssimulacra2
    bash fixtures/fetch_photos.sh               # real photographs
    python3 benches/jpeg_bytes.py [--release]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image
from ssimulacra2 import compute_ssimulacra2

from equal_score import build_helper, lowest_reaching

EFFORTS = ["fast", "smallest", "perceptual", "perceptual-progressive"]
PROFILES = {"icon": (1024, 1024), "image": (1600, 1200)}
TARGET = 0.85


def score(reference: Path, jpeg: bytes, tmp: Path) -> float:
    path = tmp / "distorted.jpg"
    path.write_bytes(jpeg)
    return float(compute_ssimulacra2(str(reference), str(path)))


def turbo(image: Image.Image, quality: int) -> tuple[bytes, float]:
    best, data = float("inf"), b""
    for _ in range(3):
        out = io.BytesIO()
        start = time.perf_counter()
        image.save(out, "JPEG", quality=quality)
        best = min(best, time.perf_counter() - start)
        data = out.getvalue()
    return data, best


def imgate(helper: Path, png: Path, quality: int, effort: str, tmp: Path) -> tuple[bytes, float]:
    out = tmp / f"imgate-{effort}-q{quality}.jpg"
    line = subprocess.run(
        [str(helper), "encode", str(png), "jpeg", str(quality), str(out), effort],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.read_bytes(), json.loads(line)["seconds"]


def lowest_quality(helper, png, effort, goal, tmp):
    """The lowest quality whose score reaches `goal`: (quality, (bytes, score, seconds))."""

    def measure(q: int):
        data, seconds = imgate(helper, png, q, effort, tmp)
        return data, score(png, data, tmp), seconds

    return lowest_reaching(30, 100, measure, lambda m: m[1] >= goal)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", action="store_true", help="time a release build")
    parser.add_argument("--efforts", default=",".join(EFFORTS), help="comma-separated")
    parser.add_argument("sources", nargs="*", type=Path)
    args = parser.parse_args()
    sources = args.sources or sorted(Path("fixtures/photos").glob("*.jpg")) + [
        Path("fixtures/images/photo-12mp.jpg")
    ]
    helper = build_helper(args.release)
    ratios: dict[tuple[str, str], list[float]] = {}
    times: dict[tuple[str, str], list[float]] = {}
    print(f"{'source':<16} {'profile':<6} {'effort':<9} {'q':>3} {'bytes':>8} {'turbo q80':>10}"
          f" {'ratio':>6} {'score':>6} {'goal':>6} {'ms':>7} {'turbo ms':>8}")
    for source in sources:
        for profile, box in PROFILES.items():
            with tempfile.TemporaryDirectory(prefix="imgate-jpeg-") as name:
                tmp = Path(name)
                image = Image.open(source).convert("RGB")
                image.thumbnail(box, Image.Resampling.LANCZOS)
                png = tmp / "reference.png"
                image.save(png)
                reference, turbo_seconds = turbo(image, 80)
                goal = score(png, reference, tmp)
                for effort in args.efforts.split(","):
                    found = lowest_quality(helper, png, effort, goal, tmp)
                    if found is None:
                        print(f"{source.name:<16} {profile:<6} {effort:<9} never reaches {goal:.2f}")
                        continue
                    q, (data, s, seconds) = found
                    ratio = len(data) / len(reference)
                    ratios.setdefault((profile, effort), []).append(ratio)
                    times.setdefault((profile, effort), []).append(seconds / turbo_seconds)
                    print(f"{source.name:<16} {profile:<6} {effort:<9} {q:>3} {len(data):>8}"
                          f" {len(reference):>10} {ratio:>5.2f}x {s:>6.2f} {goal:>6.2f}"
                          f" {seconds * 1000:>7.1f} {turbo_seconds * 1000:>8.1f}")
    print(f"\nmedian over {len(sources)} sources: bytes imgate/libjpeg-turbo at equal SSIMULACRA2"
          f" (target <= {TARGET}), encode time imgate/libjpeg-turbo")
    for (profile, effort), values in sorted(ratios.items()):
        print(f"  {profile:<6} {effort:<9} bytes {statistics.median(values):.2f}x"
              f"  time {statistics.median(times[(profile, effort)]):.1f}x")


if __name__ == "__main__":
    main()
