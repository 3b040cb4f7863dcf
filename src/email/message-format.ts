// Small formats every faxswitch email shares.

/** "3 min 5 s", as people read a call's length. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** A Message-ID derived only from what it is about, so every resend of the same email carries it. */
export function stableMessageId(kind: string, id: string, domain: string): string {
  return `<${kind}-${id.replace(/[^A-Za-z0-9._-]/g, '-')}@${domain}>`;
}
