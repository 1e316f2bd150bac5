"""Phase fractions, lever rule and linear intercepts on masks with answers worked by hand."""

import numpy as np
import pytest
from scipy import ndimage
from steelseg import quantify


def test_area_fractions_and_lever_rule_both_ways():
    mask = np.zeros((10, 10), np.uint8)
    mask[:, :3] = 1  # 30 % pearlite
    np.testing.assert_allclose(quantify.area_fractions(mask, 3), [0.7, 0.3, 0.0])
    assert quantify.lever_rule_carbon(0.3) == pytest.approx(0.022 + 0.3 * 0.748)
    assert quantify.lever_rule_carbon(0.0) == pytest.approx(0.022)
    assert quantify.lever_rule_carbon(1.0) == pytest.approx(0.77)
    for carbon in (0.2, 0.45):
        fraction = quantify.lever_rule_pearlite_fraction(carbon)
        assert quantify.lever_rule_carbon(fraction) == pytest.approx(carbon)


def test_lever_rule_only_for_ferrite_and_pearlite():
    assert quantify.ferrite_pearlite(["ferrite", "pearlite"]) == 1
    assert quantify.ferrite_pearlite(["Pearlite", "Ferrite"]) == 0
    assert quantify.ferrite_pearlite(["matrix", "network", "spheroidite"]) is None
    assert quantify.ferrite_pearlite(["ferrite", "pearlite", "martensite"]) is None
    assert quantify.measure(np.zeros((4, 4), np.uint8), ["a", "b"])["carbon_wt_pct"] is None


def test_intercepts_of_a_checkerboard_by_hand():
    # 10 px squares on a 100 x 100 board. Each row crosses 5 squares of class 1: 4 whole and one
    # cut by the right edge (counted 1/2), 50 px of class 1 in all: l = 50 / 4.5. Columns alike.
    rows, cols = np.indices((100, 100)) // 10
    board = ((rows + cols) % 2).astype(np.uint8)
    assert quantify.mean_linear_intercept(board, 1) == pytest.approx(50 / 4.5)
    # Class 0 starts every even row at the left edge and ends every odd row at the right edge.
    assert quantify.mean_linear_intercept(board, 0) == pytest.approx(50 / 4.5)
    assert quantify.mean_linear_intercept(board, 2) is None


def test_intercepts_of_isolated_islands_are_their_widths():
    mask = np.zeros((60, 60), np.uint8)
    for y in (5, 25, 45):
        for x in (5, 25, 45):
            mask[y : y + 8, x : x + 8] = 1  # 9 squares of 8 px, none touching an edge
    assert quantify.mean_linear_intercept(mask, 1) == pytest.approx(8.0)


def test_astm_grain_size_number_against_e112_table():
    # E112 Table 4: G 7 <-> mean intercept 28.3 um; each step of G halves the area per grain.
    assert quantify.astm_grain_size_number(0.0283) == pytest.approx(7.0, abs=0.01)
    assert quantify.astm_grain_size_number(0.0283 / np.sqrt(2)) == pytest.approx(8.0, abs=0.01)


def test_measure_with_and_without_a_pixel_size():
    rows, cols = np.indices((100, 100)) // 10
    board = ((rows + cols) % 2).astype(np.uint8)
    plain = quantify.measure(board, ["ferrite", "pearlite"])
    # 4 x 4 fields of 25 px, each over 2.5 x 2.5 squares: 300 or 325 of its 625 px are class 1
    # (0.48 or 0.52, eight fields each), so s = 0.02 sqrt(16/15); t(0.975, 15) = 2.1314 (table).
    ci = 2.1314 * 0.02 * np.sqrt(16 / 15) / np.sqrt(16)
    assert plain == {
        "fraction_ferrite": 0.5,
        "fraction_pearlite": 0.5,
        "ci95_ferrite": pytest.approx(ci, rel=1e-4),
        "ci95_pearlite": pytest.approx(ci, rel=1e-4),
        "carbon_wt_pct": pytest.approx(0.022 + 0.5 * 0.748),
        "carbon_ci95_wt_pct": pytest.approx(ci * 0.748, rel=1e-4),
        "ci_method": "e562",
    }
    scaled = quantify.measure(board, ["ferrite", "pearlite"], um_per_px=2.0)
    assert scaled["intercept_um_pearlite"] == pytest.approx(2.0 * 50 / 4.5)
    g = quantify.astm_grain_size_number(scaled["intercept_um_pearlite"] / 1000)
    assert scaled["astm_g_pearlite"] == pytest.approx(g)


