// Office documents (DOCX, XLSX, PPTX, ODF, RTF, DOC, XLS) to PDF with LibreOffice headless, one
// subprocess per document: a fresh throwaway profile (no state shared between documents, macros
// disabled, remote links blocked), its own process group, killed as a group on the time limit.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findExecutable } from '../../local-services/index.ts';
import { type DocumentType } from './detect.ts';
import { DocumentUnreadableError, RenderTimeoutError } from './errors.ts';

export interface OfficeConversionOptions {
  readonly name: string;
  readonly type: DocumentType;
  readonly timeoutMs: number;
  readonly maxPdfBytes: number;
  /** Told the process group id once LibreOffice starts (tests check that a timeout kills it). */
  readonly onSpawn?: (pid: number) => void;
}

// The profile LibreOffice starts with: never run macros, never fetch linked content.
const PROFILE_SETTINGS = `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
`;

export async function convertOfficeToPdf(
  bytes: Uint8Array,
  options: OfficeConversionOptions,
): Promise<Uint8Array> {
  const soffice = findExecutable('soffice', 'libreoffice-writer-nogui');
  const work = await mkdtemp(path.join(tmpdir(), 'faxswitch-office-'));
  try {
    const profile = path.join(work, 'profile');
    await mkdir(path.join(profile, 'user'), { recursive: true });
    await writeFile(path.join(profile, 'user', 'registrymodifications.xcu'), PROFILE_SETTINGS);
    // The file name carries the detected type (never the sender's name) so the right filter loads.
    const input = path.join(work, `document.${options.type}`);
    await writeFile(input, bytes);
    const args = [
      `-env:UserInstallation=${pathToFileURL(profile).href}`,
      '--headless',
      '--norestore',
      '--nolockcheck',
      '--nodefault',
      '--convert-to',
      'pdf',
      '--outdir',
      work,
      input,
    ];
    const output = await runWithTimeout(soffice, args, options);
    const pdfPath = path.join(work, 'document.pdf');
    const pdf = await readFile(pdfPath).catch(() => undefined);
    if (pdf === undefined || pdf.length === 0) {
      throw new DocumentUnreadableError(
        options.name,
        `LibreOffice could not convert it (${output.trim().slice(-200) || 'no output'})`,
      );
    }
    if (pdf.length > options.maxPdfBytes)
      throw new DocumentUnreadableError(options.name, 'its converted PDF is too large');
    return pdf;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function runWithTimeout(
  executable: string,
  args: readonly string[],
  options: OfficeConversionOptions,
): Promise<string> {
  return new Promise((resolve, reject) => {
    // detached: LibreOffice forks (oosplash → soffice.bin); its own process group lets one kill reach all.
    const child = spawn(executable, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < 4096) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new DocumentUnreadableError(options.name, 'LibreOffice could not be started', undefined, error));
    });
    child.on('close', () => {
      clearTimeout(timer);
      // Children that outlived oosplash (they should not) go with the group.
      killGroup(child.pid);
      if (timedOut) reject(new RenderTimeoutError(options.name, options.timeoutMs));
      else resolve(output);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}
