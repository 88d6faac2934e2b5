// Text messages: line breaks kept, web links clickable.

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

registerKind('text', {
  render: (message) => h('div', { class: 'msg-text' }, linkify(message.text)),
  preview: (message) => message.text.replace(/\s+/g, ' ').trim(),
});
