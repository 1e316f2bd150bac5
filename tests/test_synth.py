import csv

import numpy as np
import pytest
from scipy import ndimage
from skimage.morphology import disk
from steelseg import io, synth
from steelseg.errors import SteelsegError
from steelseg.synth import morphology as phases

from .conftest import make_synthetic


def _truths(root):
    return {p.stem: io.read_labels(p, 2) for p in sorted((root / "truth").iterdir())}


def test_lever_rule():
    assert synth.lever_rule_pearlite_fraction(0.45) == pytest.approx(0.5722, abs=1e-4)
    assert synth.lever_rule_pearlite_fraction(0.77) == pytest.approx(1.0)
    with pytest.raises(SteelsegError, match="--carbon 0.9"):
        synth.lever_rule_pearlite_fraction(0.9)


def test_pearlite_fraction_follows_lever_rule(synthetic):
    target = synth.lever_rule_pearlite_fraction(0.45)
    truths = _truths(synthetic)
    assert len(truths) == 9
    for name, truth in truths.items():
        assert abs(truth.mean() - target) <= 0.05, name


@pytest.mark.parametrize("carbon", [0.2, 0.6])
def test_other_carbon_contents(tmp_path, carbon):
    make_synthetic(
        tmp_path / "d",
        samples=1,
        images_per_sample=[1],
        annotated_per_sample=0,
        width=400,
        height=300,
        grain_size_px=30,
        carbon=carbon,
        seed=1,
    )
    truth = _truths(tmp_path / "d")
    fraction = next(iter(truth.values())).mean()
    assert abs(fraction - synth.lever_rule_pearlite_fraction(carbon)) <= 0.05


