"""Checking derivatives you wrote by hand: against autodiff, and an op's rule against the numbers.

:func:`~autograd.gradcheck` compares autodiff with finite differences; this package
compares *your* derivation with autodiff, the way a test would, and names the mistake:

* :func:`assert_gradient` checks ``grad_f`` (your ∂f/∂x_j, on floats) against the backward
  pass of ``f`` (the same function written with Values) at given points, or searches a domain
  for a point where they disagree (with hypothesis when it is installed, so the failure
  shrinks to a simple point; otherwise with seeded draws, reporting the simplest failure);
* :func:`assert_parameter_gradients` checks a hand derivation of one example's loss with
  respect to every parameter of a module (anything with ``named_parameters()``) over a
  data set, e.g. the lecture's δ/s equations for ``nn.TwoLayerNet``;
* :func:`assert_op` checks an op's rule (its partials) against central differences of its
  forward, and the rule's own derivatives when it works on Values.

A mismatch raises :class:`GradientMismatch` (or :class:`OpMismatch`), an ``AssertionError``
whose report lists, at the failing point, each input's values on both sides, the central
difference as a third opinion, and a :class:`Diagnosis` when the disagreement has a
recognisable shape across the failing points. Only the engine's own errors
(:class:`~autograd.errors.EngineError`: log of 0, division by zero, overflow) mark a point as
outside the domain, to be skipped and counted; any other exception is a bug and propagates
with the point in a note. A check leaves no file behind and stops at its ``deadline``.

The package's modules, one job each: :mod:`~autograd.testing.api` and
:mod:`~autograd.testing.op` (the checks), :mod:`~autograd.testing.arguments` (reading what
they are given), :mod:`~autograd.testing.search` (where to look),
:mod:`~autograd.testing.diagnosis` (naming the mistake) and :mod:`~autograd.testing.report`
(what the failure says). hypothesis is optional: it is imported only when a search runs or
:func:`points` is called.
"""

from autograd.testing.api import Checked, assert_gradient, assert_parameter_gradients
from autograd.testing.diagnosis import Diagnosis
from autograd.testing.op import OpChecked, assert_op
from autograd.testing.report import GradientMismatch, GradientRow, OpMismatch, PartialRow
from autograd.testing.search import points

__all__ = [
    "Checked",
    "Diagnosis",
    "GradientMismatch",
    "GradientRow",
    "OpChecked",
    "OpMismatch",
    "PartialRow",
    "assert_gradient",
    "assert_op",
    "assert_parameter_gradients",
    "points",
]
