"""A folder of the user's own photos: what is decoded, how it is cut to size, and that every file
that cannot be used is named with a reason instead of failing the whole folder."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from playground.core import image_folder
from playground.core.image_folder import FolderError, load_image_folder, scan_folder
from playground.core.paths import resources_dir

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def save(path: Path, image: Image.Image, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


def solid(colour, size=(40, 30), mode="RGB") -> Image.Image:
    return Image.new(mode, size, colour)


def png_with_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header names a size but whose pixel data is garbage: any attempt to decode it
    fails, so a reason other than "cannot decode" shows it was never decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])  # 8-bit grey
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"garbage")
                     + chunk(b"IEND", b""))
    return path


@pytest.fixture
def mixed(tmp_path) -> Path:
    """Three classes in every format and mode a user's folder may hold."""
    save(tmp_path / "cat" / "a.png", solid(RED))
    save(tmp_path / "cat" / "b.PNG", solid(RED, (17, 60)))
    save(tmp_path / "dog" / "grey.jpg", solid(128, (50, 50), "L"), quality=95)
    save(tmp_path / "dog" / "wide.jpeg", solid(GREEN, (200, 40)))
    save(tmp_path / "fox" / "see-through.png", solid((0, 0, 0, 0), mode="RGBA"))
    palette = Image.new("P", (20, 20), 1)
    palette.putpalette([0, 0, 0, *BLUE])
    save(tmp_path / "fox" / "palette.gif", palette)
    return tmp_path


def test_every_format_becomes_the_same_shape_labelled_by_sorted_class(mixed):
    data = load_image_folder(mixed, size=16, channels=3)
    assert data.images.shape == (6, 3, 16, 16) and data.images.dtype == np.uint8
    assert data.labels.dtype == np.int64 and data.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert data.classes == ["cat", "dog", "fox"] and data.skipped == []
    assert data.summary() == "3 classes, 6 images (cat 2, dog 2, fox 2)"
    cat, _, grey, wide, palette, see_through = data.images
    assert (cat.reshape(3, -1).T == RED).all()
    assert (grey[0] == grey[1]).all() and (grey[1] == grey[2]).all() and abs(int(grey[0, 8, 8]) - 128) <= 2
    assert np.abs(wide.reshape(3, -1).T.astype(int) - GREEN).max() <= 3  # JPEG is close, not exact
    assert (see_through == 255).all()  # transparent pixels are laid on white
    assert (palette.reshape(3, -1).T == BLUE).all()


def test_one_channel_is_the_grey_level(mixed):
    data = load_image_folder(mixed, size=8, channels=1)
    assert data.images.shape == (6, 1, 8, 8)
    assert (data.images[0] == round(0.299 * 255)).all()  # ITU-R 601 luma of pure red
    assert (data.images[5] == 255).all()


def test_exif_orientation_and_16_bit_grey_are_honoured(tmp_path):
    halves = np.zeros((20, 20, 3), np.uint8)
    halves[:, :10], halves[:, 10:] = RED, BLUE
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: show the picture turned a quarter clockwise
    save(tmp_path / "turned" / "photo.png", Image.fromarray(halves), exif=exif)
    save(tmp_path / "deep" / "scan.png", Image.fromarray(np.full((20, 20), 0x8000, np.uint16)))
    deep, turned = load_image_folder(tmp_path, size=8, channels=3).images
    assert (deep == 128).all()
    assert (turned[:, 0].T == RED).all() and (turned[:, -1].T == BLUE).all()  # the left half on top


def test_the_centre_of_a_wide_or_tall_picture_survives_the_crop(tmp_path):
    bands = np.zeros((100, 300, 3), np.uint8)
    bands[:, :50], bands[:, 50:250], bands[:, 250:] = RED, GREEN, BLUE
    save(tmp_path / "wide" / "bands.png", Image.fromarray(bands))
    save(tmp_path / "tall" / "bands.png", Image.fromarray(bands.transpose(1, 0, 2).copy()))
    data = load_image_folder(tmp_path, size=32, channels=3)
    for picture in data.images:
        assert (picture.reshape(3, -1).T == GREEN).all()


def test_resize_scales_the_shorter_side_before_the_centre_is_cut(tmp_path):
    framed = np.full((64, 64, 3), RED, np.uint8)
    framed[12:52, 12:52] = GREEN  # the centre the crop keeps, and the filter's reach beyond it
    for name in ("a", "b"):
        save(tmp_path / name / "framed.png", Image.fromarray(framed))
    whole = load_image_folder(tmp_path, size=16, channels=3).images[0]
    centre = load_image_folder(tmp_path, size=16, channels=3, resize=32).images[0]
    assert tuple(whole[:, 0, 0]) == RED and tuple(whole[:, 8, 8]) == GREEN
    assert (centre.reshape(3, -1).T == GREEN).all()


