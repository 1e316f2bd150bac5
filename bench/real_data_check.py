"""Real-data check of a trained model: pearlite % per real micrograph at several scales, and the
dark phase by lightness alone (docs/real-data-check.md).

Run: python bench/real_data_check.py CHECKPOINT [--checkpoint MORE.pt ...]
         [--images ../shared/data/lom-ferrite-pearlite] [--scales 1 1.25 1.5 2 3 4] [--tta-at 1.25]

Each scale is one `steelseg predict` run in a scratch folder (kept with --keep DIR, where a
rerun reads the runs it already has). A crop's lever-rule band comes from its name's prefix
(sae1020_*, sae1045_*; --band PREFIX=LOW-HIGH adds others). Prints two Markdown tables; asserts
nothing.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import color

# Lever-rule bands of the shared crops (ferrite 0.022, pearlite 0.77 wt% C; SAE 1020: 0.17-0.23,
# SAE 1045: 0.43-0.50 wt% C; normalised steels a little above).
BANDS = {"sae1020": (0.15, 0.35), "sae1045": (0.50, 0.75)}


def dark_fraction(rgb: np.ndarray, below: float = 12.0) -> float:
    """Share of pixels whose CIELAB L* lies more than ``below`` under the 75th percentile (the
    ferrite level): an upper bound of what a segmentation calling the dark phase pearlite reads
    (it over-reads the synthetic overviews' truth by 1-7 points)."""
    lightness = color.rgb2lab(rgb.astype(np.float64) / 255.0)[..., 0]
    return float((np.percentile(lightness, 75) - lightness > below).mean())


def fractions(checkpoints, images, folder: Path, scale: float, tta: bool) -> dict[str, float]:
    """Each image's pearlite fraction from one `steelseg predict` run into ``folder``."""
    table = folder / "phase_fractions.csv"
    if not table.is_file():
        command = [sys.executable, "-m", "steelseg", "predict", str(images), "--out", str(folder)]
        command += [a for path in checkpoints for a in ("--checkpoint", str(path))]
        command += ["--scale", str(scale), "--tta" if tta else "--no-tta"]
        subprocess.run(command, check=True, capture_output=True)
    with open(table, newline="") as handle:
        return {r["image"]: float(r["fraction_pearlite"]) for r in csv.DictReader(handle)}


def band(name: str, bands) -> tuple[float, float] | None:
    return next((b for prefix, b in bands.items() if name.startswith(prefix)), None)


def ranked(f: dict[str, float], bands) -> str:
    """'yes' where every image of a higher band reads above every image of a lower one."""
    groups = {}
    for name, value in f.items():
        if (b := band(name, bands)) is not None:
            groups.setdefault(b, []).append(value)
    order = [groups[b] for b in sorted(groups)]
    pairs = zip(order, order[1:], strict=False)  # neighbouring bands
    return "yes" if all(min(hi) > max(lo) for lo, hi in pairs) else "no"


def sweep_row(label: str, f: dict[str, float], bands) -> str:
    names = sorted(f)
    inside = sum(b[0] <= f[n] <= b[1] for n in names if (b := band(n, bands)))
    banded = sum(band(n, bands) is not None for n in names)
    cells = " | ".join(f"{100 * f[n]:.1f}" for n in names)
    return f"| {label} | {cells} | {inside}/{banded} | {ranked(f, bands)} |"


def parse_band(text: str) -> tuple[str, tuple[float, float]]:
    prefix, _, span = text.partition("=")
    low, _, high = span.partition("-")
    return prefix, (float(low) / 100, float(high) / 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path, nargs="+", help="checkpoint.pt; several: ensemble")
    parser.add_argument("--images", type=Path, default=Path("../shared/data/lom-ferrite-pearlite"))
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 1.25, 1.5, 2, 3, 4])
    parser.add_argument("--tta-at", type=float, default=1.25, help="also run --tta at this scale")
    parser.add_argument("--band", action="append", default=[], help="PREFIX=LOW-HIGH, in %%")
    parser.add_argument("--keep", type=Path, help="keep the predict runs here")
    args = parser.parse_args()
    if not args.images.is_dir():
        parser.error(f"{args.images}: not a folder; give --images the real micrographs' folder")
    bands = BANDS | dict(parse_band(b) for b in args.band)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        runs = [(s, False) for s in args.scales] + [(args.tta_at, True)]
        results = {}
        for scale, tta in runs:
            folder = root / f"s{scale:g}{'-tta' if tta else ''}"
            results[scale, tta] = fractions(args.checkpoint, args.images, folder, scale, tta)
    names = sorted(next(iter(results.values())))
    print("| --scale, --tta | " + " | ".join(f"{n} %" for n in names) + " | in band | ranking |")
    print("|---" * (len(names) + 3) + "|")
    for (scale, tta), f in sorted(results.items()):
        print(sweep_row(f"{scale:g}{', tta' if tta else ''}", f, bands))
    print("\n| image | dark by lightness % | lever-rule band % |")
    print("|---|---|---|")
    for path in sorted(p for p in args.images.iterdir() if p.stem in names):
        rgb = np.asarray(Image.open(path).convert("RGB"))
        b = band(path.stem, bands)
        span = f"{100 * b[0]:.0f}-{100 * b[1]:.0f}" if b else "-"
        print(f"| {path.stem} | {100 * dark_fraction(rgb):.1f} | {span} |")


if __name__ == "__main__":
    main()
