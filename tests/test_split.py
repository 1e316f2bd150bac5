import csv

import pytest
from steelseg import split
from steelseg.errors import SteelsegError

FRACTIONS = {"train": 0.7, "val": 0.2, "test": 0.1}


def _index(images=34, per_image=216, samples=3):
    return [
        {
            "tile": i * per_image + t,
            "image": f"im{i}",
            "sample": f"S{i % samples}",
            "rotation": 90 * (t % 4),
        }
        for i in range(images)
        for t in range(per_image)
    ]


def test_grouped_split_has_no_leakage_and_near_fractions():
    index = _index()
    labels = split.assign(index, "grouped", FRACTIONS, seed=1)
    rows = [{**r, "set": s} for r, s in zip(index, labels, strict=True)]
    assert split.leaked_images(rows) == set()
    for name, fraction in FRACTIONS.items():
        share = labels.count(name) / len(labels)
        assert abs(share - fraction) <= 1 / 34 + 1e-9, name


def test_paper_split_is_exact_over_tiles_and_leaks():
    index = _index()
    labels = split.assign(index, "paper", FRACTIONS, seed=1)
    assert [labels.count(s) for s in split.SETS] == [5141, 1469, 734]  # 7344 tiles
    rows = [{**r, "set": s} for r, s in zip(index, labels, strict=True)]
    assert len(split.leaked_images(rows)) == 34  # why grouped is the default


def test_group_by_sample_and_seed():
    index = _index(images=12, per_image=4, samples=4)
    labels = split.assign(index, "grouped", FRACTIONS, seed=2, group_by="sample")
    per_sample = {}
    for row, label in zip(index, labels, strict=True):
        per_sample.setdefault(row["sample"], set()).add(label)
    assert all(len(s) == 1 for s in per_sample.values())
    assert set(labels) == set(split.SETS)
    assert labels == split.assign(index, "grouped", FRACTIONS, seed=2, group_by="sample")
    assert split.assign(index, "paper", FRACTIONS, 2) != split.assign(index, "paper", FRACTIONS, 3)


def test_too_few_groups_and_bad_fractions():
    index = _index(images=6, per_image=2, samples=2)
    with pytest.raises(SteelsegError, match="only 2 group"):
        split.assign(index, "grouped", FRACTIONS, 0, group_by="sample")
    with pytest.raises(SteelsegError, match="sum to 1.1"):
        split.assign(index, "grouped", {"train": 0.8, "val": 0.2, "test": 0.1}, 0)
    # A zero test fraction is allowed: two groups are then enough.
    labels = split.assign(index, "grouped", {"train": 0.8, "val": 0.2, "test": 0.0}, 0, "sample")
    assert "test" not in labels


