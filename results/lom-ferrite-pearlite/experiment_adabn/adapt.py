# adapt.py CHECKPOINT IMAGES_DIR SCALE OUT_CHECKPOINT [PREFIX]: AdaBN on the images (pooled),
# only BatchNorm layers whose name starts with PREFIX (default: all).
import sys, glob
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from steelseg import io
from steelseg.models import build_model
from steelseg.train import to_network_input
ckpt_path, images_dir, scale, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
prefix = sys.argv[5] if len(sys.argv) > 5 else ""
ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
model = build_model(ckpt["model_name"], ckpt["num_classes"]); model.load_state_dict(ckpt["state_dict"])
tile = 224; crops = []
for f in sorted(glob.glob(f"{images_dir}/*.png")):
    x = to_network_input(io.read_image(f)[None], ckpt["mean"], ckpt["std"])
    if scale != 1:
        x = F.interpolate(x, scale_factor=scale, mode="bilinear", antialias=True)
    h, w = x.shape[-2:]
    # windows at half-tile steps, the last one flush with the far edge
    ys = sorted(set(range(0, max(h - tile, 0) + 1, tile // 2)) | {max(h - tile, 0)})
    xs = sorted(set(range(0, max(w - tile, 0) + 1, tile // 2)) | {max(w - tile, 0)})
    for y0 in ys:
        for x0 in xs:
            crops.append(x[..., y0:y0 + tile, x0:x0 + tile])
model.eval()
for n, m in model.named_modules():
    if isinstance(m, nn.modules.batchnorm._BatchNorm) and n.startswith(prefix):
        m.reset_running_stats(); m.momentum = None; m.train()
with torch.no_grad():
    model(torch.cat(crops))
model.eval()
ckpt["state_dict"] = {k: v.detach().cpu() for k, v in model.state_dict().items()}
torch.save(ckpt, out)
