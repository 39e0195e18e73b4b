"""The script's data: the playground's own generator, features, split and preprocessing, pasted (or a
folder's images read as the playground reads them), so that the same seed makes the same arrays."""

from __future__ import annotations

import base64
import textwrap
import zlib

import numpy as np

from playground.core import data as data_module, datasets as datasets_module, image_folder
from playground.core.datasets import DATASETS, load_digits
from playground.core.export.context import _Context
from playground.core.export.writing import WIDTH, _fill, _pasted, _rule, _section, _shape, _source
from playground.core.features import FEATURES


def _data_code(ctx: _Context) -> str:
    exp, info = ctx.exp, DATASETS[ctx.exp.data.name]
    spec = exp.data
    chunks = [_DIGITS_LOADER] if spec.name == "digits" else []
    if ctx.folder is not None:
        chunks += _pasted(image_folder, ["IMAGE_SUFFIXES", "_read_image"])
        chunks.append(_FOLDER_LOADER)
    elif info.kind == "points" or spec.name == "digits":
        chunks.append(_source(info.generate))
    else:  # a generator with constants or helpers of its own module
        chunks += _pasted(datasets_module, [info.generate.__name__])
    features = [FEATURES[name] for name in spec.features] if info.kind == "points" else []
    chunks += [_source(f) for f in dict.fromkeys(features)]
    if spec.classes is not None:
        chunks.append(_ONLY_CLASSES)
    if spec.per_class is not None:
        chunks.append(_PER_CLASS_SPLIT)
    else:
        chunks.append(_source(data_module.split_indices))
    if spec.preprocess != "none":
        chunks += [_source(data_module.fit_preprocess), _source(data_module.apply_preprocess)]
    generator = info.generate.__name__ if info.generate else ""
    chunks.append(_make_data(ctx, generator, [f.__name__ for f in features]))
    if ctx.folder is not None:
        about = ("The folder's images are read as the playground reads them (its _read_image, pasted, and the "
                 "same order of classes and files), scaled to 0..1; then the playground's own split and "
                 "preprocessing, pasted. make_data() calls them in the playground's order, so one seeded numpy "
                 "generator gives the same arrays.")
    else:
        about = ("The playground's own functions, pasted: the generator, the input features, the split and the "
                 "preprocessing. make_data() calls them in the playground's order, so one seeded numpy generator "
                 "gives the same arrays.")
    return _section("data", chunks, about)


def _make_data(ctx: _Context, generator: str, features: list[str]) -> str:
    spec = ctx.exp.data
    info = DATASETS[spec.name]
    if ctx.folder is not None:
        lines = [
            "rng = np.random.default_rng(DATA_SEED)  # the split's generator (images are read, not drawn)",
            "pixels, targets, names = load_folder(path)",
        ]
        if spec.classes is None:
            lines += ["if len(names) != N_CLASSES:",
                      "    raise SystemExit(f\"{path} has {len(names)} classes ({', '.join(names)}); the network \"",
                      '                     f"was exported for {N_CLASSES}")']
        else:
            lines += ["if max(CLASSES) >= len(names):",
                      "    raise SystemExit(f\"{path} has {len(names)} classes ({', '.join(names)}); CLASSES \"",
                      '                     f"asks for class {max(CLASSES)} (counting from 0)")']
        lines.append("samples = pixels.astype(np.float32) / 255.0  # pixels 0..1")
    else:
        lines = [
            "rng = np.random.default_rng(DATA_SEED)  # one generator: first the data, then the split",
            f"samples, targets = {generator}(N_SAMPLES, NOISE, rng)",
        ]
        if spec.classes is not None or spec.per_class is not None:
            lines.append(f"names = [str(c) for c in range({info.num_classes})]  # each class's name: its number")
    if spec.classes is not None:
        lines.append("samples, targets, names = only_classes(samples, targets, names, CLASSES)")
    if spec.per_class is not None:
        lines.append("train, val = per_class_split(targets, len(names), PER_CLASS, rng, names)")
    else:
        lines.append("train, val = split_indices(len(targets), VAL_FRACTION, rng)")
    if features:
        columns = ", ".join(f"{name}(points)" for name in features)
        lines += [
            "points = samples.astype(np.float32).astype(np.float64)  # stored as float32, as the playground does",
            "# one column per input feature",
            f"inputs = np.stack([{columns}], axis=1)",
        ]
        if len(lines[-1]) > WIDTH - 4:
            lines[-1:] = ["inputs = np.stack([", *(f"    {name}(points)," for name in features), "], axis=1)"]
    else:
        lines.append(f"inputs = samples  # {_image_note(ctx)}")
    if spec.preprocess == "none":
        lines.append("x = inputs.astype(np.float32)  # no preprocessing")
    else:
        lines += [
            f'mean, std = fit_preprocess("{spec.preprocess}", inputs[train])  # fitted on the training split',
            "x = apply_preprocess(inputs, mean, std)",
        ]
    classes = DATASETS[spec.name].task == "classification"
    lines += ["y = targets.astype(np.int64)  # class labels" if classes else "y = targets.astype(np.float32)",
              "return x[train], y[train], x[val], y[val]"]
    signature = "make_data(path: str = DATA_PATH)" if ctx.folder is not None else "make_data()"
    return _fill('''
        def $signature -> tuple[np.ndarray, ...]:
            """(x_train, y_train, x_val, y_val) as numpy arrays, made as the playground makes them."""
        ''', signature=signature) + textwrap.indent("\n".join(lines), "    ") + "\n"


