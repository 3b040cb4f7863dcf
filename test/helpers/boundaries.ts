// The folder rules of faxswitch, checked mechanically over source text:
//   1. actors/ imports only `xstate` (and its subpaths) and files inside actors/;
//   2. cluster/ never imports src/;
//   3. code in one folder imports another folder only through that folder's index.ts
//      (folders: actors/, cluster/, each src/<module>/; tests, benchmarks and scripts are exempt);
//   4. no import cycles, between files or between folders (`import type` is erased, so it is ignored).
import path from 'node:path';
import ts from 'typescript';

export interface Violation {
  readonly rule: 'actors-purity' | 'cluster-independence' | 'index-only' | 'cycle';
  readonly file: string;
  readonly message: string;
}

interface ImportEdge {
  readonly specifier: string;
  /** Repository-relative path of the imported file, for relative specifiers. */
  readonly target: string | undefined;
  readonly typeOnly: boolean;
}

const EXEMPT_FROM_INDEX_RULE = ['test/', 'bench/', 'scripts/', 'bin/'];

/** The folder a file belongs to for the rules: `actors`, `cluster`, `src/<module>`, or its top folder. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  if (parts[0] === 'src') return file; // src/main.ts: the composition root is a folder of its own
  return parts[0] ?? file;
}

function importsOf(file: string, source: string): ImportEdge[] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false);
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean): void => {
    const target = specifier.startsWith('.')
      ? path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))
      : undefined;
    edges.push({ specifier, target, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ?? false);
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return edges;
}

/** Checks a tree given as repository-relative path → source text. */
export function checkBoundaries(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const graph = new Map<string, string[]>();

  for (const [file, source] of files) {
    const folder = folderOf(file);
    const runtimeTargets: string[] = [];
    for (const edge of importsOf(file, source)) {
      if (folder === 'actors') {
        const allowed = edge.target
          ? edge.target.startsWith('actors/')
          : edge.specifier === 'xstate' || edge.specifier.startsWith('xstate/');
        if (!allowed) {
          violations.push({
            rule: 'actors-purity',
            file,
            message: `${file} imports '${edge.specifier}': actors/ may import only xstate and actors/ (machines are pure)`,
          });
        }
      }
      if (!edge.target) continue;
      if (folder === 'cluster' && edge.target.startsWith('src/')) {
        violations.push({
          rule: 'cluster-independence',
          file,
          message: `${file} imports '${edge.specifier}': cluster/ must not depend on src/`,
        });
      }
      const targetFolder = folderOf(edge.target);
      const exempt = EXEMPT_FROM_INDEX_RULE.some((prefix) => file.startsWith(prefix));
      const throughIndex = edge.target === `${targetFolder}/index.ts` || targetFolder === edge.target;
      if (!exempt && targetFolder !== folder && !throughIndex) {
        violations.push({
          rule: 'index-only',
          file,
          message: `${file} imports '${edge.specifier}': import ${targetFolder}/ only through ${targetFolder}/index.ts`,
        });
      }
      if (!edge.typeOnly) runtimeTargets.push(edge.target);
    }
    graph.set(file, runtimeTargets);
  }

  for (const cycle of findCycles(graph)) {
    violations.push({
      rule: 'cycle',
      file: cycle[0] ?? '',
      message: `import cycle between files: ${cycle.join(' → ')}`,
    });
  }
  const folderGraph = new Map<string, string[]>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    const edges = folderGraph.get(from) ?? [];
    for (const target of targets) if (folderOf(target) !== from) edges.push(folderOf(target));
    folderGraph.set(from, edges);
  }
  for (const cycle of findCycles(folderGraph)) {
    violations.push({
      rule: 'cycle',
      file: cycle[0] ?? '',
      message: `import cycle between folders: ${cycle.join(' → ')}`,
    });
  }
  return violations;
}

/** Strongly connected components with more than one member, or a node importing itself (Tarjan). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];

  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfLoop = (graph.get(node) ?? []).includes(node);
      if (component.length > 1 || selfLoop) cycles.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return cycles;
}
