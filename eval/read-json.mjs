// Shared by the label validators: read a JSON file or exit 1 saying which file and why.
import { readFileSync } from 'node:fs';

export function loadJson(p, what) {
  try {
    const text = readFileSync(p, 'utf8');
    // An index generation's chunks.jsonl (one record a line) reads as the array chunks.json was.
    return p.endsWith('.jsonl') ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line)) : JSON.parse(text);
  } catch (err) {
    console.error(`cannot read ${what} at ${p}: ${err.message}`);
    process.exit(1);
  }
}
