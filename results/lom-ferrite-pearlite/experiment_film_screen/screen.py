# Which films setting draws low-carbon pearlite the size the real SAE 1020 crops show it?
# Screened on synthetic data and the real crops' granulometry alone, before any training:
# one supersampled C22E overview (synthetic_c22e.py's: 0.22 wt% C, 15 px grains, seed 7) per
# (FILM_EDGES, FILM_WEDGES), its centre quarter measured with experiment 22's granulometry
# (dark pixels and true pearlite in features at least 3 / 5 / 7 px across), the real crops at
# the preset's 1.25x beside them. Then where a synthetic overview's dark ferrite lies: within
# 2 px of pearlite (the blurred films' halo and the ferrite-pearlite line) or farther (grooves).
#   python screen.py OUT EDGES,WEDGES...   (e.g. 0.7,0.3 1.0,0.3 1.0,1.0)
import sys
from pathlib import Path

from scipy import ndimage
from skimage import io, transform

sys.path.insert(0, str(Path(__file__).parent.parent / "experiment_texture_probe"))
from steelseg import synth  # noqa: E402
from texture import CROP, REAL, granulometry, optical_density  # noqa: E402

SIZES = ("all", ">= 3 px", ">= 5 px", ">= 7 px")


def synthetic_row(out: Path, edges: float, wedges: float) -> dict[str, str]:
    data = out / f"edges{edges}_wedges{wedges}"
    if not (data / "truth").is_dir():
        synth.FILM_EDGES, synth.FILM_WEDGES = edges, wedges
        synth.generate(data, samples=1, images_per_sample=[1], annotated_per_sample=1,
                       carbon=0.22, grain_size_px=15, seed=7, pearlite="films",
                       supersample=True)  # fmt: skip
    rgb = io.imread(data / "images/S1_annealed_01.png")[CROP][..., :3]
    truth = io.imread(data / "truth/S1_annealed_01.png")[CROP] == 1
    dark_mask = optical_density(rgb) > 0.12
    dark, true = granulometry(dark_mask), granulometry(truth)
    row = {s: f"{d:.1f} / {t:.1f}" for s, d, t in zip(SIZES, dark, true, strict=True)}
    near = ndimage.binary_dilation(truth, iterations=2)
    dark_ferrite = dark_mask & ~truth
    row["halo"] = f"{100 * (dark_ferrite & near).mean():.1f}"
    row["grooves"] = f"{100 * (dark_ferrite & ~near).mean():.1f}"
    row["missed"] = f"{100 * (truth & ~dark_mask).mean():.1f}"
    return row


def real_row(name: str) -> dict[str, str]:
    rgb = io.imread(f"{REAL}/{name}.png")[..., :3].astype(float)
    rgb = transform.rescale(rgb, 1.25, channel_axis=-1, preserve_range=True)
    return {s: f"{d:.1f}" for s, d in zip(SIZES, granulometry(optical_density(rgb) > 0.12),
                                         strict=True)}  # fmt: skip


if __name__ == "__main__":
    out, settings = Path(sys.argv[1]), sys.argv[2:]
    rows = {n: real_row(n) for n in ("sae1020_1", "sae1020_2")}
    for setting in settings:
        edges, wedges = (float(v) for v in setting.split(","))
        rows[f"C22E films, edges {edges}, wedges {wedges}"] = synthetic_row(out, edges, wedges)
    print("| image (real: dark %; synthetic: dark % / true pearlite %) | "
          + " | ".join(f"features {s}" for s in SIZES) + " |")  # fmt: skip
    print("|---|" + "---|" * len(SIZES))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(row[s] for s in SIZES) + " |")
    print("\n| synthetic overview | dark ferrite within 2 px of pearlite % "
          "| dark ferrite farther % "
          "| pearlite not dark % |\n|---|---|---|---|")  # fmt: skip
    for name, row in rows.items():
        if "halo" in row:
            print(f"| {name} | {row['halo']} | {row['grooves']} | {row['missed']} |")
