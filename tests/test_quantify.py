"""Phase fractions, lever rule and linear intercepts on masks with answers worked by hand."""

import numpy as np
import pytest
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
    assert plain == {
        "fraction_ferrite": 0.5,
        "fraction_pearlite": 0.5,
        "carbon_wt_pct": pytest.approx(0.022 + 0.5 * 0.748),
    }
    scaled = quantify.measure(board, ["ferrite", "pearlite"], um_per_px=2.0)
    assert scaled["intercept_um_pearlite"] == pytest.approx(2.0 * 50 / 4.5)
    g = quantify.astm_grain_size_number(scaled["intercept_um_pearlite"] / 1000)
    assert scaled["astm_g_pearlite"] == pytest.approx(g)
