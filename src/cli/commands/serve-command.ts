/**
 * `segmenta serve [--host 127.0.0.1] [--port 8080] [--data-dir DIR] [--jobs-dir DIR]
 * [--token TOKEN] [--max-concurrent N] [--max-upload MB] [--time-limit S]`:
 * the segmentation job service (OGC API – Processes shape) and its web page.
 * Prints `listening on http://HOST:PORT`; Ctrl-C or SIGTERM stops it, and jobs
 * still running are recorded as failed.
 */
import type { Command } from 'commander';
import { SegmentaError } from '../../common/errors.js';
import { parseIntegerOption, parseNumberOption } from '../command-options.js';

interface ServeFlags {
  host: string;
  port: string;
  dataDir?: string;
  jobsDir: string;
  token?: string;
  maxConcurrent: string;
  maxUpload: string;
  timeLimit: string;
  log?: boolean;
}

/** Adds `serve` to the program. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the segmentation job service: HTTP API (OGC API - Processes shape), SSE progress and a web page at /')
    .option('--host <host>', 'interface to bind (default loopback only)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--data-dir <dir>', 'folder that inputs.data.path is relative to (never read outside it); without it, only uploads and generated data')
    .option('--jobs-dir <dir>', 'job state and results (kept across restarts)', 'segmenta-jobs')
    .option('--token <token>', 'require Authorization: Bearer <token> on every route except /health and the page (or set SEGMENTA_TOKEN)')
    .option('--max-concurrent <n>', 'jobs running at once; more wait in a queue', '2')
    .option('--max-upload <mb>', 'largest upload in MB (larger ones get 413)', '100')
    .option('--time-limit <seconds>', 'time limit of one job', '3600')
    .option('--log', 'log every request (JSON lines on stdout)')
    .action(async (flags: ServeFlags) => {
      const port = parseIntegerOption('port', flags.port, 0, 65535);
      const maxConcurrent = parseIntegerOption('max-concurrent', flags.maxConcurrent, 1, 1024);
      const maxUploadMB = parseNumberOption('max-upload', flags.maxUpload, 0);
      const timeLimitSeconds = parseNumberOption('time-limit', flags.timeLimit, 1);
      const token = flags.token ?? process.env['SEGMENTA_TOKEN'];
      if (token !== undefined && token.trim().length < 8) {
        throw new SegmentaError('INVALID_OPTION', '--token must be at least 8 characters', { option: 'token' });
      }
      const { createServer } = await import('../../service/server.js');
      const server = await createServer({
        jobsDir: flags.jobsDir,
        ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
        ...(token ? { token: token.trim() } : {}),
        maxConcurrent,
        maxUploadMB,
        timeLimitSeconds,
        logger: flags.log === true,
      });
      let address: string;
      try {
        address = await server.listen({ host: flags.host, port });
      } catch (error) {
        await server.close();
        const code = (error as { code?: string }).code;
        throw new SegmentaError('INVALID_OPTION', `cannot listen on ${flags.host}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message}`, { option: 'port' });
      }
      process.stdout.write(`listening on ${address.replace('[::1]', 'localhost')}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
