import pytest
import torch
from steelseg.errors import SteelsegError
from steelseg.models import MODELS, build_model, count_parameters


def test_paper_parameter_counts_for_unet_and_segnet():
    for name in ("unet", "segnet"):
        count = count_parameters(build_model(name, 2))
        assert abs(count - MODELS[name].paper_params) / MODELS[name].paper_params < 0.01
    assert count_parameters(build_model("unet", 2)) == 7_697_410  # exact, layer for layer
    assert count_parameters(build_model("segnet", 2)) == 29_444_166


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_maps_an_image_to_class_logits(name):
    model = build_model(name, 4).eval()
    size = 2 * MODELS[name].multiple
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, 4, size, size)


def test_segnet_unpools_at_the_max_locations():
    model = build_model("segnet", 2)
    x = torch.zeros(1, 64, 4, 4)
    x[0, :, 1, 2] = 5.0
    pooled, index = model.pool(x)
    restored = model.unpool(pooled, index, output_size=x.shape)
    assert torch.equal(restored, x)  # values go back exactly where they came from


def test_encoder_weights_from_a_file(tmp_path):
    source = build_model("deeplabv3plus_mobilenetv2", 2)
    torch.save(source.encoder.state_dict(), tmp_path / "enc.pt")
    loaded = build_model("deeplabv3plus_mobilenetv2", 3, str(tmp_path / "enc.pt"))
    for key, value in source.encoder.state_dict().items():
        assert torch.equal(loaded.encoder.state_dict()[key], value)
    with pytest.raises(SteelsegError, match="encoder weights file not found; run `steelseg fetch"):
        build_model("segnet", 2, str(tmp_path / "missing.pt"))
    with pytest.raises(SteelsegError, match="not encoder weights of model 'segnet'"):
        build_model("segnet", 2, str(tmp_path / "enc.pt"))
    with pytest.raises(SteelsegError, match="has no pretrained encoder"):
        build_model("unet", 2, "imagenet")
    with pytest.raises(SteelsegError, match="unknown"):
        build_model("fcn", 2)
