#!/usr/bin/env node
// The `faxswitch` command. Node 24 runs our TypeScript directly (type stripping), so the CLI is the
// source itself; on an older Node say so plainly instead of failing on the first type annotation.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(
    `faxswitch needs Node.js 24 or later (this is ${process.version}). Run it through npm ` +
      '(`npx faxswitch …` or `npm run faxswitch -- …`), which uses the Node 24 the project installs.',
  );
  process.exit(1);
}
const { runCli } = await import('../src/cli/index.ts');
const code = await runCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
process.exitCode = code;
