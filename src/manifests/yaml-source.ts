import {
  Composer,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
  type Tags,
} from 'yaml';
import type { PathSegment } from './problem.ts';

// kubectl reads YAML with go-yaml v2: YAML 1.1 booleans (`yes`, `on`, `n`) and merge keys, but timestamps
// stay strings and `12:30` is not a base-60 number. Reading the same way keeps "accepted here" meaning
// "accepted by the API server".
const KUBECTL_YAML: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  uniqueKeys: true,
  prettyErrors: false,
  customTags: (tags: Tags) => tags.filter((t) => !isTimeTag(t)),
};

function isTimeTag(tag: Tags[number]): boolean {
  if (typeof tag === 'string') return tag === 'timestamp' || tag === 'intTime' || tag === 'floatTime';
  return tag.format === 'TIME' || tag.tag === 'tag:yaml.org,2002:timestamp';
}

export interface SourceDocument {
  /** 1-based position of the document in its file. */
  index: number;
  doc: Document.Parsed;
  lines: LineCounter;
}

export function parseYamlDocuments(text: string): SourceDocument[] {
  return Array.from(yamlDocuments(text));
}

/**
 * The documents of a file one at a time, as `parseAllDocuments` reads them. Checking each before the next is
 * parsed lets its syntax tree die young: parsed all at once, the trees of a 1,000-object file outlive several
 * young-generation collections, land in the old generation and stay there as garbage once start-up is over.
 */
export function* yamlDocuments(text: string): Generator<SourceDocument, void, undefined> {
  const lines = new LineCounter();
  const composer = new Composer(KUBECTL_YAML);
  let index = 0;
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text))) {
    index += 1;
    yield { index, doc, lines };
  }
}

export function lineAt(source: SourceDocument, offset: number): number {
  return source.lines.linePos(offset).line;
}

/** Line where the document's content starts (its first key), or where the document starts. */
export function documentLine(source: SourceDocument): number {
  const contents = source.doc.contents;
  return lineAt(source, contents?.range[0] ?? source.doc.range[0]);
}

/**
 * Line of the node at `path`: the key of a mapping entry, or the list item. When the path does not exist
 * (a missing required field), the line of its nearest parent that does.
 */
export function lineOfPath(source: SourceDocument, path: readonly PathSegment[]): number {
  let node: unknown = source.doc.contents;
  let offset = source.doc.contents?.range[0] ?? source.doc.range[0];
  for (const segment of path) {
    while (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (pair === undefined) break;
      const at = isNode(pair.key) ? pair.key : pair.value;
      if (isNode(at) && at.range) offset = at.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (!isNode(item) || !item.range) break;
      offset = item.range[0];
      node = item;
    } else {
      break;
    }
  }
  return lineAt(source, offset);
}

// Same stringification as toJS() uses for object keys, so a path built from the JS value finds its node.
function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return undefined;
}
