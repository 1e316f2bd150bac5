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
