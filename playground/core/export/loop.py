"""The script's run: main() with the trainer's loop of epochs and batches (for a transfer run, its
phases), the evaluation it reports each epoch, and the command-line arguments."""

from __future__ import annotations

from playground.core.datasets import DATASETS
from playground.core.export.context import _Context
from playground.core.export.writing import _fill, _more, _section


_REPORT = '''
def report(epoch: int, lr: float, net: nn.Module, x_train, y_train, x_val, y_val) -> None:
    """One line per epoch (epoch 0: the untrained network), named like the playground's metrics."""
    train_loss, train_acc = evaluate(net, x_train, y_train)
    val_loss, val_acc = evaluate(net, x_val, y_val) if len(x_val) else (None, None)
    line = f"epoch {epoch} train_loss {train_loss:.10g}"
    if val_loss is not None:
        line += f" val_loss {val_loss:.10g}"
    if train_acc is not None:
        line += f" train_acc {train_acc:.4f}"
    if val_acc is not None:
        line += f" val_acc {val_acc:.4f}"
    print(f"{line} lr {lr:.6g}", flush=True)
'''


def _evaluation_code(ctx: _Context) -> str:
    classification = DATASETS[ctx.exp.data.name].task == "classification"
    if ctx.transfer is not None:
        count = "right += int((out.argmax(1) == ys).sum())" if classification else "pass  # regression: no accuracy"
        accuracy = "right / len(x)" if classification else "None"
        evaluate = _fill('''
            def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
                """Mean data loss and accuracy on a whole split, in eval mode (no dropout; batch norm uses its
                running statistics) and without regularization: the numbers the playground plots. Like the
                playground, EVAL_CHUNK examples at a time, each chunk's mean loss weighted by its size."""
                net.eval()
                loss_sum, right = 0.0, 0
                with torch.no_grad():
                    for start in range(0, len(x), EVAL_CHUNK):
                        xs, ys = x[start:start + EVAL_CHUNK], y[start:start + EVAL_CHUNK]
                        out = net(xs)
                        loss_sum += data_loss(out, ys, "mean").item() * len(xs)
                        $count
                net.train()
                return loss_sum / len(x), $accuracy
        ''', count=count, accuracy=accuracy)
    else:
        accuracy = ("accuracy = (out.argmax(1) == y).float().mean().item()" if classification
                    else "accuracy = None  # regression: no accuracy")
        evaluate = _fill('''
            def evaluate(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float | None]:
                """Mean data loss and accuracy on a whole split, in eval mode (no dropout; batch norm uses its
                running statistics) and without regularization: the numbers the playground plots."""
                net.eval()
                with torch.no_grad():
                    out = net(x)
                    loss = data_loss(out, y, "mean").item()
                    $accuracy
                net.train()
                return loss, accuracy
        ''', accuracy=accuracy)
    return _section("evaluation", [evaluate, _REPORT])


def _data_arg(ctx: _Context) -> str:
    return "args.data" if ctx.folder is not None else ""


