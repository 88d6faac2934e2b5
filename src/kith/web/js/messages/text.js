// Text messages: line breaks kept, web links clickable, the members a message names marked. The
// text sets its own direction (dir=auto) and is isolated from what follows it (the room kept for
// the time), so a stray override character (U+202E) reorders nothing outside it.

import { h } from '../ui/dom.js';
import { registerKind } from './registry.js';

const LINK = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(h('a', { href: match[0], target: '_blank', rel: 'noopener noreferrer' }, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** The text with the members it names (@Name, by their ids in ``mentions``) marked, and links. */
function withMentions(message, ctx) {
  const text = message.text;
  const spans = [];
  for (const id of message.mentions || []) {
    for (const name of new Set([ctx.shownName?.(id), ctx.nameOf(id)].filter(Boolean))) {
      const written = `@${name}`;
      for (let at = text.indexOf(written); at !== -1; at = text.indexOf(written, at + 1)) spans.push([at, at + written.length, id]);
    }
  }
  if (!spans.length) return linkify(text);
  spans.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const parts = [];
  let last = 0;
  for (const [a, b, id] of spans) {
    if (a < last) continue; // inside one already marked
    if (a > last) parts.push(...linkify(text.slice(last, a)));
    parts.push(h('span', { class: `mention${ctx.isMe(id) ? ' me' : ''}` }, text.slice(a, b)));
    last = b;
  }
  if (last < text.length) parts.push(...linkify(text.slice(last)));
  return parts;
}

registerKind('text', {
  render: (message, ctx) => h('div', { class: 'msg-text', dir: 'auto' }, h('span', { class: 'msg-words' }, withMentions(message, ctx))),
  preview: (message) => message.text.replace(/\s+/g, ' ').trim(),
});
