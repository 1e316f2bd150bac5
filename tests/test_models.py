import pytest
import torch
from steelseg.errors import SteelsegError
from steelseg.models import (
    MODELS,
    PAPER_MODELS,
    build_model,
    count_layers,
    count_parameters,
    parameter_table,
)

# Table 2 of the paper: parameters and layers of each network MATLAB built (2 classes).
TABLE_2 = {
    "unet": (7_697_410, 46),
    "segnet": (29_444_166, 91),
    "deeplabv3plus_resnet50": (43_980_180, 206),
    "deeplabv3plus_resnet18": (20_607_636, 100),
    "deeplabv3plus_mobilenetv2": (6_784_276, 186),
}


@pytest.mark.parametrize("name", sorted(TABLE_2))
def test_the_papers_networks_have_table_2s_parameters_and_layers(name):
    model = build_model(name, 2, final_relu=name == "segnet")  # SegNet as Table A2 ends
    assert count_parameters(model) == TABLE_2[name][0]
    assert count_layers(model, 4 * MODELS[name].multiple) == TABLE_2[name][1]
    assert (MODELS[name].paper_params, MODELS[name].paper_layers) == TABLE_2[name]


def test_models_prints_table_2_beside_ours():
    rows = {row[0]: row for row in parameter_table()}
    assert set(PAPER_MODELS) == set(TABLE_2) and set(rows) == set(MODELS)
    for name in TABLE_2:
        assert rows[name][2] == rows[name][3] and rows[name][4] == "+0", rows[name]
    assert rows["segnet"][5:] == (90, 91)  # the final ReLU is an option (the paper preset's)
    assert rows["smp_deeplabv3plus_resnet50"][2] == "26,677,842"  # smp's, for comparison


def test_segnet_final_relu_is_segnets_alone():
    with_relu = build_model("segnet", 2, final_relu=True).eval()
    with torch.no_grad():
        assert with_relu(torch.randn(1, 3, 64, 64)).min() >= 0
    with pytest.raises(SteelsegError, match="final_relu is SegNet's"):
        build_model("unet", 2, final_relu=True)


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_maps_an_image_to_class_logits(name):
    model = build_model(name, 4).eval()
    size = 2 * MODELS[name].multiple
    with torch.no_grad():
        out = model(torch.randn(2, 3, size, size))
    assert out.shape == (2, 4, size, size)


@pytest.mark.parametrize("depth", [18, 50])
def test_matlab_resnet_encoders_are_torchvisions_with_biases(depth):
    # The ImageNet path: torchvision's weights load onto MATLAB's encoder unchanged (the
    # convolutions' biases, which torchvision's lack, start at zero).
    from steelseg.models.deeplab_matlab import ResNetDeepLab
    from torchvision import models as tv

    torch.manual_seed(3)
    reference = getattr(tv, f"resnet{depth}")()
    torch.manual_seed(3)
    ours = ResNetDeepLab(depth, 2)
    assert torch.equal(ours.encoder["stem"][0].weight, reference.conv1.weight)
    assert torch.equal(ours.encoder["layer4"][0].conv1.weight, reference.layer4[0].conv1.weight)
    assert not ours.encoder["layer3"][0].conv1.bias.any()
    channels = 128 if depth == 18 else 512  # layer2's output
    high = ours.encoder["layer4"](ours.encoder["layer3"](torch.zeros(1, channels, 28, 28)))
    assert high.shape[-1] == 14  # output stride 16: the last stage dilated, not strided


def test_segnet_unpools_at_the_max_locations():
    model = build_model("segnet", 2)
    x = torch.zeros(1, 64, 4, 4)
    x[0, :, 1, 2] = 5.0
    pooled, index = model.pool(x)
    restored = model.unpool(pooled, index, output_size=x.shape)
    assert torch.equal(restored, x)  # values go back exactly where they came from


@pytest.mark.parametrize("name", ["deeplabv3plus_mobilenetv2", "smp_deeplabv3plus_mobilenetv2"])
def test_encoder_weights_from_a_file(tmp_path, name):
    source = build_model(name, 2)
    torch.save(source.encoder.state_dict(), tmp_path / "enc.pt")
    loaded = build_model(name, 3, str(tmp_path / "enc.pt"))
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
