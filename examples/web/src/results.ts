/** Ranked labels as bars with scores, with the descriptors or subclasses behind description- and subclass-based answers. */
import type { ClassificationResult, Prediction } from 'descry';
import { appendAll, element } from './dom.js';

/** Evidence lines shown per label. */
const EVIDENCE_SHOWN = 3;

/** Replace `list`'s items with one per prediction, best first. */
export function renderResult(list: HTMLOListElement, result: ClassificationResult): void {
  list.replaceChildren(...result.predictions.map(predictionItem));
}

function predictionItem(prediction: Prediction): HTMLLIElement {
  const item = element('li', 'prediction');
  item.dataset.label = prediction.label;
  item.dataset.score = String(prediction.score);
  const bar = element('span', 'bar');
  const fill = element('span', 'fill');
  fill.style.width = `${(prediction.score * 100).toFixed(1)}%`;
  bar.appendChild(fill);
  appendAll(item, [
    element('span', 'label', prediction.label),
    bar,
    element('span', 'score', `${(prediction.score * 100).toFixed(1)}%`),
  ]);
  if (prediction.evidence?.length) {
    const evidence = element('ul', 'evidence');
    for (const { descriptor, cosine } of prediction.evidence.slice(0, EVIDENCE_SHOWN)) {
      const line = element('li', undefined, descriptor);
      appendAll(line, [' ', element('small', undefined, `cosine ${cosine.toFixed(3)}`)]);
      evidence.appendChild(line);
    }
    item.appendChild(evidence);
  }
  return item;
}
