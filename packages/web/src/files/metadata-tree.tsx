/**
 * What the catalog read from inside an HDF5/NeXus file, as the file's own tree: groups with their attributes,
 * small datasets with their values, large ones with their shape and type. The catalog stores it flat
 * (`entry/title`, `entry@NX_class`, `entry/data/data.shape`: see the server's catalog/hdf5-metadata.ts);
 * keys without `/` or `@` are the user's own metadata, shown apart.
 */

export interface TreeNode {
  name: string;
  value?: unknown;
  shape?: string;
  dtype?: string;
  attributes: [string, unknown][];
  children: Map<string, TreeNode>;
}

const node = (name: string): TreeNode => ({ name, attributes: [], children: new Map() });

/** True for keys the catalog took from the file's content. */
export function isContentKey(key: string): boolean {
  return key.includes('/') || key.includes('@');
}

/**
 * @example
 * buildTree({ 'entry@NX_class': 'NXentry', 'entry/title': 'scan 1', 'entry/data.shape': '10x64' })
 * // root → entry (attribute NX_class) → title = 'scan 1', data: 10x64
 */
export function buildTree(metadata: Record<string, unknown>): TreeNode {
  const root = node('/');
  for (const [key, value] of Object.entries(metadata)) {
    if (!isContentKey(key)) continue;
    const at = key.indexOf('@');
    let path = at === -1 ? key : key.slice(0, at);
    let field: 'value' | 'shape' | 'dtype' = 'value';
    const suffix = at === -1 ? /\.(shape|dtype)$/.exec(path) : null;
    if (suffix) {
      field = suffix[1] as 'shape' | 'dtype';
      path = path.slice(0, -suffix[0].length);
    }
    let current = root;
    for (const segment of path.split('/').filter(Boolean)) {
      let child = current.children.get(segment);
      if (!child) {
        child = node(segment);
        current.children.set(segment, child);
      }
      current = child;
    }
    if (at !== -1) current.attributes.push([key.slice(at + 1), value]);
    else if (field === 'value') current.value = value;
    else current[field] = String(value);
  }
  return root;
}

export function MetadataTree({ metadata }: { metadata: Record<string, unknown> }) {
  const root = buildTree(metadata);
  if (root.children.size === 0 && root.attributes.length === 0)
    return <p className="muted">No HDF5/NeXus content was read from this file.</p>;
  return (
    <div className="metadata-tree">
      <Attributes node={root} />
      <Children node={root} />
    </div>
  );
}

function Children({ node: parent }: { node: TreeNode }) {
  if (parent.children.size === 0) return null;
  return (
    <ul>
      {[...parent.children.values()].map((child) => (
        <li key={child.name}>
          {child.children.size > 0 ? (
            <details open>
              <summary>
                <strong>{child.name}</strong>
                <Attributes node={child} />
              </summary>
              <Children node={child} />
            </details>
          ) : (
            <Leaf node={child} />
          )}
        </li>
      ))}
    </ul>
  );
}

function Leaf({ node: leaf }: { node: TreeNode }) {
  return (
    <>
      <strong>{leaf.name}</strong>
      {leaf.value !== undefined && <span className="tree-value"> = {show(leaf.value)}</span>}
      {leaf.shape !== undefined && (
        <span className="tree-shape">
          {' '}
          [{leaf.shape.replaceAll('x', ' × ')}] {leaf.dtype}
        </span>
      )}
      <Attributes node={leaf} />
    </>
  );
}

function Attributes({ node: owner }: { node: TreeNode }) {
  if (owner.attributes.length === 0) return null;
  return (
    <span className="tree-attributes">
      {owner.attributes.map(([name, value]) => (
        <span key={name} className="tree-attribute">
          @{name}={show(value)}
        </span>
      ))}
    </span>
  );
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
