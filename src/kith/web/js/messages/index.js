// Every message kind the client knows. Add a kind: write messages/<kind>.js and import it here.
import './text.js';
import './system.js';
import './image.js';
import './voice.js';
import './video.js';
import './file.js';
import './news.js';
import './location.js';

export { isNotice, kindOf, previewOf, previewParts, registerKind } from './registry.js';
