import numpy as np
import pytest
from steelseg.dataset import load_dataset
from steelseg.errors import SteelsegError

from .conftest import make_folder_dataset

IMAGE = np.zeros((8, 8, 3), np.uint8)


def test_loads_names_samples_and_labels(tmp_path):
    root = make_folder_dataset(
        tmp_path / "d",
        {"a": IMAGE, "b": IMAGE},
        masks={"a": np.zeros((8, 8), np.uint8)},
        samples={"a": "S1", "b": "S2"},
    )
    dataset = load_dataset(root)
    assert list(dataset.images) == ["a", "b"] and dataset.sample_ids == ["S1", "S2"]
    assert list(dataset.masks) == ["a"] and dataset.annotations == {}


def test_sheet_row_naming_a_missing_file(tmp_path):
    root = make_folder_dataset(tmp_path / "d", {"a": IMAGE})
    with open(root / "samples.tsv", "a") as handle:
        handle.write("ghost\tS1\n")
    with pytest.raises(SteelsegError, match=r"samples\.tsv:3: image 'ghost' not found"):
        load_dataset(root)


def test_duplicate_image_names(tmp_path):
    root = make_folder_dataset(tmp_path / "d", {"a": IMAGE})
    (root / "images" / "a.tif").write_bytes((root / "images" / "a.png").read_bytes())
    with pytest.raises(SteelsegError, match="duplicate image name 'a'"):
        load_dataset(root)
    root = make_folder_dataset(tmp_path / "e", {"a": IMAGE})
    with open(root / "samples.tsv", "a") as handle:
        handle.write("a\tS2\n")
    with pytest.raises(SteelsegError, match="listed twice"):
        load_dataset(root)


def test_unlisted_image_stray_label_and_missing_sheet(tmp_path):
    root = make_folder_dataset(tmp_path / "d", {"a": IMAGE})
    (root / "images" / "b.png").write_bytes((root / "images" / "a.png").read_bytes())
    with pytest.raises(SteelsegError, match="b in images/ have no row"):
        load_dataset(root)
    root = make_folder_dataset(
        tmp_path / "e", {"a": IMAGE}, masks={"zz": np.zeros((8, 8), np.uint8)}
    )
    with pytest.raises(SteelsegError, match=r"masks/zz\.png: no image named 'zz'"):
        load_dataset(root)
    (root / "samples.tsv").unlink()
    with pytest.raises(SteelsegError, match="samples.tsv not found"):
        load_dataset(root)
