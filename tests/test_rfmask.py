import json

import numpy as np
import pytest
from scipy import ndimage
from steelseg import io, rfmask
from steelseg.dataset import load_dataset
from steelseg.errors import SteelsegError

from .conftest import CLASSES, make_folder_dataset


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
