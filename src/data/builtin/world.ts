// The small world the built-in task is written in: people, things, containers, verbs, and the
// facts the instructions ask about (colours, opposites, plurals, categories, spellings). Plain
// data, no randomness. Words are short and common so a ~1-2k-token byte-level BPE covers them.

export interface Person {
  name: string;
  /** Subject pronoun: 'she' or 'he'. */
  p: 'she' | 'he';
}

export const PEOPLE: readonly Person[] = [
  ...[
    'Mia',
    'Ava',
    'Emma',
    'Lily',
    'Zoe',
    'Ella',
    'Ruby',
    'Nina',
    'Aria',
    'Lucy',
    'Maya',
    'Rosa',
    'Ivy',
    'Luna',
    'Sara',
    'Anna',
    'Kate',
    'Grace',
  ].map((name) => ({ name, p: 'she' as const })),
  ...[
    'Leo',
    'Sam',
    'Noah',
    'Ben',
    'Max',
    'Jack',
    'Tom',
    'Omar',
    'Kai',
    'Finn',
    'Eli',
    'Theo',
    'Owen',
    'Hugo',
    'Adam',
    'Luke',
    'Dan',
    'Ryan',
  ].map((name) => ({ name, p: 'he' as const })),
];

export function pronouns(person: Person): { p: string; P: string; pos: string; obj: string } {
  return person.p === 'she' ? { p: 'she', P: 'She', pos: 'her', obj: 'her' } : { p: 'he', P: 'He', pos: 'his', obj: 'him' };
}

export type ThingTag = 'fruit' | 'food' | 'toy' | 'school' | 'nature';

export interface Thing {
  one: string;
  many: string;
  tag: ThingTag;
  /** Containers it is kept in (names from CONTAINERS). */
  in: readonly string[];
}

const T = (one: string, many: string, tag: ThingTag, inside: string[]): Thing => ({ one, many, tag, in: inside });

export const THINGS: readonly Thing[] = [
  T('apple', 'apples', 'fruit', ['basket', 'bag', 'box', 'bowl']),
  T('pear', 'pears', 'fruit', ['basket', 'bag', 'box', 'bowl']),
  T('orange', 'oranges', 'fruit', ['basket', 'bag', 'box', 'bowl']),
  T('plum', 'plums', 'fruit', ['basket', 'bag', 'bowl']),
  T('lemon', 'lemons', 'fruit', ['basket', 'bag', 'bowl']),
  T('peach', 'peaches', 'fruit', ['basket', 'box', 'bowl']),
  T('cookie', 'cookies', 'food', ['jar', 'box', 'bag', 'tray']),
  T('muffin', 'muffins', 'food', ['box', 'tray', 'basket']),
  T('egg', 'eggs', 'food', ['box', 'basket', 'tray']),
  T('candy', 'candies', 'food', ['jar', 'bag', 'box', 'bowl']),
  T('marble', 'marbles', 'toy', ['jar', 'bag', 'box']),
  T('sticker', 'stickers', 'toy', ['box', 'bag', 'pack']),
  T('card', 'cards', 'toy', ['box', 'pack']),
  T('toy car', 'toy cars', 'toy', ['box', 'bag']),
  T('balloon', 'balloons', 'toy', ['bag', 'box', 'pack']),
  T('block', 'blocks', 'toy', ['box', 'bag']),
  T('pencil', 'pencils', 'school', ['box', 'pack', 'jar']),
  T('crayon', 'crayons', 'school', ['box', 'pack']),
  T('book', 'books', 'school', ['box', 'bag']),
  T('stamp', 'stamps', 'school', ['box', 'pack']),
  T('shell', 'shells', 'nature', ['jar', 'bag', 'bucket', 'box']),
  T('rock', 'rocks', 'nature', ['bag', 'bucket', 'box']),
  T('flower', 'flowers', 'nature', ['basket', 'pot', 'bunch']),
  T('leaf', 'leaves', 'nature', ['bag', 'basket', 'box']),
];

export const CONTAINERS: Readonly<Record<string, string>> = {
  basket: 'baskets',
  bag: 'bags',
  box: 'boxes',
  bowl: 'bowls',
  jar: 'jars',
  tray: 'trays',
  pack: 'packs',
  bucket: 'buckets',
  pot: 'pots',
  bunch: 'bunches',
};

export interface Verb {
  base: string;
  s: string;
  ing: string;
  past: string;
  /** Tags this verb suits; absent = every thing. */
  only?: readonly ThingTag[];
}

const V = (base: string, s: string, ing: string, past: string, only?: ThingTag[]): Verb =>
  only ? { base, s, ing, past, only } : { base, s, ing, past };

/** Verbs by which someone gains things: "She buys 5 more." */
export const GAIN_VERBS: readonly Verb[] = [
  V('buy', 'buys', 'buying', 'bought', ['fruit', 'food', 'toy', 'school']),
  V('find', 'finds', 'finding', 'found'),
  V('get', 'gets', 'getting', 'got'),
  V('win', 'wins', 'winning', 'won', ['toy', 'school']),
  V('pick', 'picks', 'picking', 'picked', ['fruit', 'nature']),
  V('make', 'makes', 'making', 'made', ['food']),
  V('collect', 'collects', 'collecting', 'collected', ['toy', 'school', 'nature']),
];

