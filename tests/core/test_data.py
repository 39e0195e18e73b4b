"""The data layer: generators, features, split and preprocessing, digits, augmentation."""

from __future__ import annotations

import inspect
import math
import textwrap

import numpy as np
import pytest
import torch

from playground.core import datasets
from playground.core.augment import augment_batch, augment_enabled
from playground.core.data import PREPROCESS, fit_preprocess, prepare_data, split_indices
from playground.core.datasets import DATASETS
from playground.core.features import FEATURES, feature_matrix
from playground.core.spec import AugmentSpec, DataSpec

POINT_SETS = [e.name for e in DATASETS if e.value.kind == "points"]
CLASSIFICATION_SETS = [n for n in POINT_SETS if DATASETS[n].task == "classification"]
REGRESSION_SETS = [n for n in POINT_SETS if DATASETS[n].task == "regression"]


def generate(name: str, n: int = 500, noise: float = 0.0, seed: int = 0):
    return DATASETS[name].generate(n, noise, np.random.default_rng(seed))


# -- registries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("registry", [DATASETS, FEATURES, PREPROCESS], ids=lambda r: r.kind)
def test_every_entry_has_a_label_and_a_tip(registry):
    for entry in registry:
        assert entry.label.strip() and entry.tip.strip(), entry.name


def test_the_expected_choices_are_registered():
    assert POINT_SETS == ["circle", "xor", "gauss", "spiral", "moons", "plane", "multi_gauss"]
    assert CLASSIFICATION_SETS == ["circle", "xor", "gauss", "spiral", "moons"]
    assert "digits" in DATASETS
    assert FEATURES.names() == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin_x1", "sin_x2"]
    assert PREPROCESS.names() == ["none", "center", "standardize", "imagenet"]


def run_pasted(function, *args):
    """Run a function from its pasted source with only numpy and math around, as the exporter does."""
    namespace = {"np": np, "math": math}
    exec(textwrap.dedent(inspect.getsource(function)), namespace)
    return namespace[function.__name__](*args)


@pytest.mark.parametrize("name", POINT_SETS)
def test_generators_run_from_their_pasted_source_alone(name):
    function = DATASETS[name].generate
    pasted_x, pasted_y = run_pasted(function, 101, 0.3, np.random.default_rng(5))
    x, y = function(101, 0.3, np.random.default_rng(5))
    np.testing.assert_array_equal(pasted_x, x)
    np.testing.assert_array_equal(pasted_y, y)


def test_features_and_split_helpers_run_from_their_pasted_source_alone():
    points = np.random.default_rng(0).uniform(-6, 6, (20, 2))
    for entry in FEATURES:
        np.testing.assert_array_equal(run_pasted(entry.value, points), entry.value(points))
    train, val = run_pasted(split_indices, 20, 0.25, np.random.default_rng(1))
    expected_train, expected_val = split_indices(20, 0.25, np.random.default_rng(1))
    np.testing.assert_array_equal(train, expected_train)
    np.testing.assert_array_equal(val, expected_val)
    for name in PREPROCESS.names():
        for pasted, own in zip(run_pasted(fit_preprocess, name, points), fit_preprocess(name, points)):
            np.testing.assert_array_equal(pasted, own)


# -- 2D sets --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", POINT_SETS)
@pytest.mark.parametrize("n", [500, 101])
def test_2d_sets_have_the_right_types_sizes_and_range(name, n):
    for noise in (0.0, 0.5):
        x, y = generate(name, n, noise)
        assert x.shape == (n, 2) and x.dtype == np.float64 and np.all(np.isfinite(x))
        assert y.shape == (n,)
        assert y.dtype == (np.int64 if DATASETS[name].task == "classification" else np.float64)
    # Without noise the points fit the picture; noisy gauss and moons may spill over, as in TF.
    assert np.abs(generate(name, n)[0]).max() <= DATASETS[name].extent


@pytest.mark.parametrize("name", [n for n in CLASSIFICATION_SETS if n != "xor"])
def test_2d_classes_are_split_in_halves_without_noise(name):
    for n in (500, 101):
        _, y = generate(name, n)
        assert sorted(np.bincount(y, minlength=2)) == [n // 2, n - n // 2]


def test_xor_classes_are_balanced_on_average():
    _, y = generate("xor", 2000)  # each point falls in a random quadrant, as in TF
    assert 0.45 < y.mean() < 0.55


def test_circle_labels_follow_the_radius_without_noise_and_not_always_with_noise():
    x, y = generate("circle")
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_array_equal(y, (radius < 2.5).astype(np.int64))
    assert radius.max() <= 5 and not np.any((radius >= 2.5) & (radius < 3.5))  # the gap between disc and ring
    x, y = generate("circle", noise=0.5)
    disagree = np.mean(y != (np.hypot(x[:, 0], x[:, 1]) < 2.5))
    assert 0.05 < disagree < 0.5


def test_xor_classes_are_the_quadrants_with_a_gap_at_the_axes():
    x, y = generate("xor")
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.int64))
    assert np.abs(x).min() >= 0.3 and np.abs(x).max() <= 5.3


