import { spawn } from 'node:child_process';
import path from 'node:path';

/** The compiled `npm run prebuild` entry. */
export const PREBUILD_CLI = path.resolve('dist/tools/prebuild-cli.js');

/** Run the prebuild CLI as its own process; its exit code and everything it printed. */
export function runPrebuildCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PREBUILD_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
