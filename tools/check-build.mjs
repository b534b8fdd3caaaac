// Runs before the commands that run the compiled bot (npm run start:web, start:worker, start:all,
// db:migrate, org, import:people): they run dist/, which `npm run build` makes from src/. Stops
// with a plain message when dist/ is missing, or older than a file of src/ (a checkout, an edit
// or an `npm install` that regenerated the Prisma client since the last build), instead of
// starting code that is not the code checked out. Where src/ is not shipped, only dist/ is checked.
//
//   node tools/check-build.mjs [--dist <dir>] [--src <dir>]   (defaults: ./dist and ./src)
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { dist: { type: 'string' }, src: { type: 'string' } } });
const distDir = path.resolve(values.dist ?? path.join(root, 'dist'));
const srcDir = path.resolve(values.src ?? path.join(root, 'src'));
const entry = path.join(distDir, 'main.js');

/** A path as the person typing the command would write it. */
function shown(file) {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function fail(problem) {
  console.error(`${problem}\nRun \`npm run build\` first (it compiles src/ to dist/). \`npm start\` runs the TypeScript directly, without a build.`);
  process.exit(1);
}

/** The newest .ts file under dir: [mtimeMs, path]. */
function newestSource(dir) {
  let newest = [0, ''];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newestSource(full) : entry.name.endsWith('.ts') ? [statSync(full).mtimeMs, full] : newest;
    if (found[0] > newest[0]) newest = found;
  }
  return newest;
}

if (!existsSync(entry)) fail(`${shown(entry)} is missing: the bot has not been built.`);
if (existsSync(srcDir)) {
  const built = statSync(entry).mtimeMs;
  const [changed, file] = newestSource(srcDir);
  if (changed > built) fail(`${shown(distDir)}/ is older than ${shown(file)}: the build is not the code checked out.`);
}