def test_fields_tile_every_image_size():
    mask = np.zeros((7, 5), np.uint8)
    mask[:, 0] = 1  # the first column
    per_field = quantify.field_fractions(mask, 2, grid=2)  # 4 x 3 and 3 x 3 px high, 3 / 2 wide
    np.testing.assert_allclose(per_field[:, 1], [1 / 3, 0, 1 / 3, 0])
    # A side shorter than the grid gets one field per pixel; a single field has no CI.
    assert quantify.field_fractions(np.zeros((2, 9), np.uint8), 2, grid=4).shape == (8, 2)
    assert quantify.fraction_ci95(np.zeros((1, 1), np.uint8), 2) is None
    single = quantify.measure(mask, ["ferrite", "pearlite"], sampling=quantify.Sampling(1))
    assert single["ci95_pearlite"] is None and single["carbon_ci95_wt_pct"] is None
    assert single["ci_method"] is None
    # One phase everywhere: no spread, no uncertainty.
    np.testing.assert_array_equal(quantify.fraction_ci95(np.ones((64, 64), np.uint8), 2), [0, 0])


def coverage(texture_px: float, method: str = "e562") -> float:
    """Thresholded Gaussian noise (correlation ~``texture_px``, 40 % class 1) cut into 200 crops
    of 128 px: the share of crops whose CI (4 x 4 fields of 32 px, by ``method``) holds the
    population's fraction."""
    rng = np.random.default_rng(7)
    noise = ndimage.gaussian_filter(rng.standard_normal((20 * 128, 10 * 128)), texture_px)
    field = (noise > np.quantile(noise, 0.6)).astype(np.uint8)
    population = field.mean()
    covered = []
    for y in range(0, field.shape[0], 128):
        for x in range(0, field.shape[1], 128):
            crop = field[y : y + 128, x : x + 128]
            ci = quantify.fraction_ci95(crop, 2, method=method)[1]
            covered.append(abs(crop.mean() - population) <= ci)
    assert len(covered) == 200
    return float(np.mean(covered))


def test_ci_covers_the_population_fraction_95_percent_of_the_time():
    # Fields much wider than the texture: about independent, so about 95 % (measured 0.93).
    assert 0.90 <= coverage(3.0) <= 0.99


def test_ci_is_too_narrow_where_fields_are_not_much_wider_than_the_texture():
    # The caveat docs/predict.md states: neighbouring fields then share structures (measured 0.76).
    assert coverage(16.0) < 0.85


def test_integral_range_holds_where_e562_is_too_narrow():
    # The same textures: about 95 % where fields are independent and where they are not.
    assert 0.90 <= coverage(3.0, "integral-range") <= 0.99
    assert coverage(16.0, "integral-range") >= 0.90


def test_integral_range_by_hand_on_two_halves():
    # Pearlite in the left half of 64 px: 4 x 4 fields are 1 or 0 (var 16 x 0.25 / 15 = 4/15),
    # 8 x 8 fields 64 x 0.25 / 63, 16 x 16 256 x 0.25 / 255: the variance does not fall with
    # the field area (slope > 0, held at 0), so the image is no surer than one field of 16.
    mask = np.zeros((64, 64), np.uint8)
    mask[:, :32] = 1
    t15 = 2.1314  # t(0.975, 15), table
    wide = quantify.fraction_ci95(mask, 2, method="integral-range")
    np.testing.assert_allclose(wide, t15 * np.sqrt(4 / 15), rtol=1e-4)
    np.testing.assert_allclose(quantify.fraction_ci95(mask, 2), t15 * np.sqrt(4 / 15) / 4, 1e-4)
    # Two such images of one sample: the wider of their variances combined, (2 x 4/15) / 2^2,
    # and E562 over the 32 fields pooled (32 x 0.25 / 31 / 32); t(0.975, 31) = 2.0395.
    spread = quantify.Sampling(method="integral-range").spread(mask, 2)
    pooled = quantify.pooled_measures([spread, spread], ["ferrite", "pearlite"])
    assert pooled["ci95_pearlite"] == pytest.approx(2.0395 * np.sqrt(2 / 15), rel=1e-4)
    assert pooled["ci_method"] == "integral-range"
    # A pooled sample's between-image spread counts even where each image is uniform.
    full, empty = np.ones((64, 64), np.uint8), np.zeros((64, 64), np.uint8)
    uniform = [quantify.Sampling(method="integral-range").spread(m, 2) for m in (full, empty)]
    between = quantify.pooled_measures(uniform, ["ferrite", "pearlite"])["ci95_pearlite"]
    assert between == pytest.approx(2.0395 * np.sqrt(32 * 0.25 / 31 / 32), rel=1e-4)


