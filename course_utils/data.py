"""Data sets of the course, all built offline from what Python and its packages ship."""

from __future__ import annotations

__all__ = ["prose"]


def prose(max_chars: int | None = None) -> str:
    """Real English prose: the topic pages of Python's own documentation, as ASCII text.

    They come from `pydoc_data.topics`, which every CPython installation ships (it is what
    `help("assert")` prints), so no download is needed. The pages are joined in sorted order,
    so the text is the same on every run; it differs slightly between Python versions, which is
    why lessons assert ranges rather than exact figures. About 460,000 characters on Python 3.11.
    The few non-ASCII characters are dropped so the alphabet stays small (about 100 symbols).
    """
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[key] for key in sorted(topics))
    text = text.encode("ascii", errors="ignore").decode("ascii")
    if max_chars is not None:
        if max_chars < 1:
            raise ValueError(f"prose: max_chars must be positive, got {max_chars}")
        text = text[:max_chars]
    return text
