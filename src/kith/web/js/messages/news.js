// News messages from an official account: article cards, the first one large. Every field is
// shown as text, never markup. A card of the account's own articles (`page`) opens them here, in
// kith, with the cover picture kith serves (`picture`); any other card links to its http(s) address
// in a new tab. Pictures on other sites (`picurl`) are never loaded: the Content-Security-Policy
// keeps img-src to kith's own origin, so no site learns who reads what.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { cachedMediaUrl, mediaUrl } from '../api.js';
import { registerKind } from './registry.js';
import { t } from '../i18n.js';

const WEB = /^https?:\/\//i;
const PAGE = /^[A-Za-z0-9_-]{22}\/[0-7]$/;

function picture(id, first) {
  const img = h('img', { class: 'news-picture', alt: '', loading: 'lazy', decoding: 'async' });
  const frame = h('span', { class: `news-cover${first ? ' first' : ''}`, 'aria-hidden': 'true' }, img);
  const known = cachedMediaUrl(id, { thumbnail: true });
  if (known) img.src = known;
  else mediaUrl(id, { thumbnail: true }).then((url) => { img.src = url; }, () => frame.classList.add('broken'));
  return frame;
}

function card(article, first) {
  const page = PAGE.test(article.page || '') ? article.page : null;
  const link = page ? `#/chats/article/${page}` : WEB.test(article.url || '') ? article.url : null;
  const cover = page && article.picture ? picture(article.picture, first) : null;
  const body = [
    first ? cover : null,
    h('span', { class: 'news-text' },
      h('span', { class: 'news-title', dir: 'auto' }, article.title || t('Untitled')),
      first && article.description ? h('span', { class: 'news-description', dir: 'auto' }, article.description) : null,
      first && link ? h('span', { class: 'news-more' }, t('Read the article'), icon('right', { size: 14 })) : null,
    ),
    first ? null : cover,
  ];
  const props = { class: `news-card${first ? ' first' : ''}${cover ? ' with-cover' : ''}` };
  if (!link) return h('div', props, body);
  if (page) return h('a', { ...props, href: link }, body);
  return h('a', { ...props, href: link, target: '_blank', rel: 'noopener noreferrer', title: link }, body);
}

function render(message) {
  const articles = message.articles || [];
  return h('div', { class: 'msg-news' }, articles.map((article, index) => card(article, index === 0)));
}

registerKind('news', {
  render,
  bubbleClass: 'bubble-news',
  preview: (message) => (message.articles?.[0]?.title ? t('[Article] {title}', { title: message.articles[0].title }) : t('[Article]')),
});
