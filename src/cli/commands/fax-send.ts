// `faxswitch fax send`: sends a document as a fax. SIP mode (`--to sip:<number>@<host:port>`)
// places the call through an in-process embedded SIP server, starts on G.711 and moves to T.38 by
// re-INVITE; raw media mode (`--to host:port`) sends straight to a far end's UDPTL/RTP address.
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FaxswitchError } from '../../../cluster/index.ts';
import { DocumentRenderer, readTiff, writeTiff, type FaxPage } from '../../documents/index.ts';
import type { FaxJobOptions } from '../../fax/index.ts';
import { sendFaxOverSip } from '../../fax-call/index.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import {
  CALL_FAILED_EXIT,
  cliLogger,
  faxProgress,
  MEDIA_USAGE,
  mediaChoice,
  parseEndpoint,
  parseFaxArgs,
  parseSipUri,
  printSipOutcome,
  sipT38Options,
  runFax,
  type MediaChoice,
} from './fax-common.ts';

/** The document as fax pages: a TIFF read by our reader, anything else through the renderer. */
async function faxPages(file: string): Promise<FaxPage[]> {
  const bytes = readFileSync(file);
  if (/\.tiff?$/i.test(file)) return readTiff(bytes);
  const renderer = new DocumentRenderer({ workers: 1 });
  try {
    const rendered = await renderer.render(bytes, { name: path.basename(file) });
    return rendered.pages;
  } finally {
    await renderer.close();
  }
}

/** The local address the system routes to `host` from: what our SDP and Contact announce. */
async function localAddressTowards(host: string, port: number): Promise<string> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}

export const faxSendCommand: CliCommand = {
  path: ['fax', 'send'],
  summary: 'send a TIFF or PDF as a fax: over a SIP call (--to sip:…) or raw T.38/G.711 to a media address',
  usage: [
    'usage: faxswitch fax send <file.tif|file.pdf|…> --to sip:<number>@<host[:port]> [--t38|--audio] [--caller NUMBER] [options]',
    '       faxswitch fax send <file.tif|file.pdf|…> --to <host:port> [options]',
    '',
    '  --to sip:NUMBER@HOST[:PORT]  SIP mode: call NUMBER at HOST (port 5060 by default) from an',
    '                        in-process SIP server; G.711 first, then T.38 by re-INVITE (--t38, the',
    '                        default; stays on G.711 if the far end refuses) or G.711 only (--audio)',
    '  --caller NUMBER       SIP mode: our calling number (default faxswitch)',
    "  --to HOST:PORT        raw mode: the far end's UDPTL/RTP address",
    '  --local HOST[:PORT]   our address (SIP mode: SIP and media host, port = SIP port; raw mode:',
    '                        media address; default: the address routed towards --to, any port)',
    '  --first-page N        start at page N (resume after page N-1 was confirmed)',
    '  --header TEXT         page header line text (≤ 50 characters)',
    ...MEDIA_USAGE,
    '',
    'TIFF files are sent as they are; other documents (PDF, images, office) are rendered to fax pages.',
    'Prints each page as the far end confirms it and a JSON summary. Exit 0 when the fax was sent,',
    '1 with the T.30 result when it failed, 3 when the call failed (busy, 404, …: the SIP outcome).',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseFaxArgs(args, {
      to: { type: 'string' },
      local: { type: 'string' },
      caller: { type: 'string' },
      'first-page': { type: 'string' },
      header: { type: 'string' },
    });
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new UsageError('give exactly one document to send');
    const sip = values.to?.startsWith('sip') ? parseSipUri(values.to) : undefined;
    const remote = sip ?? parseEndpoint('--to', values.to);
    if (!sip && values.caller) throw new UsageError('--caller needs --to sip:…');
    const choice = mediaChoice(values);
    const firstPage = values['first-page'] === undefined ? 1 : Number(values['first-page']);
    if (!Number.isInteger(firstPage) || firstPage < 1)
      throw new UsageError(`--first-page must be a page number, got ${values['first-page']}`);
    const local = values.local
      ? parseLocal(values.local)
      : { host: await localAddressTowards(remote.host, remote.port), port: 0 };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-send-'));
    try {
      const pages = await faxPages(file);
      const tiff = path.join(dir, 'document.tif');
      writeFileSync(tiff, writeTiff(pages));
      io.out(`${file}: ${pages.length} page${pages.length === 1 ? '' : 's'}`);
      const job: FaxJobOptions = {
        direction: 'send',
        file: tiff,
        ecm: choice.ecm,
        firstPage,
        ...(choice.ident ? { ident: choice.ident } : {}),
        ...(values.header ? { pageHeaderInfo: values.header } : {}),
      };
      if (sip) return await sendSip(sip, values.caller ?? 'faxswitch', local, job, choice, io);
      return await runFax(
        { local, remote, media: choice.media, job, calling: true, timeoutMs: choice.timeoutMs },
        io,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** `--local` is `host:port` or a bare host (any port). */
function parseLocal(value: string): { host: string; port: number } {
  return /:\d{1,5}$/.test(value) && !/^[^[]*:.*:/.test(value)
    ? parseEndpoint('--local', value)
    : { host: value.replace(/^\[|\]$/g, ''), port: 0 };
}

async function sendSip(
  target: ReturnType<typeof parseSipUri>,
  callerId: string,
  local: { host: string; port: number },
  job: FaxJobOptions,
  choice: MediaChoice,
  io: CliIo,
): Promise<number> {
  const progress = faxProgress(io);
  const started = Date.now();
  const proxy = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  io.out(`calling ${target.number} at ${proxy} from ${local.host} (${choice.media.kind})`);
  try {
    const outcome = await sendFaxOverSip({
      host: local.host,
      sipPort: local.port,
      proxy,
      to: target.number,
      callerId,
      ...(choice.media.kind === 'audio' ? { law: choice.media.law } : {}),
      job,
      ...sipT38Options(choice),
      events: progress.events,
      timeoutMs: choice.timeoutMs,
      logger: cliLogger(),
      onAnswered: () => io.out('answered'),
    });
    return printSipOutcome(io, outcome, progress, started);
  } catch (error) {
    if (!(error instanceof FaxswitchError) || error.wire.sip === undefined) throw error;
    io.out(JSON.stringify({ ok: false, sip: error.wire.sip, outcome: error.name, text: error.message }));
    io.err(`call failed: ${error.message} (SIP ${error.wire.sip}, ${error.name})`);
    return CALL_FAILED_EXIT;
  }
}
