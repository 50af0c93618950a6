"""The fast kernels against the readable pair functions and the reference libraries, and their place.

Each kernel (simlab.kernels) is an independent implementation of a metric for one query against a
stack; here it is run directly (one-off and with its cached statistics) on three kinds of images
(letters on black, letters on grey, crops of photographs) and compared with the pair function and
with scipy / scikit-image / scikit-learn, never with itself. The import graph and the record of a
new metric are checked too.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from scipy.stats import entropy as scipy_entropy
from scipy.stats import pearsonr
from skimage.metrics import (
    mean_squared_error,
    normalized_mutual_information,
    peak_signal_noise_ratio,
    structural_similarity,
)

import simlab
from simlab import kernels
from simlab.metrics import MetricInfo

SIMLAB = Path(simlab.__file__).parent
TOL = 1e-12


def _kinds() -> dict[str, np.ndarray]:
    letters = simlab.load_dataset("letters").images[:40].astype(np.float64)
    rng = np.random.default_rng(3)
    camera = skimage.data.camera() / 255.0
    crops = []
    for _ in range(40):
        y, x = rng.integers(0, 512 - 28, 2)
        crops.append(camera[y : y + 28, x : x + 28])
    return {"letters": letters, "grey": 0.5 + 0.5 * letters, "photos": np.stack(crops)}


KINDS = _kinds()


def _mi_reference(a, b, bins):
    counts = np.histogram2d(a.ravel(), b.ravel(), bins)[0]
    return (scipy_entropy(counts.sum(0), base=2) + scipy_entropy(counts.sum(1), base=2)
            - scipy_entropy(counts.ravel(), base=2))


# metric, options, reference(a, b)
CASES = [
    ("pearson", {}, lambda a, b: pearsonr(a.ravel(), b.ravel())[0]),
    ("ssim", {}, lambda a, b: structural_similarity(a, b, data_range=1.0)),
    ("ssim", {"gaussian_weights": True},
     lambda a, b: structural_similarity(a, b, data_range=1.0, gaussian_weights=True)),
    ("ssim", {"win_size": 5, "use_sample_covariance": False},
     lambda a, b: structural_similarity(a, b, data_range=1.0, win_size=5, use_sample_covariance=False)),
    ("mutual_information", {"bins": 32}, lambda a, b: _mi_reference(a, b, 32)),
    ("normalized_mutual_information", {"bins": 32}, lambda a, b: normalized_mutual_information(a, b, bins=32)),
    ("mse", {}, mean_squared_error),
    ("psnr", {}, lambda a, b: peak_signal_noise_ratio(a, b, data_range=1.0)),
]
IDS = [m + "".join(f"-{k}={v}" for k, v in o.items()) for m, o, _ in CASES]


def _kernel(metric, query, stack, options):
    info = simlab.METRICS[metric]
    return info.kernel(query, stack[0], 1.0, **{**info.options, **options})


def _pair(metric, a, b, options):
    info = simlab.METRICS[metric]
    return info.pair(a, b, **options, **({"data_range": 1.0} if info.uses_data_range else {}))


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("metric, options, reference", CASES, ids=IDS)
def test_kernel_equals_the_pair_function_and_the_reference(kind, metric, options, reference):
    stack = KINDS[kind]
    query = stack[7]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # blank letters: Pearson nan; psnr(q, q) = inf
        kernel = _kernel(metric, query, stack, options)
        prepared = kernel.prepare(stack)
        once = kernel.finish(kernel.score_once(prepared))
        cached = kernel.score(kernel.prepare(stack), kernel.stats(prepared))
        pair = np.array([_pair(metric, query, x, options) for x in stack])
        ref = np.array([reference(query, x) for x in stack])
    finite = np.isfinite(ref)
    for got in (once, cached):
        assert np.array_equal(np.isnan(got), np.isnan(pair)) and np.array_equal(np.isnan(ref), np.isnan(pair))
        assert np.abs(got[finite] - pair[finite]).max() <= TOL
        assert np.abs(got[finite] - ref[finite]).max() <= TOL
        assert np.array_equal(got[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])  # psnr's inf


@pytest.mark.parametrize("options", [{}, {"gaussian_weights": True}], ids=["uniform", "gaussian"])
def test_ssim_kernel_on_large_images_uses_ndimage_filters_and_equals_skimage(options):
    rng = np.random.default_rng(0)
    stack = rng.random((3, 130, 150))
    kernel = _kernel("ssim", stack[0], stack, options)
    assert not kernel.filter.dense  # sides above 96: scipy.ndimage's 1-D filters, not dense matrices
    got = kernel.score_once(kernel.prepare(stack))
    ref = [structural_similarity(stack[0], x, data_range=1.0, **options) for x in stack]
    pair = [simlab.ssim(stack[0], x, data_range=1.0, **options) for x in stack]
    np.testing.assert_allclose(got, ref, rtol=0, atol=TOL)
    np.testing.assert_allclose(got, pair, rtol=0, atol=TOL)


def test_the_pair_functions_do_not_call_the_kernels(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a pair function called a kernel")

    for module in (kernels.correlation, kernels.structural, kernels.information, kernels.errors):
        for name, value in vars(module).copy().items():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                monkeypatch.setattr(module, name, refuse)
    a, b = KINDS["photos"][:2]
    for metric, options, reference in CASES:
        assert abs(_pair(metric, a, b, options) - reference(a, b)) <= TOL
    with pytest.raises(AssertionError, match="called a kernel"):
        simlab.scores(a, KINDS["photos"], "ssim", data_range=1.0)  # the batch functions do use them


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each import of a file, relative imports resolved against simlab."""
    tree = ast.parse(path.read_text())
    package = ".".join(("simlab",) + path.relative_to(SIMLAB).parent.parts)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rsplit(".", 1)[0]
            module = node.module or ""
            full = module if node.level == 0 else ".".join(p for p in (base, module) if p)
            out.append((full, [alias.name for alias in node.names]))
    return out


