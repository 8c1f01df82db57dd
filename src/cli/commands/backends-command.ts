/**
 * `segmenta backends [--json]`: every registered kernel backend, highest
 * priority first, whether it can run here, and what it runs on or why not.
 */
import type { Command } from 'commander';
import type { BackendStatus } from '../../backends/backend-registry.js';

/**
 * Renders the backend list as an aligned text table: one line per backend
 * (name, priority, status, what it runs on or why it cannot run), then its
 * description and any further `; `-separated detail on indented lines.
 */
export function formatBackendTable(rows: readonly BackendStatus[]): string {
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const indent = ' '.repeat(nameWidth + 2 + 8 + 2 + 11 + 2);
  const lines = [`${'name'.padEnd(nameWidth)}  priority  status       detail`];
  for (const r of rows) {
    const status = r.available ? 'available' : 'unavailable';
    const [first, ...rest] = (r.detail || '-').split('; ');
    lines.push(`${r.name.padEnd(nameWidth)}  ${String(r.priority).padStart(8)}  ${status.padEnd(11)}  ${first}`);
    for (const more of rest) lines.push(`${indent}${more}`);
    lines.push(`${indent}${r.description}`);
  }
  const auto = rows.find((r) => r.available);
  lines.push('', auto ? `--backend auto uses: ${auto.name}` : '--backend auto: no backend is available');
  return lines.join('\n') + '\n';
}

/** Adds `backends` to the program. */
export function registerBackendsCommand(program: Command): void {
  program
    .command('backends')
    .description('list the kernel backends, whether each can run here, and why not')
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      await import('../../backends/built-in-backends.js');
      const { listBackends } = await import('../../backends/backend-registry.js');
      const rows = await listBackends();
      if (opts.json) {
        const auto = rows.find((r) => r.available)?.name ?? null;
        process.stdout.write(`${JSON.stringify({ auto, backends: rows }, null, 2)}\n`);
      } else {
        process.stdout.write(formatBackendTable(rows));
      }
    });
}
