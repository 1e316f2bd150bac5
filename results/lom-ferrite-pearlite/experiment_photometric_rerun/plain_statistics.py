# Experiment 20's paired control: the same trained weights with BatchNorm's population statistics
# taken over the *plain* training tiles, as the train step did before 6bb1aa2 (experiments 4, 12).
# Only the BatchNorm buffers differ from CHECKPOINT; the weights are the trained ones.
#   python plain_statistics.py CHECKPOINT TILES SPLIT OUT.pt
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch
from steelseg.tiles import TileStore
from steelseg.train import TrainConfig, Trainer, read_split

if __name__ == "__main__":
    checkpoint, tiles, split, out = sys.argv[1:5]
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    trained = TrainConfig(**json.loads(payload["train_config"]))
    config = replace(trained, augment="none", device="cpu", workers=1)
    trainer = Trainer(
        payload["model_name"],
        TileStore.open(tiles),
        read_split(split),
        payload["class_names"],
        config,
        Path(out).parent,
        threads=2,
    )
    trainer.model.load_state_dict(payload["state_dict"])
    trainer.population_batchnorm()
    state = {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}
    changed = [k for k in state if not torch.equal(state[k], payload["state_dict"][k])]
    assert all(("running_" in k or "num_batches" in k) for k in changed), changed
    print(f"{len(changed)} BatchNorm buffers changed, no weight", file=sys.stderr)
    payload["state_dict"] = state
    payload["batchnorm_statistics"] = "population, plain tiles (the code before 6bb1aa2)"
    torch.save(payload, out)
