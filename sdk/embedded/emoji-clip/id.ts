/** The model id Descry reports for the embedded emoji-clip model, whichever way it was loaded. */
export const EMOJI_CLIP_ID = 'emoji-clip';