/** Verbs by which someone loses things: "She eats 3 of them." */
export const LOSS_VERBS: readonly Verb[] = [
  V('give away', 'gives away', 'giving away', 'gave away'),
  V('eat', 'eats', 'eating', 'ate', ['fruit', 'food']),
  V('lose', 'loses', 'losing', 'lost', ['toy', 'school', 'nature']),
  V('sell', 'sells', 'selling', 'sold', ['fruit', 'food', 'toy', 'school']),
  V('drop', 'drops', 'dropping', 'dropped', ['fruit', 'food', 'toy', 'nature']),
];

export function verbsFor(verbs: readonly Verb[], thing: Thing): Verb[] {
  return verbs.filter((v) => !v.only || v.only.includes(thing.tag));
}

export const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
export const BOX_COLOURS = ['red', 'blue', 'green', 'yellow', 'white', 'black'] as const;
export const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
] as const;

// ---- facts for instructions and definitions ----

/** Categories in a fixed canonical order: "List three fruits." answers with the first three. */
export const CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  fruits: ['apple', 'banana', 'cherry', 'grape', 'lemon', 'mango', 'orange', 'peach', 'pear', 'plum'],
  colours: ['red', 'blue', 'green', 'yellow', 'black', 'white', 'orange', 'purple', 'pink', 'brown'],
  animals: ['cat', 'dog', 'cow', 'horse', 'lion', 'tiger', 'sheep', 'pig', 'duck', 'goat'],
  vegetables: ['carrot', 'pea', 'bean', 'potato', 'onion', 'corn', 'cabbage', 'leek'],
  shapes: ['circle', 'square', 'triangle', 'star', 'heart', 'oval'],
  birds: ['robin', 'owl', 'duck', 'crow', 'eagle', 'swan', 'parrot'],
  drinks: ['water', 'milk', 'tea', 'juice', 'coffee', 'lemonade'],
  days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};

/** Pairs of opposites; no word appears twice, so "the opposite of w" has one answer either way. */
export const OPPOSITES: readonly (readonly [string, string])[] = [
  ['hot', 'cold'],
  ['big', 'small'],
  ['up', 'down'],
  ['fast', 'slow'],
  ['day', 'night'],
  ['happy', 'sad'],
  ['open', 'closed'],
  ['light', 'dark'],
  ['old', 'new'],
  ['tall', 'short'],
  ['wet', 'dry'],
  ['hard', 'soft'],
  ['full', 'empty'],
  ['early', 'late'],
  ['in', 'out'],
  ['left', 'right'],
  ['loud', 'quiet'],
  ['rich', 'poor'],
  ['clean', 'dirty'],
  ['thick', 'thin'],
  ['near', 'far'],
  ['first', 'last'],
  ['push', 'pull'],
  ['give', 'take'],
  ['win', 'lose'],
  ['yes', 'no'],
  ['good', 'bad'],
  ['top', 'bottom'],
  ['strong', 'weak'],
  ['black', 'white'],
  ['come', 'go'],
  ['buy', 'sell'],
  ['sweet', 'sour'],
  ['awake', 'asleep'],
  ['always', 'never'],
  ['front', 'back'],
  ['high', 'low'],
];

/** What colour is <thing>? The thing is written as it sits in a question. */
export const COLOURS_OF: readonly (readonly [string, string])[] = [
  ['the sky', 'blue'],
  ['grass', 'green'],
  ['snow', 'white'],
  ['coal', 'black'],
  ['a banana', 'yellow'],
  ['a tomato', 'red'],
  ['milk', 'white'],
  ['a lemon', 'yellow'],
  ['a leaf', 'green'],
  ['a strawberry', 'red'],
  ['the sun', 'yellow'],
  ['chocolate', 'brown'],
  ['a carrot', 'orange'],
  ['a plum', 'purple'],
  ['an elephant', 'grey'],
  ['a frog', 'green'],
  ['the sea', 'blue'],
  ['a cherry', 'red'],
  ['a crow', 'black'],
  ['a pumpkin', 'orange'],
  ['a cloud', 'white'],
  ['soil', 'brown'],
];

