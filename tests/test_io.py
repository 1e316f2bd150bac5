import numpy as np
import pytest
import tifffile
from PIL import Image
from steelseg import io
from steelseg.errors import SteelsegError


def test_gray_8bit_png_becomes_rgb(tmp_path):
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(gray).save(tmp_path / "g.png")
    rgb = io.read_image(tmp_path / "g.png")
    assert rgb.shape == (8, 8, 3) and rgb.dtype == np.uint8
    assert (rgb[..., 0] == gray).all() and (rgb[..., 2] == gray).all()


def test_16bit_png_scaled_by_its_bit_depth(tmp_path):
    # A 12-bit camera image stored in 16 bits: 4095 must map to 255, not to 15.
    data = np.array([[0, 4095], [2048, 1024]], dtype=np.uint16)
    Image.fromarray(data).save(tmp_path / "d.png")
    rgb = io.read_image(tmp_path / "d.png")
    assert rgb[0, 1, 0] == 255 and rgb[0, 0, 0] == 0
    assert rgb[1, 0, 0] == round(2048 * 255 / 4095)


def test_rgba_drops_alpha_and_tiff_16bit_rgb(tmp_path):
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 10
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert (io.read_image(tmp_path / "a.png")[..., 0] == 200).all()
    rgb16 = np.full((4, 5, 3), 65535, np.uint16)
    rgb16[..., 1] = 0
    tifffile.imwrite(tmp_path / "t.tif", rgb16)
    out = io.read_image(tmp_path / "t.tif")
    assert out.shape == (4, 5, 3) and out[0, 0].tolist() == [255, 0, 255]


def test_jpeg_reads(tmp_path):
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(tmp_path / "j.jpg")
    assert abs(int(io.read_image(tmp_path / "j.jpg").mean()) - 128) <= 1


def test_truncated_image_names_the_file(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        tmp_path / "x.png"
    )
    data = (tmp_path / "x.png").read_bytes()
    (tmp_path / "x.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(SteelsegError, match=r"x\.png.*corrupt or truncated"):
        io.read_image(tmp_path / "x.png")


def test_not_an_image_and_missing_file(tmp_path):
    (tmp_path / "n.png").write_text("not a png")
    with pytest.raises(SteelsegError, match="n.png"):
        io.read_image(tmp_path / "n.png")
    with pytest.raises(SteelsegError, match="not found"):
        io.read_image(tmp_path / "missing.png")


def test_palette_png_is_colours_as_a_picture_and_indices_as_a_mask(tmp_path):
    indices = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    palette = np.array([[10, 20, 30], [200, 100, 0], [0, 0, 255]], np.uint8)
    io.write_png(tmp_path / "p.png", indices, palette=palette)
    assert Image.open(tmp_path / "p.png").mode == "P"
    np.testing.assert_array_equal(io.read_image(tmp_path / "p.png"), palette[indices])
    np.testing.assert_array_equal(io.read_labels(tmp_path / "p.png", 3), indices)


def test_label_values_outside_class_list(tmp_path):
    Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8)).save(tmp_path / "m.png")
    assert io.read_labels(tmp_path / "m.png", 3).max() == 2
    with pytest.raises(SteelsegError, match=r"m\.png: mask has value\(s\) \[2\] outside 0\.\.1"):
        io.read_labels(tmp_path / "m.png", 2)


def test_colour_mask_refused_but_gray_rgb_accepted(tmp_path):
    colour = np.zeros((2, 2, 3), np.uint8)
    colour[0, 0] = [1, 0, 0]
    Image.fromarray(colour).save(tmp_path / "c.png")
    with pytest.raises(SteelsegError, match="colour image"):
        io.read_labels(tmp_path / "c.png", 2)
    Image.fromarray(np.ones((2, 2, 3), np.uint8)).save(tmp_path / "g.png")
    assert io.read_labels(tmp_path / "g.png", 2).tolist() == [[1, 1], [1, 1]]


def test_atomic_dir_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), io.atomic_dir(target) as tmp:
        (tmp / "half.txt").write_text("x")
        raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_atomic_outputs_get_ordinary_permissions(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        io.write_png(tmp_path / "a.png", np.zeros((2, 2), np.uint8))
        with io.atomic_dir(tmp_path / "d") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.png").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755


def test_read_table_names_missing_columns_and_empty_files(tmp_path):
    (tmp_path / "a.tsv").write_text("image\tother\nx\t1\n")
    assert io.read_table(tmp_path / "a.tsv", ("image",), "fix")[0]["other"] == "1"
    with pytest.raises(
        SteelsegError, match=r"a.tsv: needs .* columns image, sample .*missing: sample"
    ):
        io.read_table(tmp_path / "a.tsv", ("image", "sample"), "fix")
    (tmp_path / "b.tsv").write_text("")
    with pytest.raises(SteelsegError, match=r"b.tsv: needs .*\(file is empty\)"):
        io.read_table(tmp_path / "b.tsv", ("image",), "fix")
    with pytest.raises(SteelsegError, match="c.tsv: not found; add it"):
        io.read_table(tmp_path / "c.tsv", ("image",), "add it")
