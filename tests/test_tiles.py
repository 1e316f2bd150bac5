import csv

import numpy as np
import pytest
from steelseg import io, tiles
from steelseg.dataset import load_dataset
from steelseg.errors import SteelsegError

from .conftest import make_folder_dataset


@pytest.fixture(scope="module")
def paper_sized(tmp_path_factory):
    """One 2080x1542 image with a random mask: the paper's geometry."""
    root = tmp_path_factory.mktemp("paper")
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (1542, 2080, 3), dtype=np.uint8)
    mask = rng.integers(0, 2, (1542, 2080), dtype=np.uint8)
    make_folder_dataset(root / "d", {"img": image}, masks={"img": mask})
    rows = tiles.write_store(load_dataset(root / "d"), root / "d" / "masks", root / "t", 2)
    return image, mask, rows, tiles.TileStore.open(root / "t")


def test_grid_positions():
    assert tiles.grid_positions(2080, 224, 224, cover=False) == [224 * i for i in range(9)]
    assert len(tiles.grid_positions(1542, 224, 224, cover=False)) == 6
    assert tiles.grid_positions(645, 224, 224, cover=True) == [0, 224, 421]
    assert tiles.grid_positions(448, 224, 224, cover=True) == [0, 224]
    assert tiles.grid_positions(100, 224, 224, cover=True) == []


def test_paper_counts_216_tiles_per_image(paper_sized):
    _, _, rows, store = paper_sized
    assert len(rows) == 216 == store.images.shape[0] == store.masks.shape[0]
    assert store.images.shape[1:] == (224, 224, 3)
    assert {int(r["rotation"]) for r in store.index} == {0, 90, 180, 270}
    assert {(int(r["row"]), int(r["col"])) for r in store.index} == {
        (r, c) for r in range(6) for c in range(9)
    }
    assert store.meta["tiles"] == 216 and store.truth is None
    assert store.labels("masks") is store.masks
    with pytest.raises(SteelsegError, match="the tiles have no exact truth .* use the RF masks"):
        store.labels("truth")
    with pytest.raises(SteelsegError, match="labels 'dense': unknown; use masks or truth"):
        store.labels("dense")


def test_rotated_tile_equals_rot90_of_source_crop(paper_sized):
    image, mask, _, store = paper_sized
    for row in store.index[::7]:
        t, y, x, k = int(row["tile"]), int(row["y"]), int(row["x"]), int(row["rotation"]) // 90
        np.testing.assert_array_equal(store.images[t], np.rot90(image[y : y + 224, x : x + 224], k))
        np.testing.assert_array_equal(store.masks[t], np.rot90(mask[y : y + 224, x : x + 224], k))


def test_truth_tiles_and_cover_mode(synthetic, rf_result, tmp_path):
    out, _ = rf_result
    spec = tiles.TileSpec(size=224, stride=224, rotations=(0, 90), cover=True)
    rows = tiles.write_store(load_dataset(synthetic), out / "masks", tmp_path / "t", 2, spec)
    store = tiles.TileStore.open(tmp_path / "t")
    # 512x384 covered by 3x2 crops (last column overlaps), 2 rotations, 9 images.
    assert len(rows) == 9 * 3 * 2 * 2
    assert store.truth is not None and store.truth.shape == store.masks.shape
    assert store.labels("truth") is store.truth
    assert max(int(r["x"]) for r in rows) == 512 - 224


def test_exported_label_tiles_come_with_their_image_and_sample(synthetic, rf_result, tmp_path):
    out, _ = rf_result
    rows = tiles.write_store(load_dataset(synthetic), out / "masks", tmp_path / "t", 2)
    store = tiles.TileStore.open(tmp_path / "t")
    chosen = np.array([0, 5, len(rows) - 1])
    assert tiles.export_labels(store, chosen, "truth", tmp_path / "x") == 3
    with open(tmp_path / "x" / tiles.GROUPS_SHEET, newline="") as handle:
        sheet = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["file"] + ".png" for r in sheet] == [tiles.tile_name(t) for t in chosen]
    for r, t in zip(sheet, chosen, strict=True):
        assert (r["image"], r["sample"]) == (rows[t]["image"], rows[t]["sample"])
        saved = io.read_labels(tmp_path / "x" / tiles.tile_name(t), 2)
        np.testing.assert_array_equal(saved, store.truth[t])


def test_image_smaller_than_tile(tmp_path):
    root = make_folder_dataset(
        tmp_path / "d",
        {"small": np.zeros((100, 300, 3), np.uint8)},
        masks={"small": np.zeros((100, 300), np.uint8)},
    )
    with pytest.raises(SteelsegError, match=r"small\.png: image is 300x100, smaller than one 224"):
        tiles.write_store(load_dataset(root), root / "masks", tmp_path / "t", 2)
    assert not (tmp_path / "t").exists()


def test_missing_mask_and_bad_rotation(tmp_path):
    root = make_folder_dataset(tmp_path / "d", {"a": np.zeros((224, 224, 3), np.uint8)})
    (root / "masks").mkdir()
    with pytest.raises(SteelsegError, match=r"masks/a\.png: dense mask of image 'a' missing"):
        tiles.write_store(load_dataset(root), root / "masks", tmp_path / "t", 2)
    with pytest.raises(SteelsegError, match="--rotations 45"):
        tiles.TileSpec(rotations=(45,)).check()
