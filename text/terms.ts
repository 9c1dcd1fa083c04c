/**
 * Words as both sides see them: keyword search in the worker, and relevance and sentence picking
 * on the answer side. Lowercase words, a light English stemmer and a stopword list, with no
 * dependencies, so the server may import it without loading anything of the worker's.
 */
/**
 * English function words, and the contractions of those that questions use ("don't" is read as
 * "dont"). "im" stays although it drops the acronym IM: questions say "I'm" far more often, and
 * as an unknown word it made two answerable sample questions abstain.
 */
const STOPWORDS = new Set(
  `a about above after again against all also am an and any anyone anything are as at be been before being below between both
  but by can could did do does doing done down during each either else ever every few for from further get gets getting got had
  has have having he her here hers him his how however i if in into is it its just know let like many may me might mine more most
  much must my need needs no nor not now of off on once only or other our ours out over own please same shall she should so some
  someone something such tell than that the their theirs them then there these they this those through to too under until up upon
  us very want wants was way we were what whats when where whether which while who whom whose why will with within without would
  yes yet you your yours
  aint arent cant cannot couldnt didnt doesnt dont hadnt hasnt havent hed hes im isnt ive lets shes shouldnt thats
  theres theyd theyll theyre theyve wasnt weve werent whos wont wouldnt youd youll youre youve`.split(/\s+/).filter(Boolean),
);

/** Lowercase words without diacritics or apostrophes ("what's" → "whats"). */
/** Whether a (lower-cased, folded) word is too common to search for. */
export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Folds plurals and -ing/-ed endings so "approvals" meets "approved" and "approve". */
export function stem(word: string): string {
  if (/^\d+$/.test(word)) return word;
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length >= 6 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length >= 5 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length >= 4 && /(ss|x|ch|sh|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length >= 4 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** The distinct stems of a question's content words (three letters or more, not stopwords). */
export function contentStems(text: string): string[] {
  return [...new Set(words(text).filter((w) => w.length >= 3 && !STOPWORDS.has(w)).map(stem))];
}

/** Every stem in a text, stopwords included: the side a question is matched against. */
export function stemSet(text: string): Set<string> {
  return new Set(words(text).map(stem));
}

/** Stems of a text's content words in order, repeats kept (two letters or more: "HR", "UX"): what keyword search indexes and looks for. */
export function keywordStems(text: string): string[] {
  return words(text)
    .filter((w) => w.length >= 2 && !STOPWORDS.has(w))
    .map(stem);
}
