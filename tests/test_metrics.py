"""Metric definitions pinned on tiny arrays whose answers are worked out by hand."""

import numpy as np
import pytest
import torch
from scipy import ndimage
from steelseg import io, metrics

NAMES2 = ["a", "b"]


def test_confusion_accuracies_and_ious_by_hand():
    truth = np.array([[0, 0], [1, 1]])
    pred = np.array([[0, 1], [1, 1]])
    result = metrics.evaluate_pairs([(truth, pred)], NAMES2)
    assert result["confusion_matrix"] == [[1, 1], [0, 2]]
    assert result["confusion_matrix_normalised"] == [[50.0, 50.0], [0.0, 100.0]]
    assert result["global_accuracy"] == pytest.approx(3 / 4)
    assert result["mean_accuracy"] == pytest.approx((1 / 2 + 1) / 2)
    assert result["per_class"]["a"]["iou"] == pytest.approx(1 / 2)  # 1 / (2 + 1 - 1)
    assert result["per_class"]["b"]["iou"] == pytest.approx(2 / 3)  # 2 / (2 + 3 - 2)
    assert result["mean_iou"] == pytest.approx(7 / 12)
    assert result["weighted_iou"] == pytest.approx((2 * 1 / 2 + 2 * 2 / 3) / 4)
    assert result["n_images"] == 1


def test_sums_over_images_before_dividing():
    # Image 1: all class 0, predicted right. Image 2: 1 px class 1 predicted as 0.
    pairs = [
        (np.zeros((2, 2), int), np.zeros((2, 2), int)),
        (np.array([[0, 1]]), np.array([[0, 0]])),
    ]
    result = metrics.evaluate_pairs(pairs, NAMES2)
    assert result["confusion_matrix"] == [[5, 0], [1, 0]]
    assert result["per_class"]["a"]["iou"] == pytest.approx(5 / 6)
    assert result["per_class"]["b"]["iou"] == 0.0
    assert result["mean_iou"] == pytest.approx(5 / 12)
    # Not the mean of per-image IoUs (which would be (1 + 1/2)/2 for class a).


def test_per_group_scores_equal_scoring_each_group_alone_and_give_phase_shares():
    rng = np.random.default_rng(3)
    pairs = [(rng.integers(0, 2, (6, 6)), rng.integers(0, 2, (6, 6))) for _ in range(5)]
    samples = ["S1", "S2", "S1", "S2", "S2"]
    groups = [{"sample": s, "image": f"im{i // 2}"} for i, s in enumerate(samples)]
    result = metrics.evaluate_pairs(pairs, NAMES2, groups)
    assert set(result["per_group"]) == {"sample", "image"}
    assert list(result["per_group"]["image"]) == ["im0", "im1", "im2"]
    for sample in ("S1", "S2"):
        alone = metrics.evaluate_pairs(
            [p for p, s in zip(pairs, samples, strict=True) if s == sample], NAMES2
        )
        group = result["per_group"]["sample"][sample]
        for key in ("confusion_matrix", "n_images", "mean_iou", "mean_bf_score"):
            assert group[key] == alone[key]
        confusion = np.array(alone["confusion_matrix"]) / np.sum(alone["confusion_matrix"])
        pearlite = group["per_class"]["b"]
        assert pearlite["fraction_truth"] == pytest.approx(confusion[1].sum())
        assert pearlite["fraction_predicted"] == pytest.approx(confusion[:, 1].sum())
    # The groups split the whole: their confusion matrices add up to the data set's.
    total = sum(np.array(g["confusion_matrix"]) for g in result["per_group"]["sample"].values())
    assert total.tolist() == result["confusion_matrix"]
    assert "per_group" not in metrics.evaluate_pairs(pairs, NAMES2)