def test_write_split(tmp_path):
    index = _index(images=10, per_image=4)
    labels = split.assign(index, "grouped", FRACTIONS, 0)
    summary = split.write_split(index, labels, tmp_path / "split.tsv")
    with open(tmp_path / "split.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) == 40 and set(rows[0]) == {"tile", "image", "sample", "rotation", "set"}
    assert sum(v["tiles"] for v in summary.values()) == 40


def _write_json(path, content):
    import json

    path.write_text(json.dumps(content))
    return path


def test_fixed_split_follows_the_file(tmp_path):
    index = _index(images=6, per_image=4)
    sets = {"train": ["im0", "im1", "im2", "im3"], "val": ["im4"], "test": ["im5"]}
    path = _write_json(tmp_path / "split.json", sets)
    labels = split.assign(
        index, "fixed", FRACTIONS, 0, assignment=split.read_assignment(path, "fixed")
    )
    for name, images in sets.items():
        assert {r["image"] for r, s in zip(index, labels, strict=True) if s == name} == set(images)
    assert (
        split.leaked_images([{**r, "set": s} for r, s in zip(index, labels, strict=True)]) == set()
    )


def test_each_fold_tests_once_and_validates_once(tmp_path):
    index = _index(images=8, per_image=4)
    folds = {str(k): [f"im{2 * k}", f"im{2 * k + 1}"] for k in range(4)}
    path = _write_json(tmp_path / "folds.json", folds)
    tested, validated = [], []
    for fold in range(4):
        labels = split.assign(
            index, "folds", FRACTIONS, 0, assignment=split.read_assignment(path, "folds", fold)
        )
        by_set = {
            s: {r["image"] for r, x in zip(index, labels, strict=True) if x == s}
            for s in split.SETS
        }
        assert by_set["test"] == set(folds[str(fold)])
        assert by_set["val"] == set(folds[str((fold + 1) % 4)])
        assert len(by_set["train"]) == 4 and not by_set["train"] & (by_set["test"] | by_set["val"])
        tested += sorted(by_set["test"])
        validated += sorted(by_set["val"])
    assert sorted(tested) == sorted(validated) == sorted(f"im{i}" for i in range(8))


def test_published_uhcs24_split_files_cover_its_24_images():
    from .conftest import SHARED_DATA

    root = SHARED_DATA / "uhcs24"
    if not (root / "split_matseg.json").is_file():
        pytest.skip(f"{root}: UHCS-24 not found (see ../shared/data/README.md)")
    with open(root / "samples.tsv") as handle:
        images = {row["image"] for row in csv.DictReader(handle, delimiter="\t")}
    index = [
        {"tile": i, "image": name, "sample": "S", "rotation": 0} for i, name in enumerate(images)
    ]
    fixed = split.read_assignment(root / "split_matseg.json", "fixed")
    labels = split.assign(index, "fixed", FRACTIONS, 0, assignment=fixed)
    assert {s: labels.count(s) for s in split.SETS} == {"train": 16, "val": 4, "test": 4}
    for fold in range(6):
        folds = split.read_assignment(root / "folds_decost2019.json", "folds", fold)
        labels = split.assign(index, "folds", FRACTIONS, 0, assignment=folds)
        assert {s: labels.count(s) for s in split.SETS} == {"train": 16, "val": 4, "test": 4}


@pytest.mark.parametrize(
    ("content", "mode", "fold", "message"),
    [
        ({"train": ["im0"], "test": ["im1"]}, "fixed", None, "names exactly the sets"),
        ({"0": ["im0"], "1": ["im1"], "x": ["im2"]}, "folds", 0, "keys 0, 1, ..., k-1"),
        ({"0": ["im0"], "1": ["im1"], "2": ["im2"]}, "folds", 3, "has folds 0 to 2"),
        ({"0": ["im0"], "1": ["im0"], "2": ["im2"]}, "folds", 0, "im0 is in more than one"),
        ({"train": "im0", "val": [], "test": []}, "fixed", None, "lists of image names"),
    ],
    ids=["sets", "fold-keys", "fold-range", "twice", "not-lists"],
)
def test_bad_split_files_name_the_file(tmp_path, content, mode, fold, message):
    path = _write_json(tmp_path / "bad.json", content)
    with pytest.raises(SteelsegError, match=message) as error:
        split.read_assignment(path, mode, fold)
    assert str(path) in str(error.value)


def test_split_file_and_data_set_must_agree(tmp_path):
    index = _index(images=3, per_image=2)
    missing = {"train": ["im0"], "val": ["im1"], "test": []}
    with pytest.raises(SteelsegError, match=r"split.json assigns no set to 1 image\(s\).*im2"):
        split.assign(
            index,
            "fixed",
            FRACTIONS,
            0,
            assignment={image: name for name, images in missing.items() for image in images},
            source=str(tmp_path / "split.json"),
        )
    extra = {"im0": "train", "im1": "val", "im2": "test", "im9": "test"}
    with pytest.raises(
        SteelsegError, match=r"names 1 image\(s\) the data set does not have \(im9\)"
    ):
        split.assign(index, "fixed", FRACTIONS, 0, assignment=extra)
    with pytest.raises(SteelsegError, match="give the split file"):
        split.assign(index, "folds", FRACTIONS, 0)
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(SteelsegError, match="broken.json: cannot read the split file"):
        split.read_assignment(path, "fixed")


def test_images_in_set_and_whole_image_needs_no_leak(tmp_path):
    index = _index(images=5, per_image=4)
    split.write_split(index, split.assign(index, "grouped", FRACTIONS, 1), tmp_path / "g.tsv")
    with open(tmp_path / "g.tsv") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    expected = list(dict.fromkeys(r["image"] for r in rows if r["set"] == "test"))
    assert split.images_in_set(tmp_path / "g.tsv", "test") == expected and expected
    split.write_split(index, split.assign(index, "paper", FRACTIONS, 1), tmp_path / "p.tsv")
    with pytest.raises(SteelsegError, match="p.tsv: images of the test set have tiles in other"):
        split.images_in_set(tmp_path / "p.tsv", "test")
