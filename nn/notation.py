"""The lecture's notation as node labels: subscripts, superscripts and the nets' names.

Drawings, step pages and error messages show a Value's ``label``; the nets label the nodes
they make with the letters of the lecture notes, 1-based as the notes count (intercepts
take index 0), so a picture of ``R_i`` reads like the notes: ``α₀₁ + α₁ᵀx``, ``Z₁``,
``T₁``, ``β₁₁``. Parameter *names* (``alpha.0.1``, used by ``named_parameters``, state
files and their errors) are not labels and do not change.

The strings depend only on the net's sizes, so each table is built once and cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

__all__ = ["LOSS_LABEL", "TwoLayerNames", "numbered", "sub", "sup", "two_layer_names"]

LOSS_LABEL = "Rᵢ"
"""The label of one observation's loss R_i."""

Names = tuple[str, ...]
Table = tuple[Names, ...]

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sub(*indices: int) -> str:
    """Indices as Unicode subscripts: ``sub(1, 2)`` is ``₁₂``; ``sub(1, 12)`` is ``₁,₁₂``.

    Several indices are written side by side, as in the notes, while each has one digit;
    with a longer one they are separated by commas, so ``α₁,₁₂`` cannot be read as α₁₁,₂.
    """
    glue = "," if any(i > 9 for i in indices) else ""
    return glue.join(str(i).translate(_SUB) for i in indices)


def sup(index: int) -> str:
    """An index as Unicode superscript digits: ``sup(2)`` is ``²`` (a layer number)."""
    return str(index).translate(_SUP)


class TwoLayerNames(NamedTuple):
    """Labels of a :class:`~nn.two_layer.TwoLayerNet` of sizes p, M, K (ESL eq. 11.5).

    Rows are 0-based here (``alpha[m]`` is the notes' hidden unit m + 1); the strings carry
    the notes' 1-based subscripts.

    Attributes:
        alpha: ``alpha[m][l]``: the intercept α₀ₘ (l = 0) or the weight αₘₗ.
        beta: ``beta[k][m]``: the intercept β₀ₖ (m = 0) or the weight βₖₘ.
        x: The inputs x₁ … x_p.
        y: The targets y₁ … y_K.
        alpha_terms: ``alpha_terms[m][l]``: the products αₘₗxₗ, l = 1 … p.
        alpha_sums: ``alpha_sums[m][j]``: the running sums α₀ₘ + αₘ₁x₁ + …, the last one
            the pre-activation α₀ₘ + αₘᵀx.
        z: The hidden units Z₁ … Z_M.
        beta_terms: ``beta_terms[k][m]``: the products βₖₘZₘ, m = 1 … M.
        beta_sums: ``beta_sums[k][j]``: the running sums, the last one T_k.
        f: The outputs f₁ … f_K of a softmax (with the identity output f_k is T_k).
        loss: The observation's loss Rᵢ.
    """

    alpha: Table
    beta: Table
    x: Names
    y: Names
    alpha_terms: Table
    alpha_sums: Table
    z: Names
    beta_terms: Table
    beta_sums: Table
    f: Names
    loss: str


def _weights(letter: str, rows: int, cols: int) -> Table:
    """``letter`` with subscripts (row, col), 1-based rows; the intercept column (0, row)."""
    return tuple(tuple(f"{letter}{sub(0, r) if c == 0 else sub(r, c)}" for c in range(cols))
                 for r in range(1, rows + 1))


def _layer(weights: Table, inputs: Names, totals: Names) -> tuple[Table, Table]:
    """The products w·input and the running sums of an affine layer; row r's last is totals[r].

    A running sum of more than three terms is shortened: ``α₀₁ + α₁₁x₁ + … + α₁₄x₄``.
    """
    terms, sums = [], []
    for row, total in zip(weights, totals, strict=True):
        products = tuple(w + v for w, v in zip(row[1:], inputs, strict=True))
        running = []
        for j in range(1, len(products)):  # the last running sum is the total
            pieces = [row[0], *products[:j]]
            running.append(" + ".join(pieces) if len(pieces) <= 3
                           else f"{pieces[0]} + {pieces[1]} + … + {pieces[-1]}")
        terms.append(products)
        sums.append((*running, total))
    return tuple(terms), tuple(sums)


def numbered(letter: str, n: int) -> Names:
    """``letter`` with the subscripts 1 … n: ``numbered("y", 2)`` is ``("y₁", "y₂")``."""
    return tuple(f"{letter}{sub(j)}" for j in range(1, n + 1))


@lru_cache(maxsize=32)
def two_layer_names(p: int, n_hidden: int, k: int) -> TwoLayerNames:
    """The labels of the lecture's net with p inputs, M hidden units and K outputs."""
    alpha, beta = _weights("α", n_hidden, p + 1), _weights("β", k, n_hidden + 1)
    x, z = numbered("x", p), numbered("Z", n_hidden)
    pre = tuple(f"α{sub(0, m)} + α{sub(m)}ᵀx" for m in range(1, n_hidden + 1))
    alpha_terms, alpha_sums = _layer(alpha, x, pre)
    beta_terms, beta_sums = _layer(beta, z, numbered("T", k))
    return TwoLayerNames(alpha, beta, x, numbered("y", k), alpha_terms, alpha_sums, z,
                         beta_terms, beta_sums, numbered("f", k), "Rᵢ")
