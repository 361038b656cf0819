// An app that installed the package: Vite bundles `descry` (browser condition) and emits the
// model's ONNX files and the wasm of ONNX Runtime and the image decoders as assets.
import { Descry } from 'descry';
import emojiClip from 'descry/models/emoji-clip';

const output = document.querySelector('#result');
const labels = new URLSearchParams(location.search).get('labels').split(',');
try {
  const descry = await Descry.load(emojiClip);
  const [result] = await descry.classify(new URL('./image.png', import.meta.url), labels, {
    templates: ['an emoji of {}'],
  });
  output.textContent = JSON.stringify({ model: descry.info.id, top: result.predictions[0].label });
} catch (error) {
  output.textContent = JSON.stringify({ error: String(error) });
}
