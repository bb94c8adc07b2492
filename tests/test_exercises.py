"""The exercise sheets: in sync with the solutions, failing politely before the learner starts,
and catching planted bugs with messages that name them. The solutions themselves run under nbval."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_utils.exercises import sync_sheets

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
CHECK_CALL = re.compile(r"^check_\w+\(", re.MULTILINE)

# (lesson, text in a solution cell, what a learner might write instead, the checker's message must contain)
PLANTED_BUGS = [
    ("01_entropy", "np.log2(safe)", "np.log(safe)", "natural log instead of log2"),
    ("01_entropy", "return -np.sum(p * np.log2(safe), axis=-1)", "return np.sum(p * np.log2(safe), axis=-1)", "missing minus sign"),
    ("01_entropy", "safe = np.where(p > 0, p, 1.0)", "safe = p", "0·log 0 gave NaN"),
    ("01_entropy", "terms = np.where(p > 0, -p * np.log2(q), 0.0)", "terms = -p * np.log2(q + 1e-12)", "small epsilon"),
    ("01_entropy", "return cross_entropy(p, q) - entropy(p)", "return cross_entropy(q, p) - entropy(q)", "p and q swapped"),
    ("01_entropy", "safe = np.where(p > 0, p, 1.0)", "p = p[p > 0]; safe = p", "p[p > 0] flattens it"),
    ("01_entropy", "terms = np.where(p > 0, -p * np.log2(q), 0.0)", "terms = np.where(q > 0, -p * np.log2(q), 0.0)",
     "masked on q > 0"),
    ("01_entropy", "lengths = [0] * len(p)", "lengths = [1] * len(p)", "every length is 1 too long"),
    ("02_cross_entropy", "targets].mean()", "targets].sum()", "missing mean"),  # the first bug of a sheet is also graded by nbgrader
    ("02_cross_entropy", "return -logp[np.arange(len(targets)), targets].mean()",
     "return -logp[np.arange(logits.shape[1]), targets].mean()", "n = logits.shape[1] is K"),
    ("02_cross_entropy", "z = np.asarray(z, dtype=float)", "z = np.asarray(z, dtype=np.float32)", "float32?"),
    ("02_cross_entropy", "onehot = np.eye(k)[targets]", "onehot = np.eye(n)[targets]", "np.eye(N) has N columns"),
    ("02_cross_entropy", "shifted = z - z.max(axis=-1, keepdims=True)", "shifted = z", "forgot the max-shift"),
    ("02_cross_entropy", "shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))",
     "np.log(np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True))", "log 0 = -inf"),
    ("02_cross_entropy", "axis=-1, keepdims=True", "axis=0, keepdims=True", "wrong axis"),
    ("02_cross_entropy", "logp = log_softmax(logits)", "logp = np.log(np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True))",
     "naive overflow"),
    ("02_cross_entropy", "return (probs - onehot) / n", "return probs - onehot", "missing mean"),
    ("02_cross_entropy", "return (probs - onehot) / n", "return (onehot - probs) / n", "sign is flipped"),
    ("03_perplexity", "return base ** cross_entropy", "return 2 ** cross_entropy", "mixing bases"),
    ("03_perplexity", "cross_entropy = -np.mean(log_probs, axis=-1)", "cross_entropy = -np.sum(log_probs, axis=-1)",
     "summed instead of averaging"),
    ("03_perplexity", "c = context[len(context) - (n - 1):]", "c = context[-(n - 1):]", "context[-0:]"),
    ("03_perplexity", "(joint.sum() + k * len(alphabet))", "(joint.sum() + k)", "not + k"),
    ("03_perplexity", "return perplexity(log_probs, 2)", "return perplexity(log_probs, math.e)", "mixing bases"),
    ("03_perplexity", "for i in range(n - 1, len(test_text)):", "for i in range(len(test_text)):", "first n - 1 characters"),
    ("03_perplexity", "heldout_perplexity(train_text, valid_text, n, k, alphabet)",
     "heldout_perplexity(train_text, train_text, n, k, alphabet)", "best k on the training text"),
    ("03_perplexity", "return base ** cross_entropy",
     "return np.prod(base ** log_probs, axis=-1) ** (-1 / log_probs.shape[-1])", "np.prod of the probabilities underflowed"),
    ("03_perplexity", "probs = ngram_probs(train_text, test_text[:i], n, k, alphabet)",
     "probs = ngram_probs(train_text, test_text[:i + 1], n, k, alphabet)", "the context included the character being predicted"),
    ("04_overfitting", "    return np.linalg.pinv(A) @ y  # A+ y: least squares below the threshold, least-norm interpolant past it",
     "    return np.linalg.lstsq(A, y, rcond=None)", "lstsq returns 4 things"),
    ("04_overfitting", "        bits += float(-np.log2(probs[np.arange(end - start), y[start:end]]).sum())",
     "        bits += float(-np.log(probs[np.arange(end - start), y[start:end]]).sum())", "natural log in the blocks"),
    ("05_dropout", "keep = torch.rand(x.shape) >= p", "keep = torch.rand(x.shape) < p", "dropping with probability 1 - p?"),
    ("05_dropout", "if not training or p == 0:", "if p == 0:", "forgot eval mode?"),
    ("05_dropout", "tables.mean(0)", "tables.sum(0)", "summed the k predictions"),
    ("05_dropout", "model.train()  # dropout on", "model.eval()  # dropout on", "forgot model.train()?"),
    ("05_dropout", "    model.eval()\n    return tables.mean(0)", "    return tables.mean(0)", "left in training mode?"),
    ("05_dropout", "return (test_loss - train_loss) / math.log(2)", "return test_loss - train_loss", "nats, not bits?"),
    ("06_l1_vs_l2", "return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)", "return w - t * np.sign(w)", "shrank across zero"),
    ("06_l1_vs_l2", "return soft_threshold(w - lr * grad, lr * lam)", "return soft_threshold(w - lr * grad, lam)",
     "thresholded by λ instead of η·λ"),
    ("06_l1_vs_l2", "param = param * (1 - lr * weight_decay) - lr * m_hat / (np.sqrt(v_hat) + eps)",
     "param = (param - lr * m_hat / (np.sqrt(v_hat) + eps)) * (1 - lr * weight_decay)", "decayed after the Adam step"),
    ("07_lottery_tickets", "np.where(m, np.abs(w), -1.0)", "np.where(m, w, -1.0)", "pruned by signed value"),
    ("07_lottery_tickets", "k = max(round(sparsity * scores.size), already)", "k = already + round(sparsity * scores.size)",
     "re-counted the already pruned"),
    ("07_lottery_tickets", "prune()  # after the step: momentum or Adam may have moved a pruned weight",
     "pass  # forgot to re-apply the mask", "masked only once"),
    ("07_lottery_tickets", "zip(initial, new_masks)", "zip(trained, new_masks)", "kept the trained weights"),
    ("08_grokking", "labels = (pairs[:, 0] + pairs[:, 1]) % p", "labels = pairs[:, 0] + pairs[:, 1]", "forgot the `% p`"),
    ("08_grokking", "order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))",
     "order = torch.randperm(p * p)", "same seed"),
    ("08_grokking", "coefficients = torch.fft.rfft(W, dim=0)", "coefficients = torch.fft.rfft(W, dim=-1)", "wrong axis"),
    ("08_grokking", "power = coefficients.abs() ** 2", "power = coefficients.abs()", "amplitude"),
    ("08_grokking", "power[1:] *= 2  # k and p - k together", "power *= 2  # k and p - k together", "no partner"),
    ("08_grokking", "W_out = torch.cos(theta + phi + psi).T", "W_out = torch.cos(theta - phi - psi).T", "sign error"),
    ("08_grokking", "power = power_spectrum(W).sum(1)[1:]", "power = power_spectrum(W).sum(1)", "leave out k = 0"),
    ("08_grokking", "coefficients = torch.fft.rfft(W, dim=0)", "coefficients = torch.fft.fft(W, dim=0)[: p // 2]",
     "missing k = (p−1)/2"),
    ("08_grokking", "share = share[share > 0]  # 0 · log 0 = 0", "share = share  # 0 · log 0 = 0", "0 · log 0 gave NaN"),
    ("08_grokking", "power = power_spectrum(W).sum(1)[1:]", "power = power_spectrum(W).sum(0)[1:]",
     "summed over frequencies (axis 0)"),
    ("09_emergence", "right = (predictions == targets) | ~real", "right = predictions == targets", "compared padded positions"),
    ("09_emergence", "c, beta = fit_power_law(sizes[below], token_errors[below])", "c, beta = fit_power_law(sizes, token_errors)",
     "fitted on all sizes"),
    ("09_emergence", "return np.prod(a, axis=-1)", "return a.mean(axis=-1) ** a.shape[-1]", "mean accuracy ** L"),
    ("09_emergence", "error_needed = 1 - target ** (1 / length)", "error_needed = 1 - target", "forgot the length"),
]


def execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    return client.execute()


def errors(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def test_there_are_solutions():
    assert SOLUTIONS, "no solution notebooks found"


def test_sheets_are_in_sync_with_solutions():
    results = sync_sheets(ROOT / "solutions", ROOT / "exercises", check=True)
    stale = [r.name for r in results if r.status != "unchanged"]
    assert not stale, f"exercise sheets out of date: {stale}; run `course exercises`"
    sheets = {p.name for p in (ROOT / "exercises").glob("*.ipynb")}
    assert sheets == {p.name for p in SOLUTIONS}, "every solution needs its sheet and vice versa"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_fresh_sheet_says_not_implemented(solution: Path):
    sheet_path = ROOT / "exercises" / solution.name
    nb = execute(nbformat.read(sheet_path, as_version=4), sheet_path.parent)
    check_cells = [c for c in nb.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    assert check_cells, f"{solution.name} has no check cells"
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell in check_cells:
            errs = errors(cell)
            assert errs and errs[0].ename == "CheckFailed", f"{cell.source!r} should fail with CheckFailed on a fresh sheet"
            assert "not implemented yet" in errs[0].evalue, errs[0].evalue
            assert "Traceback" not in "".join(errs[0].traceback), "the failure should show no traceback"
        else:
            assert not errors(cell), f"cell {cell.source[:60]!r} of a fresh sheet errors: {errors(cell)[0].evalue}"


LESSONS_WITH_BUGS = sorted({bug[0] for bug in PLANTED_BUGS})


def test_every_sheet_has_planted_bugs():
    assert {p.stem for p in SOLUTIONS} <= set(LESSONS_WITH_BUGS), "plant at least one bug in every sheet"


@pytest.mark.parametrize("lesson", LESSONS_WITH_BUGS)
def test_planted_bugs_are_named(lesson: str):
    """Run the solution sheet once, then for each planted bug: the buggy cell, its check cell, the good cell again.

    One kernel per sheet instead of one per bug keeps this cheap as the course grows. Each check cell imports
    its own checker and calls the learner's function by name, so redefining the function is all a bug needs.
    """
    path = ROOT / "solutions" / f"{lesson}.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    probes = []
    for _, correct, buggy, message in (b for b in PLANTED_BUGS if b[0] == lesson):
        hosts = [i for i, c in enumerate(code) if correct in c.source]
        assert len(hosts) == 1, f"the text {correct!r} should occur in exactly one code cell of {path.name}"
        checks = [c for c in code[hosts[0] + 1:] if CHECK_CALL.search(c.source)]
        assert checks, f"no check cell after the cell holding {correct!r}"
        host = code[hosts[0]]
        probes.append((buggy, message, len(nb.cells) + 1))
        nb.cells += [nbformat.v4.new_code_cell(host.source.replace(correct, buggy)),
                     nbformat.v4.new_code_cell(checks[0].source), nbformat.v4.new_code_cell(host.source)]
    executed = execute(nb, path.parent)
    problems = []
    for buggy, message, index in probes:
        errs = errors(executed.cells[index])
        if not errs:
            problems.append(f"{buggy!r} went unnoticed by its checker")
        elif errs[0].ename != "CheckFailed" or message not in errs[0].evalue:
            problems.append(f"{buggy!r}: expected a CheckFailed naming {message!r}, got {errs[0].ename}: {errs[0].evalue}")
    assert not problems, "\n".join(problems)
