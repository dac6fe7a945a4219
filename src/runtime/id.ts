// Container ids, as runc accepts them. Kept apart from state.ts so that a command can check an id
// without loading node:fs (see ops/start-quick.ts).
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/;

export function validateId(id: string): void {
  if (!ID_RE.test(id)) throw new Error(`invalid container id "${id}": use letters, digits, '_', '.', '+', '-'`);
}
