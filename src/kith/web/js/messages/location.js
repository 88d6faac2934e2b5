// Places: a card with the place's name and coordinates, and a link that opens it on a map in a new
// tab (OpenStreetMap). Nothing is loaded from the map's site in the page (no tiles, no picture).

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { registerKind } from './registry.js';
import { t } from '../i18n.js';

const coordinates = (place) => `${place.latitude.toFixed(5)}, ${place.longitude.toFixed(5)}`;

export function mapUrl(place) {
  const { latitude: lat, longitude: lon, scale } = place;
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=${scale}/${lat}/${lon}`;
}

function render(message) {
  const place = message.location;
  if (!place) return h('div', { class: 'msg-text muted' }, t('A place'));
  return h(
    'a',
    { class: 'msg-location', href: mapUrl(place), target: '_blank', rel: 'noopener noreferrer', title: t('Open on a map') },
    h('span', { class: 'location-icon', 'aria-hidden': 'true' }, icon('pin', { size: 22 })),
    h(
      'span',
      { class: 'location-main' },
      h('span', { class: 'location-label', dir: 'auto' }, place.label || t('Shared place')),
      h('span', { class: 'location-coords' }, coordinates(place)),
    ),
  );
}

registerKind('location', {
  render,
  preview: (message) => (message.location?.label ? t('[Location] {name}', { name: message.location.label }) : t('[Location]')),
});
