"""Training as the paper did it (MATLAB ``trainNetwork``), resumable and logged.

Adam (lr 1e-3) with L2 regularisation, at most 3 epochs, mini-batches of 32 (SegNet 16) reshuffled
every epoch, the incomplete last mini-batch dropped, validation every N iterations with patience 4
(stop when the validation loss has not improved for 4 validations in a row), class-weighted
cross-entropy with median-frequency weights from the training tiles. The checkpoint kept is the
one with the lowest validation loss, its BatchNorm statistics then recomputed over the training
tiles (MATLAB's default 'population' statistics).

The network learns from the RF masks, as the paper's did; ``labels='truth'`` trains on the exact
truth of synthetic data instead, which tells the forest's errors from the network's.

``colour='grey'`` feeds the network the luminance alone (in all three channels, so every encoder
and its ImageNet weights work unchanged): a model that never sees hue cannot read the light's
colour, which RGB models trained on the synthetic data do on real micrographs
(docs/real-data-check.md). The checkpoint records it, and inference converts alike.

A killed run resumes from ``resume.pt`` (written every ``checkpoint_every`` iterations): model,
optimiser, torch RNG state, epoch and position in it. Epoch orders come from ``(seed, epoch)``, so
a resumed run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .. import augment, io, settings
from ..errors import SteelsegError, warn
from ..models import build_model, count_parameters, spec
from ..network import COLOURS, IMAGENET_MEAN, IMAGENET_STD, forward, pick_device
from ..split import read_split
from ..tiles import TileStore
from .batches import batch_loader, class_weights, epoch_batches, in_order, labelled_tiles
from .records import (
    Progress,
    compute_environment,
    environment_change,
    plot_curves,
    write_log,
)

_TRAIN = settings.defaults("train")
_MODEL = {
    key: spec["default"]
    for key, spec in settings.schema()["properties"]["models"]["additionalProperties"][
        "properties"
    ].items()
}


@dataclass
class TrainConfig:
    """A training's settings; the defaults are the configuration's (config.schema.yaml)."""

    epochs: int = _TRAIN["epochs"]
    batch_size: int = _MODEL["batch_size"]
    learning_rate: float = _TRAIN["learning_rate"]
    l2: float = _TRAIN["l2"]
    validation_frequency: int = _TRAIN["validation_frequency"]
    patience: int = _TRAIN["patience"]
    max_iterations: int | None = _TRAIN["max_iterations"]
    seed: int = _TRAIN["seed"]
    device: str = _TRAIN["device"]
    workers: int = _TRAIN["workers"]
    checkpoint_every: int | None = _TRAIN["checkpoint_every"]  # None: at every validation
    weights: str | None = _MODEL["weights"]
    augment: str = _TRAIN["augment"]  # one of augment.CHOICES; the paper: none
    labels: str = _TRAIN["labels"]  # or "truth": the exact truth of synthetic data
    colour: str = _TRAIN["colour"]  # or "grey": the network sees luminance only (COLOURS)
    output_network: str = _TRAIN["output_network"]  # best (validation loss) or last (MATLAB)
    final_relu: bool = _MODEL["final_relu"]  # SegNet's last block as the paper's Table A2

    def fingerprint(self, model: str, n_train: int) -> str:
        """What must match for a resume to be the same run (device and workers may differ)."""
        keep = {k: v for k, v in asdict(self).items() if k not in ("device", "workers")}
        text = json.dumps([model, n_train, keep], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Trainer:
    def __init__(
        self,
        model_name: str,
        store: TileStore,
        split: dict[str, np.ndarray],
        class_names: list[str],
        config: TrainConfig,
        out: Path,
        threads: int = 1,
    ):
        self.name, self.store, self.split = model_name, store, split
        self.class_names, self.config, self.out = class_names, config, Path(out)
        self.num_classes = len(class_names)
        if store.meta["num_classes"] != self.num_classes:
            raise SteelsegError(
                f"{store.root / 'meta.json'}: tiles have {store.meta['num_classes']} classes but "
                f"--classes names {self.num_classes}; use the class list the tiles were made with"
            )
        if len(split["train"]) == 0:
            raise SteelsegError("split: no training tiles; check the split fractions")
        if config.augment not in augment.CHOICES:
            raise SteelsegError(
                f"augment '{config.augment}': unknown; use one of {', '.join(augment.CHOICES)}"
            )
        if config.colour not in COLOURS:
            raise SteelsegError(
                f"colour '{config.colour}': unknown; use one of {', '.join(COLOURS)}"
            )
        targets = store.labels(config.labels)  # checked before the model is built
        self.split = {
            name: labelled_tiles(targets, tiles) if name in ("train", "val") else tiles
            for name, tiles in split.items()
        }
        if len(self.split["train"]) == 0:
            raise SteelsegError(
                f"{store.root}: every training tile is left out (all {io.IGNORE} in its "
                f"{config.labels}); check the data set's exclude/ masks"
            )
        split = self.split
        multiple = spec(model_name).multiple
        if store.meta["size"] % multiple:
            raise SteelsegError(
                f"model '{model_name}': tile size {store.meta['size']} is not a multiple of "
                f"{multiple}, which this network needs; choose a tile size like 224"
            )
        torch.set_num_threads(max(1, threads))
        self.device = pick_device(config.device)
        torch.manual_seed(config.seed)
        network = build_model(model_name, self.num_classes, config.weights, config.final_relu)
        self.model = network.to(self.device)
        if self.device.type == "cuda":
            self.model = self.model.to(memory_format=torch.channels_last)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=config.learning_rate, weight_decay=config.l2
        )
        self.weights = class_weights(targets, split["train"], self.num_classes)
        self.loss = nn.CrossEntropyLoss(
            weight=torch.from_numpy(self.weights).to(self.device), ignore_index=io.IGNORE
        )
        self.state = Progress()
        self.fingerprint = config.fingerprint(model_name, len(split["train"]))
        per_epoch = len(epoch_batches(split["train"], config.batch_size, 0, 0))
        self.total = per_epoch * config.epochs
        if config.max_iterations:
            self.total = min(self.total, config.max_iterations)

    # -- checkpoints -------------------------------------------------------------------------
    @property
    def resume_path(self) -> Path:
        return self.out / "resume.pt"

    def _save_resume(self) -> None:
        payload = {
            "fingerprint": self.fingerprint,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state() if self.device.type == "cuda" else None,
            "progress": json.dumps(asdict(self.state)),
        }
        io.save_torch(payload, self.resume_path)

    def try_resume(self) -> bool:
        """Continue from resume.pt where it is this training's; another training's (another
        model, data or configuration) or an unreadable one is said and replaced, never mixed
        in."""
        if not self.resume_path.is_file():
            return False
        keys = ("fingerprint", "model", "optimizer", "rng", "progress")
        try:
            payload = io.load_torch(self.resume_path, "resume checkpoint", keys)
        except SteelsegError as exc:
            warn(f"{exc}; training starts afresh and replaces it")
            return False
        if payload["fingerprint"] != self.fingerprint:
            warn(
                f"{self.resume_path}: is of another training (model, tiles or settings differ); "
                "training starts afresh and replaces it"
            )
            return False
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        torch.set_rng_state(payload["rng"].cpu())
        if payload.get("cuda_rng") is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(payload["cuda_rng"].cpu())
        self.state = Progress(**json.loads(payload["progress"]))
        return True

    def _best_payload(self, val_loss: float, val_accuracy: float) -> dict[str, object]:
        return {
            "model_name": self.name,
            "num_classes": self.num_classes,
            "class_names": list(self.class_names),
            "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
            "colour": self.config.colour,
            "tile_size": int(self.store.meta["size"]),
            "iteration": self.state.iteration,
            "val_loss": val_loss,
            "val_accuracy": val_accuracy,
            "train_config": json.dumps(asdict(self.config)),
            "final_relu": self.config.final_relu,
        }

    @property
    def best_path(self) -> Path:
        # Not checkpoint.pt itself: Snakemake deletes a job's declared outputs before re-running
        # it, and the best weights must survive a kill. Moved into place when training ends.
        return self.out / ".best.pt"

    def _save_best(self, val_loss: float, val_accuracy: float) -> None:
        io.save_torch(self._best_payload(val_loss, val_accuracy), self.best_path)
        self.state.output_iteration = self.state.iteration

    # -- steps -------------------------------------------------------------------------------
    def _forward(self, images: torch.Tensor) -> torch.Tensor:
        return forward(self.model, images, self.device)

    def _train_step(self, images, masks) -> tuple[float, float]:
        self.model.train()
        masks = masks.to(self.device, non_blocking=True)
        labelled = masks != io.IGNORE
        if not labelled.any():  # a zoom put every tile of the batch inside a part left out
            return math.nan, math.nan
        logits = self._forward(images)
        loss = self.loss(logits, masks)
        if not torch.isfinite(loss):
            raise SteelsegError(
                f"model '{self.name}': training loss is {loss.item()} at iteration "
                f"{self.state.iteration}; lower the learning rate or check the tiles for "
                "corrupt values"
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        accuracy = (logits.argmax(1) == masks)[labelled].float().mean().item()
        return loss.item(), accuracy

    @torch.no_grad()
    def validate(self) -> tuple[float, float]:
        """Loss (class-weighted, as in training) and pixel accuracy over the validation set."""
        self.model.eval()
        tiles = self.split["val"]
        batches = in_order(tiles, self.config.batch_size)
        loss_sum = weight_sum = correct = total = 0.0
        weights = self.loss.weight
        loader = batch_loader(self.store.root, batches, self.config)
        for images, masks in loader:
            masks = masks.to(self.device)
            logits = self._forward(images)
            loss_sum += nn.functional.cross_entropy(
                logits, masks, weight=weights, reduction="sum", ignore_index=io.IGNORE
            ).item()
            labelled = masks != io.IGNORE
            weight_sum += weights[masks[labelled]].sum().item()
            correct += (logits.argmax(1) == masks)[labelled].sum().item()
            total += labelled.sum().item()
        return loss_sum / max(weight_sum, 1e-12), correct / max(total, 1)

    # -- loop --------------------------------------------------------------------------------
    def run(self) -> dict[str, object]:
        self.out.mkdir(parents=True, exist_ok=True)
        config, state = self.config, self.state
        has_val = len(self.split["val"]) > 0
        checkpoint_every = config.checkpoint_every or config.validation_frequency
        bar = tqdm(total=self.total, initial=state.iteration, desc=self.name, unit="it")
        started = time.perf_counter() - state.elapsed_s
        done = state.iteration >= self.total or state.stopped_early
        if not done:
            part = {"from_iteration": state.iteration, **compute_environment(self.device)}
            change = state.environments and environment_change(state.environments[-1], part)
            if change:
                print(
                    f"warning: {self.name} resumes with {change}; it will not repeat an "
                    "uninterrupted run bit for bit (summary.json lists each part's environment)",
                    file=sys.stderr,
                )
            state.environments.append(part)
        while not done and state.epoch < config.epochs:
            batches = epoch_batches(
                self.split["train"], config.batch_size, config.seed, state.epoch
            )[state.position :]
            key = (config.seed, state.epoch, state.position)
            loader = batch_loader(self.store.root, batches, config, key)
            for images, masks in loader:
                loss, accuracy = self._train_step(images, masks)
                state.iteration += 1
                state.position += 1
                row = {
                    "iteration": state.iteration,
                    "epoch": state.epoch + 1,
                    "train_loss": loss,
                    "train_accuracy": accuracy,
                    "val_loss": None,
                    "val_accuracy": None,
                }
                last = state.iteration >= self.total
                if has_val and (state.iteration % config.validation_frequency == 0 or last):
                    val_loss, val_accuracy = self.validate()
                    row.update(val_loss=val_loss, val_accuracy=val_accuracy)
                    if val_loss < state.best_val_loss:
                        state.best_val_loss, state.bad_validations = val_loss, 0
                        self._save_best(val_loss, val_accuracy)
                    else:
                        state.bad_validations += 1
                        state.stopped_early = state.bad_validations >= config.patience
                state.elapsed_s = time.perf_counter() - started
                row["elapsed_s"] = round(state.elapsed_s, 3)
                state.log.append(row)
                bar.set_postfix(
                    epoch=state.epoch + 1,
                    loss=f"{loss:.4f}",
                    val=f"{row['val_loss']:.4f}" if row["val_loss"] else "-",
                )
                bar.update()
                done = last or state.stopped_early
                if done:
                    break
                if state.iteration % checkpoint_every == 0:
                    self._save_resume()
            if not done:
                state.epoch, state.position = state.epoch + 1, 0
        bar.close()
        if config.output_network == "last" or not has_val or not self.best_path.exists():
            last = state.log[-1] if state.log else {}  # MATLAB's default, or nothing to select
            self._save_best(last.get("val_loss") or math.nan, last.get("val_accuracy") or math.nan)
        return self._finish()

    @torch.no_grad()
    def population_batchnorm(self) -> bool:
        """Recompute BatchNorm statistics over the training tiles, as MATLAB's trainNetwork
        does by default (BatchNormalizationStatistics = 'population'); dropout stays off.

        With ``augment``, over the tiles augmented as in training (the draws of one epoch more
        than configured): the weights learnt to work on those statistics. Statistics of the
        plain tiles instead left a briefly trained, re-lit model calling new looks' flat
        ferrite pearlite and a third of new micrographs wrong (tests/test_predict.py).

        Returns False for models without BatchNorm (nothing to do).
        """
        norms = [m for m in self.model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return False
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over all batches
        self.model.eval()
        for m in norms:
            m.train()
        tiles = self.split["train"]
        batches = in_order(tiles, self.config.batch_size)
        key = (self.config.seed, self.config.epochs, 0)
        loader = batch_loader(self.store.root, batches, self.config, key)
        for images, _ in tqdm(
            loader,
            total=len(batches),
            desc="batchnorm statistics",
            unit="batch",
        ):
            self._forward(images)
        for m, momentum in zip(norms, momenta, strict=True):
            m.momentum = momentum
        self.model.eval()
        return True

    def _finalise_best(self) -> None:
        """checkpoint.pt = the best weights, with population BatchNorm statistics."""
        payload = io.load_torch(self.best_path, "best-weights checkpoint")
        self.model.load_state_dict(payload["state_dict"])
        if self.population_batchnorm():
            payload["state_dict"] = {
                k: v.detach().cpu() for k, v in self.model.state_dict().items()
            }
            payload["batchnorm_statistics"] = "population"
        io.save_torch(payload, self.out / "checkpoint.pt")

    def _finish(self) -> dict[str, object]:
        state = self.state
        write_log(self.out / "train_log.csv", state.log)
        plot_curves(self.out / "curves.png", state.log, self.name)
        validated = [r for r in state.log if r["val_loss"] is not None]
        last = state.log[-1] if state.log else {}
        summary = {
            "model": self.name,
            "parameters": count_parameters(self.model),
            "training_accuracy": last.get("train_accuracy"),
            "training_loss": last.get("train_loss"),
            "validation_accuracy": validated[-1]["val_accuracy"] if validated else None,
            "validation_loss": validated[-1]["val_loss"] if validated else None,
            "best_validation_loss": state.best_val_loss if validated else None,
            "iterations": state.iteration,
            "epochs_started": state.epoch + 1,
            "stopped_early": state.stopped_early,
            "output_network": self.config.output_network,
            "output_iteration": state.output_iteration,
            "elapsed_s": round(state.elapsed_s, 1),
            "device": str(self.device),
            "labels": self.config.labels,
            "colour": self.config.colour,
            "class_weights": self.weights.tolist(),
            "batch_size": self.config.batch_size,
            "train_tiles": int(len(self.split["train"])),
            "val_tiles": int(len(self.split["val"])),
            # A rerun repeats this training bit for bit only with the same four: the kernels'
            # rounding depends on them (on a CPU, --threads 1 and 2 diverge from iteration 2).
            **compute_environment(self.device),
            "environments": state.environments,
        }
        with io.atomic_file(self.out / "summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=2))
        self._finalise_best()
        self.best_path.unlink()
        self.resume_path.unlink(missing_ok=True)
        return summary


def train(
    model_name: str,
    tiles_dir: str | Path,
    split_path: str | Path,
    class_names: list[str],
    out: str | Path,
    config: TrainConfig,
    threads: int = 1,
    resume: bool = True,
) -> dict[str, object]:
    trainer = Trainer(
        model_name,
        TileStore.open(tiles_dir),
        read_split(split_path),
        class_names,
        config,
        Path(out),
        threads,
    )
    if resume and trainer.try_resume():
        print(f"resuming {model_name} from iteration {trainer.state.iteration}", file=sys.stderr)
    return trainer.run()


def run(
    model_name: str,
    tiles_dir: str | Path,
    split_path: str | Path,
    class_names: list[str],
    out: str | Path,
    weights: str | None,
    resume: bool,
    values: dict,
) -> dict[str, object]:
    """``train`` with the settings (config.schema.yaml: train's and the model's batch_size and
    final_relu) as the workflow and command line give them, ``threads`` among them;
    ``weights`` 'null' or 'none' is no weights."""
    values = dict(values)
    threads = values.pop("threads")
    weights = None if weights in (None, "", "null", "none", "None") else weights
    config = TrainConfig(weights=weights, **values)
    return train(model_name, tiles_dir, split_path, class_names, out, config, threads, resume)
