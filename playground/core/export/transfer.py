"""A transfer run's script: its settings, the backbone (a checkpoint's network or an ImageNet one),
the head, and the pasted TransferNet with what each phase freezes and trains."""

from __future__ import annotations

import json

from playground.core import imagenet, transfer as transfer_module
from playground.core.backbones import BACKBONES, STRATEGIES
from playground.core.export.context import _Context
from playground.core.export.network import _network_function
from playground.core.export.writing import _assignment, _doc, _fill, _join, _pasted, _section, _shape


def _transfer_about(ctx: _Context) -> str:
    t, spec = ctx.transfer, ctx.exp.transfer
    strategy = STRATEGIES.entry(spec.strategy).label
    text = (f"Transfer learning, {strategy[0].lower()}{strategy[1:]}: the backbone is "
            f"{BACKBONES.entry(spec.backbone).label} up to its block {t.plan.cut}, and a head from the experiment's "
            "model.layers learns the classes.")
    if spec.head_epochs:
        text += (f" For the first {spec.head_epochs} epochs only the head trains; then "
                 + (f"{', '.join(t.open)} open, with a fresh optimizer." if t.open else "a fresh optimizer starts."))
    return text + " It trains in one process: torchrun is not supported for transfer runs."


def _transfer_settings(ctx: _Context) -> str:
    t, spec = ctx.transfer, ctx.exp.transfer
    strategy = spec.strategy
    rows: list[tuple[str, object, str]] = []
    if t.file is not None:
        rows.append(("BACKBONE_FILE", str(t.file.absolute()), "the playground checkpoint the backbone comes from "
                                                              "(--backbone)"))
    if t.imagenet and t.pretrained:
        weights = t.entry.weights
        rows += [("WEIGHTS_FILE", weights.name, "torchvision's ImageNet weights, in torch's hub cache (--weights)"),
                 ("WEIGHTS_URL", weights.url, "where they are downloaded from if missing"),
                 ("WEIGHTS_SHA256", weights.sha256, "the published file's checksum, checked before use")]
    if t.pretrained:
        rows.append(("PRETRAINED", True, f"{strategy}: start from the backbone's trained weights"))
    names = "torchvision's names" if t.imagenet else "the checkpoint's network's names"
    rows += [
        ("BACKBONE_BLOCKS", t.plan.names, f"the backbone: these blocks, up to transfer.cut ({names})"),
        ("OPEN_BLOCKS", t.open, f"{strategy}: the blocks that train"
         + (" from epoch HEAD_EPOCHS on" if spec.head_epochs else "") + "; the rest stay frozen"),
        ("BACKBONE_LR", 1.0 if not t.pretrained else spec.backbone_lr,
         "the open blocks' LR as a share of LR" + (" (scratch: all at LR)" if not t.pretrained else "")),
        ("HEAD_EPOCHS", spec.head_epochs, "two phases: the head trains alone this many epochs (0: one phase)"),
        ("EVAL_CHUNK", t.eval_chunk, "examples per evaluation pass, as the playground takes them"),
    ]
    lines = [_assignment(name, value, note) for name, value, note in rows]
    return "# transfer learning: the backbone, what trains, and when\n" + "\n".join(lines)


def _transfer_model_code(ctx: _Context) -> str:
    t = ctx.transfer
    backbone = _imagenet_code(ctx) if t.imagenet else _checkpoint_code(ctx)
    head_names = ", ".join(p.name for p in t.head_plans)
    head_doc = _doc(f"The head on the backbone's {_shape(t.plan.out_shape)} features: blocks {head_names}, from the "
                    "experiment's model.layers, built like any playground network: every module first, then "
                    "the init calls block by block, biases at 0.")
    head = _section("the head", [_network_function("build_head", head_doc, t.head_plans, ctx.net, ctx.exp.model)])
    return _join([backbone, head, _transfer_net_code(ctx)])


def _checkpoint_code(ctx: _Context) -> str:
    t = ctx.transfer
    source = t.plan.source
    names = ", ".join(p.name for p in t.source_plans)
    title = f" ({json.dumps(source.title, ensure_ascii=False)})" if source.title else ""
    doc = _doc(f"The network of the experiment that trained the backbone{title}, as the playground builds it: "
               f"blocks {names}. Its blocks up to {t.plan.cut} are the backbone; the others are built too, "
               "because the playground builds them (they draw from torch's generator) and the checkpoint "
               "holds their weights.")
    function = _network_function("build_source_network", doc, t.source_plans, t.source_net, source.model)
    where = f"the playground checkpoint {t.file.name}" if t.file is not None else "a playground checkpoint"
    about = (f"The backbone comes from {where}: its own experiment's network is written out here like any "
             "playground network, with the playground's block names, so the checkpoint's tensors load into it "
             "by name." + ("" if t.pretrained else " Strategy scratch: fresh weights, no file is read."))
    return _section("the backbone", [function], about)


def _imagenet_code(ctx: _Context) -> str:
    t = ctx.transfer
    name = ctx.exp.transfer.backbone
    chunks = _pasted(imagenet, [name, "backbone_blocks"])
    if t.pretrained:
        chunks += [_WEIGHTS_PATH, _fill(_LOAD_IMAGENET, name=name)]
    about = (f"{BACKBONES.entry(name).label}: torchvision's architecture, with its module names, creation order and "
             "initialisation, written with torch alone (pasted from the playground's imagenet.py), so that "
             "torchvision's published weights load into it and a seed draws torchvision's fresh weights."
             + ("" if t.pretrained else " Strategy scratch: fresh weights, no file is read."))
    return _section("the backbone", chunks, about)


