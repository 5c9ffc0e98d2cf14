/**
 * A YAML file read as a plain value, for checking the manifests coroner ships. The parsing
 * is prettier's (a dev dependency already, and a full YAML parser: a syntax error fails the
 * test); this only turns its syntax tree into objects, arrays and scalars. Anchors, tags and
 * flow collections are refused rather than guessed: the manifests use none.
 */
import * as prettier from 'prettier';

export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Node {
  type: string;
  value?: string;
  children?: (Node | null)[];
}

/** Scalars as YAML 1.2's core schema reads them (`true`, `0`, `null`…); quoted ones stay text. */
function plain(text: string): YamlValue {
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^[-+]?[0-9]+$/.test(text)) return Number(text);
  return text;
}

function toValue(node: Node | null | undefined): YamlValue {
  if (!node) return null;
  switch (node.type) {
    case 'plain':
      return plain(node.value ?? '');
    case 'quoteDouble':
    case 'quoteSingle':
    case 'blockLiteral':
    case 'blockFolded':
      return node.value ?? '';
    case 'sequence':
      return (node.children ?? []).map((item) => toValue(item?.children?.[0]));
    case 'mapping': {
      const out: { [key: string]: YamlValue } = {};
      for (const item of node.children ?? []) {
        const [key, value] = item?.children ?? [];
        const name = toValue(key?.children?.[0]);
        if (typeof name !== 'string') throw new Error(`a mapping key that is not text: ${name}`);
        if (name in out) throw new Error(`the key ${name} appears twice`);
        out[name] = toValue(value?.children?.[0]);
      }
      return out;
    }
    default:
      throw new Error(`YAML construct not read by this test helper: ${node.type}`);
  }
}

/** The documents of a YAML text, each as a plain value. */
/** prettier's parser entry (exported, though not in its type declarations). */
interface PrettierDebug {
  __debug: { parse(text: string, options: { parser: string }): Promise<{ ast: Node }> };
}

/** The documents of a YAML text, each as a plain value. */
export async function readYamlDocuments(text: string): Promise<YamlValue[]> {
  const { ast } = await (prettier as unknown as PrettierDebug).__debug.parse(text, {
    parser: 'yaml',
  });
  return (ast.children ?? []).map((document) => {
    const body = document?.children?.find((c) => c?.type === 'documentBody');
    return toValue(body?.children?.[0]);
  });
}