def _main_code(ctx: _Context) -> str:
    """main(): the data, the seeded model, then the trainer's loop of epochs and batches."""
    if ctx.transfer is not None:
        return _transfer_main_code(ctx)
    steps = ["xb = augment(xb, augment_gen)  # a fresh random change of the batch"] if ctx.augmenting else []
    steps += [
        "if world > 1:  # this rank's share of the batch",
        "    xb, yb = xb[rank::world], yb[rank::world]",
        f"loss = train_step(model, optimizer, xb, yb, {'len(x_train)' if ctx.full_batch else 'len(idx)'}, world)",
        "if not math.isfinite(loss):",
        "    if rank == 0:",
        '        print(f"loss diverged (became {loss}) at step {step}, epoch {epoch + 1}")',
        "    return stop_distributed(3)",
        "step += 1",
    ]
    batches, generators = _batch_lines(ctx, steps)
    hidden = [p for p in ctx.plans if p.type in ("dense", "conv")]
    note = []
    if any(p.norm == "batchnorm" or p.dropout > 0 for p in hidden):
        note = ['print("note: batch norm and dropout see each rank\'s share of a batch, so the losses differ "',
                '      "from a single process\'s", flush=True)']
    code = _fill('''
        def main() -> int:
            args = parse_args()
            rank, world = start_distributed()
            device = torch.device(args.device)
            x_train, y_train, x_val, y_val = (torch.as_tensor(a, device=device) for a in make_data($data))

            torch.manual_seed(args.seed)  # torch's global generator: the initial weights, then dropout
            net = build_model().to(device)
            model = net if world == 1 else DistributedDataParallel(net)  # DDP averages the ranks' gradients
            optimizer = make_optimizer(net)$generators
            if rank == 0:
                if world > 1:
                    print(f"training on {world} processes (DistributedDataParallel, gloo)", flush=True)$note
                report(0, LR * lr_factor(0, args.epochs), net, x_train, y_train, x_val, y_val)
            step = 0
            for epoch in range(args.epochs):
                lr = LR * lr_factor(epoch, args.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                net.train()$batches
                if rank == 0:
                    report(epoch + 1, lr, net, x_train, y_train, x_val, y_val)
            return stop_distributed(0)
    ''', data=_data_arg(ctx), generators=_more(generators, " " * 4), note=_more(note, " " * 12),
                 batches=_more(batches, " " * 8))
    return _section("the training loop", [code])


def _batch_lines(ctx: _Context, steps: list[str]) -> tuple[list[str], list[str]]:
    """An epoch's batches (each running ``steps``), and the generators they draw from."""
    if ctx.full_batch:
        batches = ["xb, yb = x_train, y_train  # full batch: one step on the whole training set", *steps]
        generators = []
    else:
        batches = [
            "# a new order every epoch, cut into batches",
            "order = torch.randperm(len(x_train), generator=batch_order, device=device)",
            "for idx in order.split(BATCH_SIZE):",
            "    xb, yb = x_train.index_select(0, idx), y_train.index_select(0, idx)",
            *("    " + line for line in steps),
        ]
        generators = ["batch_order = torch.Generator(device=device).manual_seed(args.seed)  # the batch order"]
    if ctx.augmenting:
        generators.append("augment_gen = torch.Generator(device=device).manual_seed(args.seed + 1)  # augmentation")
    return batches, generators


