// An app that installed the package: Vite bundles `descry` (browser condition) and emits the
// model's ONNX files and the wasm of ONNX Runtime and the image decoders as assets. The lines
// outside the region only report to the test: labels in, the answer or the error out.
const labels = new URLSearchParams(location.search).get('labels').split(',');
const report = (value) => {
  document.querySelector('#result').textContent = JSON.stringify(value);
};
window.addEventListener('error', (event) => report({ error: String(event.error ?? event.message) }));
window.addEventListener('unhandledrejection', (event) => report({ error: String(event.reason) }));

// #region browser
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';

const descry = await Descry.load(emojiClip); // fetched once, then kept in the Cache API
const image = new URL('./image.png', import.meta.url); // or a File from an <input>, a Blob, bytes
const [result] = await descry.classify(image, labels, { templates: ['an emoji of {}'] });
// #endregion

report({ model: descry.info.id, top: result.predictions[0].label });
