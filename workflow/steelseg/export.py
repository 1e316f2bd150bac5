"""Trained checkpoints as ONNX models, to run where PyTorch is not (onnxruntime, OpenCV's DNN
module, ONNX-capable image software).

The graph takes a normalised float32 image batch (N, 3, H, W) and returns logits (N, K, H, W);
batch, height and width are free (H and W multiples of the network's stride, as in PyTorch).
The metadata says how to make its input and what its output means: ``steelseg.mean``,
``steelseg.std`` and ``steelseg.colour`` (input = ((rgb / 255) - mean) / std, RGB in that
channel order, or each pixel's luminance in all three for ``grey``), ``steelseg.classes`` (the
output channels' class names, JSON), ``steelseg.model`` and ``steelseg.tile_size``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch

from . import io
from .errors import SteelsegError
from .predict.checkpoints import load_checkpoint

OPSET = 18


def metadata(checkpoint: dict) -> dict[str, str]:
    """The ONNX metadata_props of a checkpoint: what its input is and its outputs mean."""
    return {
        "steelseg.model": str(checkpoint["model_name"]),
        "steelseg.classes": json.dumps(list(checkpoint["class_names"])),
        "steelseg.mean": json.dumps([float(v) for v in checkpoint["mean"]]),
        "steelseg.std": json.dumps([float(v) for v in checkpoint["std"]]),
        "steelseg.colour": str(checkpoint.get("colour", "rgb")),
        "steelseg.tile_size": str(int(checkpoint["tile_size"])),
        "steelseg.input": "float32 (N, 3, H, W): ((RGB / 255) - mean) / std",
        "steelseg.output": "float32 logits (N, classes, H, W); argmax over classes = mask",
    }


def to_onnx(checkpoint_path: str | Path, path: Path) -> None:
    """One checkpoint as an ONNX file at ``path`` (written whole or not at all)."""
    import onnx

    model, checkpoint = load_checkpoint(checkpoint_path, torch.device("cpu"))
    model = model.to(memory_format=torch.contiguous_format)
    tile = int(checkpoint["tile_size"])
    example = torch.zeros(1, 3, tile, tile)
    with warnings.catch_warnings():  # the exporter's notes on its own internals
        warnings.simplefilter("ignore")
        with io.atomic_file(path) as tmp:
            torch.onnx.export(
                model,
                (example,),
                str(tmp),
                input_names=["image"],
                output_names=["logits"],
                dynamic_axes={
                    "image": {0: "batch", 2: "height", 3: "width"},
                    "logits": {0: "batch", 2: "height", 3: "width"},
                },
                opset_version=OPSET,
                dynamo=True,
                verbose=False,
            )
            graph = onnx.load(str(tmp))
            for key, value in metadata(checkpoint).items():
                graph.metadata_props.add(key=key, value=value)
            onnx.checker.check_model(graph)
            onnx.save(graph, str(tmp))


def export_onnx(checkpoints: Sequence[str | Path], out: str | Path) -> list[Path]:
    """``steelseg export --onnx``: every checkpoint as ``out/<model>.onnx``; ``out`` is
    written whole, and two checkpoints of one model are refused (their files would clash)."""
    paths = [Path(p) for p in checkpoints]
    io.check_output_dir(out, tuple(paths))
    names: dict[str, Path] = {}
    for path in paths:
        checkpoint = io.load_torch(path, "steelseg checkpoint", ("model_name",))
        name = checkpoint["model_name"]
        if name in names:
            raise SteelsegError(
                f"{path}: a second {name} checkpoint (also {names[name]}); export each into "
                "its own --onnx folder"
            )
        names[name] = path
    with io.atomic_dir(out, inputs=tuple(paths)) as tmp:
        for name, path in names.items():
            to_onnx(path, tmp / f"{name}.onnx")
    return [Path(out) / f"{name}.onnx" for name in names]
