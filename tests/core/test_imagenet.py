"""Our ImageNet networks against torchvision's, the reference they must match key for key and number
for number (so that its published weights load and behave as published)."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from playground.core.imagenet import (PARAMETER_COUNTS, backbone_blocks, block_channels, mobilenet_v3_small,
                                      resnet18)

OURS = {"mobilenet_v3_small": mobilenet_v3_small, "resnet18": resnet18}


@pytest.fixture(scope="module")
def tv_models():
    """torchvision.models, imported with its op registrations stubbed out: its compiled ops need CUDA
    torch, and registering fake kernels for ops that never loaded is the one step that fails."""
    def torchvision_modules() -> dict[str, types.ModuleType]:
        return {n: m for n, m in sys.modules.items() if n == "torchvision" or n.startswith("torchvision.")}

    before = torchvision_modules()
    stub = "torchvision._meta_registrations"
    sys.modules.setdefault(stub, types.ModuleType(stub))
    try:
        yield pytest.importorskip("torchvision.models")
    finally:
        for name in torchvision_modules():
            del sys.modules[name]
        sys.modules.update(before)


@pytest.fixture(params=list(OURS))
def pair(request, tv_models):
    """(name, ours, theirs), built from the same seed; fresh for each test, which may change them."""
    name = request.param
    torch.manual_seed(0)
    theirs = getattr(tv_models, name)()
    torch.manual_seed(0)
    return name, OURS[name](), theirs


def test_state_dict_has_torchvisions_keys_shapes_and_dtypes(pair):
    _, ours, theirs = pair
    spec = {k: (v.shape, v.dtype) for k, v in ours.state_dict().items()}
    assert spec == {k: (v.shape, v.dtype) for k, v in theirs.state_dict().items()}
    assert list(spec) == list(theirs.state_dict())  # same order too: same module tree


def test_a_seed_draws_torchvisions_initial_weights(pair):
    _, ours, theirs = pair
    for (key, mine), other in zip(ours.state_dict().items(), theirs.state_dict().values()):
        torch.testing.assert_close(mine, other, rtol=0, atol=0, msg=key)


def test_state_dicts_load_both_ways_strictly(pair):
    name, _, theirs = pair
    ours = OURS[name]()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.load_state_dict(ours.state_dict(), strict=True)


def test_parameter_count_is_the_published_one(pair):
    name, ours, theirs = pair
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in theirs.parameters()) == PARAMETER_COUNTS[name]


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_same_weights_give_the_same_outputs(pair, train):
    """Train mode too: batch statistics and the shortcuts must line up, not only the keys."""
    _, ours, theirs = pair
    ours.load_state_dict(theirs.state_dict())
    ours.train(train)
    theirs.train(train)
    size = 64 if train else 224  # train mode's batch statistics need no large input to differ
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.manual_seed(2)  # the same dropout mask on both sides
        expected = theirs(x)
        torch.manual_seed(2)
        torch.testing.assert_close(ours(x), expected)
        torch.testing.assert_close(ours.state_dict(), theirs.state_dict())  # running stats moved alike


def test_backbone_blocks_in_turn_are_the_feature_extractor(pair):
    name, ours, _ = pair
    ours.eval()
    blocks = backbone_blocks(name, ours)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        if name == "mobilenet_v3_small":
            expected = ours.features(x)
            assert [n for n, _ in blocks] == [f"features.{i}" for i in range(13)]
        else:
            expected = ours.layer4(ours.layer3(ours.layer2(ours.layer1(
                ours.maxpool(ours.relu(ours.bn1(ours.conv1(x))))))))
            assert [n for n, _ in blocks] == ["stem", "layer1", "layer2", "layer3", "layer4"]
        channels = []
        for _, block in blocks:
            x = block(x)
            channels.append(x.shape[1])
    torch.testing.assert_close(x, expected, rtol=0, atol=0)
    assert channels == block_channels(name)


def test_backbone_blocks_are_the_models_own_modules(pair):
    """Freezing a block must freeze the model, so no block may be a copy."""
    name, ours, _ = pair
    own = {id(p) for p in ours.parameters()}
    blocks = backbone_blocks(name, ours)
    block_params = [id(p) for _, block in blocks for p in block.parameters()]
    assert set(block_params) <= own and len(block_params) == len(set(block_params))
    head = ours.classifier if name == "mobilenet_v3_small" else ours.fc
    assert len(block_params) + sum(1 for _ in head.parameters()) == len(own)


def test_unknown_network_is_refused():
    with pytest.raises(KeyError, match="resnet18"):
        block_channels("vgg16")
