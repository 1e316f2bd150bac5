# AdaBN: a checkpoint's BatchNorm statistics re-estimated on the images to segment, pooled over
# all of them (resampled by SCALE as `steelseg predict --scale` does), in one batch of 224 px
# windows at half-tile steps, the last one flush with the far edge. Only the BatchNorm layers
# whose name starts with PREFIX (default: all).
#   python adapt.py CHECKPOINT IMAGES_DIR SCALE OUT_CHECKPOINT [PREFIX]
import glob
import sys

import torch
import torch.nn.functional as F
from steelseg import io
from steelseg.models import build_model
from steelseg.train import to_network_input

TILE = 224


def starts(length):
    last = max(length - TILE, 0)
    return sorted(set(range(0, last + 1, TILE // 2)) | {last})


ckpt_path, images_dir, scale, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else ""
ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
model = build_model(ckpt["model_name"], ckpt["num_classes"])
model.load_state_dict(ckpt["state_dict"])
crops = []
for f in sorted(glob.glob(f"{images_dir}/*.png")):
    x = to_network_input(io.read_image(f)[None], ckpt["mean"], ckpt["std"])
    if scale != 1:
        x = F.interpolate(x, scale_factor=scale, mode="bilinear", antialias=True)
    h, w = x.shape[-2:]
    crops += [x[..., y : y + TILE, x0 : x0 + TILE] for y in starts(h) for x0 in starts(w)]
model.eval()
for name, m in model.named_modules():
    if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and name.startswith(prefix):
        m.reset_running_stats()
        m.momentum = None  # the statistics of this one batch, not a running blend
        m.train()
with torch.no_grad():
    model(torch.cat(crops))
model.eval()
ckpt["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
torch.save(ckpt, out)