def test_gauss_blobs_sit_at_their_centres_and_widen_with_noise():
    x, y = generate("gauss", 2000)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    assert x[y == 1].std() == pytest.approx(math.sqrt(0.5), rel=0.1)
    noisy, labels = generate("gauss", 2000, noise=0.5)
    assert noisy[labels == 1].std() == pytest.approx(2.0, rel=0.1)


def test_spiral_radius_grows_along_each_arm_and_the_arms_are_opposite():
    x, y = generate("spiral")
    for label in (0, 1):
        radius = np.hypot(*x[y == label].T)
        assert radius[0] == 0 and radius.max() < 5
        assert np.all(np.diff(radius) > 0)
    np.testing.assert_allclose(x[y == 0], -x[y == 1], atol=1e-12)  # half a turn apart


def test_moons_are_two_separate_half_circles_that_overlap_with_noise():
    x, y = generate("moons")
    assert np.abs(x[:, 0]).max() <= 5 and np.abs(x[:, 1]).max() <= 2.5
    upper = x[y == 0] / (10 / 3) + [0.5, 0.25]  # back to make_moons' unit circles
    lower = x[y == 1] / (10 / 3) + [0.5, 0.25]
    np.testing.assert_allclose(np.hypot(*upper.T), 1)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1)
    noisy, labels = generate("moons", noise=0.5)
    assert np.std(noisy - x) == pytest.approx(1.0, rel=0.1)  # std 2 * noise: same seed, same angles


@pytest.mark.parametrize("name", REGRESSION_SETS)
def test_regression_targets_stay_in_tf_range(name):
    for noise in (0.0, 0.5):
        _, y = generate(name, 2000, noise)
        limit = 1.0 if name == "multi_gauss" else 1.8  # plane: (6 + 3 + 6 + 3) / 10 at the noisiest corner
        assert np.abs(y).max() <= limit and y.std() > 0.1


def test_plane_target_is_the_scaled_diagonal():
    x, y = generate("plane")
    np.testing.assert_allclose(y, (x[:, 0] + x[:, 1]) / 10)
    assert 1.0 < np.abs(y).max() <= 1.2  # TF does not clamp


def test_multi_gauss_peaks_at_its_centres_and_is_zero_between():
    x, y = generate("multi_gauss", 4000)
    near = lambda cx, cy: np.hypot(x[:, 0] - cx, x[:, 1] - cy) < 0.3  # noqa: E731
    assert np.all(y[near(-4, 2.5)] > 0.8) and np.all(y[near(0, 2.5)] < -0.8)
    assert np.all(y[near(4, -2.5)] < -0.8) and np.all(y[near(0, -2.5)] > 0.8)
    assert np.all(y[np.abs(x[:, 1]) < 0.4] == 0)  # more than 2 from every centre


# -- features -------------------------------------------------------------------------------------


def test_feature_columns_follow_their_formulas():
    points = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.5]])
    m = feature_matrix(points, FEATURES.names())
    a, b = points.T
    expected = np.stack([a, b, a**2, b**2, a * b, np.sin(a), np.sin(b)], axis=1)
    np.testing.assert_allclose(m, expected)
    np.testing.assert_array_equal(feature_matrix(points, ["x2", "x1"]), points[:, ::-1])
    with pytest.raises(ValueError, match="at least one"):
        feature_matrix(points, [])


# -- prepare_data ---------------------------------------------------------------------------------


def test_same_spec_gives_identical_arrays_and_another_seed_different_ones():
    spec = DataSpec(name="spiral", noise=0.2, features=["x1", "x2", "sin_x1"], preprocess="standardize")
    first, again = prepare_data(spec), prepare_data(spec)
    for field in ("x_train", "y_train", "x_val", "y_val", "points_train", "mean", "std"):
        assert getattr(first, field).tobytes() == getattr(again, field).tobytes(), field
    other = prepare_data(DataSpec(name="spiral", noise=0.2, features=spec.features, preprocess="standardize", seed=1))
    assert not np.array_equal(first.points_train, other.points_train)


