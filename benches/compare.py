"""Compare imgate's image pipeline with libvips (pyvips) and Pillow, in one run.

What it measures, on a 12 MP JPEG (default fixtures/images/photo-12mp.jpg, or --source)
and on each real photograph in fixtures/photos/ (see fixtures/fetch_photos.sh):

  a. thumb: JPEG -> fit within 256 px -> WebP q80, shrinking on load (DCT domain).
  b. icon:  the icon profile from one decode: fit within 1024 px as JPEG q85, then square
            centre crops 512, 256, 128, 64 (each from the previous) as WebP q80 and JPEG q80.
  c. bytes: JPEG size at equal SSIM. The source fitted within 1024 px (Pillow LANCZOS) is the
            reference; Pillow's libjpeg-turbo at quality 80 sets the SSIM to reach; imgate's
            encoder (mozjpeg) gets the lowest quality reaching that SSIM (binary search).
  d. threads (main source only): icon-profile jobs per second on 2 threads / on 1 thread.

Every timing is single-threaded (VIPS_CONCURRENCY=1, libvips cache off; Pillow and imgate's
thumb/icon tasks use one thread), the mean over REPS runs after one warm-up, with the source
bytes already in memory. imgate's side runs in target/release/examples/pipeline_tasks, which
times itself the same way. The machine is shared and noisy: read the ratios imgate/reference,
not the absolute times. Output sizes are printed as a sanity check only: pyvips keeps the
source's EXIF/XMP/ICC metadata in its outputs, imgate and Pillow drop it. A full run takes
about half a minute on 2 cores.

Run it from the repository root:

    apt-get install -y libvips42          # or libvips-dev
    pip install -r benches/requirements.txt
    bash fixtures/fetch_photos.sh         # optional: real photographs
    python3 benches/compare.py            # --quick for fewer repetitions
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

os.environ["VIPS_CONCURRENCY"] = "1"  # must be set before libvips starts

import numpy as np  # noqa: E402
import pyvips  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "target" / "release" / "examples" / "pipeline_tasks"
DEFAULT_SOURCE = ROOT / "fixtures" / "images" / "photo-12mp.jpg"
PHOTOS = ROOT / "fixtures" / "photos"
LANCZOS = Image.Resampling.LANCZOS
THUMB_SIZE = 256
ICON_FIT = 1024
ICON_SQUARES = (512, 256, 128, 64)
TIME_TARGET = 0.60  # imgate time / pyvips time, tasks a and b
BYTES_TARGET = 0.85  # imgate bytes / Pillow bytes at equal SSIM, task c
SCALING_TARGET = 1.8  # 2-thread / 1-thread images per second ("about 2"), task d


@dataclass
class Row:
    """One line of the table; times in seconds or sizes in bytes, per `unit`."""

    task: str
    unit: str
    imgate: float
    pyvips: float | None
    pillow: float | None
    target: str
    note: str = ""


@dataclass
class Check:
    """One measured ratio against its target, for the met / not met lines."""

    target: str
    source: str
    value: float
    met: bool


# ---------------------------------------------------------------- imgate helper


def build_helper() -> None:
    """Builds the imgate task runner; cargo waits if another build holds the lock."""
    print("building: cargo build --release --example pipeline_tasks", flush=True)
    cmd = ["cargo", "build", "--release", "--example", "pipeline_tasks"]
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        sys.exit("compare.py: the release build of examples/pipeline_tasks failed")


def imgate(*args: object) -> dict:
    """Runs one pipeline_tasks command and returns its JSON line."""
    out = subprocess.run(
        [str(HELPER), *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.exit(f"compare.py: pipeline_tasks {args} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- references


def mean_seconds(task, reps: int) -> tuple[float, object]:
    """Mean seconds per call over `reps` calls after one warm-up, and the last result."""
    result = task()
    start = time.perf_counter()
    for _ in range(reps):
        result = task()
    return (time.perf_counter() - start) / reps, result


def pil_save(im: Image.Image, fmt: str, quality: int) -> bytes:
    buf = BytesIO()
    im.save(buf, fmt, quality=quality)
    return buf.getvalue()


def vips_thumb(data: bytes) -> list[bytes]:
    img = pyvips.Image.thumbnail_buffer(data, THUMB_SIZE)
    return [img.webpsave_buffer(Q=80)]


def pillow_thumb(data: bytes) -> list[bytes]:
    im = Image.open(BytesIO(data))
    im.draft("RGB", (THUMB_SIZE, THUMB_SIZE))  # DCT-domain shrink on load
    im.thumbnail((THUMB_SIZE, THUMB_SIZE), LANCZOS)
    return [pil_save(im, "WEBP", 80)]


def vips_icon(data: bytes) -> list[bytes]:
    """copy_memory() renders each step once, so all saves share one decode.

    (Without it every save would re-run the lazy pipeline from the JPEG, and
    thumbnail_buffer's sequential read fails on the second pass anyway.)
    """
    img = pyvips.Image.thumbnail_buffer(data, ICON_FIT).copy_memory()
    out = [img.jpegsave_buffer(Q=85)]
    for size in ICON_SQUARES:
        img = img.thumbnail_image(size, height=size, crop="centre").copy_memory()
        out += [img.webpsave_buffer(Q=80), img.jpegsave_buffer(Q=80)]
    return out


def pillow_icon(data: bytes) -> list[bytes]:
    im = Image.open(BytesIO(data))
    im.draft("RGB", (ICON_FIT, ICON_FIT))  # both sides stay >= 1024
    im.thumbnail((ICON_FIT, ICON_FIT), LANCZOS)
    out = [pil_save(im, "JPEG", 85)]
    for size in ICON_SQUARES:
        im = ImageOps.fit(im, (size, size), LANCZOS)
        out += [pil_save(im, "WEBP", 80), pil_save(im, "JPEG", 80)]
    return out


def time_task(name: str, source: Path, reps: int) -> Row:
    """Task a (thumb) or b (icon) on the three implementations."""
    data = source.read_bytes()
    if name == "thumb":
        ours = imgate("thumb", source, THUMB_SIZE, reps)
        vips, pil = vips_thumb, pillow_thumb
        label = f"a. thumb {THUMB_SIZE}px WebP q80"
    else:
        ours = imgate("icon", source, reps)
        vips, pil = vips_icon, pillow_icon
        label = "b. icon set (9 files)"
    t_vips, out_vips = mean_seconds(lambda: vips(data), reps)
    t_pil, out_pil = mean_seconds(lambda: pil(data), reps)
    sizes = [ours["bytes"], sum(map(len, out_vips)), sum(map(len, out_pil))]
    note = "output KiB imgate/vips/Pillow " + "/".join(f"{s / 1024:.0f}" for s in sizes)
    return Row(label, "s", ours["seconds_per_op"], t_vips, t_pil,
               f"imgate/pyvips <= {TIME_TARGET}", note)


# ---------------------------------------------------------------- SSIM


def luma(im: Image.Image) -> np.ndarray:
    rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def gaussian_filter(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable 'valid' convolution with a symmetric 1-D kernel on both axes."""
    n = len(kernel)
    rows = np.lib.stride_tricks.sliding_window_view(x, n, axis=1) @ kernel
    return np.lib.stride_tricks.sliding_window_view(rows, n, axis=0) @ kernel


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03."""
    k = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5**2))
    k /= k.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = gaussian_filter(a, k), gaussian_filter(b, k)
    var_a = gaussian_filter(a * a, k) - mu_a**2
    var_b = gaussian_filter(b * b, k) - mu_b**2
    cov = gaussian_filter(a * b, k) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def jpeg_ssim(ref: np.ndarray, jpeg: bytes) -> float:
    return ssim(ref, luma(Image.open(BytesIO(jpeg))))


def imgate_jpeg(png: Path, quality: int, tmp: Path) -> bytes:
    out = tmp / f"imgate-q{quality}.jpg"
    imgate("encode", png, "jpeg", quality, out)
    return out.read_bytes()


def lowest_quality(png: Path, ref: np.ndarray, goal: float, tmp: Path):
    """Lowest imgate quality whose SSIM >= goal: (quality, bytes, ssim), or None."""
    tried: dict[int, tuple[bytes, float]] = {}

    def ok(q: int) -> bool:
        if q not in tried:
            data = imgate_jpeg(png, q, tmp)
            tried[q] = (data, jpeg_ssim(ref, data))
        return tried[q][1] >= goal

    lo, hi = 1, 100
    if not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid + 1, hi)
    return lo, *tried[lo]


def bytes_task(source: Path) -> Row:
    """Task c: JPEG bytes at the SSIM of Pillow's quality 80."""
    with tempfile.TemporaryDirectory(prefix="imgate-compare-") as name:
        tmp = Path(name)
        im = Image.open(source).convert("RGB")
        im.thumbnail((ICON_FIT, ICON_FIT), LANCZOS)
        png = tmp / "reference.png"
        im.save(png)  # lossless reference pixels R
        ref = luma(im)
        pil80 = pil_save(im, "JPEG", 80)
        goal = jpeg_ssim(ref, pil80)
        vips80 = pyvips.Image.new_from_file(str(png)).jpegsave_buffer(Q=80)
        found = lowest_quality(png, ref, goal, tmp)
    if found is None:
        return Row("c. JPEG bytes @ SSIM", "B", float("nan"), len(vips80), len(pil80),
                   f"imgate/Pillow <= {BYTES_TARGET}", f"imgate never reaches SSIM {goal:.4f}")
    q, ours, s_ours = found
    note = (f"SSIM Pillow q80 {goal:.4f}, pyvips Q80 {jpeg_ssim(ref, vips80):.4f}, "
            f"imgate q{q} {s_ours:.4f}; pyvips/Pillow bytes {len(vips80) / len(pil80):.3f}")
    return Row(f"c. JPEG bytes @ SSIM (mozjpeg q{q})", "B", len(ours), len(vips80),
               len(pil80), f"imgate/Pillow <= {BYTES_TARGET}", note)


# ---------------------------------------------------------------- threads


def thread_task(source: Path, jobs: int) -> tuple[Row, float]:
    """Task d: icon jobs per second on 1 and on 2 threads; returns the row and 2t/1t."""
    one = imgate("throughput", source, 1, jobs)["images_per_second"]
    two = imgate("throughput", source, 2, jobs)["images_per_second"]
    note = f"{jobs} jobs: {one:.2f} img/s on 1 thread, {two:.2f} img/s on 2 threads"
    row = Row("d. icon jobs/s, 2 threads / 1", "x", two / one, None, None,
              f"2t/1t >= {SCALING_TARGET} (about 2)", note)
    return row, two / one


# ---------------------------------------------------------------- report


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    if unit == "B":
        return f"{value / 1024:.1f} KiB"
    return f"{value:.2f}x"


def ratio(a: float, b: float | None) -> str:
    return "-" if b is None or b == 0 or a != a else f"{a / b:.2f}"


def print_table(source: Path, rows: list[Row]) -> None:
    with Image.open(source) as im:
        w, h = im.size
    print(f"\n== {source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}"
          f"  ({w}x{h}, {w * h / 1e6:.1f} MP)")
    head = ("task", "imgate", "pyvips", "Pillow", "img/vips", "img/Pil", "target")
    widths = (34, 11, 11, 11, 8, 8, 26)
    print("  ".join(h.ljust(n) for h, n in zip(head, widths)))
    for r in rows:
        cells = (r.task, fmt(r.imgate, r.unit), fmt(r.pyvips, r.unit), fmt(r.pillow, r.unit),
                 ratio(r.imgate, r.pyvips), ratio(r.imgate, r.pillow), r.target)
        print("  ".join(c.ljust(n) for c, n in zip(cells, widths)))
        if r.note:
            print(f"    {r.note}")


def checks_for(source: Path, rows: list[Row]) -> list[Check]:
    out = []
    for r in rows:
        if r.unit == "s" and r.pyvips:
            value = r.imgate / r.pyvips
            out.append(Check(f"{r.task}: {r.target}", source.name, value, value <= TIME_TARGET))
        elif r.unit == "B" and r.pillow:
            value = r.imgate / r.pillow
            met = value <= BYTES_TARGET  # NaN (never reached) is not met
            out.append(Check(f"c. JPEG bytes @ SSIM: {r.target}", source.name, value, met))
    return out


def print_verdicts(checks: list[Check]) -> None:
    print("\nTargets")
    for target in dict.fromkeys(c.target for c in checks):
        group = [c for c in checks if c.target == target]
        verdict = "met" if all(c.met for c in group) else "NOT MET"
        values = ", ".join(f"{c.source} {c.value:.2f}" + ("" if c.met else " (no)")
                           for c in group)
        print(f"  [{verdict}] {target}: {values}")


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="main JPEG (12 MP)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions and jobs")
    p.add_argument("--no-photos", action="store_true", help="skip fixtures/photos/*.jpg")
    p.add_argument("--no-build", action="store_true", help="use the existing helper binary")
    return p.parse_args()


