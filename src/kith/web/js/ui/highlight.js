// What a search matched in a text, marked: the text as text nodes and <mark> elements, never markup.
// It follows the server's tokenizer (src/kith/chats/search.py): Chinese and Japanese by characters
// and pairs of them, other scripts by words (case and accents aside), the words typed as prefixes.

import { h } from './dom.js';

const CJK = '\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff';
const RUN = new RegExp(`[${CJK}]+|(?:(?![${CJK}])[\\p{L}\\p{N}_])+`, 'gu');
const IS_CJK = new RegExp(`^[${CJK}]`, 'u');
const MARKS = /\p{M}/gu;

const fold = (text) => text.normalize('NFKD').replace(MARKS, '').toLowerCase();

/** Whether the server would find anything to look for in a query (it refuses punctuation alone). */
export function searchable(query) {
  return (fold(query).match(RUN) || []).length > 0;
}

/** What a query looks for: CJK runs (as their pairs, or one character) and words (as prefixes). */
function terms(query) {
  const out = { chars: new Set(), words: new Set() };
  for (const run of fold(query).match(RUN) || []) {
    if (IS_CJK.test(run)) {
      const chars = [...run];
      if (chars.length === 1) out.chars.add(run);
      for (let i = 0; i + 1 < chars.length; i += 1) out.chars.add(chars[i] + chars[i + 1]);
    } else out.words.add(run);
  }
  return out;
}

/** The text folded as the server folds it, and for each folded code unit where it came from. */
function folded(text) {
  let out = '';
  const from = []; // folded index -> [start, end) of the character of text it came from
  let at = 0;
  for (const char of text) {
    const piece = fold(char);
    for (let i = 0; i < piece.length; i += 1) from.push([at, at + char.length]);
    out += piece;
    at += char.length;
  }
  return { out, from };
}

/** Past the accents that follow ``end`` (they fold to nothing, but belong to the character before). */
function withMarks(text, end) {
  while (end < text.length && /\p{M}/u.test(text[end])) end += 1;
  return end;
}

/** [start, end) ranges of ``text`` that ``query`` matched, merged and in order. */
export function matches(text, query) {
  const { chars, words } = terms(query);
  if (!chars.size && !words.size) return [];
  const { out, from } = folded(text);
  const found = [];
  for (const piece of chars) {
    for (let at = out.indexOf(piece); at !== -1; at = out.indexOf(piece, at + 1)) found.push([at, at + piece.length]);
  }
  if (words.size) {
    for (const run of out.matchAll(RUN)) {
      if (IS_CJK.test(run[0])) continue;
      let longest = 0;
      for (const word of words) if (run[0].startsWith(word)) longest = Math.max(longest, word.length);
      if (longest) found.push([run.index, run.index + longest]);
    }
  }
  found.sort((a, b) => a[0] - b[0]);
  const merged = [];
  for (const [a, b] of found) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  // back to the text's own positions (a folded character may be longer or shorter than its source)
  return merged
    .filter(([a, b]) => from[a] && from[b - 1])
    .map(([a, b]) => [from[a][0], withMarks(text, from[b - 1][1])]);
}

/**
 * The text with what the query matched in <mark>s. A long text is cut to start a little before the
 * first match (``context`` characters), so a one-line result shows it.
 */
export function highlighted(text, query, { context = Infinity } = {}) {
  const ranges = matches(text, query);
  let start = 0;
  const nodes = [];
  if (ranges.length && ranges[0][0] > context) {
    start = ranges[0][0] - Math.floor(context / 2);
    // from the start of a word, where one starts near; never inside a surrogate pair
    while (start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1]) && ranges[0][0] - start < context) start -= 1;
    if (/[\udc00-\udfff]/.test(text[start])) start -= 1;
    nodes.push('…');
  }
  for (const [a, b] of ranges) {
    if (a > start) nodes.push(text.slice(start, a));
    nodes.push(h('mark', null, text.slice(Math.max(a, start), b)));
    start = b;
  }
  if (start < text.length) nodes.push(text.slice(start));
  return nodes;
}
