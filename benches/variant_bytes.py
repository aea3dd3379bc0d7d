"""Variant bytes at equal perceptual quality (SSIMULACRA2) against the service's WebP, in
one run: AVIF per rav1e speed, and WebP per libwebp method.

For each photograph (fixtures/photos/*.jpg from fixtures/fetch_photos.sh, and the 12 MP
fixture), the source fitted within 256 px by Pillow (LANCZOS) is the lossless reference.
imgate's WebP (the service's method) at each --webp-quality sets the SSIMULACRA2 score to
reach; each candidate (`avif:SPEED`, `webp:METHOD`) gets the lowest quality reaching that
score (binary search), and its bytes and encode time are compared with the WebP's. Then the
service's own AVIF (its speed, and its quality mapped from the WebP quality) is set beside
the WebP. Encode times are the best of 3 in process (target/<profile>/examples/
pipeline_tasks). The AVIF targets: bytes <= 0.75x WebP's at the service's speed, and a
first hit within 3x WebP's (`benches/first_hit.py` measures that end to end).

    pip install -r benches/requirements.txt     # Pillow (reads AVIF), numpy, ssimulacra2
    bash fixtures/fetch_photos.sh               # real photographs
    python3 benches/variant_bytes.py [--release] [--candidates avif:9,webp:3] [--webp-quality 80]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

from PIL import Image
from ssimulacra2 import compute_ssimulacra2

from equal_score import build_helper, lowest_reaching

SIZE = 256
TARGET = 0.75


def encode(helper: Path, png: Path, fmt: str, quality: int, option: str | None, tmp: Path):
    """imgate's encode of `png`: (bytes, seconds, SSIMULACRA2 against `png`)."""
    out = tmp / f"{fmt}-{option}-q{quality}.{fmt}"
    extra = [option] if option else []
    line = subprocess.run(
        [str(helper), "encode", str(png), fmt, str(quality), str(out), *extra],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # ssimulacra2 reads through Pillow, which decodes AVIF since Pillow 11.
    score = float(compute_ssimulacra2(str(png), str(out)))
    return out.read_bytes(), json.loads(line)["seconds"], score


def lowest_quality(helper, png, candidate, goal, tmp):
    """The lowest quality at which `candidate` (`FORMAT:OPTION`) reaches `goal`:
    (quality, (bytes, seconds, score))."""
    fmt, option = candidate.split(":")

    def measure(q: int):
        return encode(helper, png, fmt, q, option, tmp)

    return lowest_reaching(1, 100, measure, lambda m: m[2] >= goal)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--release", action="store_true", help="time a release build")
    parser.add_argument("--candidates", default="avif:8,avif:9,avif:10,webp:2,webp:3",
                        help="FORMAT:OPTION, comma-separated: avif:SPEED, webp:METHOD")
    parser.add_argument("--webp-quality", default="80", help="WebP qualities, comma-separated")
    parser.add_argument("sources", nargs="*", type=Path)
    args = parser.parse_args()
    sources = args.sources or sorted(Path("fixtures/photos").glob("*.jpg")) + [
        Path("fixtures/images/photo-12mp.jpg")
    ]
    helper = build_helper(args.release)
    candidates = args.candidates.split(",")
    ratios: dict[tuple[int, str], list[float]] = {}
    times: dict[tuple[int, str], list[float]] = {}
    qualities: dict[tuple[int, str], list[int]] = {}
    service: dict[int, list[tuple[float, float]]] = {}
    print(f"{'source':<16} {'webp q':>6} {'candidate':>9} {'q':>3} {'bytes':>7} {'webp':>7}"
          f" {'ratio':>6} {'score':>6} {'goal':>6} {'ms':>6} {'webp ms':>7}")
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="imgate-avif-") as name:
            tmp = Path(name)
            image = Image.open(source).convert("RGB")
            image.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
            png = tmp / "reference.png"
            image.save(png)
            for webp_quality in (int(q) for q in args.webp_quality.split(",")):
                webp, webp_seconds, goal = encode(helper, png, "webp", webp_quality, None, tmp)
                avif, _, score = encode(helper, png, "avif", webp_quality, None, tmp)
                service.setdefault(webp_quality, []).append((len(avif) / len(webp), score - goal))
                for candidate in candidates:
                    found = lowest_quality(helper, png, candidate, goal, tmp)
                    if found is None:
                        print(f"{source.name:<16} {webp_quality:>6} {candidate:>9} never reaches"
                              f" {goal:.2f}")
                        continue
                    q, (data, seconds, score) = found
                    ratio = len(data) / len(webp)
                    key = (webp_quality, candidate)
                    ratios.setdefault(key, []).append(ratio)
                    times.setdefault(key, []).append(seconds / webp_seconds)
                    qualities.setdefault(key, []).append(q)
                    print(f"{source.name:<16} {webp_quality:>6} {candidate:>9} {q:>3} {len(data):>7}"
                          f" {len(webp):>7} {ratio:>5.2f}x {score:>6.2f} {goal:>6.2f}"
                          f" {seconds * 1000:>6.1f} {webp_seconds * 1000:>7.2f}")
    print(f"\nmedian over {len(sources)} sources, {SIZE} px: candidate/WebP bytes at equal"
          f" SSIMULACRA2 (AVIF target <= {TARGET}), encode time candidate/WebP, the quality"
          " that reached it")
    for (webp_quality, candidate), values in sorted(ratios.items()):
        key = (webp_quality, candidate)
        print(f"  webp q{webp_quality:<3} {candidate:<8} bytes {statistics.median(values):.2f}x"
              f"  time {statistics.median(times[key]):5.1f}x"
              f"  q {statistics.median(qualities[key]):.0f}")
    print("\nthe service's AVIF at variant_quality q against WebP at q (median; per source):")
    for webp_quality, pairs in sorted(service.items()):
        ratios_ = ", ".join(f"{r:.2f}" for r, _ in pairs)
        deltas = ", ".join(f"{d:+.1f}" for _, d in pairs)
        print(f"  q{webp_quality:<3} bytes {statistics.median(r for r, _ in pairs):.2f}x ({ratios_})"
              f"  SSIMULACRA2 {statistics.median(d for _, d in pairs):+.1f} ({deltas})")


if __name__ == "__main__":
    main()