def test_a_sample_that_is_under_called_shows_in_its_group_only():
    truth = np.ones((4, 4), int)
    right, half = truth.copy(), truth.copy()
    half[:2] = 0  # half of the pearlite called ferrite
    result = metrics.evaluate_pairs(
        [(truth, right), (truth, half)], NAMES2, [{"sample": "S1"}, {"sample": "S2"}]
    )
    samples = result["per_group"]["sample"]
    assert samples["S1"]["per_class"]["b"]["fraction_predicted"] == 1.0
    assert samples["S2"]["per_class"]["b"]["fraction_predicted"] == 0.5
    assert samples["S2"]["per_class"]["b"]["fraction_truth"] == 1.0
    assert samples["S2"]["global_accuracy"] == 0.5 and samples["S1"]["global_accuracy"] == 1.0


def test_classes_absent_from_everything_are_skipped_not_zero():
    truth = np.array([[0, 0, 1, 1]])
    result = metrics.evaluate_pairs([(truth, truth)], ["a", "b", "c"])
    assert result["per_class"]["c"] == {"accuracy": None, "iou": None, "bf_score": None}
    assert result["mean_accuracy"] == 1.0 and result["mean_iou"] == 1.0
    assert result["confusion_matrix_normalised"][2] == [None, None, None]


def test_predicted_but_absent_class_has_iou_zero_and_no_accuracy():
    truth = np.array([[0, 0, 0, 0]])
    pred = np.array([[0, 0, 0, 1]])
    result = metrics.evaluate_pairs([(truth, pred)], NAMES2)
    assert result["per_class"]["b"]["accuracy"] is None  # no ground-truth pixel: NaN, skipped
    assert result["per_class"]["b"]["iou"] == 0.0  # a false positive: counts as 0
    assert result["mean_accuracy"] == pytest.approx(3 / 4)
    assert result["mean_iou"] == pytest.approx((3 / 4 + 0) / 2)


def test_boundary_is_mask_minus_cross_erosion_with_zero_padding():
    full = np.ones((5, 5), bool)
    assert metrics.boundary(full).sum() == 16  # the image border counts
    block = np.zeros((5, 5), bool)
    block[1:4, 1:4] = True
    expected = block.copy()
    expected[2, 2] = False
    assert (metrics.boundary(block) == expected).all()
    dot = np.zeros((3, 3), bool)
    dot[1, 1] = True
    assert (metrics.boundary(dot) == dot).all()
    assert metrics.boundary(np.zeros((3, 3), bool)).sum() == 0


def test_bf_score_by_hand_for_a_two_pixel_shift():
    truth = np.zeros((100, 100), int)
    truth[:, 50:] = 1
    pred = np.zeros((100, 100), int)
    pred[:, 52:] = 1
    # theta = 0.0075 * hypot(100, 100) = 1.06 px: only distances 0 and 1 match.
    f1 = lambda p, r: 2 * p * r / (p + r)  # noqa: E731
    scores = metrics.bf_scores(truth, pred, 2)
    assert scores[0] == pytest.approx(f1(200 / 300, 200 / 296))
    assert scores[1] == pytest.approx(f1(196 / 292, 196 / 296))
    assert metrics.bf_scores(truth, truth, 2).tolist() == [1.0, 1.0]


def test_bf_score_tolerance_scales_with_the_image_diagonal():
    # A 2 px shift fails at 100 px (theta 1.06) but passes at 400 px (theta 4.24).
    truth = np.zeros((400, 400), int)
    truth[:, 200:] = 1
    pred = np.zeros((400, 400), int)
    pred[:, 202:] = 1
    assert metrics.bf_scores(truth, pred, 2).tolist() == [1.0, 1.0]


