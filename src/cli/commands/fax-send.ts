// `faxswitch fax send`: sends a TIFF-F or PDF as a fax to a far end's media address (raw media
// mode, no SIP), so operators can test a trunk or a gateway and end-to-end tests have a far machine.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable } from '../../local-services/index.ts';
import { UsageError, type CliCommand } from '../command.ts';
import { MEDIA_USAGE, mediaChoice, parseEndpoint, parseFaxArgs, runFax } from './fax-common.ts';

/** PDFs are rendered to TIFF G4 at fax geometry by ghostscript until the documents module's renderer is wired in. */
function tiffFor(file: string, dir: string): string {
  if (!/\.pdf$/i.test(file)) return file;
  const out = path.join(dir, 'document.tif');
  const gs = findExecutable('gs', 'ghostscript');
  execFileSync(
    gs,
    [
      '-q',
      '-dNOPAUSE',
      '-dBATCH',
      '-dSAFER',
      '-sDEVICE=tiffg4',
      '-r204x196',
      '-g1728x2200',
      '-dPDFFitPage',
      `-sOutputFile=${out}`,
      file,
    ],
    { timeout: 60_000 },
  );
  return out;
}

export const faxSendCommand: CliCommand = {
  path: ['fax', 'send'],
  summary: 'send a TIFF or PDF as a fax to a media address (raw T.38/UDPTL or G.711/RTP)',
  usage: [
    'usage: faxswitch fax send <file.tif|file.pdf> --to <host:port> [options]',
    '',
    "  --to HOST:PORT        the far end's UDPTL/RTP address",
    '  --local HOST:PORT     our address (default 0.0.0.0:0, any port)',
    '  --first-page N        start at page N (resume after page N-1 was confirmed)',
    '  --header TEXT         page header line text (≤ 50 characters)',
    ...MEDIA_USAGE,
    '',
    'Prints each page as the far end confirms it and a JSON summary; exit 0 when the fax succeeded.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseFaxArgs(args, {
      to: { type: 'string' },
      local: { type: 'string' },
      'first-page': { type: 'string' },
      header: { type: 'string' },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('give exactly one document to send');
    const remote = parseEndpoint('--to', values.to);
    const local = values.local
      ? parseEndpoint('--local', values.local)
      : { host: remote.host.includes(':') ? '::' : '0.0.0.0', port: 0 };
    const choice = mediaChoice(values);
    const firstPage = values['first-page'] === undefined ? 1 : Number(values['first-page']);
    if (!Number.isInteger(firstPage) || firstPage < 1)
      throw new UsageError(`--first-page must be a page number, got ${values['first-page']}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-send-'));
    try {
      const job = {
        direction: 'send' as const,
        file: tiffFor(file, dir),
        ecm: choice.ecm,
        firstPage,
        ...(choice.ident ? { ident: choice.ident } : {}),
        ...(values.header ? { pageHeaderInfo: values.header } : {}),
      };
      return await runFax(
        { local, remote, media: choice.media, job, calling: true, timeoutMs: choice.timeoutMs },
        io,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
