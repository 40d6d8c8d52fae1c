import { InputError } from '../diagnostics/index.js';
import { nodePath, type DtNode, type Property } from '../dts/tree.js';

/**
 * A device-tree node that the emulator cannot model as its binding says. Points at the property's source span
 * (or the node's) when the tree was compiled from source, and always names the node path, since a tree read
 * from a DTB has no source to point at.
 */
export class BindingError extends InputError {
  readonly nodePath: string;
  constructor(code: string, node: DtNode, detail: string, prop?: Property) {
    const path = nodePath(node);
    const span = prop?.span ?? node.span;
    const message = `${path}${prop ? ` (${prop.name})` : ''}: ${detail}`;
    super(code, message, span ? { span } : { where: path });
    this.nodePath = path;
  }
}