def test_bf_empty_cases_and_averaging():
    truth = np.zeros((10, 10), int)
    pred = truth.copy()
    pred[0, 0] = 1  # class 1 predicted, absent from truth
    scores = metrics.bf_scores(truth, pred, 3)
    assert scores[1] == 0.0 and np.isnan(scores[2])
    assert 0 < scores[0] < 1
    # Per image: mean over scored classes (0 and 1); data set: mean over images.
    perfect = (truth, truth)  # image BF: class 0 only -> 1.0
    result = metrics.evaluate_pairs([(truth, pred), perfect], ["a", "b", "c"])
    assert result["mean_bf_score"] == pytest.approx(((scores[0] + 0.0) / 2 + 1.0) / 2)
    assert result["per_class"]["b"]["bf_score"] == 0.0  # scored in image 1 only
    assert result["per_class"]["a"]["bf_score"] == pytest.approx((scores[0] + 1.0) / 2)
    only_missed = metrics.bf_scores(pred, truth, 2)  # class 1 in truth, never predicted
    assert only_missed[1] == 0.0


def test_mean_and_weighted_iou_agree_with_smp():
    smp_metrics = pytest.importorskip("segmentation_models_pytorch.metrics")
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, (4, 32, 32))
    pred = np.where(rng.random((4, 32, 32)) < 0.7, truth, rng.integers(0, 3, (4, 32, 32)))
    ours = metrics.evaluate_pairs(zip(truth, pred, strict=True), ["a", "b", "c"])
    tp, fp, fn, tn = smp_metrics.get_stats(
        torch.from_numpy(pred), torch.from_numpy(truth), mode="multiclass", num_classes=3
    )
    macro = smp_metrics.iou_score(tp, fp, fn, tn, reduction="macro").item()
    # smp weights class scores by the weights given: pass each class's ground-truth pixel share.
    support = np.bincount(truth.ravel(), minlength=3) / truth.size
    weighted = smp_metrics.iou_score(
        tp, fp, fn, tn, reduction="weighted", class_weights=support.tolist()
    ).item()
    assert ours["mean_iou"] == pytest.approx(macro, abs=1e-6)
    assert ours["weighted_iou"] == pytest.approx(weighted, abs=1e-6)


def test_pixels_left_out_of_the_truth_count_nowhere():
    # MATLAB's <undefined>: the left column is not specimen (255); what is predicted there
    # changes nothing, and the rest scores as if it were the whole image.
    truth = np.array([[255, 0, 0], [255, 1, 1], [255, 1, 0]])
    kept = (slice(None), slice(1, None))
    scores = []
    for left_column in (0, 1):
        pred = np.array([[left_column, 0, 1], [left_column, 1, 1], [left_column, 1, 0]])
        scores.append(metrics.evaluate_pairs([(truth, pred)], NAMES2))
        cropped = metrics.evaluate_pairs([(truth[kept], pred[kept])], NAMES2)
        assert scores[-1]["confusion_matrix"] == cropped["confusion_matrix"] == [[2, 1], [0, 3]]
        for key in ("global_accuracy", "mean_accuracy", "mean_iou", "weighted_iou"):
            assert scores[-1][key] == cropped[key]
    assert scores[0] == scores[1]
    assert metrics.IGNORE == io.IGNORE


def test_bf_treats_a_part_left_out_as_outside_the_image():
    # A strip left out along the right edge scores as the image cropped before it, at the same
    # tolerance in pixels: region edges along the strip count in truth and prediction alike.
    rng = np.random.default_rng(3)
    truth = (ndimage.uniform_filter(rng.random((40, 60)), 9) > 0.5).astype(np.uint8)
    pred = np.roll(truth, 1, axis=0)
    pred[rng.random(pred.shape) < 0.02] ^= 1
    truth[:, 45:] = metrics.IGNORE
    pred[:, 45:] = rng.integers(0, 2, (40, 15))  # whatever the network says there
    full = metrics.bf_scores(truth, pred, 2)
    scale = np.hypot(40, 60) / np.hypot(40, 45)
    cropped = metrics.bf_scores(truth[:, :45], pred[:, :45], 2, metrics.BF_TOLERANCE * scale)
    np.testing.assert_allclose(full, cropped)
    assert np.isfinite(full).all() and 0.3 < full.min() and full.max() < 1
