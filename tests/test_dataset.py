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
    assert not (tmp_path / "out/images/a.png").exists() and not (tmp_path / "out/exclude").exists()
    # With a scale bar named in exclude.tsv: references "no class" there, an exclude/ mask
    # for predict --exclude.
    (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\nb\t15\t10\t20\t12\n")
    export_images(load_dataset(root), ["b"], masks, 2, tmp_path / "bar")
    bar = np.zeros((12, 20), bool)
    bar[10:12, 15:20] = True
    np.testing.assert_array_equal(io.read_labels(tmp_path / "bar/exclude/b.png", 2), bar)
    for folder, expected in (("rf_masks", 1 - truth["b"]), ("exact_truth", truth["b"])):
        labels = io.read_labels(tmp_path / "bar" / folder / "b.png", 2, ignore=True)
        assert (labels[bar] == io.IGNORE).all() and (labels[~bar] == expected[~bar]).all()
    (root / "exclude.tsv").unlink()
    io.write_png(masks / "a.png", np.zeros((5, 5), np.uint8))
    with pytest.raises(SteelsegError, match="a.png: size differs from its image"):
        export_images(load_dataset(root), ["a"], masks, 2, tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_exclude_leaves_parts_out_of_every_label(tmp_path):
    from steelseg import io

    # A scale bar at rows 6-7, columns 4-7 of image a, given as a box (x1, y1 exclusive).
    annotation = np.ones((8, 8), np.uint8)  # ferrite scribbled everywhere, the bar too
    mask = np.zeros((8, 8), np.uint8)
    mask[0, 0] = io.IGNORE  # a dense mask may say "no class" itself
    mask[1, 1] = 1  # (a mask of class indices: with only 0 and 255 it would read as binary)
    root = make_folder_dataset(
        tmp_path / "d", {"a": IMAGE, "b": IMAGE}, masks={"a": mask}, annotations={"a": annotation}
    )
    (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\na.png\t4\t6\t8\t8\n")
    dataset = load_dataset(root)
    bar = np.zeros((8, 8), bool)
    bar[6:8, 4:8] = True
    assert (dataset.specimen("a", (8, 8)) == ~bar).all() and dataset.specimen("b", (8, 8)) is None
    scribbles = dataset.read_label("annotations", "a", 2, IMAGE.shape)
    assert (scribbles[bar] == 0).all() and (scribbles[~bar] == 1).all()
    dense = dataset.read_label("masks", "a", 2, IMAGE.shape)
    assert (dense[bar] == io.IGNORE).all() and dense[0, 0] == io.IGNORE
    assert (np.delete(dense[~bar], [0, 9]) == 0).all() and dense[1, 1] == 1
    # An annotation may not use the value: 255 there is no class and no "unlabelled".
    io.write_png(root / "annotations" / "a.png", np.full((8, 8), io.IGNORE, np.uint8))
    with pytest.raises(
        SteelsegError, match=r"annotations/a\.png: annotation has value\(s\) \[255\]"
    ):
        load_dataset(root).read_label("annotations", "a", 2, IMAGE.shape)


def test_exclude_folder_checked_against_the_images(tmp_path):
    from steelseg import io

    root = make_folder_dataset(tmp_path / "d", {"a": IMAGE})
    io.write_png(root / "exclude" / "zz.png", np.zeros((8, 8), np.uint8))
    with pytest.raises(SteelsegError, match=r"exclude: mask\(s\) for image\(s\) not given: zz"):
        load_dataset(root)
    (root / "exclude" / "zz.png").rename(root / "exclude" / "a.png")
    (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\n")
    with pytest.raises(SteelsegError, match="both exclude/ and exclude.tsv; keep one"):
        load_dataset(root)
    (root / "exclude.tsv").unlink()
    io.write_png(root / "exclude" / "a.png", np.zeros((4, 8), np.uint8))
    dataset = load_dataset(root)
    with pytest.raises(SteelsegError, match=r"exclude/a\.png: exclusion mask is 8x4 px"):
        dataset.specimen("a", (8, 8))
