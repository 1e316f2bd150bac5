import json
from fractions import Fraction

import numpy as np
import pytest
from scipy import ndimage
from steelseg import forests, io, rfmask
from steelseg.dataset import load_dataset
from steelseg.errors import SteelsegError

from .conftest import CLASSES, make_folder_dataset, steelseg


def test_rf_masks_match_exact_truth(rf_result, synthetic):
    out, report = rf_result
    assert report["reference"] == "exact_truth"
    # Away from phase interfaces, where the class shows in the image, the forest is nearly
    # always right; within a few px of them optical blur and etched grooves make the answer
    # ambiguous (as for a person), which the overall figure includes.
    inside = correct = 0
    for name in report["per_image"]:
        truth = io.read_labels(synthetic / "truth" / f"{name}.png", 2)
        mask = io.read_labels(out / "masks" / f"{name}.png", 2)
        interface = truth != ndimage.grey_erosion(truth, size=3)
        interface |= truth != ndimage.grey_dilation(truth, size=3)
        far = ndimage.distance_transform_edt(~interface) >= 5
        inside += far.sum()
        correct += (mask == truth)[far].sum()
    assert correct / inside >= 0.95
    assert report["pixel_accuracy"] >= 0.85
    assert min(report["iou"].values()) >= 0.7
    # No phase systematically swallowed: the pearlite fraction comes out near the truth's.
    cm = np.array(report["confusion_matrix"])
    assert abs(cm[:, 1].sum() - cm[1].sum()) / cm.sum() <= 0.08
    saved = json.loads((out / "rf_quality.json").read_text())
    assert saved["pixel_accuracy"] == pytest.approx(report["pixel_accuracy"])
    assert len(saved["per_image"]) == 9
    # The report is recomputable from the written masks.
    name = "S3_normalised_03"
    mask = io.read_labels(out / "masks" / f"{name}.png", 2)
    truth = io.read_labels(synthetic / "truth" / f"{name}.png", 2)
    assert saved["per_image"][name]["pixel_accuracy"] == pytest.approx((mask == truth).mean())


def test_strips_equal_whole_image_features(monkeypatch):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (300, 90, 3), dtype=np.uint8)
    bank = rfmask.FilterBank(sigma_min=1, sigma_max=4, num_sigma=3)
    whole = bank._features(image.astype(np.float32) / 255)
    monkeypatch.setattr(rfmask, "STRIP_ROWS", 37)
    stripped = bank.features(image)
    assert stripped.shape == whole.shape == (300, 90, 3 * 3 * 4 + 3 * 2)
    np.testing.assert_allclose(stripped, whole, atol=1e-6)


def test_difference_of_gaussians_feature():
    from skimage.filters import gaussian

    image = np.random.default_rng(1).random((40, 50, 3)).astype(np.float32)
    bank = rfmask.FilterBank(sigma_min=1, sigma_max=4, num_sigma=3)
    features = bank._features(image)
    dog_channel1_first = features[..., 3 * 12 + 2]  # DoGs follow: channel 0 (2), channel 1 ...
    expected = gaussian(image[..., 1], 1.0, preserve_range=True) - gaussian(
        image[..., 1], 2.0, preserve_range=True
    )
    np.testing.assert_allclose(dog_channel1_first, expected, atol=1e-5)


def test_fast_predict_equals_sklearn(rf_result, synthetic):
    dataset = load_dataset(synthetic)
    image = dataset.read_image("S1_annealed_03")
    annotation = dataset.read_label("annotations", "S1_annealed_01", 2)
    bank = rfmask.FilterBank()
    x, y = rfmask.training_pixels(bank, [dataset.read_image("S1_annealed_01")], [annotation])
    forest = rfmask.train_forest(x, y, trees=10, seed=0, n_jobs=1, max_depth=None)
    features = bank.features(image)
    expected = forest.predict(features.reshape(-1, features.shape[-1])).reshape(image.shape[:2])
    assert (rfmask.predict_mask(forest, bank, image) == expected).all()


