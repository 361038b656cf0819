/**
 * Label sets to start from, for the embedded emoji model. Sample images are committed OpenMoji
 * evaluation images (tests/fixtures/openmoji-eval, CC BY-SA 4.0, held out from training), named by
 * file; the build copies exactly these next to the page.
 *
 * The subclasses preset takes its subclasses from the embedded model's own label hierarchy,
 * models/emoji-clip/subclasses.json (what `emojiSubclasses` of `descry/models/emoji-clip` offers),
 * imported as JSON: importing that module would bundle the model's files a second time, and the
 * page loads its model from the folder served next to it.
 */
import type { DescriptorAggregation, DescriptorMap } from 'descry';
import hierarchy from '../../../models/emoji-clip/subclasses.json' with { type: 'json' };

/** A label set, how to classify with it, and images to try it on. */
export interface Preset {
  name: string;
  labels: string[];
  method: 'zeroshot' | 'descriptions' | 'subclasses';
  descriptors?: DescriptorMap;
  /** Method 'subclasses' (CHiLS): label → its subclasses. */
  subclasses?: Record<string, string[]>;
  descriptorTemplate?: string;
  aggregation?: DescriptorAggregation;
  /** File names in the samples folder. */
  samples: string[];
}

/** The subclasses preset's labels: emoji subcategories of the embedded model's hierarchy. */
const SUBCATEGORIES: string[] = [
  'food fruit',
  'food vegetable',
  'animal mammal',
  'animal bird',
  'transport air',
  'clothing',
];

export const PRESETS: Preset[] = [
  {
    name: 'Fruit',
    labels: ['melon', 'tangerine', 'lemon', 'pineapple', 'green apple', 'peach', 'strawberry', 'kiwifruit'],
    method: 'zeroshot',
    samples: ['1F34D.png', '1F34F.png', '1F353.png', '1F95D.png'],
  },
  {
    name: 'Animals',
    labels: ['cat', 'dog', 'horse', 'tiger', 'rabbit', 'monkey', 'goat', 'llama'],
    method: 'zeroshot',
    samples: ['1F408.png', '1F415.png', '1F40E.png', '1F405.png'],
  },
  {
    name: 'Sky and weather',
    labels: ['sun', 'cloud with rain', 'cloud with lightning', 'snowman', 'umbrella', 'crescent moon', 'fog'],
    method: 'zeroshot',
    samples: ['2600.png', '1F327.png', '26C4.png', '2602.png'],
  },
  {
    // Member names are alternatives, not attributes of one object: pooled by max, each read as
    // "an emoji of …" (the paper's "{class}, which has {descriptor}" and mean is for attributes).
    name: 'Emoji groups, by description',
    labels: ['fruit', 'vegetable', 'mammal', 'bird', 'aircraft', 'clothing'],
    method: 'descriptions',
    descriptorTemplate: 'an emoji of {descriptor}',
    aggregation: 'max',
    descriptors: {
      fruit: ['grapes', 'melon', 'lemon', 'banana', 'pineapple', 'green apple', 'cherries', 'strawberry'],
      vegetable: ['hot pepper', 'ear of maize', 'aubergine', 'avocado', 'carrot', 'broccoli', 'onion'],
      mammal: ['cow', 'tiger', 'rabbit', 'cat', 'horse', 'monkey', 'dog', 'elephant'],
      bird: ['chicken', 'baby chick', 'penguin', 'dove', 'eagle', 'duck', 'owl', 'parrot'],
      aircraft: ['airplane', 'small airplane', 'helicopter', 'rocket', 'satellite', 'parachute'],
      clothing: ['top hat', 'eyeglasses', 'necktie', 't-shirt', 'jeans', 'dress', 'athletic shoe'],
    },
    samples: ['1F34D.png', '1F955.png', '1F985.png', '2708.png', '1F457.png'],
  },
  {
    // CHiLS: each subcategory is scored by its best member emoji, reweighted by the subcategory's own
    // probability; the answer names the member that matched. On held-out OpenMoji over all 98
    // subcategories: 48.5% top-1 against 30.1% for the template ensemble (docs/methods.md).
    name: 'Emoji subcategories, by their members (subclasses)',
    labels: SUBCATEGORIES,
    method: 'subclasses',
    subclasses: Object.fromEntries(
      SUBCATEGORIES.map((label) => [label, (hierarchy.subcategories as Record<string, string[]>)[label]!]),
    ),
    // Chosen to show it working: in Node, 67 of the 96 held-out images of these six subcategories
    // are right (the eagle and the airplane of the preset above are not).
    samples: ['1F34D.png', '1F955.png', '1F989.png', '1F680.png', '1F457.png', '1F408.png'],
  },
];

/** Every sample image, once. */
export const SAMPLE_FILES: string[] = [...new Set(PRESETS.flatMap((preset) => preset.samples))];
