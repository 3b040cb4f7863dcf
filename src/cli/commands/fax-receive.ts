// `faxswitch fax receive`: answers one fax on a media address and writes it to a TIFF file (raw
// media mode, no SIP). The far end's address is learnt from its first packet unless --remote is given.
import { UsageError, type CliCommand } from '../command.ts';
import { MEDIA_USAGE, mediaChoice, parseEndpoint, parseFaxArgs, runFax } from './fax-common.ts';

export const faxReceiveCommand: CliCommand = {
  path: ['fax', 'receive'],
  summary: 'receive one fax on a media address into a TIFF file (raw T.38/UDPTL or G.711/RTP)',
  usage: [
    'usage: faxswitch fax receive --listen <host:port> --out <file.tif> [options]',
    '',
    '  --listen HOST:PORT    where to receive UDPTL/RTP',
    '  --out FILE            the TIFF file to write (one directory per page)',
    "  --remote HOST:PORT    the far end's address (default: learnt from its first packet)",
    ...MEDIA_USAGE,
    '',
    'Prints each page as it is confirmed and a JSON summary; exit 0 when the fax succeeded.',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseFaxArgs(args, {
      listen: { type: 'string' },
      out: { type: 'string' },
      remote: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    if (!values.out) throw new UsageError('--out is required');
    const local = parseEndpoint('--listen', values.listen);
    const choice = mediaChoice(values);
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