def test_dense_masks_are_used_as_is(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    mask = (rng.random((64, 64)) > 0.5).astype(np.uint8)
    root = make_folder_dataset(tmp_path / "d", {"a": image}, masks={"a": mask})
    report = rfmask.make_masks(load_dataset(root), CLASSES, tmp_path / "m", None, trees=5)
    assert (io.read_labels(tmp_path / "m" / "a.png", 2) == mask).all()
    assert report["reference"] is None


def test_class_without_scribbles_is_an_error(tmp_path):
    image = np.full((64, 64, 3), 128, np.uint8)
    annotation = np.zeros((64, 64), np.uint8)
    annotation[10:20, 10:20] = 1  # ferrite only
    root = make_folder_dataset(
        tmp_path / "d", {"a": image, "b": image}, annotations={"a": annotation}
    )
    with pytest.raises(
        SteelsegError, match=r"sample S1 has no annotated pixel of class 'pearlite'"
    ):
        rfmask.make_masks(load_dataset(root), CLASSES, tmp_path / "m", tmp_path / "q.json")
    assert not (tmp_path / "m").exists() and not (tmp_path / "q.json").exists()


def test_annotation_of_wrong_size_or_value(tmp_path):
    image = np.full((64, 64, 3), 128, np.uint8)
    bad_size = np.ones((32, 64), np.uint8)
    root = make_folder_dataset(tmp_path / "d", {"a": image}, annotations={"a": bad_size})
    with pytest.raises(SteelsegError, match=r"annotations/a\.png: size 64x32 differs"):
        rfmask.make_masks(load_dataset(root), CLASSES, tmp_path / "m", None)
    bad_value = np.full((64, 64), 3, np.uint8)  # 3 = class index 2, but only 2 classes
    root = make_folder_dataset(tmp_path / "e", {"a": image}, annotations={"a": bad_value})
    with pytest.raises(SteelsegError, match=r"annotations/a\.png: annotation has value"):
        rfmask.make_masks(load_dataset(root), CLASSES, tmp_path / "m", None)
    assert not (tmp_path / "m").exists()


def test_sample_without_any_labels(tmp_path):
    image = np.full((64, 64, 3), 128, np.uint8)
    root = make_folder_dataset(tmp_path / "d", {"a": image})
    with pytest.raises(SteelsegError, match="sample S1 has images without masks/"):
        rfmask.make_masks(load_dataset(root), CLASSES, tmp_path / "m", None)


def _with_scale_bar():
    """64 x 96 px: dark pearlite left, light ferrite right, a white 20 x 4 px scale bar at
    x 70-89, y 52-55; its truth and scribbles of both phases off the bar."""
    rng = np.random.default_rng(0)
    image = np.where(np.arange(96) < 48, 70, 190)[None, :].repeat(64, 0)
    image = np.clip(image + rng.normal(0, 12, image.shape), 0, 254).astype(np.uint8)
    image[52:56, 70:90] = 255
    image = np.repeat(image[..., None], 3, axis=-1)
    truth = (np.arange(96) < 48).astype(np.uint8)[None, :].repeat(64, 0)
    scribbles = np.zeros((64, 96), np.uint8)
    scribbles[10:14, 10:40] = 2  # pearlite
    scribbles[10:14, 56:86] = 1  # ferrite
    return image, truth, scribbles


def test_a_scale_bar_about_to_be_trained_on_is_warned_of_with_its_row(tmp_path):
    from click.testing import CliRunner
    from steelseg.cli import main

    image, _, scribbles = _with_scale_bar()
    root = make_folder_dataset(tmp_path / "d", {"a": image}, annotations={"a": scribbles})
    args = ["rf-masks", "--dataset", str(root), "--classes", "ferrite,pearlite", "--trees", "5"]
    result = CliRunner().invoke(
        main, [*args, "--out", str(tmp_path / "m"), "--quality", str(tmp_path / "q.json")]
    )
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "20x4 px rectangle at x 70-89, y 52-55" in warnings[0]
    assert f"{root / 'exclude.tsv'} (a row: a 70 52 90 56)" in warnings[0]
    assert json.loads((tmp_path / "q.json").read_text())["flat_marks"] == {"a": [[70, 52, 90, 56]]}
    # Named in exclude.tsv as the warning says: no warning, and masks say "no class" there.
    (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\na\t70\t52\t90\t56\n")
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "m2")])
    assert result.exit_code == 0 and "warning" not in result.stdout, result.output
    assert (io.read_labels(tmp_path / "m2" / "a.png", 2, ignore=True)[52:56, 70:90] == 255).all()


