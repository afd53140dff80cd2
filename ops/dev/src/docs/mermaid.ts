import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The Markdown files whose Mermaid diagrams are checked: the README and everything under docs/. */
export function markdownFiles(root: string): string[] {
  const docs = readdirSync(path.join(root, 'docs'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
  return ['README.md', ...docs].sort();
}

export const mermaidBlocks = (markdown: string): { source: string; line: number }[] =>
  [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```/gm)].map((m) => ({ source: m[1], line: markdown.slice(0, m.index).split('\n').length }));

/**
 * Every Mermaid diagram parsed by Mermaid itself, as GitHub renders it: a diagram that does not
 * parse shows as an error box. Mermaid is an ES module, loaded with import() (which jest's
 * sandbox refuses: the check runs in the docs CLI's own process), and sanitises labels with
 * DOMPurify, which needs a DOM: jsdom's, made global for it.
 */
export async function mermaidProblems(root: string): Promise<string[]> {
  const { JSDOM } = await import('jsdom');
  const { window } = new JSDOM('');
  Object.assign(globalThis, { window, document: window.document });
  const { default: mermaid } = await import('mermaid');
  const problems: string[] = [];
  for (const file of markdownFiles(root)) {
    for (const block of mermaidBlocks(readFileSync(path.join(root, file), 'utf8'))) {
      try {
        await mermaid.parse(block.source);
      } catch (e) {
        problems.push(`${file}:${block.line}: the Mermaid diagram does not parse: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  }
  return problems;
}