def run_source(source: Path, reps: dict[str, int]) -> list[Row]:
    print(f"measuring {source.name} ...", flush=True)
    return [time_task("thumb", source, reps["thumb"]),
            time_task("icon", source, reps["icon"]),
            bytes_task(source)]


def main() -> None:
    args = parse_args()
    pyvips.cache_set_max(0)
    reps = {"thumb": 2, "icon": 1} if args.quick else {"thumb": 10, "icon": 5}
    jobs = 4 if args.quick else 8
    if not args.no_build:
        build_helper()
    sources = [args.source.resolve()]
    if not args.no_photos:
        sources += sorted(PHOTOS.glob("*.jpg"))
    started = time.perf_counter()
    tables, checks = [], []
    for source in sources:
        rows = run_source(source, reps)
        if source == sources[0]:
            row, scaling = thread_task(source, jobs)
            rows.append(row)
            checks.append(Check(f"{row.task}: {row.target}", source.name, scaling,
                                scaling >= SCALING_TARGET))
        tables.append((source, rows))
        checks += checks_for(source, rows)
    print(f"\nlibvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}, "
          f"Pillow {Image.__version__}, one thread each; reps thumb {reps['thumb']}, "
          f"icon {reps['icon']}; measured in {time.perf_counter() - started:.0f} s")
    for source, rows in tables:
        print_table(source, rows)
    print_verdicts(sorted(checks, key=lambda c: c.target))


if __name__ == "__main__":
    main()