def _image_note(ctx: _Context) -> str:
    """What an image set's samples hold, for a comment."""
    name = ctx.exp.data.name
    if name == "digits":
        return "(n, 1, 8, 8) pixels 0..16"
    if name == "glyphs":
        return "(n, 1, 16, 16) ink 0..1, with pixel noise"
    return f"(n, {_shape(ctx.data.input_shape).replace('x', ', ')})" + (" pixels 0..1" if ctx.folder else "")


_DIGITS_LOADER = '''
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """All images (uint8 (N, 8, 8), pixels 0..16) and labels (uint8 (N,)), decoded from DIGITS at
    the end of this file: zlib-compressed bytes in base64, the images first, then the labels."""
    raw = np.frombuffer(zlib.decompress(base64.b64decode(DIGITS)), dtype=np.uint8)
    n = raw.size // 65  # 64 pixels and 1 label per image
    return raw[: n * 64].reshape(n, 8, 8), raw[n * 64:]
'''

_FOLDER_LOADER = '''
def load_folder(path: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every image of a folder with one subfolder per class, read as the playground reads them: the
    subfolders and their files in sorted order, leaving out names that start with a dot, folders
    inside a class folder, files without an image suffix and files Pillow cannot decode (printed); a
    subfolder without a usable image is no class. Returns the pixels as uint8 (N, IMAGE_CHANNELS,
    IMAGE_SIZE, IMAGE_SIZE), the labels (an index into the class names) and the class names."""
    mode = "RGB" if IMAGE_CHANNELS == 3 else "L"
    images, labels, classes = [], [], []
    for folder in sorted(Path(path).iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        pictures = []
        for file in sorted(folder.iterdir()):
            if file.name.startswith(".") or file.is_dir() or file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            picture = _read_image(file, mode, IMAGE_SIZE, RESIZE)
            if isinstance(picture, str):  # the reason it cannot be used
                print(f"note: skipped {folder.name}/{file.name}: {picture}", flush=True)
            else:
                pictures.append(picture)
        if pictures:
            images += pictures
            labels += [len(classes)] * len(pictures)
            classes.append(folder.name)
    if len(classes) < 2:
        raise SystemExit(f"{path} needs at least 2 subfolders with images (one per class); found {len(classes)}")
    return np.stack(images), np.array(labels, dtype=np.int64), classes
'''

_ONLY_CLASSES = '''
def only_classes(samples: np.ndarray, targets: np.ndarray, names: list[str], classes: list[int]):
    """The examples of the chosen classes only, relabelled 0, 1, ... in the order `classes` lists them."""
    keep = np.isin(targets, classes)
    relabel = np.zeros(max(len(names), 1), dtype=np.int64)
    relabel[list(classes)] = np.arange(len(classes))
    return samples[keep], relabel[targets[keep]], [names[c] for c in classes]
'''

_PER_CLASS_SPLIT = '''
def per_class_split(labels: np.ndarray, classes: int, per_class: int, rng: np.random.Generator,
                    names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Few-shot: `per_class` random examples of each class train, every other one validates (one
    permutation of all examples; each class's first ones in it train). Both sorted."""
    order = rng.permutation(len(labels))
    train = []
    for c in range(classes):
        mine = order[labels[order] == c]
        if len(mine) <= per_class:
            raise SystemExit(f"class {names[c]} has {len(mine)} examples; {per_class} for training leaves none "
                             "to validate")
        train.append(mine[:per_class])
    chosen = np.concatenate(train)
    rest = np.setdiff1d(order, chosen, assume_unique=True)
    return np.sort(chosen), np.sort(rest)
'''


def _digits_blob(ctx: _Context) -> str:
    if ctx.exp.data.name != "digits":
        return ""
    images, labels = load_digits()
    raw = images.astype(np.uint8).tobytes() + labels.astype(np.uint8).tobytes()
    text = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    lines = [text[i:i + WIDTH - 4] for i in range(0, len(text), WIDTH - 4)]
    about = (f"The {len(labels):,} handwritten digits (UCI, CC BY 4.0): {len(labels)} 8x8 uint8 images, then "
             f"{len(labels)} uint8 labels, zlib-compressed and base64-encoded. load_digits() decodes them.")
    return _rule("the digits data", about) + '\nDIGITS = """\n' + "\n".join(lines) + '\n"""'
