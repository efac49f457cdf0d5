"""Shared passages between articles: wire copy, reprinted quotes, a statement carried with small edits.

The method is the one of passim and TextPAIR (n-gram seeds, then local alignment between them), on words rather
than characters (``align_tokens``: quotes, dashes, punctuation, white space, case and accents do not count):

1. **Seeds.** Every run of ``SEED_WORDS`` consecutive words is a seed, unless it occurs twice in its own article
   (a repeated "More News" list, a navigation menu). A seed found in two articles marks a place they may share.
2. **Chains.** Seeds of one pair of articles that follow each other within ``MAX_GAP`` words on both sides,
   with the two sides shifting by at most ``MAX_DRIFT`` words, form one chain: a few words inserted, deleted or
   replaced only leave a gap between seeds. A chain needs ``MIN_SEEDS`` seeds.
3. **Alignment.** The words of a chain, plus a margin on each side, are aligned by longest common subsequence
   (rapidfuzz's C ``Indel.opcodes``); runs of equal words at the edges that look like chance (one word, or two
   a gap away from the rest) are dropped, so the passage starts and ends on whole words both articles hold.
   One or two words across a sentence or paragraph end at an edge ("… a crematorium. The") are cut off too:
   a shared "The" is not a shared sentence.
   A chain longer than ``LONG_PASSAGE`` words (a whole article reprinted) has only its ends aligned: the seeds
   vouch for the middle, and the cost stays linear in the length.
4. **Boilerplate.** A seed in most articles (``COMMON_SHARE``, ``COMMON_MIN`` at least) is boilerplate-like: the
   dateline, "Advertisement", share buttons. A passage held up by such seeds alone is dropped unless it is
   long (``BOILERPLATE_MAX_CHARS``): a wire story every outlet ran still counts. With two or three articles
   nothing is "most" (three outlets running one wire paragraph is the story itself, not a page's furniture), so
   shared boilerplate there is found like any shared text, unless it repeats inside an article.
   Held up "alone" means: fewer than ``MIN_SEEDS`` other seeds, or fewer than half of them (a boilerplate line
   after a copied sentence in both articles gains two seeds across the join).

Similarity is rapidfuzz's normalised Indel similarity of the two passages' folded words (joined by spaces), in
[0, 1]; for a long passage, the share of its words inside seeds (a lower bound, for the same linear cost).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from math import ceil
from typing import TYPE_CHECKING

from .align_tokens import Vocabulary, Words, scan_words, words_of
from .errors import InvalidValueError

if TYPE_CHECKING:
    from rapidfuzz.distance import Opcode

DEFAULT_MIN_CHARS = 60
SEED_WORDS = 3
MAX_GAP = 10  # words from one seed to the next on either side
MAX_DRIFT = 6  # words one side may gain on the other between two seeds
MIN_SEEDS = 2
MARGIN = MAX_GAP  # words around a chain that the alignment may still take in
STRAY_GAP = 2  # words between a short run at an edge and the rest that make it chance, not copy
EDGE_WORDS = 2  # at most this many words past a sentence end are cut off a passage's edge
MIN_SIMILARITY = 0.6
COMMON_SHARE = 0.6
COMMON_MIN = 4  # articles: below this, text they all hold is not taken for boilerplate
BOILERPLATE_MAX_CHARS = 300
LONG_PASSAGE = 2000  # words: past this only the ends of a chain are aligned
END_WORDS = 200  # words aligned at each end of a long chain

Seed = int  # the ids of a seed's words as the digits of one number in base "vocabulary size": not tracked by gc


@dataclass(frozen=True)
class AlignedPassage:
    """One passage two articles share: code-point spans of each article's stored text (end exclusive)."""

    a: int  # article id (a < b)
    a_start: int
    a_end: int
    b: int
    b_start: int
    b_end: int
    similarity: float  # in [0, 1]


@dataclass(frozen=True)
class _Indexed:
    words: Words
    ids: list[int]
    seeds: dict[Seed, int]  # seed -> the word position of its only occurrence in the article


@dataclass(frozen=True)
class _Match:
    """Word ranges (end exclusive) of two aligned passages, and how many seeds (and distinctive ones) hold it up."""

    a0: int
    a1: int
    b0: int
    b1: int
    seeds: int
    distinctive: int
    covered: int  # words of the first passage inside a seed


