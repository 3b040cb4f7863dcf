// Connect-tone detection on real SpanDSP audio: an answering fax terminal's first seconds carry CED
// (2100 Hz) and then the V.21 preamble of its DIS; a calling terminal sends CNG (1100 Hz). These
// are the moments the switch re-INVITEs an audio call to T.38.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioTerminal, ConnectToneDetector, type ConnectTone } from '../../../src/fax/index.ts';
import { faxDocument } from '../../helpers/fax-documents.ts';
import { makeTempDir } from '../../helpers/index.ts';

function listen(terminal: AudioTerminal, detector: ConnectToneDetector, seconds: number): void {
  const frame = new Int16Array(160);
  for (let tick = 0; tick < seconds * 50; tick++) {
    frame.fill(0, terminal.transmitAudio(frame));
    detector.receiveAudio(frame);
    terminal.receiveAudio(new Int16Array(160)); // silence back: nobody answers
  }
}

describe('ConnectToneDetector', () => {
  it('hears CED and then the V.21 preamble from an answering fax machine', () => {
    const heard: ConnectTone[] = [];
    const answering = new AudioTerminal({
      calling: false,
      job: { direction: 'receive', file: path.join(makeTempDir(), 'rx.tif') },
    });
    const detector = new ConnectToneDetector((tone) => heard.push(tone), 'answer');
    listen(answering, detector, 8);
    expect(heard.slice(0, 2)).toEqual(['ced', 'v21-preamble']);
    answering.release();
    detector.release();
  });

  it('hears CNG from a calling fax machine, and nothing from silence', () => {
    const heard: ConnectTone[] = [];
    const calling = new AudioTerminal({
      calling: true,
      job: { direction: 'send', file: faxDocument('standard', 1) },
    });
    const detector = new ConnectToneDetector((tone) => heard.push(tone), 'calling');
    listen(calling, detector, 5);
    expect(heard).toContain('cng');
    const quiet: ConnectTone[] = [];
    const silence = new ConnectToneDetector((tone) => quiet.push(tone), 'answer');
    for (let i = 0; i < 250; i++) silence.receiveAudio(new Int16Array(160));
    expect(quiet).toEqual([]);
    calling.release();
    detector.release();
    silence.release();
  });
});
