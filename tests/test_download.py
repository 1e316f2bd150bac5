import hashlib

import numpy as np
import pytest
import tifffile
from PIL import Image
from steelseg import io
from steelseg.download import fetch_dataset, read_sources
from steelseg.errors import SteelsegError

from .conftest import REPO, SHARED_DATA


def _published(tmp_path):
    """Original-format files served from file:// URLs, with a sources list and metadata."""
    rng = np.random.default_rng(0)
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    image = rng.integers(0, 4096, (20, 30), dtype=np.uint16)  # 12-bit data in 16 bits
    labels = rng.integers(0, 4, (24, 30)).astype(np.int64)
    labels[20:] = -1  # the scale-bar band
    tifffile.imwrite(upstream / "a.tif", image)
    tifffile.imwrite(upstream / "a_labels.tif", labels)
    np.save(upstream / "a.npy", labels[:20])
    meta = tmp_path / "meta"
    meta.mkdir()
    rows = [
        ("a.tif", "images/a.png"),
        ("a_labels.tif", "masks/a.png (rows 0-19, value -1 band dropped)"),
        ("a.npy", "masks_matseg/a.png"),
    ]
    lines = ["file\tsource_url\tsha256\tbecomes"]
    for name, becomes in rows:
        digest = hashlib.sha256((upstream / name).read_bytes()).hexdigest()
        lines.append(f"data/{name}\t{(upstream / name).as_uri()}\t{digest}\t{becomes}")
    (meta / "sources.tsv").write_text("\n".join(lines) + "\n")
    (meta / "samples.tsv").write_text("image\tsample\na\tS1\n")
    (meta / "folds.json").write_text('{"0": ["a"]}')
    return meta, image, labels[:20]


def test_fetch_verifies_converts_and_copies_metadata(tmp_path):
    meta, image, labels = _published(tmp_path)
    assert fetch_dataset(meta / "sources.tsv", tmp_path / "out") == 3
    out = tmp_path / "out"
    np.testing.assert_array_equal(
        io.read_image(out / "images/a.png")[..., 0],
        io.read_image(tmp_path / "upstream/a.tif")[..., 0],
    )
    assert np.asarray(Image.open(out / "images/a.png")).shape == (20, 30)  # gray stays gray
    assert io.read_labels(out / "masks/a.png", 4).tolist() == labels.tolist()
    assert io.read_labels(out / "masks_matseg/a.png", 4).tolist() == labels.tolist()
    assert sorted(p.name for p in out.iterdir()) == [
        io.MARKER,  # steelseg wrote it: a rerun may replace it
        "folds.json",
        "images",
        "masks",
        "masks_matseg",
        "samples.tsv",
        "sources.tsv",
    ]
    from steelseg.dataset import load_dataset

    assert list(load_dataset(out).masks) == ["a"]


def test_a_changed_file_stops_with_nothing_written(tmp_path):
    meta, _, _ = _published(tmp_path)
    tifffile.imwrite(tmp_path / "upstream" / "a_labels.tif", np.zeros((24, 30), np.int64))
    with pytest.raises(SteelsegError, match=r"a_labels.tif: sha256 \w+ is not the expected"):
        fetch_dataset(meta / "sources.tsv", tmp_path / "out")
    assert not (tmp_path / "out").exists()
    (tmp_path / "upstream" / "a.tif").unlink()
    with pytest.raises(SteelsegError, match="a.tif: download failed"):
        fetch_dataset(meta / "sources.tsv", tmp_path / "out")


def test_shipped_uhcs24_sources_list_matches_the_shared_folder():
    rows = read_sources(REPO / "workflow/published/uhcs24/sources.tsv")
    assert len(rows) == 72 and all(len(r["sha256"]) == 64 for r in rows)
    assert all(r["source_url"].startswith("https://raw.githubusercontent.com/") for r in rows)
    shared = SHARED_DATA / "uhcs24"
    if not shared.is_dir():
        pytest.skip(f"{shared}: UHCS-24 not found (see ../shared/data/README.md)")
    for row in rows:
        assert (shared / row["becomes"].split(" ")[0]).is_file(), row["becomes"]
    for name in ("samples.tsv", "folds_decost2019.json", "split_matseg.json", "sources.tsv"):
        assert (REPO / "workflow/published/uhcs24" / name).read_text() == (
            shared / name
        ).read_text()