def align_texts(texts: Mapping[int, str], *, min_chars: int = DEFAULT_MIN_CHARS,
                progress: Callable[[int, int], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> list[AlignedPassage]:
    """Every passage of at least ``min_chars`` characters that two of ``texts`` (article id -> text) share.

    Sorted by (a, a_start, b, b_start). ``progress(done_pairs, total_pairs)`` is called before the first pair and
    after each; once ``cancelled()`` is true the work stops and the result is ``[]``.
    """
    if min_chars < 1:
        raise InvalidValueError(f"the shortest passage must be at least 1 character, not {min_chars}")
    articles = sorted(texts)
    total = len(articles) * (len(articles) - 1) // 2
    vocabulary = Vocabulary()
    words: dict[int, tuple[Words, list[int]]] = {}
    for article in articles:
        if cancelled is not None and cancelled():
            return []
        words[article] = (found := words_of(texts[article]), vocabulary.ids(found))
    indexed = {article: _index(found, ids, len(vocabulary)) for article, (found, ids) in words.items()}
    common = _CommonSeeds([entry.seeds for entry in indexed.values()])
    found: list[AlignedPassage] = []
    if progress is not None:
        progress(0, total)
    for done, (a, b) in enumerate(combinations(articles, 2), start=1):
        if cancelled is not None and cancelled():
            return []
        found += _align_pair(a, indexed[a], b, indexed[b], common, min_chars)
        if progress is not None:
            progress(done, total)
    return sorted(found, key=lambda p: (p.a, p.a_start, p.b, p.b_start))


def best_match(text: str, passage: str, *, min_similarity: float = 0.8) -> tuple[int, int, float] | None:
    """Where ``passage`` (say, an annotated span of another article) best occurs in ``text``, fuzzily.

    (start, end, similarity) with code-point offsets into ``text`` on whole words, or None when nothing reaches
    ``min_similarity``. Seeds (``SEED_WORDS`` words; fewer for a short passage, or one edited in every few words,
    that has no seed of three in ``text``) vote for where the passage lies; the few likeliest places are aligned
    and the most similar wins.
    """
    wanted = scan_words(passage)
    if not wanted:
        return None
    words = words_of(text)
    vocabulary = Vocabulary()
    wanted_ids, ids = vocabulary.ids(wanted), vocabulary.ids(words)
    best: tuple[int, int, float] | None = None
    for shift in _likely_places(wanted_ids, ids, len(vocabulary)):
        low, high = max(0, shift - MAX_GAP), min(len(ids), shift + len(wanted_ids) + MAX_GAP)
        aligned = _aligned(wanted_ids, ids[low:high])
        if aligned is None:
            continue
        first, last = low + aligned[2], low + aligned[3] - 1
        similarity = _similarity(wanted.folded, words.folded[first:last + 1])
        if similarity >= min_similarity and (best is None or similarity > best[2]):
            best = (*words.span(first, last), similarity)
    return best


# -- seeds -----------------------------------------------------------------------------------------


def _seeds_in(ids: Sequence[int], size: int, base: int) -> list[Seed]:
    """The seed starting at each word that has ``size - 1`` words after it."""
    seeds = list(ids[:len(ids) - size + 1])
    for offset in range(1, size):
        seeds = [seed * base + word for seed, word in zip(seeds, ids[offset:], strict=False)]
    return seeds


def _index(words: Words, ids: list[int], base: int) -> _Indexed:
    every = _seeds_in(ids, SEED_WORDS, base)
    counts = Counter(every)
    return _Indexed(words, ids, {seed: position for position, seed in enumerate(every) if counts[seed] == 1})


class _CommonSeeds:
    """Seeds in at least ``COMMON_SHARE`` of the articles (and ``COMMON_MIN``): what boilerplate is made of."""

    def __init__(self, per_article: list[dict[Seed, int]]):
        self._threshold = max(COMMON_MIN, ceil(COMMON_SHARE * len(per_article)))
        self._counts: Counter[Seed] = Counter()
        if len(per_article) >= self._threshold:
            for seeds in per_article:
                self._counts.update(seeds.keys())  # keys, not the mapping: count articles, not add positions

    def __contains__(self, seed: Seed) -> bool:
        return self._counts.get(seed, 0) >= self._threshold


def _likely_places(wanted: list[int], ids: list[int], base: int) -> list[int]:
    """Where ``wanted`` may start in ``ids``, by the longest seeds the two share: three words, else two, else one."""
    for size in range(min(SEED_WORDS, len(wanted)), 0, -1):
        shifts = _likely_shifts(wanted, ids, size, base)
        if shifts:
            return shifts
    return []


def _likely_shifts(wanted: list[int], ids: list[int], size: int, base: int, limit: int = 5) -> list[int]:
    """Word positions in ``ids`` where ``wanted`` most likely starts, by the votes of shared seeds."""
    where: dict[Seed, list[int]] = {}
    for position, seed in enumerate(_seeds_in(wanted, size, base)):
        where.setdefault(seed, []).append(position)
    votes: Counter[int] = Counter()
    for position, seed in enumerate(_seeds_in(ids, size, base)):
        for offset in where.get(seed, ()):
            votes[position - offset] += 1
    shifts: list[int] = []
    for shift, _count in votes.most_common():
        if all(abs(shift - taken) > MAX_DRIFT for taken in shifts):
            shifts.append(shift)
            if len(shifts) == limit:
                break
    return shifts


# -- one pair of articles --------------------------------------------------------------------------


def _align_pair(a: int, left: _Indexed, b: int, right: _Indexed, common: _CommonSeeds,
                min_chars: int) -> list[AlignedPassage]:
    shared = left.seeds.keys() & right.seeds.keys()
    if len(shared) < MIN_SEEDS:
        return []
    seeds = sorted((left.seeds[seed], right.seeds[seed], seed not in common) for seed in shared)
    matches = [match for chain in _chains(seeds) if len(chain) >= MIN_SEEDS
               if (match := _match(left, right, chain)) is not None]
    passages = []
    for match in _merged(matches):
        a_start, a_end = left.words.span(match.a0, match.a1 - 1)
        b_start, b_end = right.words.span(match.b0, match.b1 - 1)
        if min(a_end - a_start, b_end - b_start) < min_chars:
            continue
        if _boilerplate(match) and max(a_end - a_start, b_end - b_start) < BOILERPLATE_MAX_CHARS:
            continue
        similarity = _passage_similarity(left.words, right.words, match)
        if similarity >= MIN_SIMILARITY:
            passages.append(AlignedPassage(a, a_start, a_end, b, b_start, b_end, round(similarity, 4)))
    return passages


def _boilerplate(match: _Match) -> bool:
    """Held up mostly by seeds most articles hold: the few others are where it happens to border on a copy."""
    return match.distinctive < MIN_SEEDS or 2 * match.distinctive < match.seeds


def _chains(seeds: Iterable[tuple[int, int, bool]]) -> list[list[tuple[int, int, bool]]]:
    """Seeds (sorted by their position in the first article) grouped into runs that follow each other."""
    done: list[list[tuple[int, int, bool]]] = []
    open_: list[list[tuple[int, int, bool]]] = []
    for seed in seeds:
        i, j, _distinctive = seed
        still_open = []
        for chain in open_:
            (done if chain[-1][0] < i - MAX_GAP else still_open).append(chain)
        open_ = still_open
        for chain in open_:
            last_i, last_j, _ = chain[-1]
            if 0 < i - last_i <= MAX_GAP and 0 < j - last_j <= MAX_GAP and abs((j - i) - (last_j - last_i)) <= MAX_DRIFT:
                chain.append(seed)
                break
        else:
            open_.append([seed])
    return done + open_


def _match(left: _Indexed, right: _Indexed, chain: list[tuple[int, int, bool]]) -> _Match | None:
    a_first, b_first = chain[0][0], chain[0][1]
    a_last, b_last = chain[-1][0] + SEED_WORDS, chain[-1][1] + SEED_WORDS
    a_low, b_low = max(0, a_first - MARGIN), max(0, b_first - MARGIN)
    a_high, b_high = min(len(left.ids), a_last + MARGIN), min(len(right.ids), b_last + MARGIN)
    if max(a_high - a_low, b_high - b_low) <= LONG_PASSAGE:
        aligned = _aligned(left.ids[a_low:a_high], right.ids[b_low:b_high])
        if aligned is None:
            return None
        a0, a1, b0, b1 = a_low + aligned[0], a_low + aligned[1], b_low + aligned[2], b_low + aligned[3]
    else:  # the seeds vouch for the middle: only the ends are aligned, so a whole copied article costs little
        a_back, b_back = max(a_low, a_last - END_WORDS), max(b_low, b_last - END_WORDS)
        head = _aligned(left.ids[a_low:a_first + END_WORDS], right.ids[b_low:b_first + END_WORDS])
        tail = _aligned(left.ids[a_back:a_high], right.ids[b_back:b_high])
        if head is None or tail is None:
            return None
        a0, b0, a1, b1 = a_low + head[0], b_low + head[2], a_back + tail[1], b_back + tail[3]
    head_cut = _edge_words(left.words, right.words, a0, b0, step=1)
    tail_cut = _edge_words(left.words, right.words, a1 - 1, b1 - 1, step=-1)
    if a1 - a0 - head_cut - tail_cut < SEED_WORDS:
        return None
    covered = len({i + k for i, _j, _d in chain for k in range(SEED_WORDS)})
    return _Match(a0 + head_cut, a1 - tail_cut, b0 + head_cut, b1 - tail_cut, len(chain),
                  sum(d for _i, _j, d in chain), covered)


def _edge_words(left: Words, right: Words, a_edge: int, b_edge: int, step: int) -> int:
    """How many words at a passage's edge lie beyond a sentence end on either side (0 to ``EDGE_WORDS``).

    ``a_edge``/``b_edge`` are the first words (step 1) or the last words (step -1) of the two passages.
    """
    cut = 0
    for count in range(1, EDGE_WORDS + 1):
        # breaks are kept after a word: the one between the count-th edge word and the next inward lies after
        # the count-th word from the start, or after the (count + 1)-th word from the end
        after = count - 1 if step == 1 else -count
        if left.ends_sentence(a_edge + after) or right.ends_sentence(b_edge + after):
            cut = count
    return cut


def _aligned(source: Sequence[int], target: Sequence[int]) -> tuple[int, int, int, int] | None:
    """(source start, end, target start, end) of the words the two share, without chance runs at the edges.

    A lone equal word at an edge ("the", "said") more than a word away from the rest is as likely chance as
    copy, and so are two equal words ("a crematorium") a long gap away: such edge runs are left out.
    """
    blocks = [op for op in _indel().opcodes(source, target) if op.tag == "equal"]
    while len(blocks) > 1 and _stray(blocks[0], blocks[1]):
        blocks.pop(0)
    while len(blocks) > 1 and _stray(blocks[-1], blocks[-2]):
        blocks.pop()
    if not blocks:
        return None
    src_start, dest_start = blocks[0].src_start, blocks[0].dest_start
    src_end, dest_end = blocks[-1].src_end, blocks[-1].dest_end
    # Where the subsequence took an equal word from further off, the word just outside may be equal too.
    while src_start and dest_start and source[src_start - 1] == target[dest_start - 1]:
        src_start, dest_start = src_start - 1, dest_start - 1
    while src_end < len(source) and dest_end < len(target) and source[src_end] == target[dest_end]:
        src_end, dest_end = src_end + 1, dest_end + 1
    return src_start, src_end, dest_start, dest_end


def _stray(edge: Opcode, inner: Opcode) -> bool:
    size = edge.src_end - edge.src_start
    gap = max(inner.src_start - edge.src_end, inner.dest_start - edge.dest_end,
              edge.src_start - inner.src_end, edge.dest_start - inner.dest_end)
    return (size < 2 and gap > 1) or (size < SEED_WORDS and gap > STRAY_GAP)


def _merged(matches: list[_Match]) -> list[_Match]:
    """Matches that overlap on both sides (one passage split by a longer edit) joined into one."""
    merged: list[_Match] = []
    for match in sorted(matches, key=lambda m: (m.a0, m.b0)):
        last = merged[-1] if merged else None
        if last is not None and match.a0 < last.a1 and match.b0 < last.b1 and match.b1 > last.b0:
            merged[-1] = _Match(last.a0, max(last.a1, match.a1), min(last.b0, match.b0), max(last.b1, match.b1),
                                last.seeds + match.seeds, last.distinctive + match.distinctive,
                                last.covered + match.covered)
        else:
            merged.append(match)
    return merged


def _passage_similarity(left: Words, right: Words, match: _Match) -> float:
    """``_similarity`` of the two passages; for a long one, the share of words inside seeds (a lower bound of
    the similarity of words, where comparing the characters would cost the product of the lengths)."""
    if max(match.a1 - match.a0, match.b1 - match.b0) <= LONG_PASSAGE:
        return _similarity(left.folded[match.a0:match.a1], right.folded[match.b0:match.b1])
    return min(1.0, 2 * match.covered / (match.a1 - match.a0 + match.b1 - match.b0))


def _similarity(left: Sequence[str], right: Sequence[str]) -> float:
    return _indel().normalized_similarity(" ".join(left), " ".join(right))


def _indel():
    """rapidfuzz's Indel distance, imported on first use: importing this module stays cheap for start-up."""
    from rapidfuzz.distance import Indel

    return Indel