_WEIGHTS_PATH = '''
def weights_path() -> str:
    """Where torchvision keeps WEIGHTS_FILE, and where the playground downloaded it: torch's hub cache
    ($TORCH_HOME/hub/checkpoints, by default ~/.cache/torch/hub/checkpoints)."""
    return os.path.join(torch.hub.get_dir(), "checkpoints", WEIGHTS_FILE)
'''

_LOAD_IMAGENET = '''
def load_imagenet_weights(path: str) -> dict[str, torch.Tensor]:
    """torchvision's published ImageNet weights of $name, from `path` (downloaded from WEIGHTS_URL
    first if it is not there). Their SHA-256 checksum is checked before use: another or a damaged
    file would otherwise load as wrong weights, or fail deep inside torch.load."""
    if not os.path.exists(path):
        print(f"downloading {WEIGHTS_URL} to {path}", flush=True)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        torch.hub.download_url_to_file(WEIGHTS_URL, path, progress=False)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != WEIGHTS_SHA256:
        raise SystemExit(f"{path} is not the published {WEIGHTS_FILE}: its SHA-256 checksum is "
                         f"{digest.hexdigest()}, not {WEIGHTS_SHA256}. Delete it and run again.")
    return torch.load(path, map_location="cpu", weights_only=True)
'''


def _transfer_net_code(ctx: _Context) -> str:
    t = ctx.transfer
    chunks = _pasted(transfer_module, ["TransferNet"])
    if t.imagenet:
        name = ctx.exp.transfer.backbone
        arg = "weights_file: str | None = None" if t.pretrained else ""
        doc = _doc(f"The backbone's blocks {t.plan.names[0]} to {t.plan.cut} and a global average pooling, then "
                   "the head, in the playground's order: the whole ImageNet network with its own init"
                   + (", its published weights" if t.pretrained else "")
                   + ", then the head, so that a seed gives the playground's weights.")
        load = (["    if PRETRAINED:",
                 "        model.load_state_dict(load_imagenet_weights(weights_file or weights_path()), strict=True)"]
                if t.pretrained else [])
        features = t.plan.out_shape[0]
        body = [
            f"    model = {name}()  # torchvision's architecture and init, drawn from torch's generator",
            *load,
            f'    kept = dict(backbone_blocks("{name}", model))',
            "    # module names cannot hold dots: features.3 becomes features_3",
            '    blocks = OrderedDict((name.replace(".", "_"), kept[name]) for name in BACKBONE_BLOCKS)',
            f"    blocks[\"pool\"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())  # {features} features",
            "    backbone = list(blocks)",
            "    blocks.update(build_head().named_children())",
            "    return TransferNet(blocks, backbone)",
        ]
    else:
        arg = "backbone_file: str = BACKBONE_FILE" if t.pretrained else ""
        doc = _doc(f"The backbone's blocks {', '.join(t.plan.names)}, then the head, in the playground's order: "
                   "the whole source network with its own init"
                   + (", its trained weights" if t.pretrained else "")
                   + ", then the head, so that a seed gives the playground's weights.")
        load = (["    if PRETRAINED:  # strict: a tensor for every weight, by the blocks' names",
                 "        source.load_state_dict(load_file(backbone_file))"] if t.pretrained else [])
        body = [
            "    source = build_source_network()",
            *load,
            "    blocks = OrderedDict((name, getattr(source, name)) for name in BACKBONE_BLOCKS)",
            "    blocks.update(build_head().named_children())",
            "    return TransferNet(blocks, BACKBONE_BLOCKS)",
        ]
    build = _fill('''
        def build_model($arg) -> TransferNet:
            """$doc"""
        ''', arg=arg, doc=doc) + "\n".join(body) + "\n"
    helpers = _fill('''
        def frozen_children(net: TransferNet, phase_two: bool) -> list[str]:
            """The backbone's children that stay fixed: all of them in phase one, all but OPEN_BLOCKS in
            phase two (a block without parameters has nothing to train, and stays in eval mode too)."""
            return [name for name in net.backbone if not (phase_two and name in OPEN_BLOCKS)]


        def param_groups(net: TransferNet) -> list[dict]:
            """The head's parameters at the base LR, the open backbone blocks' at BACKBONE_LR of it; frozen
            parameters in no group. Each group's lr_scale says its share of the epoch's LR."""
            backbone = set(net.backbone)
            head = [p for name, m in net.named_children() if name not in backbone for p in m.parameters()]
            body = [p for name in net.backbone if name not in net.frozen
                    for p in net._modules[name].parameters()]
            groups = [{"params": head, "lr_scale": 1.0}]
            if body:
                groups.append({"params": body, "lr_scale": BACKBONE_LR})
            return groups
    ''')
    about = ("The playground's TransferNet, pasted: the backbone's blocks and the head's in one Sequential. Frozen "
             "blocks have requires_grad off and stay in eval mode whatever train() says, so their batch-norm "
             "statistics never move; while the whole backbone is frozen (and nothing is augmented) the head "
             "trains on the backbone's output computed once (features_cached).")
    return _section("the transfer network", [*chunks, build, helpers], about)
