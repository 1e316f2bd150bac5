import json
from fractions import Fraction

import numpy as np
import pytest
from scipy import ndimage
from steelseg import filterbank, forests, io, rfmask
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
    whole = bank.planes(image.astype(np.float32) / 255)
    monkeypatch.setattr(filterbank, "STRIP_ROWS", 37)
    stripped = bank.features(image)
    assert whole.shape == (3 * 4 + 3 * 2, 300, 90) and bank.n_features == whole.shape[0]
    assert stripped.shape == (300 * 90, bank.n_features) and stripped.flags.f_contiguous
    np.testing.assert_allclose(stripped, whole.reshape(len(whole), -1).T, atol=1e-6)


def test_filter_bank_planes_are_scikit_image_features():
    from skimage.feature import multiscale_basic_features
    from skimage.filters import gaussian

    image = np.random.default_rng(1).random((40, 50, 3)).astype(np.float32)
    bank = rfmask.FilterBank(sigma_min=1, sigma_max=4, num_sigma=3)
    planes = bank.planes(image)
    intensity = image.mean(-1)
    # The intensity's Gaussian, Sobel and Hessian eigenvalues at each scale are scikit-image's.
    expected = multiscale_basic_features(intensity, sigma_min=1, sigma_max=4, num_sigma=3)
    np.testing.assert_allclose(planes[:12], np.moveaxis(expected, -1, 0), atol=1e-5)
    smooth = [gaussian(intensity, s, preserve_range=True) for s in (1, 2, 4)]
    np.testing.assert_allclose(planes[12], smooth[0] - smooth[1], atol=1e-5)  # DoG
    yellow_blue = (image[..., 0] + image[..., 1]) / 4 - image[..., 2] / 2
    smooth = [gaussian(yellow_blue, s, preserve_range=True) for s in (2, 4)]
    expected = smooth[0] - smooth[1]
    np.testing.assert_allclose(planes[-1], expected, atol=1e-5)  # the opponents' last DoG
    # A grey image has no colour: its opponent planes are zero, its intensity planes the same.
    grey = np.repeat(intensity[..., None], 3, axis=-1)
    grey_planes = bank.planes(grey)
    assert not grey_planes[-4:].any()
    np.testing.assert_allclose(grey_planes[:12], planes[:12], atol=1e-5)


@pytest.fixture(scope="module")
def small_forest(synthetic):
    dataset = load_dataset(synthetic)
    annotation = dataset.read_label("annotations", "S1_annealed_01", 2)
    bank = rfmask.FilterBank()
    x, y = rfmask.training_pixels(bank, [dataset.read_image("S1_annealed_01")], [annotation])
    return bank, rfmask.train_forest(x, y, trees=10, seed=0, n_jobs=1, max_depth=None)


def test_every_pixel_prediction_equals_sklearn(small_forest, synthetic):
    bank, forest = small_forest
    image = load_dataset(synthetic).read_image("S1_annealed_03")
    expected = forest.predict(bank.features(image)).reshape(image.shape[:2])
    assert (rfmask.predict_mask(forest, bank, image, stride=1) == expected).all()


@pytest.mark.parametrize("stride", [2, 3])
def test_grid_prediction_keeps_the_forests_answer(small_forest, synthetic, monkeypatch, stride):
    bank, forest = small_forest
    image = load_dataset(synthetic).read_image("S1_annealed_03")[:302, :203]
    exact = forest.predict(bank.features(image)).reshape(image.shape[:2])
    monkeypatch.setattr(filterbank, "STRIP_ROWS", 96)  # strips of whole grid cells, and a rest
    grid = rfmask.predict_mask(forest, bank, image, stride=stride)
    assert (grid[::stride, ::stride] == exact[::stride, ::stride]).all()
    # Beyond the last grid row and column the forest answers itself.
    last_row, last_col = 301 - 301 % stride, 202 - 202 % stride
    assert (grid[last_row + 1 :] == exact[last_row + 1 :]).all()
    assert (grid[:, last_col + 1 :] == exact[:, last_col + 1 :]).all()
    # Elsewhere the grid settles a pixel only where its cell agrees and the forest is sure.
    assert (grid == exact).mean() >= 0.995
    monkeypatch.setattr(filterbank, "STRIP_ROWS", 512)  # one strip: the same mask
    assert (rfmask.predict_mask(forest, bank, image, stride=stride) == grid).all()


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
