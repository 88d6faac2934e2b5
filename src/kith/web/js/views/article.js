// #/chats/article/<set>/<index>: an official account's article, read inside kith. Its HTML was
// cleaned by the server to a few tags (kith.platform.articles); it is parsed here into an inert
// document and only its elements and text are moved into the page. Pictures are kith's own media,
// fetched with the session like any other; links open in a new tab.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { emptyState } from '../ui/widgets.js';
import { get, humanError, mediaUrl } from '../api.js';
import { t } from '../i18n.js';
import { accountAvatar } from './official.js';
import { dateTime } from '../ui/format.js';

const MEDIA = /^\/api\/v1\/media\/([A-Za-z0-9_-]{22})$/;
// what the server keeps (kith.platform.articles): anything else is dropped here too
const TAGS = new Set(('p br hr h1 h2 h3 h4 strong b em i u s sub sup small blockquote pre code ul ol li a img ' +
  'figure figcaption span section table thead tbody tr th td').split(' '));
const ATTRIBUTES = new Set(['href', 'src', 'alt', 'title', 'colspan', 'rowspan', 'target', 'rel']);

function content(html) {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  for (const element of [...doc.body.querySelectorAll('*')]) {
    if (!TAGS.has(element.localName)) {
      element.replaceWith(doc.createTextNode(element.textContent || ''));
      continue;
    }
    for (const { name } of [...element.attributes]) if (!ATTRIBUTES.has(name)) element.removeAttribute(name);
  }
  for (const img of doc.querySelectorAll('img')) {
    const match = MEDIA.exec(img.getAttribute('src') || '');
    img.removeAttribute('src');
    if (!match) { img.remove(); continue; }
    img.setAttribute('loading', 'lazy');
    img.dataset.media = match[1];
  }
  for (const a of doc.querySelectorAll('a')) {
    if (!/^https?:\/\//i.test(a.getAttribute('href') || '')) a.removeAttribute('href');
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  const root = h('div', { class: 'article-content', dir: 'auto' });
  root.append(...doc.body.childNodes);
  for (const img of root.querySelectorAll('img[data-media]')) {
    mediaUrl(img.dataset.media).then((url) => { img.src = url; }, () => img.classList.add('broken'));
  }
  return root;
}

export function mountArticle(el, setId, index) {
  const body = h('div', { class: 'page-body article' }, h('div', { class: 'skeleton-item', 'aria-hidden': 'true' }));
  const header = h('header', { class: 'pane-header' },
    h('button', { class: 'icon-btn back', type: 'button', 'aria-label': t('Back'), onclick: () => history.back() }, icon('back')),
    h('h2', null, t('Article')));
  el.replaceChildren(h('section', { class: 'page', 'aria-label': t('Article') }, header, h('div', { class: 'page-scroll' }, body)));
  let gone = false;
  get(`/articles/${encodeURIComponent(setId)}`).then((set) => {
    if (gone) return;
    const article = set.articles[index] || set.articles[0];
    if (article.deleted) {
      replace(body, emptyState('megaphone', t('Article deleted'), t('Its publisher deleted this article.')));
      return;
    }
    const cover = article.picture ? h('img', { class: 'article-cover', alt: '' }) : null;
    if (cover) mediaUrl(article.picture).then((url) => { cover.src = url; }, () => cover.remove());
    const others = set.articles
      .map((a, i) => ({ a, i }))
      .filter(({ a, i }) => i !== index && !a.deleted)
      .map(({ a, i }) => h('li', null, h('a', { href: `#/chats/article/${setId}/${i}` }, a.title)));
    replace(
      body,
      h('article', null,
        h('h1', { class: 'article-title', dir: 'auto' }, article.title),
        h('div', { class: 'article-byline' },
          h('a', { class: 'article-account', href: `#/contacts/account/${set.account.id}` }, accountAvatar(set.account, 22), set.account.name),
          article.author ? h('span', { dir: 'auto' }, article.author) : null,
          h('time', { datetime: new Date(set.created_at).toISOString() }, dateTime(set.created_at))),
        cover,
        content(article.content),
        article.source_url && /^https?:\/\//i.test(article.source_url)
          ? h('p', null, h('a', { class: 'article-source', href: article.source_url, target: '_blank', rel: 'noopener noreferrer nofollow' }, t('Read more at the source'), icon('right', { size: 14 })))
          : null),
      others.length ? h('nav', { class: 'article-more', 'aria-label': t('More from this set') }, h('h3', null, t('More')), h('ul', null, others)) : null,
    );
  }, (error) => {
    if (gone) return;
    // withdrawn: the same words as for an article marked deleted (the server's are in English)
    const deleted = error.code === 'article_deleted';
    replace(body, emptyState('megaphone', deleted ? t('Article deleted') : t('No such article'), deleted ? t('Its publisher deleted this article.') : humanError(error)));
  });
  return { destroy() { gone = true; } };
}