export const PLURALS: readonly (readonly [string, string])[] = [
  ['cat', 'cats'],
  ['dog', 'dogs'],
  ['book', 'books'],
  ['apple', 'apples'],
  ['tree', 'trees'],
  ['car', 'cars'],
  ['bird', 'birds'],
  ['cup', 'cups'],
  ['hat', 'hats'],
  ['pen', 'pens'],
  ['box', 'boxes'],
  ['bus', 'buses'],
  ['fox', 'foxes'],
  ['dish', 'dishes'],
  ['glass', 'glasses'],
  ['peach', 'peaches'],
  ['baby', 'babies'],
  ['city', 'cities'],
  ['lady', 'ladies'],
  ['berry', 'berries'],
  ['leaf', 'leaves'],
  ['wolf', 'wolves'],
  ['knife', 'knives'],
  ['man', 'men'],
  ['woman', 'women'],
  ['child', 'children'],
  ['mouse', 'mice'],
  ['foot', 'feet'],
  ['tooth', 'teeth'],
  ['goose', 'geese'],
  ['sheep', 'sheep'],
  ['fish', 'fish'],
  ['toy', 'toys'],
  ['day', 'days'],
  ['key', 'keys'],
  ['star', 'stars'],
  ['ship', 'ships'],
  ['egg', 'eggs'],
  ['frog', 'frogs'],
  ['duck', 'ducks'],
  ['house', 'houses'],
  ['horse', 'horses'],
  ['shoe', 'shoes'],
  ['tomato', 'tomatoes'],
  ['potato', 'potatoes'],
  ['person', 'people'],
  ['ox', 'oxen'],
  ['bench', 'benches'],
];

export const ANIMAL_SOUNDS: readonly (readonly [string, string])[] = [
  ['cow', 'moo'],
  ['dog', 'woof'],
  ['cat', 'meow'],
  ['duck', 'quack'],
  ['sheep', 'baa'],
  ['pig', 'oink'],
  ['owl', 'hoot'],
  ['lion', 'roar'],
  ['bee', 'buzz'],
  ['horse', 'neigh'],
  ['frog', 'croak'],
  ['mouse', 'squeak'],
  ['snake', 'hiss'],
  ['goat', 'bleat'],
];

/** Number facts: [question, answer, statement]. */
export const NUMBER_FACTS: readonly (readonly [string, string, string])[] = [
  ['How many days are in a week?', '7', 'There are 7 days in a week.'],
  ['How many months are in a year?', '12', 'There are 12 months in a year.'],
  ['How many hours are in a day?', '24', 'There are 24 hours in a day.'],
  ['How many minutes are in an hour?', '60', 'There are 60 minutes in an hour.'],
  ['How many seconds are in a minute?', '60', 'There are 60 seconds in a minute.'],
  ['How many legs does a dog have?', '4', 'A dog has 4 legs.'],
  ['How many legs does a spider have?', '8', 'A spider has 8 legs.'],
  ['How many legs does an insect have?', '6', 'An insect has 6 legs.'],
  ['How many legs does a bird have?', '2', 'A bird has 2 legs.'],
  ['How many sides does a triangle have?', '3', 'A triangle has 3 sides.'],
  ['How many sides does a square have?', '4', 'A square has 4 sides.'],
  ['How many wheels does a bicycle have?', '2', 'A bicycle has 2 wheels.'],
  ['How many wheels does a car have?', '4', 'A car has 4 wheels.'],
  ['How many fingers are on one hand?', '5', 'There are 5 fingers on one hand.'],
  ['How many letters are in the alphabet?', '26', 'There are 26 letters in the alphabet.'],
  ['How many eggs are in a dozen?', '12', 'There are 12 eggs in a dozen.'],
];

/** Words for spelling, first letters and letter counts. */
export const WORDS: readonly string[] = (
  'cat dog sun hat cup pen map box fox egg bed bus red hen pig cow owl bee ant jam net ' +
  'tree book fish bird frog duck milk cake lamp ship star moon rain snow door ball kite ' +
  'apple table chair house water green happy bread plant river grass horse mouse sheep ' +
  'lemon peach shell stone cloud light night train truck smile music paper spoon clock ' +
  'garden pencil orange rabbit flower window yellow purple basket button carrot cookie ' +
  'turtle kitten monkey summer winter bottle candle rocket family friend school animal ' +
  'banana tomato potato teacher chicken picture morning blanket balloon rainbow'
).split(' ');

// Sentence parts for rewriting instructions (upper case, reversing word order).
export const SENTENCE_SUBJECTS: readonly string[] = [
  'the cat',
  'the dog',
  'a bird',
  'the old man',
  'my sister',
  'the baby',
  'a little fox',
  'the teacher',
  'the red car',
  'our class',
  'the farmer',
  'a small boy',
  'the girl',
  'the horse',
  'my friend',
  'the duck',
];
export const SENTENCE_VERBS: readonly string[] = [
  'sees',
  'likes',
  'eats',
  'finds',
  'wants',
  'has',
  'makes',
  'holds',
  'reads',
  'paints',
  'brings',
  'needs',
];
export const SENTENCE_OBJECTS: readonly string[] = [
  'a big apple',
  'the blue ball',
  'some bread',
  'a green hat',
  'the book',
  'a warm cup of tea',
  'the red kite',
  'a small box',
  'the moon',
  'two eggs',
  'a new pencil',
  'the sweet cake',
  'a yellow flower',
  'the map',
];
export const SENTENCE_ENDINGS: readonly string[] = [
  '',
  '',
  '',
  'today',
  'at home',
  'in the park',
  'every day',
  'after school',
  'in the morning',
  'at night',
];