@pytest.mark.parametrize("n, fraction, n_val", [(500, 0.5, 250), (101, 0.2, 20), (10, 0.0, 0), (40, 0.9, 36)])
def test_split_sizes(n, fraction, n_val):
    prepared = prepare_data(DataSpec(name="xor", n_samples=n, val_fraction=fraction))
    assert len(prepared.x_val) == len(prepared.y_val) == len(prepared.points_val) == n_val
    assert len(prepared.x_train) == len(prepared.y_train) == n - n_val
    both = np.concatenate([prepared.points_train, prepared.points_val])
    assert len(np.unique(both, axis=0)) == n  # every point lands in exactly one split


def test_prepared_types_and_shapes():
    prepared = prepare_data(DataSpec(name="circle", features=["x1", "x2", "x1*x2"]))
    assert prepared.x_train.dtype == np.float32 and prepared.y_train.dtype == np.int64
    assert prepared.points_train.dtype == np.float32 and prepared.points_train.shape[1] == 2
    assert prepared.input_shape == (3,) and prepared.x_train.shape[1:] == (3,)
    np.testing.assert_array_equal(prepared.mean, np.zeros(3, np.float32))  # "none" is the identity
    np.testing.assert_array_equal(prepared.std, np.ones(3, np.float32))
    regression = prepare_data(DataSpec(name="plane"))
    assert regression.y_train.dtype == np.float32 and regression.y_train.ndim == 1


