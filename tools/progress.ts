import type { ProgressEvent } from '../indexing/prebuild.js';

/**
 * Progress for long builds: a bar redrawn in place on a terminal, plain lines otherwise
 * (at most one per tenth of each phase, so CI logs stay short).
 */
export function progressPrinter(stream: NodeJS.WriteStream): (event: ProgressEvent) => void {
  let lastLine = '';
  let lastTenth = -1;
  let lastPhase = '';
  return (event) => {
    const fraction = event.total ? event.done / event.total : 1;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const line = `${event.phase.padEnd(5)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${event.done}/${event.total}`;
      if (line !== lastLine) stream.write(`\r${line}${event.done >= event.total ? '\n' : ''}`);
      lastLine = line;
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (event.phase !== lastPhase) lastTenth = -1;
    lastPhase = event.phase;
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    stream.write(`${event.phase}: ${event.done}/${event.total} (${Math.round(fraction * 100)}%)\n`);
  };
}
