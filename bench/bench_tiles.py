"""Tile store read speed: memory-mapped .npy arrays vs one PNG file per tile.

Run: python bench/bench_tiles.py [--tiles 2000]
Reads random batches of 32 tiles (image + mask), as a training loop does. Prints a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tabulate import tabulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=2000)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    # Smooth-ish content so PNG compression behaves as on micrographs, not on pure noise.
    base = rng.integers(0, 255, (args.tiles, 56, 56, 3), dtype=np.uint8)
    images = base.repeat(4, 1).repeat(4, 2)
    masks = (images[..., 0] > 127).astype(np.uint8)
    batches = [rng.choice(args.tiles, 32, replace=False) for _ in range(args.batches)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        np.save(root / "images.npy", images)
        np.save(root / "masks.npy", masks)
        npy_write = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(args.tiles):
            Image.fromarray(images[i]).save(root / f"{i}.png")
            Image.fromarray(masks[i]).save(root / f"{i}_m.png")
        png_write = time.perf_counter() - start
        start = time.perf_counter()
        im = np.load(root / "images.npy", mmap_mode="r")
        mk = np.load(root / "masks.npy", mmap_mode="r")
        for batch in batches:
            order = np.sort(batch)
            _ = np.asarray(im[order]), np.asarray(mk[order])
        npy_read = (time.perf_counter() - start) / args.batches
        start = time.perf_counter()
        for batch in batches:
            _ = [np.asarray(Image.open(root / f"{i}.png")) for i in batch]
            _ = [np.asarray(Image.open(root / f"{i}_m.png")) for i in batch]
        png_read = (time.perf_counter() - start) / args.batches
        npy_size = sum(p.stat().st_size for p in root.glob("*.npy")) / 2**20
        png_size = sum(p.stat().st_size for p in root.glob("*.png")) / 2**20
    rows = [
        ("npy memmap (steelseg)", f"{npy_write:.2f}", f"{npy_read * 1000:.1f}", f"{npy_size:.0f}"),
        ("loose PNGs", f"{png_write:.2f}", f"{png_read * 1000:.1f}", f"{png_size:.0f}"),
    ]
    print(f"{args.tiles} tiles of 224x224, batches of 32 (image + mask)")
    print(
        tabulate(
            rows,
            headers=["store", "write all, s", "read batch, ms", "size, MiB"],
            tablefmt="github",
        )
    )
    print(f"speed-up of reads: {png_read / npy_read:.1f}x")


if __name__ == "__main__":
    main()
