# Which films setting draws low-carbon pearlite the size the real SAE 1020 crops show it?
# Screened on synthetic data and the real crops' granulometry alone, before any training: one
# supersampled C22E overview (synthetic_c22e.py's: 0.22 wt% C, 15 px grains, seed 7) per
# setting of the generator's constants, its centre quarter measured with experiment 22's
# granulometry (dark pixels and true pearlite in features at least 3 / 5 / 7 px across), the
# real crops at the preset's 1.25x beside them. Then where a synthetic overview's dark ferrite
# lies: within 2 px of pearlite (the blurred films' halo, the ferrite-pearlite line) or farther
# (grooves between ferrite grains).
#   python screen.py OUT SETTING...   (SETTING: NAME=VALUE pairs joined by ":", NAME one of
#   synth's constants FILM_EDGES, FILM_WEDGES, OVERVIEW_PSF_PX (LOW-HIGH) or one of
#   synth.generate's arguments, e.g. interface_depth; "default" for none)
import inspect
import sys
from pathlib import Path

from scipy import ndimage
from skimage import io

sys.path.insert(0, str(Path(__file__).parent.parent / "experiment_texture_probe"))
from steelseg import synth  # noqa: E402
from texture import CROP, REAL, dark_at_preset, granulometry  # noqa: E402

ARGUMENTS = inspect.signature(synth.generate).parameters
SIZES = ("all", ">= 3 px", ">= 5 px", ">= 7 px")


def parse(setting: str) -> dict[str, object]:
    """'FILM_EDGES=1:OVERVIEW_PSF_PX=0.3-0.5' -> {FILM_EDGES: 1.0, OVERVIEW_PSF_PX: (0.3, 0.5)}"""
    values = {}
    for pair in setting.split(":") if setting != "default" else []:
        name, value = pair.split("=")
        if not (name.isupper() and hasattr(synth, name)) and name not in ARGUMENTS:
            sys.exit(
                f"{setting}: {name} is neither a constant of synth nor an argument of generate"
            )
        values[name] = tuple(map(float, value.split("-"))) if "-" in value else float(value)
    return values


def synthetic_row(out: Path, setting: str) -> dict[str, str]:
    data = out / setting.replace(":", "_")
    if not (data / "truth").is_dir():
        values = parse(setting)
        constants = {name: v for name, v in values.items() if name.isupper()}
        defaults = {name: getattr(synth, name) for name in constants}
        for name, value in constants.items():
            setattr(synth, name, value)
        arguments = {name: v for name, v in values.items() if not name.isupper()}
        synth.generate(data, samples=1, images_per_sample=[1], annotated_per_sample=1,
                       carbon=0.22, grain_size_px=15, seed=7, pearlite="films",
                       supersample=True, **arguments)  # fmt: skip
        for name, value in defaults.items():
            setattr(synth, name, value)
    rgb = io.imread(data / "images/S1_annealed_01.png")[CROP][..., :3]
    truth = io.imread(data / "truth/S1_annealed_01.png")[CROP] == 1
    dark_mask = dark_at_preset(rgb, real=False)
    dark, true = granulometry(dark_mask), granulometry(truth)
    row = {s: f"{d:.1f} / {t:.1f}" for s, d, t in zip(SIZES, dark, true, strict=True)}
    near = ndimage.binary_dilation(truth, iterations=2)
    dark_ferrite = dark_mask & ~truth
    row["halo"] = f"{100 * (dark_ferrite & near).mean():.1f}"
    row["grooves"] = f"{100 * (dark_ferrite & ~near).mean():.1f}"
    row["missed"] = f"{100 * (truth & ~dark_mask).mean():.1f}"
    return row


def real_row(name: str) -> dict[str, str]:
    dark = granulometry(dark_at_preset(io.imread(f"{REAL}/{name}.png")[..., :3], real=True))
    return {s: f"{d:.1f}" for s, d in zip(SIZES, dark, strict=True)}


if __name__ == "__main__":
    out, settings = Path(sys.argv[1]), sys.argv[2:]
    rows = {n: real_row(n) for n in ("sae1020_1", "sae1020_2")}
    for setting in settings:
        rows[f"C22E films, {setting}"] = synthetic_row(out, setting)
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
