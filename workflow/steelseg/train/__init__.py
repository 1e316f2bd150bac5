"""Training as the paper did it (MATLAB ``trainNetwork``): ``trainer`` runs it, ``batches``
feeds it, ``records`` logs it."""

from .batches import TileBatches, class_weights, epoch_batches, in_order, labelled_tiles
from .records import LOG_COLUMNS, compute_environment, environment_change
from .trainer import TrainConfig, Trainer, run, train

__all__ = [
    "LOG_COLUMNS",
    "TileBatches",
    "TrainConfig",
    "Trainer",
    "class_weights",
    "compute_environment",
    "environment_change",
    "epoch_batches",
    "in_order",
    "labelled_tiles",
    "run",
    "train",
]