def test_integral_range_is_e562_for_independent_pixels_and_never_narrower():
    rng = np.random.default_rng(3)
    for size, p in ((256, 0.4), (97, 0.1), (40, 0.6)):
        mask = (rng.random((size, size + 13)) < p).astype(np.uint8)
        e562 = quantify.fraction_ci95(mask, 2)[1]
        wide = quantify.fraction_ci95(mask, 2, method="integral-range")[1]
        # Pixels independent: the variance falls as 1 / area, the E562 limit (held there).
        assert e562 <= wide <= 1.3 * e562
    # An image too small to cut finer than the grid keeps E562's answer.
    tiny = (rng.random((4, 4)) < 0.5).astype(np.uint8)
    wide = quantify.fraction_ci95(tiny, 2, method="integral-range")
    np.testing.assert_allclose(wide, quantify.fraction_ci95(tiny, 2))
    with pytest.raises(ValueError, match="integral-range"):
        quantify.Sampling(method="bootstrap")


def test_parts_left_out_measure_like_the_image_cropped_to_the_specimen():
    rng = np.random.default_rng(5)
    texture = ndimage.gaussian_filter(rng.standard_normal((96, 80)), 3)
    mask = (texture > 0.02).astype(np.uint8)
    specimen = np.ones(mask.shape, bool)
    specimen[72:] = False  # a data bar under the specimen: the same as cropping it off
    names = ["ferrite", "pearlite"]
    left_out = quantify.measure(mask, names, um_per_px=1.0, specimen=specimen)
    cropped = quantify.measure(mask[:72], names, um_per_px=1.0)
    for key in ("fraction_pearlite", "intercept_um_ferrite", "intercept_um_pearlite"):
        assert left_out[key] == pytest.approx(cropped[key], rel=1e-12)
    # Which pixels the bar covers does not matter: they count for no class.
    mask[72:] = 1 - mask[72:]
    assert quantify.measure(mask, names, um_per_px=1.0, specimen=specimen) == left_out


def test_a_part_left_out_cuts_test_lines_and_drops_fields_mostly_outside():
    # 3 x 11 px: ferrite between pearlite columns 0 and 10, column 5 left out. Rows: two 4 px
    # ferrite chords, each cut where it meets column 5 (1/2 each): 8 px over 1 chord per row.
    # Columns: 8 ferrite chords of 3 px cut by the image's edge (1/2 each): 24 px over 4.
    specimen = np.ones((3, 11), bool)
    specimen[:, 5] = False
    mask = np.zeros((3, 11), np.uint8)
    mask[:, [0, 10]] = 1
    assert quantify.mean_linear_intercept(mask, 0, specimen) == pytest.approx(48 / 7)
    # Without column 5 left out: one 9 px chord per row, 9 columns: (27 + 27) / (3 + 4.5).
    assert quantify.mean_linear_intercept(mask, 0) == pytest.approx(54 / 7.5)
    # Column 5's own label is not counted: pearlite there changes nothing.
    pearlite = quantify.mean_linear_intercept(mask, 1, specimen)
    mask[:, 5] = 1
    assert quantify.mean_linear_intercept(mask, 1, specimen) == pearlite
    assert quantify.mean_linear_intercept(mask, 0, specimen) == pytest.approx(48 / 7)
    # 8 x 8 px, 2 x 2 fields of 4 x 4: the top right field wholly out, the top left a quarter
    # out (still counted, over its 12 specimen pixels), the bottom ones whole.
    mask = np.zeros((8, 8), np.uint8)
    mask[:4, :2] = 1
    mask[4:, :4] = 1
    specimen = np.ones((8, 8), bool)
    specimen[:4, 3:] = False
    fields = quantify.field_fractions(mask, 2, grid=2, specimen=specimen)
    np.testing.assert_allclose(fields[:, 1], [8 / 12, 1.0, 0.0])
    # One field, mostly left out: the specimen is the field, no CI.
    spread = quantify.Sampling(1).spread(mask, 2, specimen)
    np.testing.assert_allclose(spread.fields, [quantify.area_fractions(mask, 2, specimen)])
    assert spread.ci95 is None
    # The integral range cuts finer fields of the specimen the same way.
    rng = np.random.default_rng(1)
    noisy = (rng.random((64, 64)) < 0.3).astype(np.uint8)
    bar = np.ones((64, 64), bool)
    bar[60:, 40:] = False
    e562 = quantify.fraction_ci95(noisy, 2, specimen=bar)[1]
    wide = quantify.fraction_ci95(noisy, 2, method="integral-range", specimen=bar)[1]
    assert e562 <= wide <= 1.3 * e562
