// Recording a voice note from the microphone (getUserMedia + MediaRecorder), in the browser's own
// format (WebM/Opus in Chromium and Firefox, MP4/AAC in Safari), which the server accepts as it is.

export const MAX_VOICE_MS = 60_000;
export const MIN_VOICE_MS = 1_000;

const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];

export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia && window.MediaRecorder);
}

function extensionFor(type) {
  if (/ogg/.test(type)) return 'ogg';
  if (/mp4|aac/.test(type)) return 'm4a';
  return 'webm';
}

/**
 * Start recording. Resolves (once the microphone is open) to
 * {elapsed() -> ms, stop() -> Promise<{blob, duration_ms, name}>, cancel()}.
 * Rejects when there is no microphone or the browser is not allowed to use it.
 */
export async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const mimeType = TYPES.find((t) => MediaRecorder.isTypeSupported?.(t)) || '';
  let recorder;
  try {
    recorder = new MediaRecorder(stream, mimeType ? { mimeType, audioBitsPerSecond: 32_000 } : undefined);
  } catch (error) {
    stream.getTracks().forEach((t) => t.stop());
    throw error;
  }
  const chunks = [];
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data?.size) chunks.push(event.data);
  });
  const release = () => stream.getTracks().forEach((t) => t.stop());
  const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
  recorder.start(500);
  const startedAt = performance.now();
  let endedAt = null;

  return {
    elapsed: () => (endedAt ?? performance.now()) - startedAt,
    async stop() {
      if (endedAt === null) {
        endedAt = performance.now();
        if (recorder.state !== 'inactive') recorder.stop();
      }
      await stopped;
      release();
      const type = (recorder.mimeType || mimeType || 'audio/webm').trim();
      const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
      return { blob: new Blob(chunks, { type }), duration_ms: Math.round(endedAt - startedAt), name: `voice-${stamp}.${extensionFor(type)}` };
    },
    cancel() {
      endedAt ??= performance.now();
      if (recorder.state !== 'inactive') recorder.stop();
      stopped.then(release);
      chunks.length = 0;
    },
  };
}
