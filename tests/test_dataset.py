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
    with pytest.raises(SteelsegError, match="samples.tsv: not found"):
        load_dataset(root)


def test_export_images_writes_images_and_references_by_name(tmp_path):
    from steelseg import io
    from steelseg.dataset import export_images

    rng = np.random.default_rng(0)
    images = {n: rng.integers(0, 255, (12, 20, 3), dtype=np.uint8) for n in ("a", "b")}
    truth = {n: rng.integers(0, 2, (12, 20), dtype=np.uint8) for n in ("a", "b")}
    root = make_folder_dataset(tmp_path / "d", images, masks=truth)
    (tmp_path / "d" / "truth").mkdir()
    io.write_png(tmp_path / "d" / "truth" / "b.png", truth["b"])
    masks = tmp_path / "rf"
    for name, mask in truth.items():
        io.write_png(masks / f"{name}.png", 1 - mask)
    counts = export_images(load_dataset(root), ["b"], masks, 2, tmp_path / "out")
    assert counts == {"images": 1, "rf_masks": 1, "exact_truth": 1}
    np.testing.assert_array_equal(io.read_image(tmp_path / "out/images/b.png"), images["b"])
    np.testing.assert_array_equal(
        io.read_labels(tmp_path / "out/rf_masks/b.png", 2), 1 - truth["b"]
    )
    np.testing.assert_array_equal(io.read_labels(tmp_path / "out/exact_truth/b.png", 2), truth["b"])
    assert not (tmp_path / "out/images/a.png").exists()
    io.write_png(masks / "a.png", np.zeros((5, 5), np.uint8))
    with pytest.raises(SteelsegError, match="a.png: size differs from its image"):
        export_images(load_dataset(root), ["a"], masks, 2, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()
