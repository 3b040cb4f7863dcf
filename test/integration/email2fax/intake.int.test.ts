// What 250 means at the Email2Fax intake, on a real actor host, redis-server and nats-server, with
// the preflight in real render processes and nodemailer as the mail client over STARTTLS + AUTH:
// 250 names one job per number and comes only once each job's actor is durable; the same message
// again (a client that lost our 250) makes no new job and costs no usage twice; an attachment that
// cannot be faxed is refused with its name and why, storing nothing; a node without a trunk says
// 451 so the client keeps the message.
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faxPdf } from '../../helpers/fax-documents.ts';
import {
  INTAKE_FAX_DOMAIN,
  INTAKE_LOGIN,
  startIntakeUnderTest,
  type IntakeUnderTest,
} from '../../helpers/email2fax-intake.ts';
import { localhostCertificate, startNats, startRedis, type TestServer } from '../../helpers/index.ts';

async function replyOf(promise: Promise<{ response: string }>): Promise<string> {
  try {
    return (await promise).response;
  } catch (error) {
    return (error as { response?: string }).response ?? String(error);
  }
}

describe('Email2Fax intake', () => {
  let redisServer: TestServer;
  let natsServer: TestServer;
  let intake: IntakeUnderTest;

  beforeAll(async () => {
    [redisServer, natsServer] = await Promise.all([startRedis(), startNats()]);
    intake = await startIntakeUnderTest({ redisUrl: redisServer.url, natsUrl: natsServer.url });
  });

  afterAll(async () => {
    await intake?.close();
    await Promise.all([redisServer?.dispose(), natsServer?.dispose()]);
  });

  function send(message: Record<string, unknown>): Promise<string> {
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: intake.port,
      secure: false,
      requireTLS: true,
      tls: { ca: localhostCertificate().cert, servername: 'localhost' },
      auth: INTAKE_LOGIN,
    });
    return replyOf(client.sendMail({ from: INTAKE_LOGIN.user, ...message })).finally(() => client.close());
  }

  const usage = async (): Promise<string[]> =>
    (await intake.redis.keys(`${intake.namespace}:usage:*`)).sort();

  it('answers 250 with one durable job per number; the same message again makes nothing new', async () => {
    const message = {
      to: [`+49301234801@${INTAKE_FAX_DOMAIN}`, `030-1234802@${INTAKE_FAX_DOMAIN}`],
      subject: 'Twice',
      messageId: '<twice-1@acme.example>',
      attachments: [{ filename: 'letter.pdf', path: faxPdf(1) }],
    };
    const first = await send(message);
    expect(first).toMatch(
      /^250 2\.6\.0 queued 2 fax job\(s\) of 1 page\(s\): (out-[0-9a-f]{24}) (out-[0-9a-f]{24})$/,
    );
    const jobIds = first.split(': ')[1]!.split(' ');
    for (const jobId of jobIds) {
      const view = await intake.host.read(jobId);
      expect(view?.machine).toBe('outbound-fax-job');
      expect((view?.context as { totalPages: number }).totalPages).toBe(1);
    }
    const usedOnce = await Promise.all((await usage()).map((key) => intake.redis.get(key)));

    expect(await send(message)).toBe(first);
    expect(await Promise.all((await usage()).map((key) => intake.redis.get(key)))).toEqual(usedOnce);
    expect(usedOnce).toEqual(['2', '2']); // 2 faxes this hour, 2 pages today
    const jobs = await intake.records.recentJobs(10);
    expect(jobs.map((job) => job.jobId).sort()).toEqual([...jobIds].sort());
  });

  it('refuses an attachment it cannot fax with 554 5.6.1 naming it, and stores nothing', async () => {
    const before = (await intake.records.recentJobs(100)).length;
    const reply = await send({
      to: `+49301234803@${INTAKE_FAX_DOMAIN}`,
      subject: 'Broken',
      text: 'See the attachment.',
      attachments: [{ filename: 'contract.pdf', content: Buffer.from('%PDF-1.7\nthis is not really a PDF') }],
    });
    expect(reply).toMatch(/^554 5\.6\.1 contract\.pdf could not be read: /);
    expect((await intake.records.recentJobs(100)).length).toBe(before);
  });

  it('says 451 while the node has no trunk: the client keeps the message and tries again', async () => {
    intake.canDial = false;
    const before = (await intake.records.recentJobs(100)).length;
    try {
      const reply = await send({
        to: `+49301234804@${INTAKE_FAX_DOMAIN}`,
        subject: 'Later',
        text: 'Hello.',
      });
      expect(reply).toMatch(/^451 4\.3\.5 no SIP trunk is configured/);
      expect((await intake.records.recentJobs(100)).length).toBe(before);
    } finally {
      intake.canDial = true;
    }
  });
});
