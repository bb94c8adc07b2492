"""Exercise checkers: `check_<name>(your_function)` runs a battery of checks and explains failures.

    from course_utils.checks import check_entropy
    check_entropy(entropy)        # ✓ entropy: 13 checks passed   — or a CheckFailed naming the mistake

The framework is in `core`; each lesson's checkers are in `lessonNN`.
"""

from course_utils.checks.core import CheckFailed
from course_utils.checks.lesson01 import (
    check_cross_entropy,
    check_entropy,
    check_huffman_lengths,
    check_kl_divergence,
)
from course_utils.checks.lesson02 import check_cross_entropy_grad, check_cross_entropy_loss, check_log_softmax
from course_utils.checks.lesson03 import (
    check_best_smoothing,
    check_heldout_perplexity,
    check_ngram_probs,
    check_perplexity,
)
from course_utils.checks.lesson05 import check_dropout, check_generalization_gap, check_mc_predict
from course_utils.checks.lesson06 import check_adamw_step, check_ista_step, check_soft_threshold
from course_utils.checks.lesson08 import (
    check_analytic_weights,
    check_effective_frequencies,
    check_modular_addition_split,
    check_power_spectrum,
)

__all__ = [
    "CheckFailed", "check_entropy", "check_cross_entropy", "check_kl_divergence", "check_huffman_lengths",
    "check_log_softmax", "check_cross_entropy_loss", "check_cross_entropy_grad",
    "check_perplexity", "check_ngram_probs", "check_heldout_perplexity", "check_best_smoothing",
    "check_dropout", "check_mc_predict", "check_generalization_gap",
    "check_soft_threshold", "check_ista_step", "check_adamw_step",
    "check_modular_addition_split", "check_power_spectrum", "check_analytic_weights", "check_effective_frequencies",
]
