// How each kind of message looks. A kind registers:
//   render(message, ctx) -> Node          the content of its bubble
//   preview(message, ctx) -> string       one line for the chat list and reply quotes
//   notice: true                          shown as a centred notice instead of a bubble
//   bubbleClass: 'bubble-media'           an extra class for its bubble (a picture fills it edge to edge)
// Each kind (text, image, voice, file...) is one module that calls registerKind(), imported in
// messages/index.js. ctx offers nameOf(userId) and isMe(userId).

import { t } from '../i18n.js';

const kinds = new Map();

export function registerKind(kind, spec) {
  kinds.set(kind, spec);
}

export function kindOf(message) {
  return kinds.get(message.kind) || null;
}

/** The one-line summary of a message, e.g. "Alice: see you at 8" (group) or "Alice recalled a message". */
export function previewOf(message, ctx, options = {}) {
  const { sender, text } = previewParts(message, ctx, options);
  return sender ? t('{sender}: {text}', { sender, text }) : text;
}

/** The summary in two parts: who wrote it (in a group, someone else: the list names them) and what. */
export function previewParts(message, ctx, { withSender = false } = {}) {
  if (!message) return { sender: null, text: '' };
  if (message.recalled) return { sender: null, text: t('{name} recalled a message', { name: ctx.nameOf(message.sender_id) }) };
  const kind = kindOf(message);
  const text = kind ? kind.preview(message, ctx) : t('A message this version cannot show');
  if (withSender && message.sender_id !== null && !kind?.notice && !ctx.isMe(message.sender_id)) {
    return { sender: ctx.nameOf(message.sender_id), text };
  }
  return { sender: null, text };
}

export function isNotice(message) {
  return message.recalled || Boolean(kindOf(message)?.notice) || !kindOf(message);
}
