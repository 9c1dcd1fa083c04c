// Shared by the label validators: read a JSON file or exit 1 saying which file and why.
import { readFileSync } from 'node:fs';

export function loadJson(p, what) {
  try {
    return JSON.parse(readFileSync(p, 'utf8'));
  } catch (err) {
    console.error(`cannot read ${what} at ${p}: ${err.message}`);
    process.exit(1);
  }
}
