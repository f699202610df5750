/**
 * @module xds/proto-root
 * Builds one protobufjs Root holding every v3 Envoy API proto shipped by an
 * installed npm package (see protos/roots.json). Nothing third-party lives in
 * this repo; the directories are resolved from node_modules at run time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

interface RootsFile {
  package: string;
  includeDirs: string[];
  wellKnownFrom: string;
  loadAllUnder: string;
  loadOnlyMatching: string;
}

/** Location of protos/roots.json, found by walking up from this file (works from src/ and build/src/). */
function findRootsFile(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'protos', 'roots.json');
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('protos/roots.json not found above ' + __dirname + '; run from a checkout of this repo');
}

function listProtos(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listProtos(full, out);
    else if (entry.name.endsWith('.proto')) out.push(full);
  }
  return out;
}

let cached: protobuf.Root | undefined;

/**
 * The shared Root with every loadable v3 Envoy type. Loaded once per thread
 * (each piscina worker has its own); about 200 ms and 40 MB.
 */
export function loadProtoRoot(): protobuf.Root {
  if (cached) return cached;
  const roots = JSON.parse(fs.readFileSync(findRootsFile(), 'utf8')) as RootsFile;
  const pkgDir = path.dirname(require.resolve(roots.package + '/package.json'));
  const includeDirs = roots.includeDirs.map((d) => path.join(pkgDir, d));
  const wellKnownDir = path.dirname(require.resolve(roots.wellKnownFrom + '/package.json'));

  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target) && fs.existsSync(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    const wellKnown = path.join(wellKnownDir, target);
    if (fs.existsSync(wellKnown)) return wellKnown;
    return target;
  };

  const base = path.join(pkgDir, roots.includeDirs[0] ?? '');
  const files = listProtos(path.join(pkgDir, roots.loadAllUnder))
    .map((p) => path.relative(base, p))
    .filter((p) => p.includes(roots.loadOnlyMatching))
    .sort();
  // A handful of v3 files import protos the package does not ship; skipping
  // them one by one keeps every other type loadable.
  for (const file of files) {
    try {
      root.loadSync(file, { keepCase: false });
    } catch {
      /* unloadable file: its types are simply not served */
    }
  }
  root.resolveAll();
  cached = root;
  return root;
}

/** The message type for a fully qualified name, or undefined if no loaded proto defines it. */
export function lookupMessage(root: protobuf.Root, fullName: string): protobuf.Type | undefined {
  try {
    return root.lookupType(fullName);
  } catch {
    return undefined;
  }
}
