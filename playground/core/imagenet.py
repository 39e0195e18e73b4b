"""The two ImageNet networks that transfer learning starts from, written with torch alone.

torchvision's wheel is built against CUDA torch: with the CPU torch we ship, ``import torchvision``
fails on its compiled ops. So we define the architectures here, with torchvision's module names,
creation order and initialisation, so that its published state dicts (mobilenet_v3_small-047dcff4.pth,
resnet18-f37072fd.pth) load with ``strict=True`` and a seed gives the same random weights as there.
Activations are not in place (torchvision's are): same numbers, and a probe's hook sees each output.
"""

from __future__ import annotations

from torch import Tensor, nn


def _make_divisible(value: float, divisor: int = 8) -> int:
    """The nearest multiple of ``divisor``, never 10 % below ``value``: MobileNet's channel rule."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _conv_bn(inputs: int, outputs: int, kernel: int, stride: int = 1, groups: int = 1,
             activation: type[nn.Module] | None = None) -> nn.Sequential:
    """torchvision's Conv2dNormActivation as MobileNetV3 uses it: keys ``0`` (conv), ``1`` (bn)."""
    layers: list[nn.Module] = [nn.Conv2d(inputs, outputs, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(outputs, eps=0.001, momentum=0.01)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """Scales each channel by a gate computed from the whole image's mean of all channels."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x))))) * x


class InvertedResidual(nn.Module):
    """Expand (1x1), filter each channel (depthwise), optionally gate, project back (1x1, linear)."""

    def __init__(self, inputs: int, kernel: int, expanded: int, outputs: int, se: bool, hardswish: bool,
                 stride: int):
        super().__init__()
        self.use_res_connect = stride == 1 and inputs == outputs
        activation = nn.Hardswish if hardswish else nn.ReLU
        layers: list[nn.Module] = []
        if expanded != inputs:
            layers.append(_conv_bn(inputs, expanded, 1, activation=activation))
        layers.append(_conv_bn(expanded, expanded, kernel, stride, groups=expanded, activation=activation))
        if se:
            layers.append(SqueezeExcitation(expanded, _make_divisible(expanded // 4)))
        layers.append(_conv_bn(expanded, outputs, 1))
        self.block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        out = self.block(x)
        return out + x if self.use_res_connect else out


# Table 2 of the MobileNetV3 paper: input, kernel, expanded, output channels, SE, hardswish, stride
_MOBILENET_V3_SMALL = [(16, 3, 16, 16, True, False, 2), (16, 3, 72, 24, False, False, 2),
                       (24, 3, 88, 24, False, False, 1), (24, 5, 96, 40, True, True, 2),
                       (40, 5, 240, 40, True, True, 1), (40, 5, 240, 40, True, True, 1),
                       (40, 5, 120, 48, True, True, 1), (48, 5, 144, 48, True, True, 1),
                       (48, 5, 288, 96, True, True, 2), (96, 5, 576, 96, True, True, 1),
                       (96, 5, 576, 96, True, True, 1)]


class MobileNetV3(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.features = nn.Sequential(_conv_bn(3, 16, 3, 2, activation=nn.Hardswish),
                                      *(InvertedResidual(*row) for row in _MOBILENET_V3_SMALL),
                                      _conv_bn(96, 576, 1, activation=nn.Hardswish))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(576, 1024), nn.Hardswish(), nn.Dropout(0.2),
                                        nn.Linear(1024, num_classes))
        _init_convs_and_norms(self)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


class BasicBlock(nn.Module):
    """Two 3x3 convs plus a shortcut; the shortcut is a strided 1x1 conv where the shape changes."""

    def __init__(self, inputs: int, outputs: int, stride: int, downsample: nn.Module | None):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.downsample = downsample

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


def _resnet_layer(inputs: int, outputs: int, stride: int) -> nn.Sequential:
    """Two BasicBlocks, the first one changing the shape (torchvision creates its shortcut first)."""
    downsample = None
    if stride != 1 or inputs != outputs:
        downsample = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))
    return nn.Sequential(BasicBlock(inputs, outputs, stride, downsample), BasicBlock(outputs, outputs, 1, None))


class ResNet18(nn.Module):
    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = _resnet_layer(64, 64, 1)
        self.layer2 = _resnet_layer(64, 128, 2)
        self.layer3 = _resnet_layer(128, 256, 2)
        self.layer4 = _resnet_layer(256, 512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, num_classes)  # PyTorch's default init, as torchvision leaves it
        _init_convs_and_norms(self)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _init_convs_and_norms(model: nn.Module) -> None:
    """torchvision's init, in its module order so that a seed draws the same weights."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def mobilenet_v3_small(num_classes: int = 1000) -> nn.Module:
    return MobileNetV3(num_classes)


def resnet18(num_classes: int = 1000) -> nn.Module:
    return ResNet18(num_classes)


# torchvision's published counts, with the 1000 ImageNet classes
PARAMETER_COUNTS = {"mobilenet_v3_small": 2_542_856, "resnet18": 11_689_512}

_BLOCK_CHANNELS = {"mobilenet_v3_small": [16, 16, 24, 24, 40, 40, 40, 48, 48, 96, 96, 96, 576],
                   "resnet18": [64, 64, 128, 256, 512]}


def block_channels(name: str) -> list[int]:
    """Channels coming out of each of ``backbone_blocks``: the width of a head cut in after it."""
    if name not in _BLOCK_CHANNELS:
        raise KeyError(f"unknown ImageNet network {name!r}; choose one of {', '.join(_BLOCK_CHANNELS)}")
    return list(_BLOCK_CHANNELS[name])


def backbone_blocks(name: str, model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The feature extractor as named steps, run in turn, to cut after one or (un)freeze one by one.

    The modules are the model's own, so freezing a block freezes the model's parameters; resnet's
    ``stem`` is a new Sequential around them (its state_dict keys are not the model's)."""
    if name == "mobilenet_v3_small":
        return [(f"features.{i}", block) for i, block in enumerate(model.features)]
    if name == "resnet18":
        stem = nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool)
        return [("stem", stem)] + [(f"layer{i}", getattr(model, f"layer{i}")) for i in range(1, 5)]
    raise KeyError(f"unknown ImageNet network {name!r}; choose one of {', '.join(_BLOCK_CHANNELS)}")
