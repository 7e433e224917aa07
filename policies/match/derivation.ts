// The `derivation.allowedPaths` condition of a signing policy (docs/policies.md "Derived keys"):
// may a child key at this non-hardened HD path sign under this key's policy? A pattern matches a
// path of the same depth whose every level is the pattern's index or '*'. The path itself was
// parsed by the party (protocols/core/hd-derivation.ts parsePath) before it gets here.
export function derivationAllowed(path: string, allowedPaths: readonly string[] | undefined): boolean {
  // No `derivation` in the policy: no restriction on paths (the key policy still decides who may
  // create and use a child key; the rules still decide what is signed).
  if (allowedPaths === undefined) return true;
  const levels = path.split('/');
  return allowedPaths.some((p) => {
    const want = p.split('/');
    return want.length === levels.length && want.every((w, k) => w === '*' || w === levels[k]);
  });
}
