"""What predict writes besides masks, and where a model goes after training: the microscope's
calibration read from TIFFs, probability maps, the mean confidence, TIFF masks and ONNX export."""

import csv
import json

import numpy as np
import pytest
import tifffile
import torch
from steelseg import calibration, io
from steelseg.predict.checkpoints import load_checkpoint, normalise

from .conftest import CLASSES, fresh_micrograph, random_checkpoint, steelseg


def rows_of(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["image"]: row for row in csv.DictReader(handle)}


def test_pixel_size_is_read_as_microscopes_and_fiji_write_it(tmp_path):
    image = np.full((32, 48, 3), 128, np.uint8)
    cm, inch = tifffile.RESUNIT.CENTIMETER, tifffile.RESUNIT.INCH
    files = {
        "cm": dict(resolution=(1e4 / 0.5, 1e4 / 0.5), resolutionunit=cm),
        "inch": dict(resolution=(25400 / 0.25, 25400 / 0.25), resolutionunit=inch),
        "dpi72": dict(resolution=(72, 72), resolutionunit=inch),  # a program's default
        "bare": {},
        "imagej": dict(imagej=True, resolution=(1 / 0.2, 1 / 0.2), metadata={"unit": "um"}),
        "ome_um": dict(ome=True, metadata={"axes": "YXS", "PhysicalSizeX": 0.3}),
        "ome_nm": dict(
            ome=True, metadata={"axes": "YXS", "PhysicalSizeX": 650, "PhysicalSizeXUnit": "nm"}
        ),
    }
    for name, kwargs in files.items():
        tifffile.imwrite(tmp_path / f"{name}.tif", image, photometric="rgb", **kwargs)
    io.write_png(tmp_path / "plain.png", image)
    found = {name: calibration.read(tmp_path / f"{name}.tif") for name in files}
    assert found["cm"] == (pytest.approx(0.5), "tiff")
    assert found["inch"] == (pytest.approx(0.25), "tiff")
    assert found["dpi72"] == found["bare"] == (None, "none")
    assert found["imagej"] == (pytest.approx(0.2), "imagej")
    assert found["ome_um"] == (pytest.approx(0.3), "ome-tiff")
    assert found["ome_nm"] == (pytest.approx(0.65), "ome-tiff")
    assert calibration.read(tmp_path / "plain.png") == (None, "none")
    # What predict writes carries the calibration in the form read back.
    calibration.write_tiff(tmp_path / "mask.tif", np.zeros((8, 8), np.uint8), 0.37)
    assert calibration.read(tmp_path / "mask.tif") == (pytest.approx(0.37), "tiff")