def _transfer_main_code(ctx: _Context) -> str:
    """main() of a transfer run: one process; the backbone frozen as the strategy says, its features
    cached while nothing in it trains, phase two opening OPEN_BLOCKS with a fresh optimizer."""
    t, spec = ctx.transfer, ctx.exp.transfer
    two_phases = spec.head_epochs > 0
    cache = not ctx.augmenting and (two_phases or not t.open)  # the whole backbone frozen at the start
    uncache = cache and two_phases and bool(t.open)  # ... and not after phase two opens blocks
    steps = ["xb = augment(xb, augment_gen)  # a fresh random change of the batch"] if ctx.augmenting else []
    steps += [
        "loss = train_step(net, optimizer, xb, yb)",
        "if not math.isfinite(loss):",
        '    print(f"loss diverged (became {loss}) at step {step}, epoch {epoch + 1}")',
        "    return 3",
        "step += 1",
    ]
    batches, generators = _batch_lines(ctx, steps)
    if two_phases:
        setup = ["phase_two = False  # phase one: the head trains alone for HEAD_EPOCHS epochs",
                 "net.lock(frozen_children(net, phase_two))"]
    else:
        setup = ["net.lock(frozen_children(net, phase_two=True))  # one phase: "
                 + ("OPEN_BLOCKS train from the start" if t.open else "the whole backbone stays frozen")]
    if cache:
        setup += ["# Every backbone block is frozen, so the backbone's output never changes: compute it once and",
                  "# train the head on it (a TransferNet with features_cached skips its backbone).",
                  "x_train, x_val = net.features(x_train), net.features(x_val)",
                  "net.features_cached = True"]
    if ctx.augmenting and (two_phases or not t.open):
        setup += ["# the backbone is frozen, but every batch is augmented: the images go through it each step"]
    phase = []
    if two_phases:
        opened = ("{', '.join(OPEN_BLOCKS)} open at {BACKBONE_LR:g}x the LR" if t.open
                  else "nothing more opens (linear probe)")
        phase = [
            "if not phase_two and epoch >= HEAD_EPOCHS:  # phase two: OPEN_BLOCKS open",
            "    phase_two = True",
            "    net.lock(frozen_children(net, phase_two))",
            *(["    net.features_cached = False  # the open blocks change: the images go through them again",
               "    x_train, x_val = images"] if uncache else []),
            "    optimizer = make_optimizer(param_groups(net))  # afresh: its state was the head-only phase's",
            f'    print(f"phase two from epoch {{epoch}}: {opened}", flush=True)',
        ]
    model_arg = ""
    if t.pretrained:
        model_arg = "args.weights" if t.imagenet else "args.backbone"
    code = _fill('''
        def main() -> int:
            args = parse_args()
            if int(os.environ.get("WORLD_SIZE", "1")) > 1:
                print("error: the script of a transfer run trains in one process; torchrun (data parallel) is "
                      "not supported for it: run python " + os.path.basename(sys.argv[0]), file=sys.stderr)
                return 2
            device = torch.device(args.device)
            x_train, y_train, x_val, y_val = (torch.as_tensor(a, device=device) for a in make_data($data))$images

            # torch's global generator: the backbone's initial weights, then the head's, then dropout
            torch.manual_seed(args.seed)
            net = build_model($model_arg).to(device)$setup
            optimizer = make_optimizer(param_groups(net))$generators
            report(0, LR * lr_factor(0, args.epochs), net, x_train, y_train, x_val, y_val)
            step = 0
            for epoch in range(args.epochs):$phase
                lr = LR * lr_factor(epoch, args.epochs)
                for group in optimizer.param_groups:
                    group["lr"] = lr * group["lr_scale"]  # the open backbone blocks: BACKBONE_LR of it
                net.train()  # the frozen blocks stay in eval mode$batches
                report(epoch + 1, lr, net, x_train, y_train, x_val, y_val)
            return 0
    ''', data=_data_arg(ctx), model_arg=model_arg,
                 images=_more(["images = x_train, x_val  # for phase two"] if uncache else [], " " * 4),
                 setup=_more(setup, " " * 4), generators=_more(generators, " " * 4), phase=_more(phase, " " * 8),
                 batches=_more(batches, " " * 8))
    return _section("the training loop", [code])


_ARGS = '''
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the exported playground experiment.")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs (default {EPOCHS})")
    parser.add_argument("--device", default="cpu", help="cpu (default: the playground's numbers), cuda, mps")
    parser.add_argument("--seed", type=int, default=SEED, help=f"seed of the initial weights, batch order "
                        f"and dropout (default {SEED}); the data keep DATA_SEED")$more
    return parser.parse_args()
'''


def _args_code(ctx: _Context) -> str:
    more = []
    if ctx.folder is not None:
        more += ['parser.add_argument("--data", default=DATA_PATH, help="the folder of images, one subfolder per "',
                 '                    "class (default: DATA_PATH, the experiment\'s)")']
    t = ctx.transfer
    if t is not None and t.file is not None:
        more += ['parser.add_argument("--backbone", default=BACKBONE_FILE, help="the playground checkpoint of the "',
                 '                    "backbone\'s network (default: BACKBONE_FILE)")']
    if t is not None and t.imagenet and t.pretrained:
        more += ['parser.add_argument("--weights", help="WEIGHTS_FILE from elsewhere (default: torch\'s hub cache, "',
                 '                    "downloaded there if missing)")']
    return _fill(_ARGS, more=_more(more, " " * 4))


_MAIN_GUARD = '''
if __name__ == "__main__":
    sys.exit(main())
'''