def test_dataset_folder_layout_and_sheet(synthetic):
    names = sorted(p.stem for p in (synthetic / "images").iterdir())
    with open(synthetic / "samples.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(r["image"] for r in rows) == names
    assert [r["condition"] for r in rows].count("normalised") == 3  # last sample normalised
    # Scribbles on the first 2 images of each sample only.
    assert len(list((synthetic / "annotations").iterdir())) == 6
    image = io.read_image(synthetic / "images" / f"{names[0]}.png")
    assert image.shape == (384, 512, 3) and image.std() > 10  # real contrast, not flat


def test_scribbles_agree_with_truth_and_cover_both_classes(synthetic):
    for path in sorted((synthetic / "annotations").iterdir()):
        annotation = io.read_labels(path, 3)
        truth = io.read_labels(synthetic / "truth" / path.name, 2)
        labelled = annotation > 0
        assert 0.0005 < labelled.mean() < 0.05  # sparse, as a person draws them
        assert (truth[labelled] == annotation[labelled] - 1).all()
        assert set(np.unique(annotation)) == {0, 1, 2}


def test_deterministic_per_seed(tmp_path):
    kwargs = dict(
        samples=1,
        images_per_sample=[1],
        annotated_per_sample=1,
        width=200,
        height=150,
        grain_size_px=25,
    )
    make_synthetic(tmp_path / "a", seed=3, **kwargs)
    make_synthetic(tmp_path / "b", seed=3, **kwargs)
    make_synthetic(tmp_path / "c", seed=4, **kwargs)
    a, b, c = (io.read_image(tmp_path / x / "images" / "S1_annealed_01.png") for x in "abc")
    assert (a == b).all() and not (a == c).all()


def test_worker_processes_write_the_same_files_as_one(synthetic, tmp_path):
    # The session's data set (3 samples x 3 images, seed 7) again with three processes: every
    # image, truth, scribble file and samples.tsv byte for byte the same.
    make_synthetic(
        tmp_path / "parallel",
        samples=3,
        images_per_sample=[3],
        width=512,
        height=384,
        grain_size_px=40,
        seed=7,
        workers=3,
    )
    files = sorted(p.relative_to(synthetic) for p in synthetic.rglob("*") if p.is_file())
    assert len(files) == 9 + 9 + 6 + 1 + 1  # images, truth, scribbles, samples.tsv, marker
    assert files == sorted(
        p.relative_to(tmp_path / "parallel")
        for p in (tmp_path / "parallel").rglob("*")
        if p.is_file()
    )
    for name in files:
        assert (synthetic / name).read_bytes() == (tmp_path / "parallel" / name).read_bytes(), name
    with pytest.raises(SteelsegError, match="--workers 0"):
        make_synthetic(tmp_path / "none", samples=1, images_per_sample=[2], workers=0)
    assert not (tmp_path / "none").exists()


def test_ferrite_is_light_pearlite_dark_with_grain_boundaries(synthetic):
    image = io.read_image(synthetic / "images" / "S1_annealed_01.png").mean(-1)
    truth = io.read_labels(synthetic / "truth" / "S1_annealed_01.png", 2)
    # Median pearlite at 0.5 (SAE 1020) to 0.65 (SAE 1045) of the ferrite's brightness in the
    # real Nital micrographs of shared/data: the generator stays in that neighbourhood.
    ratio = np.median(image[truth == 1]) / np.median(image[truth == 0])
    assert 0.4 < ratio < 0.75, ratio
    # The darkest ferrite pixels (etched boundaries) are much darker than typical ferrite.
    ferrite = image[truth == 0]
    assert np.percentile(ferrite, 2) < np.median(ferrite) - 40


def test_normalised_sample_is_finer(tmp_path):
    from scipy import ndimage

    make_synthetic(
        tmp_path / "d",
        samples=2,
        images_per_sample=[1],
        annotated_per_sample=0,
        width=600,
        height=450,
        grain_size_px=50,
        seed=5,
    )
    lengths = {}
    for name in ("S1_annealed_01", "S2_normalised_01"):
        truth = io.read_labels(tmp_path / "d" / "truth" / f"{name}.png", 2)
        # Phase-boundary length per area scales as 1 / grain size.
        edges = truth != ndimage.binary_erosion(truth, border_value=1)
        lengths[name] = edges.mean()
    assert lengths["S2_normalised_01"] > 1.3 * lengths["S1_annealed_01"]


def test_bad_options(tmp_path):
    with pytest.raises(SteelsegError, match="--images-per-sample"):
        make_synthetic(tmp_path / "x", samples=3, images_per_sample=[1, 2])
    with pytest.raises(SteelsegError, match="--annotated-per-sample"):
        make_synthetic(tmp_path / "x", samples=1, images_per_sample=[1], annotated_per_sample=2)
    assert not (tmp_path / "x").exists()


def test_grain_size_per_sample_sets_each_samples_magnification(tmp_path):
    from scipy import ndimage

    rows = make_synthetic(
        tmp_path / "d",
        samples=3,
        images_per_sample=[1],
        annotated_per_sample=0,
        width=480,
        height=360,
        grain_size_px=[60, 15, 60],
        seed=2,
    )
    # The normalised third sample is 0.6x finer at the same magnification as the first.
    assert [r["grain_size_px"] for r in rows] == [60.0, 15.0, 36.0]
    density = {}
    for row in rows:
        truth = io.read_labels(tmp_path / "d" / "truth" / f"{row['image']}.png", 2)
        density[row["sample"]] = (truth != ndimage.binary_erosion(truth, border_value=1)).mean()
    assert density["S2"] > 2.5 * density["S1"]  # 4x lower magnification: 4x more interface
    with pytest.raises(SteelsegError, match="--grain-size has 2 values but --samples is 3"):
        make_synthetic(tmp_path / "x", samples=3, images_per_sample=[1], grain_size_px=[60, 15])


def test_carbon_per_sample_sets_each_samples_pearlite_fraction(tmp_path):
    from scipy import ndimage

    rows = make_synthetic(
        tmp_path / "d",
        samples=2,
        images_per_sample=[1],
        annotated_per_sample=0,
        width=480,
        height=360,
        carbon=[0.45, 0.2],
        grain_size_px=15,
        seed=3,
    )
    assert [r["carbon_wt_pct"] for r in rows] == [0.45, 0.2]
    islands = {}
    for row, carbon in zip(rows, (0.45, 0.2), strict=True):
        truth = io.read_labels(tmp_path / "d" / "truth" / f"{row['image']}.png", 2)
        assert abs(truth.mean() - synth.lever_rule_pearlite_fraction(carbon)) <= 0.05
        # Low carbon: pearlite as many small islands in ferrite; near eutectoid: fewer, larger
        # connected regions.
        labels, n = ndimage.label(truth == synth.PEARLITE)
        islands[carbon] = truth.sum() / n
    assert islands[0.2] < 0.5 * islands[0.45]
    with pytest.raises(SteelsegError, match="--carbon has 2 values but --samples is 3"):
        make_synthetic(tmp_path / "x", samples=3, images_per_sample=[1], carbon=[0.45, 0.2])
    with pytest.raises(SteelsegError, match="--carbon 0.9"):
        make_synthetic(tmp_path / "x", samples=2, images_per_sample=[1], carbon=[0.45, 0.9])
    assert not (tmp_path / "x").exists()


def _weighted_median_region(mask, grain_px):
    """Area-weighted median size of the mask's connected regions, in grain areas."""
    from scipy import ndimage

    labels, _ = ndimage.label(mask)
    areas = np.sort(np.bincount(labels.ravel())[1:])[::-1] / grain_px**2
    return areas[np.searchsorted(np.cumsum(areas), areas.sum() / 2)]


def test_islands_are_separate_sub_grain_colonies_at_grain_corners():
    from scipy import ndimage

    fraction = synth.lever_rule_pearlite_fraction(0.22)
    size, colonies = {}, None
    for morphology in ("network", "islands"):
        rng = np.random.default_rng(11)
        image, truth, grains = synth.micrograph(
            rng, 480, 640, fraction, 15, synth.ANNEALED, synth.sample_look(rng), morphology
        )
        assert abs(truth.mean() - fraction) < 0.01, morphology  # exact fraction either way
        size[morphology] = _weighted_median_region(truth == synth.PEARLITE, 15)
        if morphology == "islands":
            colonies = truth
            corners = phases._junctions(grains) > 0
    # Low carbon as real SAE 1020 shows it: pearlite in regions of about a grain area or less,
    # where the network morphology clusters it over several grains.
    assert size["islands"] < 1.0 < 2 * size["islands"] < size["network"], size
    # Colonies grow from grain corners: pearlite lies closer to a corner than ferrite does
    # (network: 0.7 of ferrite's median distance, islands 0.45).
    to_corner = ndimage.distance_transform_edt(~corners)
    assert np.median(to_corner[colonies == 1]) < 0.6 * np.median(to_corner[colonies == 0])


def test_islands_near_the_eutectoid_join_into_a_matrix(tmp_path):
    rows = make_synthetic(
        tmp_path / "d",
        samples=2,
        images_per_sample=[1],
        annotated_per_sample=1,
        width=480,
        height=360,
        carbon=[0.22, 0.6],
        grain_size_px=15,
        seed=4,
        pearlite="islands",
    )
    size = {}
    for row in rows:
        truth = io.read_labels(tmp_path / "d" / "truth" / f"{row['image']}.png", 2)
        assert abs(row["pearlite_fraction"] - row["pearlite_fraction_target"]) < 0.01
        size[row["carbon_wt_pct"]] = _weighted_median_region(truth == synth.PEARLITE, 15)
        # Scribbles still land on the right phase in every colony they touch.
        scribble = io.read_labels(tmp_path / "d" / "annotations" / f"{row['image']}.png", 3)
        assert np.all(scribble[scribble > 0] == truth[scribble > 0] + 1)
    assert size[0.6] > 20 * size[0.22], size
    with pytest.raises(SteelsegError, match="--pearlite lumps: unknown morphology"):
        make_synthetic(
            tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, pearlite="lumps"
        )
    assert not (tmp_path / "x").exists()


def test_grains_morphology_transforms_whole_grains_and_mixes_per_sample(tmp_path):
    fraction = synth.lever_rule_pearlite_fraction(0.45)
    mixed = {}
    for morphology in ("network", "grains"):
        rng = np.random.default_rng(5)
        _, truth, grains = synth.micrograph(
            rng, 480, 640, fraction, 15, synth.ANNEALED, synth.sample_look(rng), morphology
        )
        assert abs(truth.mean() - fraction) < 0.01, morphology
        share = np.bincount(grains.ravel(), truth.ravel()) / np.bincount(grains.ravel())
        mixed[morphology] = np.mean((share > 0) & (share < 1))
    # The network's pearlite rims most grains; whole grains leave none part-transformed.
    assert mixed["grains"] == 0 < 0.3 < mixed["network"], mixed
    rows = make_synthetic(
        tmp_path / "d",
        samples=2,
        images_per_sample=[1],
        annotated_per_sample=1,
        width=320,
        height=240,
        carbon=[0.45, 0.22],
        grain_size_px=15,
        seed=3,
        pearlite=["grains", "films"],
    )
    for row in rows:
        assert abs(row["pearlite_fraction"] - row["pearlite_fraction_target"]) < 0.01
    with pytest.raises(SteelsegError, match="--pearlite has 3 values but --samples is 2"):
        make_synthetic(
            tmp_path / "x",
            samples=2,
            images_per_sample=[1],
            annotated_per_sample=0,
            pearlite=["grains", "films", "grains"],
        )
    assert not (tmp_path / "x").exists()


def test_colonies_are_whole_cells_finer_than_the_grains_and_cut_across_them():
    fraction = synth.lever_rule_pearlite_fraction(0.45)
    opened = {}
    for morphology in ("grains", "colonies"):
        rng = np.random.default_rng(5)
        grains, distance = phases._grains(rng, 480, 640, 15)
        place = synth.PEARLITE_MORPHOLOGIES[morphology]
        pearlite, cells = place(rng, grains, distance, fraction, 15)
        assert abs(pearlite.mean() - fraction) < 0.01, morphology
        # Every cell wholly one phase.
        share = np.bincount(cells.ravel(), pearlite.ravel()) / np.bincount(cells.ravel())
        assert set(np.unique(share)) <= {0.0, 1.0}, morphology
        opened[morphology] = ndimage.binary_opening(pearlite, disk(4)).mean() / pearlite.mean()
    # Colony cells about a quarter of a grain's area (half its size), cutting across most grains.
    cell_area = cells.size / (cells.max() + 1)
    grain_area = grains.size / (grains.max() + 1)
    assert 0.15 < cell_area / grain_area < 0.4, (cell_area, grain_area)
    by_grain = np.bincount(grains.ravel(), pearlite.ravel()) / np.bincount(grains.ravel())
    assert np.mean((by_grain > 0) & (by_grain < 1)) > 0.5
    # So less of the pearlite lies in features 9 px across or wider than with whole grains.
    assert opened["colonies"] < 0.9 < opened["grains"], opened


def test_subpixel_grooves_are_lighter_only_where_they_are_under_a_pixel():
    images = {}
    for grain_px in (60, 15):  # detail view (grooves ≥ 0.5 px), overview at 1/4 (sub-pixel)
        for subpixel in (False, True):
            rng = np.random.default_rng(9)
            look = synth.sample_look(rng)
            image, truth, grains = synth.micrograph(
                rng, 300, 400, 0.2, grain_px, synth.ANNEALED, look, "network", subpixel
            )
            images[grain_px, subpixel] = image.mean(-1)
    np.testing.assert_array_equal(images[60, False], images[60, True])
    # Overview: the grooves between ferrite grains (the darkest ferrite pixels) get lighter.
    boundaries = phases._boundaries(grains) & (truth == synth.FERRITE)
    drawn, subpixel = images[15, False][boundaries], images[15, True][boundaries]
    assert np.median(subpixel) > np.median(drawn) + 5, (np.median(drawn), np.median(subpixel))


def test_colony_darkness_darkens_the_colonies_and_nothing_else(tmp_path):
    images, truths = {}, {}
    for darkness in (1.0, 1.3):
        rng = np.random.default_rng(5)
        look = synth.sample_look(rng)
        images[darkness], truths[darkness], _ = synth.micrograph(
            rng, 300, 400, 0.25, 15, synth.ANNEALED, look, "islands", True, darkness
        )
    np.testing.assert_array_equal(truths[1.0], truths[1.3])  # same grains and colonies
    pearlite = truths[1.0] == synth.PEARLITE
    # Ferrite beyond the blur's reach of any colony: the same pixels, noise included.
    far = ~ndimage.binary_dilation(pearlite, iterations=4)
    np.testing.assert_array_equal(images[1.0][far], images[1.3][far])
    # Colonies: Beer–Lambert, R ** 1.3, about 15-20 % darker at R ~ 0.5.
    inner = ndimage.binary_erosion(pearlite, iterations=1)
    light, dark = (np.median(images[k].mean(-1)[inner]) for k in (1.0, 1.3))
    assert dark < 0.9 * light, (light, dark)
    with pytest.raises(SteelsegError, match="--colony-darkness 0: must be above 0"):
        make_synthetic(
            tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, colony_darkness=0
        )
    assert not (tmp_path / "x").exists()


def test_colony_density_range_adds_light_colonies_and_changes_nothing_else(tmp_path):
    images, truths = {}, {}
    for low in (0.3, 0.15):
        rng = np.random.default_rng(5)
        look = synth.sample_look(rng)
        images[low], truths[low], _ = synth.micrograph(
            rng, 300, 400, 0.45, 15, synth.ANNEALED, look, colony_density=(low, 0.75)
        )
    np.testing.assert_array_equal(truths[0.3], truths[0.15])  # same grains and colonies
    pearlite = truths[0.3] == synth.PEARLITE
    far = ~ndimage.binary_dilation(pearlite, iterations=4)
    np.testing.assert_array_equal(images[0.3][far], images[0.15][far])
    # Every colony's density is drawn lower (same uniform draw, wider range): colonies lighten,
    # and the lightest quarter of colony pixels most, towards the ferrite's tone.
    inner = ndimage.binary_erosion(pearlite, iterations=1)
    tone = {k: images[k].mean(-1)[inner] for k in images}
    assert np.median(tone[0.15]) > np.median(tone[0.3]) + 5
    assert np.percentile(tone[0.15], 90) > np.percentile(tone[0.3], 90) + 5
    # The default range is the one the data were always drawn from: byte-identical images.
    rng = np.random.default_rng(5)
    look = synth.sample_look(rng)
    default, _, _ = synth.micrograph(rng, 300, 400, 0.45, 15, synth.ANNEALED, look)
    np.testing.assert_array_equal(default, images[0.3])
    for bad in [(0.5, 0.4), (-0.1, 0.5), (0.2,)]:
        with pytest.raises(SteelsegError, match="--colony-density .*0 ≤ low < high"):
            make_synthetic(
                tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, colony_density=bad
            )
        assert not (tmp_path / "x").exists()


def films_micrograph(seed: int, pearlite_fraction: float, **setting):
    """A small annealed films micrograph from its own seed, with one micrograph setting."""
    rng = np.random.default_rng(seed)
    look = synth.sample_look(rng)
    image, truth, _ = synth.micrograph(
        rng, 300, 400, pearlite_fraction, 15, synth.ANNEALED, look, "films", **setting
    )
    return image, truth


def films_pair(seed: int, pearlite_fraction: float, setting: str, values: tuple[float, float]):
    """films_micrograph at two values of one setting: asserts the same truth and the same pixels
    4 px and more from pearlite; returns both images by value and the pearlite mask."""
    images, truths = {}, {}
    for value in values:
        images[value], truths[value] = films_micrograph(seed, pearlite_fraction, **{setting: value})
    first, second = values
    np.testing.assert_array_equal(truths[first], truths[second])  # same grains and pearlite
    pearlite = truths[first] == synth.PEARLITE
    far = ~ndimage.binary_dilation(pearlite, iterations=4)
    np.testing.assert_array_equal(images[first][far], images[second][far])
    return images, pearlite


def test_no_interface_line_lightens_only_the_ferrite_beside_pearlite(tmp_path):
    images, pearlite = films_pair(6, 0.22, "interface_depth", (synth.INTERFACE_DEPTH, 0.0))
    beside = ndimage.binary_dilation(pearlite) & ~pearlite  # ferrite touching pearlite
    tone = {depth: image.mean(-1) for depth, image in images.items()}
    assert tone[0.0][beside].mean() > tone[0.5][beside].mean() + 5
    # Inside the films the line barely reaches: under a grey level on average.
    inner = ndimage.binary_erosion(pearlite)
    assert abs(tone[0.0][inner].mean() - tone[0.5][inner].mean()) < 1
    # The default is the line the data were always drawn with: byte-identical images.
    np.testing.assert_array_equal(films_micrograph(6, 0.22)[0], images[0.5])
    with pytest.raises(SteelsegError, match="--interface-depth -0.1: must be at least 0"):
        make_synthetic(
            tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, interface_depth=-0.1
        )
    assert not (tmp_path / "x").exists()


def test_supersampled_overviews_average_the_lamellae_and_keep_the_tones():
    for seed in (3, 4):
        stats = {}
        for supersample in (False, True):
            rng = np.random.default_rng(seed)
            look = synth.sample_look(rng)
            image, truth, grains = synth.micrograph(
                rng, 240, 320, 0.57, 15, synth.ANNEALED, look, supersample=supersample
            )
            assert image.shape == (240, 320, 3) and truth.shape == grains.shape == (240, 320)
            assert abs(truth.mean() - 0.57) < 0.01  # each block's majority keeps the fraction
            lum = image.mean(-1)
            pixel_noise = np.abs(lum - ndimage.gaussian_filter(lum, 1.5))
            inner = {c: ndimage.binary_erosion(truth == c, iterations=2) for c in (0, 1)}
            stats[supersample] = (
                np.median(pixel_noise[inner[synth.PEARLITE]]),
                *(lum[inner[c]].mean() for c in (synth.FERRITE, synth.PEARLITE)),
            )
        (noise_drawn, *tones_drawn), (noise_averaged, *tones_averaged) = stats[False], stats[True]
        # Lamellae 1-2 px apart sampled at pixel centres alias into pixel noise; averaged over
        # each pixel's area they leave a smooth colony tone, at least twice as smooth.
        assert noise_averaged < 0.5 * noise_drawn, (noise_drawn, noise_averaged)
        # The photometry is the same: ferrite and colonies keep their mean brightness.
        np.testing.assert_allclose(tones_averaged, tones_drawn, rtol=0.05)
        assert tones_averaged[1] < 0.8 * tones_averaged[0]  # the mask matches the picture


def test_supersample_leaves_detail_views_as_they_were():
    images = []
    for supersample in (False, True):
        rng = np.random.default_rng(7)
        look = synth.sample_look(rng)
        images.append(
            synth.micrograph(rng, 120, 160, 0.4, 60, synth.ANNEALED, look, supersample=supersample)
        )
    for drawn, averaged in zip(*images, strict=True):
        np.testing.assert_array_equal(drawn, averaged)


def test_films_line_grain_edges_thinner_than_islands():
    from scipy import ndimage
    from skimage import morphology

    fraction = synth.lever_rule_pearlite_fraction(0.22)
    thick, along_edges = {}, {}
    for name in ("islands", "films"):
        rng = np.random.default_rng(11)
        _, truth, grains = synth.micrograph(
            rng, 480, 640, fraction, 15, synth.ANNEALED, synth.sample_look(rng), name
        )
        pearlite = truth == synth.PEARLITE
        assert abs(pearlite.mean() - fraction) < 0.01, name  # exact fraction either way
        # Share of pearlite in parts at least 7 px across (survives a radius-3 disk opening).
        thick[name] = morphology.opening(pearlite, morphology.disk(3)).mean() / pearlite.mean()
        # Share of the edges' middles (over 5 px from any grain corner) that are pearlite.
        to_corner = ndimage.distance_transform_edt(phases._junctions(grains) == 0)
        along_edges[name] = pearlite[phases._boundaries(grains) & (to_corner > 5)].mean()
    # Films as the real SAE 1020 crops show them: most of the pearlite in parts under 7 px
    # across (islands keep about two thirds of it in thicker colonies), and along the edges
    # away from the corners, where islands leave them bare (films 0.40, islands 0.07).
    assert thick["films"] < 0.35 < 0.5 < thick["islands"], thick
    assert along_edges["films"] > 0.3 > 4 * along_edges["islands"], along_edges


def test_films_with_no_edge_drawn_to_carry_them_line_every_edge(monkeypatch):
    from scipy import ndimage

    monkeypatch.setattr(phases, "FILM_EDGES", 0.0)  # as a small field with few edges can draw
    rng = np.random.default_rng(3)
    _, truth, grains = synth.micrograph(
        rng, 120, 160, 0.25, 15, synth.ANNEALED, synth.sample_look(rng), "films"
    )
    pearlite = truth == synth.PEARLITE
    assert abs(pearlite.mean() - 0.25) < 0.01
    # Every edge carries pearlite instead: it lies along the edges, not in the grains' middles.
    to_edge = ndimage.distance_transform_edt(~phases._boundaries(grains))
    assert np.median(to_edge[pearlite]) < 0.5 * np.median(to_edge[~pearlite])


def _sheet(root):
    with open(root / "samples.tsv") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _ferrite_blue_over_red(image, truth):
    """B / R of the brightest ferrite: the light's colour (ferrite is nearly unetched)."""
    ferrite = image[truth == 0].astype(float)
    bright = ferrite[ferrite.sum(1) >= np.percentile(ferrite.sum(1), 75)]
    return bright[:, 2].mean() / bright[:, 0].mean()


def test_look_per_image_draws_each_images_light_and_keeps_its_structure(tmp_path):
    kwargs = dict(
        samples=2,
        images_per_sample=[6, 6],
        annotated_per_sample=1,
        width=160,
        height=120,
        grain_size_px=15,
        seed=2024,
    )
    make_synthetic(tmp_path / "sample", **kwargs)
    make_synthetic(tmp_path / "image", look="image", **kwargs)
    lights = {}
    for look in ("sample", "image"):
        root = tmp_path / look
        lights[look], ratios = {}, {"cool": [], "warm": []}
        for row in _sheet(root):
            name = row["image"]
            image = io.read_image(root / "images" / f"{name}.png")
            truth = io.read_labels(root / "truth" / f"{name}.png", 2)
            ratios[row["illumination"]].append(_ferrite_blue_over_red(image, truth))
            lights[look].setdefault(row["sample"], []).append(row["illumination"])
        # The sheet names the light each image was lit by: every cool (blue-violet) image is
        # bluer than every warm (beige) one.
        assert min(ratios["cool"]) > max(ratios["warm"]), ratios
    # One light per sample by default; per image, every sample is shot under both, half and
    # half, starting from its own light.
    assert all(len(set(names)) == 1 for names in lights["sample"].values())
    for sample, names in lights["image"].items():
        assert names[0] == lights["sample"][sample][0]
        assert names == [names[0], {"cool": "warm", "warm": "cool"}[names[0]]] * 3
    # Only the look moves: the same truth and scribbles, image for image.
    for name in sorted(p.name for p in (tmp_path / "sample" / "truth").iterdir()):
        a, b = (io.read_labels(tmp_path / x / "truth" / name, 2) for x in ("sample", "image"))
        np.testing.assert_array_equal(a, b)
    for path in sorted((tmp_path / "sample" / "annotations").iterdir()):
        np.testing.assert_array_equal(
            io.read_labels(path, 3),
            io.read_labels(tmp_path / "image" / "annotations" / path.name, 3),
        )
    with pytest.raises(SteelsegError, match="--look lamp: unknown; choose one of sample, image"):
        make_synthetic(tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, look="lamp")
    assert not (tmp_path / "x").exists()


def test_colony_mottle_blotches_only_the_pearlite(tmp_path):
    images, pearlite = films_pair(7, 0.45, "colony_mottle", (synth.COLONY_MOTTLE, 3.0))
    # Inside the colonies the tone varies more from pixel to pixel: local contrast rises.
    inner = ndimage.binary_erosion(pearlite, iterations=2)
    contrast = {}
    for gain, image in images.items():
        tone = image.mean(-1).astype(float)
        mean = ndimage.uniform_filter(tone, 5)
        contrast[gain] = np.sqrt(np.clip(ndimage.uniform_filter(tone**2, 5) - mean**2, 0, None))
    assert np.median(contrast[3.0][inner]) > 1.3 * np.median(contrast[1.0][inner])
    # The default is the mottle the data were always drawn with: byte-identical images.
    np.testing.assert_array_equal(films_micrograph(7, 0.45)[0], images[1.0])
    with pytest.raises(SteelsegError, match="--colony-mottle -1.0: must be at least 0"):
        make_synthetic(
            tmp_path / "x", images_per_sample=[1], annotated_per_sample=0, colony_mottle=-1.0
        )
    assert not (tmp_path / "x").exists()
