// News messages from an official account: article cards, the first one large. Every field is
// shown as text, never markup. A card links to its article in a new tab, and only to an http(s)
// address. The articles' pictures are on other sites, which the Content-Security-Policy does not
// let the page load (img-src is kith's own origin and blob: only), so the cards go without them.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { registerKind } from './registry.js';

const WEB = /^https?:\/\//i;

function card(article, first) {
  const link = WEB.test(article.url || '') ? article.url : null;
  const body = [
    h('span', { class: 'news-title' }, article.title || 'Untitled'),
    first && article.description ? h('span', { class: 'news-description' }, article.description) : null,
    first && link ? h('span', { class: 'news-more' }, 'Read the article', icon('right', { size: 14 })) : null,
  ];
  const props = { class: `news-card${first ? ' first' : ''}` };
  if (!link) return h('div', props, body);
  return h('a', { ...props, href: link, target: '_blank', rel: 'noopener noreferrer', title: link }, body);
}

function render(message) {
  const articles = message.articles || [];
  return h('div', { class: 'msg-news' }, articles.map((article, index) => card(article, index === 0)));
}

registerKind('news', {
  render,
  bubbleClass: 'bubble-news',
  preview: (message) => `[Article] ${message.articles?.[0]?.title || ''}`.trim(),
});
