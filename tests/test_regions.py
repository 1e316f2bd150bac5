"""Scale bars and data bars left out: the boxes table and the mask folder, and their errors."""

import numpy as np
import pytest
from steelseg import io, regions
from steelseg.errors import SteelsegError

from .conftest import SHARED_DATA


def boxes_file(tmp_path, *rows):
    path = tmp_path / "exclude.tsv"
    path.write_text("image\tx0\ty0\tx1\ty1\n" + "".join("\t".join(r) + "\n" for r in rows))
    return path


def test_boxes_mark_what_is_not_specimen(tmp_path):
    images = [tmp_path / "a.png", tmp_path / "b.tif"]
    path = boxes_file(tmp_path, ("a.png", "6", "7", "10", "8"), ("a", "0", "0", "2", "1"))
    exclusions = regions.read_exclusions(path, images)
    keep = exclusions.specimen("a", (8, 10))
    expected = np.ones((8, 10), bool)
    expected[7, 6:] = False  # a bar along the bottom right, x1 and y1 exclusive
    expected[0, :2] = False
    np.testing.assert_array_equal(keep, expected)
    assert exclusions.specimen("b", (8, 10)) is None  # nothing of b left out


@pytest.mark.parametrize(
    "row, message",
    [
        (("c", "0", "0", "1", "1"), r"boxes for image\(s\) not given: c; fix the name"),
        (("a", "0", "0", "1", "x"), "line 2: x0, y0, x1, y1 must be whole pixel numbers"),
        (("a", "4", "0", "4", "1"), "line 2: needs an image name and a box with 0 <= x0 < x1"),
        (("a", "-1", "0", "4", "1"), "line 2: needs an image name and a box with 0 <= x0 < x1"),
    ],
    ids=["unknown-image", "not-a-number", "empty-box", "negative"],
)
def test_bad_boxes_name_the_file_and_line(tmp_path, row, message):
    with pytest.raises(SteelsegError, match=message):
        regions.read_exclusions(boxes_file(tmp_path, row), [tmp_path / "a.png"])


def test_a_box_must_fit_its_image_and_leave_some_of_it(tmp_path):
    path = boxes_file(tmp_path, ("a", "0", "0", "11", "2"))
    exclusions = regions.read_exclusions(path, [tmp_path / "a.png"])
    with pytest.raises(SteelsegError, match=r"box 0,0,11,2 of a reaches beyond the 10x8 px"):
        exclusions.specimen("a", (8, 10))
    whole = regions.read_exclusions(
        boxes_file(tmp_path, ("a", "0", "0", "10", "8")), [tmp_path / "a.png"]
    )
    with pytest.raises(SteelsegError, match="leaves nothing of a to measure"):
        whole.specimen("a", (8, 10))
    (tmp_path / "wrong.tsv").write_text("image\tleft\na\t1\n")
    with pytest.raises(SteelsegError, match="missing: x0, y0, x1, y1"):
        regions.read_exclusions(tmp_path / "wrong.tsv", [tmp_path / "a.png"])


def test_a_folder_of_masks(tmp_path):
    marks = np.zeros((8, 10), np.uint8)
    marks[6:, 5:] = 255  # non-zero: not specimen
    io.write_png(tmp_path / "masks" / "a.png", marks)
    images = [tmp_path / "a.png", tmp_path / "b.png"]
    exclusions = regions.read_exclusions(tmp_path / "masks", images)
    np.testing.assert_array_equal(exclusions.specimen("a", (8, 10)), marks == 0)
    assert exclusions.specimen("b", (8, 10)) is None
    with pytest.raises(SteelsegError, match=r"a.png: exclusion mask is 10x8 px, image a 12x8"):
        exclusions.specimen("a", (8, 12))
    io.write_png(tmp_path / "masks" / "z.png", marks)
    with pytest.raises(SteelsegError, match=r"mask\(s\) for image\(s\) not given: z"):
        regions.read_exclusions(tmp_path / "masks", images)


def test_flat_marks_find_scale_bars_not_clipped_structure():
    rng = np.random.default_rng(0)
    image = rng.integers(1, 255, (120, 160, 3), dtype=np.uint8)  # no pure white or black
    assert regions.flat_marks(image) == []
    image[100:104, 20:70] = 255  # a white scale bar ...
    image[101:103, 40:43] = 0  # ... its lettering cutting it in two (joined again)
    image[110:, :] = 0  # a black data bar along the bottom ...
    image[113:117, 30:34] = 255  # ... with white text in it
    image[5, 10:100] = 255  # a line 1 px thin: no mark
    image[20:40, 100:140, 0] = 255  # clipped in one channel only: no mark
    disk = np.hypot(*np.ogrid[-9:10, -9:10]) <= 9  # a clipped round grain: fills 0.70 of its box
    image[60:79, 60:79][disk] = 255
    assert sorted(regions.flat_marks(image)) == [(0, 110, 160, 120), (20, 100, 70, 104)]


def test_flat_marks_on_the_real_crops_find_sae1045_2s_scale_bar():
    crops = SHARED_DATA / "lom-ferrite-pearlite"
    if not crops.is_dir():
        pytest.skip(f"{crops} not found: the real optical crops sit beside the project")
    found = {p.stem: regions.flat_marks(io.read_image(p)) for p in sorted(crops.glob("*.png"))}
    # The box the real-data preset leaves out (workflow/presets/lom_check_exclude.tsv).
    assert found == {
        "sae1020_1": [],
        "sae1020_2": [],
        "sae1045_1": [],
        "sae1045_2": [(215, 252, 255, 255)],
    }
