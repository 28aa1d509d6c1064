"""clean_text against hostile input: whatever comes in, what goes out is safe to print."""

import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from floorview.text import MAX_TEXT, clean_text

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Hostile pieces glued into otherwise random text: escape sequences (CSI, OSC with either
# terminator, unterminated, bare ESC), C0 and C1 controls, bidi overrides and isolates,
# other format characters, odd whitespace, a lone surrogate (json.loads makes one from
# "\ud800") and a private-use character.
HOSTILE = [
    "\x1b[2J", "\x1b[31;1m", "\x1b]0;pwned\x07", "\x1b]8;;http://x\x1b\\", "\x1b]0;open",
    "\x1b", "\x1bc", "\x9b2J", "\x9d0;x\x9c", "\x00", "\x07", "\x7f", "\x85", "\r\n", "\t",
    "\v\f", "\x1c\x1d\x1e\x1f", "\u2028", "\u2029", "\u00a0", "\u3000", "\u200b", "\ufeff",
    "\u00ad", "\ud800", "\ue000", *sorted(BIDI),
]

text_with_hostile_bits = st.lists(
    st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE)), max_size=30
).map("".join)
any_text = st.one_of(st.text(), text_with_hostile_bits)

# Text a person would type into a name or a subject: letters in any script, marks, digits,
# punctuation and symbols, words one space apart.
word = st.text(
    st.characters(categories=("L", "M", "N", "P", "S")), min_size=1, max_size=12
)
ordinary = st.lists(word, min_size=1, max_size=8).map(" ".join)


def unsafe(ch: str) -> bool:
    # Cc is C0, DEL and C1 (ESC among them); bidi controls are Cf, which goes whole, as do
    # lone surrogates (Cs) and private-use characters (Co).
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") or ch in BIDI


@settings(max_examples=500)
@given(any_text, st.integers(min_value=0, max_value=200))
@example("Eve\x1b[2J\x1b]0;pwned\x07 \u202eevil\n" + "x" * 500, MAX_TEXT)
@example("\x1b" * 3 + "[" * 3, 5)
def test_output_has_no_controls_escapes_or_bidi(value: str, max_len: int) -> None:
    out = clean_text(value, max_len)
    assert not [ch for ch in out if unsafe(ch)], repr(out)
    assert "\x1b" not in out
    assert len(out) <= max_len


@settings(max_examples=500)
@given(any_text, st.integers(min_value=0, max_value=200))
@example("a" * 200 + " b", 120)
@example("x" * 119 + "  y", 120)
def test_cleaning_is_idempotent(value: str, max_len: int) -> None:
    once = clean_text(value, max_len)
    assert clean_text(once, max_len) == once


@given(any_text)
def test_whitespace_is_single_spaces_without_ends(value: str) -> None:
    out = clean_text(value)
    assert not any(ch.isspace() and ch != " " for ch in out)
    assert "  " not in out and out == out.strip()


@given(ordinary)
@example("王芳")
@example("Katarzyna Wiśniewska")
@example("Łukasz Lewandowski")
@example("Álvaro Jiménez")
@example("退款申请仍未处理，请尽快回复")
@example("Grace Mensah [TL]")
def test_ordinary_text_is_unchanged(value: str) -> None:
    assert clean_text(value, max_len=len(value)) == value


@pytest.mark.parametrize("value", ["[bold]x[/]", "[bold]Refund[/bold] not received", "[TL]"])
def test_markup_like_text_is_kept_literally(value: str) -> None:
    # The UI shows names and subjects literally; cleaning must not eat the brackets either.
    assert clean_text(value) == value


def test_long_text_is_cut_with_an_ellipsis() -> None:
    out = clean_text("x" * 500)
    assert out == "x" * (MAX_TEXT - 1) + "…"
    assert clean_text("abc", max_len=0) == ""
    assert clean_text("abc", max_len=1) == "…"


def test_escape_sequences_go_whole() -> None:
    assert clean_text("a\x1b[31;1mred\x1b[0m b") == "ared b"
    assert clean_text("a\x1b]0;title\x07b") == "ab"
    assert clean_text(" \u202eevil\u202c  text\n") == "evil text"