def test_standardize_uses_training_statistics_for_both_splits():
    spec = DataSpec(name="gauss", noise=0.3, features=["x1", "x2", "x1^2"], preprocess="standardize", val_fraction=0.3)
    prepared = prepare_data(spec)
    np.testing.assert_allclose(prepared.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(prepared.x_train.std(axis=0), 1, atol=1e-5)
    assert np.abs(prepared.x_val.mean(axis=0)).max() > 1e-3  # not re-centred on its own statistics
    raw_val = feature_matrix(prepared.points_val.astype(np.float64), spec.features)
    np.testing.assert_allclose(prepared.x_val, (raw_val - prepared.mean) / prepared.std, rtol=1e-5, atol=1e-5)


def test_center_subtracts_the_training_mean_only():
    prepared = prepare_data(DataSpec(name="gauss", preprocess="center"))
    np.testing.assert_allclose(prepared.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_array_equal(prepared.std, np.ones(2, np.float32))
    np.testing.assert_allclose(prepared.x_train + prepared.mean, prepared.points_train, atol=1e-5)


def test_transform_points_reproduces_the_model_inputs():
    spec = DataSpec(name="spiral", noise=0.1, features=FEATURES.names(), preprocess="standardize")
    prepared = prepare_data(spec)
    assert prepared.transform_points(prepared.points_train).tobytes() == prepared.x_train.tobytes()
    assert prepared.transform_points(prepared.points_val).tobytes() == prepared.x_val.tobytes()
    grid = np.stack(np.meshgrid(np.linspace(-6, 6, 5), np.linspace(-6, 6, 5)), axis=-1).reshape(-1, 2)
    assert prepared.transform_points(grid).shape == (25, len(spec.features))


def test_a_zero_std_input_is_divided_by_one():
    x = np.array([[0.0, 1.0], [0.0, 3.0]])
    mean, std = fit_preprocess("standardize", x)
    np.testing.assert_array_equal(std, [1.0, 1.0])
    np.testing.assert_array_equal(mean, [0.0, 2.0])
    with pytest.raises(ValueError, match="unknown preprocessing"):
        fit_preprocess("whiten", x)


# -- digits ---------------------------------------------------------------------------------------


def test_digits_are_1797_small_images_of_ten_balanced_classes():
    x, y = DATASETS["digits"].generate(None, 0.0, np.random.default_rng(0))
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float64 and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16 and np.all(x == np.round(x))
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.min() >= 170 and counts.max() <= 190


def test_a_digits_subset_is_chosen_by_the_rng():
    all_x, _ = DATASETS["digits"].generate(None, 0.0, np.random.default_rng(0))
    x, y = DATASETS["digits"].generate(100, 0.0, np.random.default_rng(0))
    other, _ = DATASETS["digits"].generate(100, 0.0, np.random.default_rng(1))
    assert x.shape == (100, 1, 8, 8) and y.shape == (100,)
    assert not np.array_equal(x, other)
    assert all((image == all_x).all(axis=(1, 2, 3)).any() for image in x[:10])  # real digits, not made up


def test_prepared_digits_ignore_features_and_standardize_per_pixel():
    prepared = prepare_data(DataSpec(name="digits", features=["x1"], preprocess="standardize", val_fraction=0.2))
    assert prepared.input_shape == (1, 8, 8) and prepared.x_train.shape[1:] == (1, 8, 8)
    assert prepared.points_train is None and len(prepared.x_val) == round(1797 * 0.2)
    assert prepared.mean.shape == prepared.std.shape == (1, 8, 8)
    assert prepared.std[0, 0, 0] == 1.0  # the top-left pixel is always blank
    pixel_std = prepared.x_train.std(axis=0)
    np.testing.assert_allclose(pixel_std[pixel_std > 0], 1, atol=1e-4)
    with pytest.raises(ValueError, match="no 2D points"):
        prepared.transform_points(np.zeros((3, 2)))


@pytest.mark.parametrize("content", [b"this is not an npz file", None])
def test_a_missing_or_corrupt_digits_file_says_how_to_rebuild_it(tmp_path, monkeypatch, content):
    (tmp_path / "data").mkdir()
    if content is not None:
        (tmp_path / "data" / "digits.npz").write_bytes(content)
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(tmp_path))
    with pytest.raises(RuntimeError, match="make_digits.py") as error:
        prepare_data(DataSpec(name="digits"))
    assert str(tmp_path / "data" / "digits.npz") in str(error.value)


def test_a_digits_file_with_the_wrong_arrays_is_refused(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    np.savez_compressed(tmp_path / "data" / "digits.npz", images=np.zeros((5, 4, 4)), labels=np.zeros(5))
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(tmp_path))
    with pytest.raises(RuntimeError, match="make_digits.py"):
        datasets.load_digits()


# -- augmentation ---------------------------------------------------------------------------------


def images(n: int = 400) -> torch.Tensor:
    """Random sparse images with some blank border, like the digits."""
    x = torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    return torch.where(x > 0.5, x, torch.zeros(()))


def test_nothing_enabled_returns_the_batch_itself():
    x = torch.randn(10, 2)
    gen = torch.Generator().manual_seed(0)
    assert augment_batch(x, AugmentSpec(), "points", gen) is x
    assert augment_batch(x, AugmentSpec(shift=2, flip=True, noise=0.1), "points", gen) is x  # image-only options
    batch = images(5)
    assert augment_batch(batch, AugmentSpec(jitter=0.5), "image", gen) is batch
    assert not augment_enabled(AugmentSpec(), "image") and augment_enabled(AugmentSpec(flip=True), "image")
    with pytest.raises(ValueError):
        augment_enabled(AugmentSpec(), "audio")


def test_jitter_adds_noise_of_the_chosen_std_to_every_input():
    x = torch.zeros(4000, 3)
    out = augment_batch(x, AugmentSpec(jitter=0.2), "points", torch.Generator().manual_seed(0))
    assert out.shape == x.shape and torch.all(out != 0)
    assert out.std().item() == pytest.approx(0.2, rel=0.05)
    assert out.mean().abs().item() < 0.01
    again = augment_batch(x, AugmentSpec(jitter=0.2), "points", torch.Generator().manual_seed(0))
    assert torch.equal(out, again)  # the generator decides


def test_shift_moves_images_without_wrapping():
    x = images()
    out = augment_batch(x, AugmentSpec(shift=2), "image", torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    kept, total = out.sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3))
    assert torch.all(kept <= total + 1e-5)  # pixels can fall off the edge, none come back around
    assert torch.any(kept < total - 1e-3) and torch.any(torch.isclose(kept, total))  # shifted and unshifted
    single = torch.zeros(1, 1, 8, 8)
    single[0, 0, 3, 4] = 1.0
    moved = {tuple(augment_batch(single, AugmentSpec(shift=1), "image", torch.Generator().manual_seed(s))
                   .nonzero()[0, 2:].tolist()) for s in range(60)}
    assert moved == {(3 + dy, 4 + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # every shift, and only those


def test_flip_mirrors_about_half_of_the_images():
    x = images()
    out = augment_batch(x, AugmentSpec(flip=True), "image", torch.Generator().manual_seed(0))
    flipped = (out == x.flip(-1)).all(dim=(1, 2, 3))
    unchanged = (out == x).all(dim=(1, 2, 3))
    assert torch.all(flipped | unchanged)
    assert 0.4 < flipped.float().mean().item() < 0.6


def test_image_noise_has_the_chosen_std():
    x = images()
    out = augment_batch(x, AugmentSpec(noise=0.3), "image", torch.Generator().manual_seed(0))
    assert (out - x).std().item() == pytest.approx(0.3, rel=0.05)
