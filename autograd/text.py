"""Showing typed text (labels, expressions, file names) as it was typed, and nothing more.

A label or an expression may hold characters that a terminal or a picture would act on
instead of showing: the escape that starts a terminal's colour and cursor codes, NUL,
a bidirectional override, or a lone surrogate standing for a byte that could not be
decoded. :func:`visible` shows each of them as its Python escape (``\\x1b``), so that
what is shown is what was typed and nothing typed can drive the terminal. The drawings of
:mod:`autograd.viz` and every line the command line prints go through it.
"""

from __future__ import annotations

__all__ = ["visible"]


def visible(text: str) -> str:
    r"""``text`` with each unprintable character (control, NUL, …) as its Python escape.

    Printable text, including non-ASCII letters (``α``), is unchanged, and so is the
    result when shown again: ``visible(visible(s)) == visible(s)``.

    >>> print(visible("x*2 # \x1b[31mRED"), visible("tab\there"))
    x*2 # \x1b[31mRED tab\there
    """
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
