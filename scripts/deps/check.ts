/**
 * @module deps/check
 * The import graph of the TypeScript and JavaScript sources, checked against the rooms of
 * rules.ts: every relative import must land in a room its file's room may import, a
 * production file imports only the packages its room allows, and no two files import each
 * other at run time, directly or through others (type-only imports are erased and do not
 * count). `npm run check` runs it: `tsx scripts/deps/check.ts [--root <dir>]`, exit 1 with
 * one line per problem.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { parseArgs } from "node:util";
import ts from "typescript";
import { isTooling, ROOMS, roomOf } from "./rules.js";

export interface ImportEdge {
  /** The import as written. */
  specifier: string;
  /** Repository-relative path it resolves to (relative specifiers only). */
  target?: string;
  /** Erased at run time (`import type`, `export type`). */
  typeOnly: boolean;
}

const SOURCE = /\.(ts|mts|mjs|js)$/;
const SKIP_DIRS = new Set(["node_modules", ".git", "dist", "training", "models", ".tools", ".wrangler"]);

/** Source files under root, repository-relative with forward slashes. */
export function sourceFiles(root: string, dir = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (e.name.startsWith(".") || SKIP_DIRS.has(e.name)) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...sourceFiles(root, rel));
    else if (SOURCE.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out.sort();
}

/** The imports of one file: static, `export ... from`, and `import("...")` with a literal. */
export function importsOf(code: string, fileName: string): Array<Omit<ImportEdge, "target">> {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false);
  const out: Array<Omit<ImportEdge, "target">> = [];
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly =
        !!c &&
        (c.isTypeOnly ||
          (!c.name &&
            !!c.namedBindings &&
            ts.isNamedImports(c.namedBindings) &&
            c.namedBindings.elements.length > 0 &&
            c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ specifier: n.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      out.push({ specifier: n.moduleSpecifier.text, typeOnly: n.isTypeOnly });
    } else if (
      ts.isCallExpression(n) &&
      n.expression.kind === ts.SyntaxKind.ImportKeyword &&
      n.arguments.length === 1 &&
      ts.isStringLiteralLike(n.arguments[0])
    ) {
      out.push({ specifier: n.arguments[0].text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(n) &&
      ts.isLiteralTypeNode(n.argument) &&
      ts.isStringLiteral(n.argument.literal)
    ) {
      out.push({ specifier: n.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** `./x.js` -> `dir/x.ts` when that is the file on disk (TypeScript's own rule). */
function resolveRelative(root: string, from: string, specifier: string): string {
  const base = normalize(join(dirname(from), specifier))
    .split(sep)
    .join("/");
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`];
  for (const c of candidates) if (existsSync(join(root, c)) && statSync(join(root, c)).isFile()) return c;
  return base;
}

export function importGraph(root: string): Map<string, ImportEdge[]> {
  const graph = new Map<string, ImportEdge[]>();
  for (const f of sourceFiles(root)) {
    const edges = importsOf(readFileSync(join(root, f), "utf8"), f).map((e) =>
      e.specifier.startsWith(".") ? { ...e, target: resolveRelative(root, f, e.specifier) } : e,
    );
    graph.set(f, edges);
  }
  return graph;
}

/** What breaks the rules, one sentence per problem (empty: all good). */
export function checkGraph(graph: Map<string, ImportEdge[]>): string[] {
  const problems: string[] = [];
  for (const [file, edges] of graph) {
    const room = roomOf(file);
    if (!room) continue;
    const tooling = isTooling(file);
    for (const e of edges) {
      if (e.target !== undefined) {
        const to = roomOf(e.target);
        const allowed =
          to !== undefined &&
          (room.mayImport.includes(to.path) ||
            (tooling && (to.path === "test/helpers/" || !!room.testsMayImport?.includes(e.target))));
        if (!allowed) {
          problems.push(
            `${file} imports ${e.specifier} (${to?.path ?? e.target}): ${room.path} may import only ${room.mayImport.join(", ")}` +
              (tooling ? " and test/helpers/" : ""),
          );
        }
      } else if (!tooling && room.packages !== "any") {
        const node = e.specifier.startsWith("node:");
        if (room.packages === "none" || node) {
          problems.push(
            `${file} imports ${e.specifier}: ${room.path} ` +
              (room.packages === "none"
                ? "imports no package or runtime (it is handed its runtime)"
                : "runs in workerd and browsers: no node: built-ins"),
          );
        }
      }
    }
  }
  problems.push(...cycles(graph).map((c) => `import cycle: ${c.join(" -> ")}`));
  return problems;
}

/** Run-time import cycles (type-only edges left out), each once, from its smallest file. */
export function cycles(graph: Map<string, ImportEdge[]>): string[][] {
  const next = (f: string) =>
    (graph.get(f) ?? []).filter((e) => !e.typeOnly && e.target && graph.has(e.target)).map((e) => e.target!);
  const found = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of next(f)) {
      if (state.get(t) === "open") {
        const loop = stack.slice(stack.indexOf(t));
        const start = loop.indexOf([...loop].sort()[0]);
        const canon = [...loop.slice(start), ...loop.slice(0, start)];
        found.set(canon.join(" "), [...canon, canon[0]]);
      } else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return [...found.values()];
}

export function checkRepository(root: string): string[] {
  return checkGraph(importGraph(root));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { root: { type: "string" } } });
  const root = values.root ?? join(dirname(new URL(import.meta.url).pathname), "../..");
  const problems = checkRepository(root);
  for (const p of problems) console.error(`check-deps: ${p}`);
  if (problems.length) {
    console.error(`check-deps: ${problems.length} problem(s); the rules: scripts/deps/rules.ts`);
    process.exit(1);
  }
  console.error(
    `check-deps: ${importGraph(root).size} files in ${ROOMS.length} rooms follow the rules (${relative(process.cwd(), root) || "."})`,
  );
}