def test_kernels_import_only_numpy_scipy_threadpoolctl_and_validation():
    allowed = ("__future__", "numpy", "scipy", "threadpoolctl", "simlab._validation", "simlab.kernels", "warnings",
               "math", "typing", "collections", "dataclasses")
    for path in sorted((SIMLAB / "kernels").glob("*.py")):
        for module, _ in _imports(path):
            assert module.startswith(allowed), f"{path.name} imports {module}"


def test_no_module_outside_the_kernels_imports_a_kernels_private_name():
    for path in sorted(SIMLAB.rglob("*.py")):
        if "kernels" in path.parts:
            continue
        for module, names in _imports(path):
            if module.startswith("simlab.kernels"):
                assert not [n for n in names if n.startswith("_")], f"{path.name} imports {names} from {module}"
        text = path.read_text()
        for family in ("correlation", "structural", "information", "errors"):
            assert f"kernels.{family}._" not in text, f"{path.name} reaches into kernels.{family}"


def test_the_metric_modules_do_not_import_the_kernels_or_the_batch_engine():
    for name in ("correlation", "structural", "information", "errors"):
        modules = [m for m, _ in _imports(SIMLAB / f"{name}.py")]
        assert not [m for m in modules if m.startswith(("simlab.kernels", "simlab.batch", "simlab.metrics"))], name


def test_adding_a_metric_is_one_record_plus_its_functions(monkeypatch):
    """Mean absolute error: a pair function, a kernel and a record; scores, rank, pairwise, compare know it."""

    def mae(a, b):
        return float(np.mean(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))

    class MAEKernel(kernels.Kernel):
        def __init__(self, query, sample, data_range):
            self.q = np.asarray(query, dtype=float)

        def score(self, prepared, stats):
            return np.abs(prepared - self.q).mean(axis=(1, 2))

    monkeypatch.setitem(simlab.METRICS, "mae", MetricInfo("mae", "lower", mae, MAEKernel, raw_values=True,
                                                          label="MAE", display="MAE"))
    stack = KINDS["grey"][:12]
    expected = np.array([mae(stack[3], x) for x in stack])
    np.testing.assert_allclose(simlab.scores(stack[3], stack, "mae"), expected, rtol=0, atol=TOL)
    assert simlab.rank(stack[3], stack, "mae", k=1).indices.tolist() == [3]
    np.testing.assert_allclose(simlab.pairwise(stack, "mae")[3], expected, rtol=0, atol=TOL)
    assert simlab.compare(stack[3], stack[4], metrics=["mae"]).as_dict() == {"mae": mae(stack[3], stack[4])}
    assert "mae     " in str(simlab.compare(stack[3], stack[4], metrics=["mae"]))
    with pytest.raises(TypeError, match="mae does not take 'bins': its options are none"):
        simlab.scores(stack[3], stack, "mae", bins=3)