def test_the_crop_gives_the_pixels_of_resizing_the_whole_picture_first(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    for name in ("a", "b"):
        save(tmp_path / name / "noise.png", Image.fromarray(noise))
    ours = load_image_folder(tmp_path, size=16, channels=3, resize=40).images[0]
    reference = Image.fromarray(noise).resize((40, 40), Image.Resampling.BILINEAR).crop((12, 12, 28, 28))
    difference = ours.astype(int) - np.asarray(reference).transpose(2, 0, 1)
    assert np.abs(difference).max() <= 1  # the filter's weights, computed for a box


def test_unusable_files_are_named_with_a_reason_and_the_rest_load(tmp_path):
    for name in ("cat", "dog"):
        save(tmp_path / name / "good.png", solid(RED))
    (tmp_path / "empty").mkdir()
    (tmp_path / "cat" / "corrupt.jpg").write_bytes(np.random.default_rng(0).bytes(500))
    whole = save(tmp_path / "dog" / "truncated.png", Image.fromarray(
        np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8))).read_bytes()
    (tmp_path / "dog" / "truncated.png").write_bytes(whole[:len(whole) // 2])
    (tmp_path / "dog" / "notes.txt").write_text("hello")
    (tmp_path / "dog" / "more").mkdir()
    (tmp_path / "dog" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (tmp_path / "labels.csv").write_text("a,b")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.jpg").write_bytes(b"not a jpeg")

    data = load_image_folder(tmp_path, size=8, channels=3)
    assert data.classes == ["cat", "dog"] and data.images.shape == (2, 3, 8, 8)
    reasons = dict(data.skipped)
    assert reasons.keys() == {"broken/", "broken/x.jpg", "cat/corrupt.jpg", "dog/.DS_Store", "dog/more/",
                              "dog/notes.txt", "dog/truncated.png", "empty/", "labels.csv"}
    assert reasons["empty/"] == reasons["broken/"] == "no usable images"
    assert reasons["cat/corrupt.jpg"].startswith("cannot decode")
    assert reasons["dog/truncated.png"].startswith("cannot decode")
    assert reasons["dog/notes.txt"] == "not an image"
    assert reasons["labels.csv"] == "not in a class folder"
    assert "skipped 9: broken/ (no usable images), broken/x.jpg (cannot decode" in data.summary()
    assert data.summary().endswith("and 4 more")


def test_scan_counts_by_name_without_decoding(tmp_path):
    save(tmp_path / "cat" / "a.png", solid(RED))
    (tmp_path / "cat" / "b.jpg").write_bytes(b"junk")  # decoding is load's business
    (tmp_path / "dog").mkdir()
    classes, skipped = scan_folder(tmp_path)
    assert classes == {"cat": [tmp_path / "cat" / "a.png", tmp_path / "cat" / "b.jpg"]}
    assert skipped == [("dog/", "no usable images")]


def test_one_class_is_refused_naming_what_was_found(tmp_path):
    for i in range(3):
        save(tmp_path / "cat" / f"{i}.png", solid(RED))
    save(tmp_path / "dog" / "0.jpg", solid(RED)).write_bytes(b"junk")
    with pytest.raises(FolderError, match=r"at least 2 classes with images; found 1: cat \(3 images\)"):
        load_image_folder(tmp_path, size=8, channels=3)


@pytest.mark.parametrize("make, problem", [
    (lambda root: root / "nowhere", "does not exist"),
    (lambda root: save(root / "photo.png", solid(RED)), "is not a folder"),
    (lambda root: save(root / "photo.png", solid(RED)).parent, "put one subfolder per class"),
])
def test_a_folder_that_is_no_data_set_says_why(tmp_path, make, problem):
    with pytest.raises(FolderError, match=problem):
        scan_folder(make(tmp_path))


def test_too_many_images_are_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(image_folder, "MAX_FOLDER_IMAGES", 3)
    for name in ("cat", "dog"):
        for i in range(2):
            (tmp_path / name).mkdir(exist_ok=True)
            (tmp_path / name / f"{i}.png").write_bytes(b"never decoded")
    with pytest.raises(FolderError, match="more than 3 images"):
        load_image_folder(tmp_path, size=8, channels=3)


def test_a_decompression_bomb_is_skipped_without_decoding(tmp_path, monkeypatch):
    for name in ("cat", "dog"):
        save(tmp_path / name / "fine.png", solid(RED, (10, 10)))
    png_with_header_only(tmp_path / "cat" / "bomb.png", 64, 64)
    png_with_header_only(tmp_path / "dog" / "huge.png", 100_000, 100_000)  # past Pillow's own limit
    assert dict(load_image_folder(tmp_path, 8, 3).skipped)["cat/bomb.png"].startswith("cannot decode")
    monkeypatch.setattr(image_folder, "MAX_IMAGE_PIXELS", 1000)
    data = load_image_folder(tmp_path, size=8, channels=3)
    assert data.images.shape[0] == 2
    assert dict(data.skipped) == {"cat/bomb.png": "too large: 64x64 pixels, over 1,000",
                                  "dog/huge.png": "too large: over 1,000 pixels"}


def test_progress_follows_each_file(mixed):
    calls = []
    load_image_folder(mixed, size=8, channels=3, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i, 6) for i in range(1, 7)]

    def cancel(done, total):
        raise InterruptedError

    with pytest.raises(InterruptedError):  # how a window stops a long load
        load_image_folder(mixed, size=8, channels=3, progress=cancel)


@pytest.mark.parametrize("size, resize", [(7, None), (513, None), (32, 16), (32, 600)])
def test_sizes_are_bounded(mixed, size, resize):
    with pytest.raises(ValueError, match="512"):
        load_image_folder(mixed, size=size, channels=3, resize=resize)


def test_the_shipped_sample_folder_loads_and_skips_its_readme():
    data = load_image_folder(resources_dir() / "sample_folder", size=32, channels=1)
    assert data.classes == ["one", "seven", "zero"] and data.images.shape == (72, 1, 32, 32)
    assert np.bincount(data.labels).tolist() == [24, 24, 24]
    assert data.skipped == [("README.txt", "not in a class folder")]


def test_the_sample_folder_script_rebuilds_the_shipped_bytes(tmp_path):
    script = resources_dir() / "data" / "make_sample_folder.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True, timeout=60)
    shipped = resources_dir() / "sample_folder"
    files = sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 73 and sum((shipped / f).stat().st_size for f in files) < 200_000
    for file in files:
        assert (tmp_path / file).read_bytes() == (shipped / file).read_bytes(), file