def test_predict_carries_calibration_writes_probabilities_and_confidence(trained, tmp_path):
    calibrated, _ = fresh_micrograph(21, 192, 256)
    plain, _ = fresh_micrograph(22, 192, 256)
    tifffile.imwrite(
        tmp_path / "a.tif",
        calibrated,
        photometric="rgb",
        imagej=True,
        resolution=(2, 2),
        metadata={"unit": "um"},  # 0.5 um per px, as Fiji saves a calibrated image
    )
    io.write_png(tmp_path / "b.png", plain)
    images, checkpoint = [tmp_path / "a.tif", tmp_path / "b.png"], ["--checkpoint", trained]
    out = tmp_path / "out"
    options = ["--probabilities", "float16", "--mask-format", "tiff", "--tile", 128]
    result = steelseg("predict", *images, *checkpoint, "--out", out, *options)
    assert result.returncode == 0, result.stderr
    rows = rows_of(out / "phase_fractions.csv")
    assert (rows["a"]["um_per_px"], rows["a"]["um_per_px_source"]) == ("0.5", "imagej")
    assert (rows["b"]["um_per_px"], rows["b"]["um_per_px_source"]) == ("", "none")
    assert float(rows["a"]["intercept_um_pearlite"]) > 0
    assert rows["b"]["intercept_um_pearlite"] == ""  # no lengths without a pixel size
    assert "1 image(s) (b) carry no pixel size" in result.stdout
    for name, um in (("a", 0.5), ("b", None)):
        mask = tifffile.imread(out / "masks" / f"{name}.tif")
        assert calibration.read(out / "masks" / f"{name}.tif")[0] == (um and pytest.approx(um))
        with tifffile.TiffFile(out / "probabilities" / f"{name}.tif") as tif:
            planes = tif.asarray()
            assert json.loads(tif.pages[0].description)["classes"] == CLASSES
        assert planes.shape == (2, 192, 256) and planes.dtype == np.float16
        probabilities = planes.astype(np.float32)
        np.testing.assert_allclose(probabilities.sum(0), 1, atol=2e-3)
        decided = np.abs(probabilities[1] - probabilities[0]) > 4e-3  # beyond float16 rounding
        assert (probabilities.argmax(0) == mask)[decided].all()
        confidence = float(rows[name]["mean_confidence"])
        assert confidence == pytest.approx(probabilities.max(0).mean(), abs=1e-3)
        assert 0.5 < confidence <= 1
    # --um-per-px overrides the file's calibration; lengths scale with it; 8-bit maps.
    again = steelseg(
        "predict", images[0], *checkpoint, "--out", tmp_path / "o2", "--um-per-px", 0.8,
        "--probabilities", "uint8", "--tile", 128,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    row = rows_of(tmp_path / "o2" / "phase_fractions.csv")["a"]
    assert (row["um_per_px"], row["um_per_px_source"]) == ("0.8", "option")
    ratio = float(row["intercept_um_pearlite"]) / float(rows["a"]["intercept_um_pearlite"])
    assert ratio == pytest.approx(0.8 / 0.5)
    scaled = tifffile.imread(tmp_path / "o2" / "probabilities" / "a.tif")
    assert scaled.dtype == np.uint8 and np.abs(scaled.astype(int).sum(0) - 255).max() <= 1
    assert (tmp_path / "o2" / "masks" / "a.png").is_file()


def test_onnx_export_runs_in_onnxruntime_with_pytorchs_masks(trained, tmp_path):
    import onnx
    import onnxruntime

    result = steelseg("export", trained, "--onnx", tmp_path / "onnx")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "onnx" / "smp_deeplabv3plus_mobilenetv2.onnx"
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    model, checkpoint = load_checkpoint(trained, torch.device("cpu"))
    assert json.loads(meta["steelseg.classes"]) == CLASSES
    assert json.loads(meta["steelseg.mean"]) == pytest.approx(list(checkpoint["mean"]))
    assert json.loads(meta["steelseg.std"]) == pytest.approx(list(checkpoint["std"]))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # Two fresh micrographs at a size other than the training tiles', as one batch, made as
    # the metadata says: ((RGB / 255) - mean) / std.
    images = np.stack([fresh_micrograph(seed, 224, 288)[0] for seed in (31, 32)])
    mean, std = (np.array(json.loads(meta[f"steelseg.{k}"]), np.float32) for k in ("mean", "std"))
    batch = ((images.astype(np.float32) / 255 - mean) / std).transpose(0, 3, 1, 2)
    (logits,) = session.run(None, {"image": np.ascontiguousarray(batch)})
    with torch.no_grad():
        expected = model(normalise(images, checkpoint))
    assert logits.shape == (2, 2, 224, 288)
    same = (logits.argmax(1) == expected.argmax(1).numpy()).mean()
    assert same >= 0.999, same
    assert 0.05 < logits.argmax(1).mean() < 0.95  # both phases found: a real segmentation


def test_export_refuses_two_checkpoints_of_one_model(tmp_path):
    first = random_checkpoint(tmp_path / "a" / "checkpoint.pt", "unet")
    second = random_checkpoint(tmp_path / "b" / "checkpoint.pt", "unet")
    result = steelseg("export", first, second, "--onnx", tmp_path / "onnx")
    assert result.returncode == 2 and "a second unet checkpoint" in result.stderr
    assert not (tmp_path / "onnx").exists()