def test_excluded_scale_bar_is_left_out_of_forest_masks_and_quality(tmp_path):
    # Dark pearlite left, light ferrite right, a white scale bar bottom right that someone
    # scribbled as pearlite. exclude.tsv names the bar: the forest must learn nothing from it,
    # the mask must say "no class" (io.IGNORE) exactly there, and the quality skip it.
    image, truth, scribbles = _with_scale_bar()
    on_bar = scribbles.copy()
    on_bar[53:55, 72:88] = 2  # "pearlite" on the bar
    masks = {}
    for name, annotation in (("clean", scribbles), ("on_bar", on_bar)):
        root = make_folder_dataset(tmp_path / name, {"a": image}, annotations={"a": annotation})
        io.write_png(root / "truth" / "a.png", truth)
        (root / "exclude.tsv").write_text("image\tx0\ty0\tx1\ty1\na\t70\t52\t90\t56\n")
        report = rfmask.make_masks(
            load_dataset(root), CLASSES, tmp_path / name / "m", tmp_path / name / "q.json", 10
        )
        masks[name] = io.read_labels(tmp_path / name / "m" / "a.png", 2, ignore=True)
        assert report["flat_marks"] == {}  # left out: nothing to warn of
        assert sum(map(sum, report["confusion_matrix"])) == 64 * 96 - 4 * 20
        assert report["pixel_accuracy"] > 0.95
    bar = np.zeros((64, 96), bool)
    bar[52:56, 70:90] = True
    assert (masks["on_bar"][bar] == io.IGNORE).all() and (masks["on_bar"][~bar] < 2).all()
    assert (masks["on_bar"] == masks["clean"]).all()


def test_a_saved_forest_labels_new_images_as_rf_masks_did(rf_result, synthetic, tmp_path):
    out, _ = rf_result
    dataset = load_dataset(synthetic)
    assert sorted(p.name for p in (out / "forests").glob("*.skops")) == [
        f"{sample}.skops" for sample in sorted(dataset.sample_ids)
    ]
    sample = dataset.sample_ids[1]
    forest = out / "forests" / f"{sample}.skops"
    record = forests.load(forest)
    assert record["classes"] == CLASSES and record["sample"] == sample
    assert record["filter_bank"] == {"sigma_min": 1.0, "sigma_max": 16.0, "num_sigma": 5}
    names = dataset.images_of(sample)
    images = [dataset.images[name] for name in names]
    result = steelseg("rf-apply", *images, "--forest", forest, "--out", tmp_path / "m")
    assert result.returncode == 0, result.stderr
    for name in names:  # byte for byte what rf-masks wrote with the same forest
        written = (tmp_path / "m" / f"{name}.png").read_bytes()
        assert written == (out / "masks" / f"{name}.png").read_bytes(), name
    # Settings that would give other features, or other classes, are refused in one line.
    for option, value, said in (
        ("--sigma-max", 8, "fitted with sigma-max 16.0, not 8.0"),
        ("--classes", "a,b,c", "fitted with classes ferrite,pearlite"),
    ):
        refused = steelseg(
            "rf-apply", images[0], "--forest", forest, option, value, "--out", tmp_path / "x"
        )
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x").exists()


def test_only_a_steelseg_forest_with_sound_trees_is_loaded(rf_result, tmp_path):
    import skops.io as sio

    out, _ = rf_result
    (tmp_path / "notes.skops").write_text("not a zip")
    sio.dump({"format": "other", "forest": None}, tmp_path / "foreign.skops")
    sio.dump({"x": Fraction(1, 3)}, tmp_path / "code.skops")  # a type skops does not trust
    for name, said in (
        ("notes", "not a steelseg forest"),
        ("foreign", "not a steelseg forest"),
        ("code", "holds fractions.Fraction"),
    ):
        with pytest.raises(SteelsegError, match=said):
            forests.load(tmp_path / f"{name}.skops")
    # A node pointing outside its tree's table would read out of bounds in scikit-learn.
    record = forests.load(next((out / "forests").glob("*.skops")))
    tree = record["forest"].estimators_[3].tree_
    inner = np.flatnonzero(tree.children_left != -1)[0]
    tree.children_left[inner] = tree.node_count + 5
    assert tree.children_left[inner] == tree.node_count + 5  # the table itself changed
    sio.dump(record, tmp_path / "tampered.skops")
    with pytest.raises(SteelsegError, match="node table is inconsistent"):
        forests.load(tmp_path / "tampered.skops")
