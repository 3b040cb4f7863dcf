// `faxswitch fax receive`: answers one fax and writes its pages to a TIFF file. SIP mode
// (--sip-listen) runs an embedded SIP server, answers the first INVITE on G.711 and moves to T.38
// by re-INVITE; raw media mode (--listen) takes UDPTL/RTP on an address agreed beforehand.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTiff, type FaxPage } from '../../documents/index.ts';
import { receiveFaxOverSip } from '../../fax-call/index.ts';
import { UsageError, type CliCommand, type CliIo } from '../command.ts';
import {
  cliLogger,
  faxProgress,
  MEDIA_USAGE,
  mediaChoice,
  parseEndpoint,
  parseFaxArgs,
  printSipOutcome,
  sipT38Options,
  runFax,
  type MediaChoice,
} from './fax-common.ts';

export const faxReceiveCommand: CliCommand = {
  path: ['fax', 'receive'],
  summary: 'receive one fax into a TIFF file: answer a SIP call (--sip-listen) or raw T.38/G.711 (--listen)',
  usage: [
    'usage: faxswitch fax receive --sip-listen <host:port> --out <file.tif> [--did NUMBER] [--audio-only] [options]',
    '       faxswitch fax receive --listen <host:port> --out <file.tif> [options]',
    '',
    '  --sip-listen HOST:PORT  SIP mode: listen for SIP on HOST:PORT (UDP and TCP), answer the first',
    "                          INVITE on G.711 and re-INVITE to T.38 (or accept the caller's T.38 offer)",
    '  --did NUMBER          SIP mode: answer only calls to NUMBER (others get 404)',
    '  --audio-only          SIP mode: stay on G.711 (T.38 offers get 488)',
    '  --listen HOST:PORT    raw mode: where to receive UDPTL/RTP',
    '  --out FILE            the TIFF file to write (one directory per page)',
    "  --remote HOST:PORT    raw mode: the far end's address (default: learnt from its first packet)",
    ...MEDIA_USAGE,
    '',
    'Prints each page as it is received and a JSON summary (pages, bit rate, ECM, remote station id,',
    'result); exit 0 when the fax succeeded, 1 with the T.30 result when it failed.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseFaxArgs(args, {
      listen: { type: 'string' },
      'sip-listen': { type: 'string' },
      did: { type: 'string' },
      'audio-only': { type: 'boolean' },
      out: { type: 'string' },
      remote: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (!values.out) throw new UsageError('--out is required');
    if (values.listen && values['sip-listen'])
      throw new UsageError('choose one of --listen and --sip-listen');
    const choice = mediaChoice({ ...values, audio: values.audio || values['audio-only'] });
    if (values['sip-listen']) return receiveSip(values['sip-listen'], values.out, values.did, choice, io);
    if (values.did || values['audio-only']) throw new UsageError('--did and --audio-only need --sip-listen');
    const local = parseEndpoint('--listen', values.listen);
    const job = {
      direction: 'receive' as const,
      file: values.out,
      ecm: choice.ecm,
      ...(choice.ident ? { ident: choice.ident } : {}),
    };
    return runFax(
      {
        local,
        ...(values.remote ? { remote: parseEndpoint('--remote', values.remote) } : {}),
        media: choice.media,
        job,
        calling: false,
        timeoutMs: choice.timeoutMs,
      },
      io,
    );
  },
};

/** SIP mode. SpanDSP writes into a scratch directory; `out` is written by our TIFF writer. */
async function receiveSip(
  listen: string,
  out: string,
  did: string | undefined,
  choice: MediaChoice,
  io: CliIo,
): Promise<number> {
  const sip = parseEndpoint('--sip-listen', listen);
  // The host goes into our SDP and Contact as well: a wildcard would tell the caller nothing.
  if (sip.host === '0.0.0.0' || sip.host === '::')
    throw new UsageError(
      '--sip-listen needs the address callers reach (it is announced in SDP), not a wildcard',
    );
  const pages: FaxPage[] = [];
  const progress = faxProgress(io, (page) => {
    if (page.page) pages.push(page.page);
  });
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'faxswitch-receive-'));
  const started = Date.now();
  try {
    const outcome = await receiveFaxOverSip({
      host: sip.host,
      sipPort: sip.port,
      did,
      job: {
        direction: 'receive',
        file: path.join(scratch, 'received.tif'),
        ecm: choice.ecm,
        ...(choice.ident ? { ident: choice.ident } : {}),
      },
      ...sipT38Options(choice),
      events: progress.events,
      timeoutMs: choice.timeoutMs,
      logger: cliLogger(),
      onListening: (at) =>
        io.out(`listening for SIP on ${at.host}:${at.udpPort} (udp) and :${at.tcpPort} (tcp)`),
      onCall: (offer) => io.out(`call from ${offer.caller || 'anonymous'} to ${offer.did}`),
    });
    if (pages.length > 0) writeFileSync(out, writeTiff(pages));
    return printSipOutcome(io, outcome, progress, started);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
