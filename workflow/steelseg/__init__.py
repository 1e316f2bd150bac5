"""steelseg: semantic segmentation of steel micrographs, one module per workflow step."""

__version__ = "0.1.0"
